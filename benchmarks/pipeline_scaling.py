"""Benchmark: the tenant pipeline (examples/pipeline/provision.py, the
Automation API) at N tenants, its state in a real PostgreSQL, against the
emulator with Venice's kind of creation rate limit.

From empty, N keys must wait for the creation limit, so the bound is

    bound = (the run of an empty tenant list) + N / rate

It also times a run with nothing to do, a run that changes every tenant's
caps (N updates in place, no creation), and one that removes every tenant
(N revocations).

Run on demand (prints figures, asserts nothing):

    .venv/bin/python -m benchmarks.pipeline_scaling [--tenants 200]
        [--rate-limit 20 --rate-window 10] [--latency-ms 0]
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.support.cli import ensure_cli
from tests.support.pipeline import Pipeline
from tests.support.postgres import PostgresServer, server_programs
from tests.support.processes import EmulatorProcess


def tenants(count: int, usd: float) -> list[dict[str, Any]]:
    return [{"name": f"tenant{i:04d}", "usd": usd, "diem": 0} for i in range(count)]


def timed(pipeline: Pipeline, wanted: list[dict[str, Any]], stack: str) -> float:
    started = time.monotonic()
    pipeline.run(wanted, stack)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--rate-limit", type=int, default=20, help="creations per window")
    parser.add_argument("--rate-window", type=float, default=10.0, help="seconds")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every call")
    args = parser.parse_args()
    programs = server_programs()
    if programs is None:
        raise SystemExit("PostgreSQL's server programs are missing (scripts/test installs them)")
    cli = ensure_cli()
    admin_key = "VENICE_ADMIN_KEY_bench" + secrets.token_hex(8)
    rate = args.rate_limit / args.rate_window
    emulator_args = ["--admin-key", admin_key, "--max-active-keys", str(args.tenants * 2 + 10)]
    emulator_args += ["--rate-limit", str(args.rate_limit), "--rate-window", str(args.rate_window)]
    emulator_args += ["--latency-ms", str(args.latency_ms)]
    postgres = PostgresServer(programs).start()
    try:
        with (
            EmulatorProcess(*emulator_args) as emulator,
            tempfile.TemporaryDirectory(prefix="pipeline-bench-") as folder,
        ):
            pipeline = Pipeline(
                Path(folder),
                cli,
                base_url=emulator.base_url,
                admin_key=admin_key,
                backend_url=postgres.url,
            )
            n = args.tenants
            empty = timed(pipeline, [], "bench")
            create = timed(pipeline, tenants(n, 5.0), "bench")
            same = timed(pipeline, tenants(n, 5.0), "bench")
            update = timed(pipeline, tenants(n, 7.5), "bench")
            revoke = timed(pipeline, [], "bench")
            bound = empty + n / rate
            print(
                f"{n} tenants; creation limit {args.rate_limit} per {args.rate_window:g} s "
                f"({rate:g}/s); latency {args.latency_ms:g} ms; backend PostgreSQL"
            )
            print("| run | wall s | bound s | ratio |")
            print("|---|---|---|---|")
            print(f"| empty tenant list (fixed cost) | {empty:.1f} | | |")
            print(
                f"| from empty: {n} creations | {create:.1f} | {bound:.1f} | {create / bound:.2f} |"
            )
            print(f"| nothing to do | {same:.1f} | | |")
            print(f"| every tenant's caps changed ({n} updates) | {update:.1f} | | |")
            print(f"| every tenant removed ({n} revocations) | {revoke:.1f} | | |")
    finally:
        postgres.stop()


if __name__ == "__main__":
    main()
