"""Benchmark: what ``deliver_to`` adds to making a key. Creates 50 keys with
no sink, then 50 delivered to each sink (a file, a command, AWS Secrets
Manager on moto's server), in one run, through the lifecycle core against the
local emulator; then refreshes each delivered key (the sink asked whether it
still holds it). Run on demand: ``.venv/bin/python -m benchmarks.delivery``
(``--keys N``). Prints its figures; asserts nothing. Talks to loopback only.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pulumi_venice.emulator import Limits, start_emulator
from pulumi_venice.keys.lifecycle import KeyLifecycle
from tests.support.core import PlainCore

STORE = "import sys; open(sys.argv[1], 'w').write(sys.stdin.read())"
READ = "import sys; print(open(sys.argv[1]).read())"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def sinks(folder: Path, aws_endpoint: str) -> dict[str, Callable[[int], dict[str, Any] | None]]:
    """Each case's deliver_to for the i-th key (None: no sink)."""
    return {
        "no sink (plain create)": lambda i: None,
        "file": lambda i: {"file": {"path": str(folder / f"key-{i}")}},
        "command (a Python program)": lambda i: {
            "command": {
                "argv": [sys.executable, "-c", STORE, str(folder / f"entry-{i}")],
                "read_argv": [sys.executable, "-c", READ, str(folder / f"entry-{i}")],
            }
        },
        "aws_secrets_manager (moto)": lambda i: {
            "aws_secrets_manager": {
                "secret_id": f"venice/bench-{i}",
                "region": "us-east-1",
                "endpoint_url": aws_endpoint,
            }
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=50, help="keys per case (default 50)")
    keys = parser.parse_args().keys
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",  # noqa: S106 (moto's fake credentials)
        AWS_EC2_METADATA_DISABLED="true",
    )
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request lines

    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    admin = "VENICE_ADMIN_KEY_bench" + secrets.token_hex(8)
    limits = Limits(1_000_000, 60.0, 1_000_000)
    try:
        with (
            start_emulator([admin], limits=limits) as emulator,
            tempfile.TemporaryDirectory() as tmp,
        ):
            os.environ.update(VENICE_API_KEY=admin, VENICE_BASE_URL=emulator.base_url)
            lifecycle = PlainCore(KeyLifecycle())
            base = {"api_key_type": "INFERENCE", "description": "bench"}
            print(f"{keys} keys per case, emulator at {emulator.base_url}, moto at :{port}")
            print(f"{'case':<28} {'create ms/key':>14} {'+ vs plain':>11} {'refresh ms/key':>15}")
            plain_median = 0.0
            for case, deliver_to in sinks(Path(tmp), f"http://127.0.0.1:{port}").items():
                creates, reads = [], []
                for i in range(keys):
                    given = {**base, "deliver_to": deliver_to(i)} if deliver_to(i) else base
                    inputs, failures = lifecycle.check(given)
                    assert not failures, failures
                    started = time.perf_counter()
                    key_id, outputs = lifecycle.create(inputs, f"k{i}", stack="bench/dev")
                    creates.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    lifecycle.read(key_id, {**inputs, **outputs})
                    reads.append(time.perf_counter() - started)
                median = statistics.median(creates) * 1000
                plain_median = plain_median or median
                extra = f"{median - plain_median:+.2f}" if deliver_to(0) else "-"
                refresh = statistics.median(reads) * 1000
                print(f"{case:<28} {median:>14.2f} {extra:>11} {refresh:>15.2f}")
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
