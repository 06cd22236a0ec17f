"""Benchmark: failed calls of a live consumer while `pulumi up` replaces its key,
with and without `retire_grace`.

examples/rotation runs with the real CLI against the emulator (a process);
examples/rotation/consumer.py calls `POST /chat/completions` with the openai
client at a steady rate, reading its key from the file the stack writes and
checking that file every `--reload-every` seconds (as an application that
watches a mounted secret does). Each trial changes the `keepers` (a
replacement now) and counts the consumer's failed calls, the seconds they
spanned, and how long `pulumi up` took. With a grace the old key outlives the
consumer's next check; without one it is revoked as soon as the new key is
delivered, and the calls until the consumer's next check fail.

Run on demand (prints figures, asserts nothing; about a minute a trial):

    .venv/bin/python -m benchmarks.rotation_downtime [--trials 3] [--rate 20] [--reload-every 5]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.cli import REPO, ensure_cli
from tests.support.processes import ConsumerProcess, EmulatorProcess
from tests.support.project import PulumiProject

MODEL = "llama-3.2-3b"


def trial(
    cli: Path, emulator: EmulatorProcess, admin_key: str, grace: str, args: argparse.Namespace
) -> dict[str, Any]:
    """One replacement under a running consumer: its failures and the up's time."""
    with tempfile.TemporaryDirectory(prefix="rotation-bench-") as folder:
        work = Path(folder)
        project = PulumiProject(
            work,
            cli,
            REPO / "examples" / "rotation",
            base_url=emulator.base_url,
            admin_key=admin_key,
        )
        key_file = work / "consumer" / "venice.key"
        project.config("venice-e2e:keyFile", str(key_file))
        project.config("venice-e2e:retireGrace", grace)
        project.up()
        report_file = work / "report.json"
        with ConsumerProcess(
            key_file,
            emulator.base_url,
            report_file,
            rate=args.rate,
            reload_every=args.reload_every,
        ) as consumer:
            consumer.wait_for(lambda r: r["calls"] >= args.rate * 2, "made its first calls")
            project.config("venice-e2e:generation", "2")
            started = time.monotonic()
            project.up()
            up_seconds = time.monotonic() - started
            new_last6 = key_file.read_text(encoding="utf-8")[-6:]
            consumer.wait_for(
                lambda r: (
                    r["keys"][-1]["last6"] == new_last6 and r["keys"][-1]["calls"] >= args.rate
                ),
                "moved to the new key",
                timeout=args.reload_every * 4 + 30,
            )
            report = consumer.stop()
        project.destroy()
    old = report["keys"][0]
    return {
        "failed": report["failed"],
        "calls": report["calls"],
        "up_seconds": up_seconds,
        "gap_seconds": report["failed"] / args.rate,
        "old_key_calls": old["calls"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--rate", type=float, default=20.0, help="consumer calls a second")
    parser.add_argument("--reload-every", type=float, default=5.0, help="consumer's file check")
    args = parser.parse_args()
    cli = ensure_cli()
    admin_key = "VENICE_ADMIN_KEY_bench" + secrets.token_hex(8)
    with EmulatorProcess("--admin-key", admin_key) as emulator:
        # 20 calls a second exceed the model's 500 a minute: lift it (a test aid).
        httpx.post(
            emulator.control_url + "/model-limits", json={"model": MODEL, "RPM": 100_000}
        ).raise_for_status()
        print(
            f"consumer: {args.rate:g} calls/s, key file checked every {args.reload_every:g} s; "
            f"{args.trials} replacement(s) each (keepers change)"
        )
        print("| retire_grace | failed calls per trial | mean gap s | mean `up` s |")
        print("|---|---|---|---|")
        for grace in ("2d", "none"):
            results = [trial(cli, emulator, admin_key, grace, args) for _ in range(args.trials)]
            failed = ", ".join(str(r["failed"]) for r in results)
            gap = statistics.mean(r["gap_seconds"] for r in results)
            up = statistics.mean(r["up_seconds"] for r in results)
            print(f"| {grace} | {failed} | {gap:.2f} | {up:.2f} |", flush=True)


if __name__ == "__main__":
    main()
