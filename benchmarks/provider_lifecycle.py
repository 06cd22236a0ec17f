"""Benchmark: how fast the provider checks inputs and runs a key's lifecycle
against the local emulator, and how many requests a second the emulator
serves. Run on demand: `.venv/bin/python -m benchmarks.provider_lifecycle`.
Prints its figures; asserts nothing.
"""

from __future__ import annotations

import os
import secrets
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pulumi_venice import ApiKeyProvider, VeniceClient
from pulumi_venice.emulator import Limits, start_emulator


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    print(
        f"{name:<34} n={len(samples):<5} median {statistics.median(samples) * 1000:8.2f} ms"
        f"   p95 {p95 * 1000:8.2f} ms"
    )


def main() -> None:
    admin = "VENICE_ADMIN_KEY_bench" + secrets.token_hex(8)
    with start_emulator([admin], limits=Limits(1_000_000, 60.0, 1_000_000)) as emulator:
        os.environ.update(VENICE_API_KEY=admin, VENICE_BASE_URL=emulator.base_url)
        provider = ApiKeyProvider()
        news = {
            "api_key_type": "INFERENCE",
            "description": "bench",
            "consumption_limit": {"usd": 5.0},
            "limit_period": "MONTH",
        }
        report("check (preview validation)", timed(lambda: provider.check({}, news), 2000))
        inputs = provider.check({}, news).inputs
        created = [provider.create(inputs) for _ in range(3)]  # warm up the pool
        report("create (POST + PATCH)", timed(lambda: created.append(provider.create(inputs)), 200))
        outs = created[-1].outs or {}
        report("read (refresh)", timed(lambda: provider.read(created[-1].id, outs), 200))
        renamed = provider.check({}, {**news, "description": "bench 2"}).inputs
        report(
            "update (PATCH)",
            timed(lambda: provider.update(created[-1].id, outs, renamed), 200),
        )
        pending = [c.id for c in created]
        report("delete", timed(lambda: provider.delete(pending.pop(), {}), len(pending)))

        with VeniceClient(emulator.base_url, admin) as client:
            client.list_keys()
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda _: client.rate_limits(), range(2000)))
            elapsed = time.perf_counter() - started
        print(f"{'emulator throughput (4 threads)':<34} {2000 / elapsed:8.0f} requests/s")


if __name__ == "__main__":
    main()
