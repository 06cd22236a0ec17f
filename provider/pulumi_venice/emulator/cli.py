"""``venice-emulator``: run the Venice API emulator until stopped.

The first line printed is the base URL (``http://127.0.0.1:PORT/api/v1``), so
a script can start it with ``--port 0`` and read where it listens.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from types import FrameType

from ..settings.times import parse_duration
from .backend import Backend, Limits
from .faults import FailRule, FaultInjector, FaultPlan
from .server import EmulatorServer


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="venice-emulator",
        description="A local emulator of Venice AI's /api_keys API, on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one)")
    parser.add_argument(
        "--admin-key",
        action="append",
        default=[],
        metavar="KEY",
        help="an ADMIN key the emulator accepts (repeatable)",
    )
    parser.add_argument(
        "--state", type=Path, metavar="FILE", help="JSON file that keeps the keys across restarts"
    )
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=20,
        metavar="N",
        help="key creations allowed per window (default 20)",
    )
    parser.add_argument(
        "--rate-window",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="the rate-limit window (default 60)",
    )
    parser.add_argument(
        "--max-active-keys",
        type=int,
        default=500,
        metavar="N",
        help="active keys allowed per account (default 500)",
    )
    parser.add_argument(
        "--staked-wallet",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="a wallet that holds staked VVV (repeatable; none: every wallet)",
    )
    parser.add_argument(
        "--token-ttl",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="lifetime of Web3 tokens (default 900)",
    )
    parser.add_argument(
        "--clock-offset",
        default="0s",
        metavar="DURATION",
        help="a test aid: run the emulator's clock this far ahead, e.g. 31d (default 0s); "
        'POST /_emulator/clock {"offset": ...} moves it later',
    )
    faults = parser.add_argument_group("fault injection")
    faults.add_argument("--latency-ms", type=float, default=0.0, help="delay every call")
    # (flag, type, default, metavar, help): numbers that shape the fault plan
    numbers: tuple[tuple[str, type[int] | type[float], float, str, str], ...] = (
        ("--fail-next", int, 0, "N", "answer the next N calls with --fail-status"),
        ("--fail-status", int, 500, "STATUS", "the status of those answers (default 500)"),
        (
            "--drop-create-responses",
            int,
            0,
            "N",
            "commit the next N creates but drop their answers",
        ),
        ("--drop-create-every", int, 0, "N", "commit every Nth create but drop its answer"),
        (
            "--error-rate",
            float,
            0.0,
            "P",
            "answer this fraction of calls with a random 500/502/503",
        ),
    )
    for flag, kind, default, metavar, text in numbers:
        faults.add_argument(flag, type=kind, default=default, metavar=metavar, help=text)
    faults.add_argument(
        "--html-errors", action="store_true", help="injected errors are HTML pages, as from a proxy"
    )
    faults.add_argument("--seed", type=int, help="seed of the random faults")
    parser.add_argument(
        "--access-log", action="store_true", help="log each request line to stderr (never headers)"
    )
    return parser


class StartupError(Exception):
    """The emulator cannot start; the message is one line that says why."""


def build_server(args: argparse.Namespace) -> EmulatorServer:
    """The server the arguments describe, or a StartupError that says what is wrong."""
    try:
        offset = parse_duration(args.clock_offset)
    except ValueError as error:
        raise StartupError(f"--clock-offset {error}") from None
    if args.state is not None:
        _check_state_file(args.state)
    try:
        return _server(args, offset)
    except (TypeError, ValueError, KeyError) as error:
        raise StartupError(
            f"--state {args.state} holds entries this emulator cannot read "
            f"({type(error).__name__}); move it aside to start afresh"
        ) from None
    except OSError as error:
        raise StartupError(
            f"cannot listen on 127.0.0.1:{args.port} ({error.strerror or error}); "
            "choose another --port, or 0 for any free one"
        ) from None


def _check_state_file(path: Path) -> None:
    """A state file must be valid JSON of the emulator's, and writable."""
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise StartupError(
                f"--state {path} is not an emulator state file ({type(error).__name__}: "
                f"{str(error).splitlines()[0]}); move it aside to start afresh"
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("keys", []), list):
            raise StartupError(
                f"--state {path} is not an emulator state file (no key list); "
                "move it aside to start afresh"
            )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise StartupError(f"--state {path}: its folder {folder} is missing or not writable")
    if path.exists() and not os.access(path, os.W_OK):
        raise StartupError(f"--state {path} is not writable")


def _server(args: argparse.Namespace, clock_offset: timedelta) -> EmulatorServer:
    backend = Backend(
        args.admin_key,
        limits=Limits(args.rate_limit, args.rate_window, args.max_active_keys),
        state_file=args.state,
        staked_wallets=args.staked_wallet,
        token_ttl_seconds=args.token_ttl,
    )
    backend.set_clock_offset(clock_offset)
    plan = FaultPlan(
        fail=[FailRule(args.fail_status, args.fail_next)] if args.fail_next else [],
        latency_ms=args.latency_ms,
        drop_create_responses=args.drop_create_responses,
        drop_create_every=args.drop_create_every,
        error_rate=args.error_rate,
        html_errors=args.html_errors,
        seed=args.seed,
    )
    return EmulatorServer(args.port, backend, FaultInjector(plan), access_log=args.access_log)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.admin_key:
        print(
            "venice-emulator: warning: no --admin-key given; only Web3 keys can be created",
            file=sys.stderr,
        )
    try:
        server = build_server(args)
    except StartupError as error:
        print(f"venice-emulator: {error}", file=sys.stderr)
        return 2

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
