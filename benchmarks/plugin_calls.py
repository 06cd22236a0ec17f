"""Benchmark: the native plugin alone, driven over gRPC as the engine drives it
(no CLI, no program): N keys created (Check + Create), updated (Check + Diff +
Update) and deleted, C calls at once, against the emulator as a process with
an added latency. Prints each phase's wall time beside its latency bound
(N x latency / C) and the CPU the plugin and the emulator spent per key, read
from /proc: what is left when the engine and the program are taken away.

Run on demand (prints figures, asserts nothing):

    .venv/bin/python -m benchmarks.plugin_calls [--keys 500] [--concurrency 32] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.protobuf import struct_pb2
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from tests.support.cli import served_plugin
from tests.support.processes import EmulatorProcess

URN = "urn:pulumi:bench::bench::venice:index:ApiKey::key"
T = TypeVar("T")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def inputs(index: int, usd: float) -> struct_pb2.Struct:
    """A key's inputs as the engine sends them."""
    return PropertyValue.marshal_map(
        {
            "apiKeyType": PropertyValue("INFERENCE"),
            "description": PropertyValue(f"benchmark key {index}"),
            "consumptionLimit": PropertyValue({"usd": PropertyValue(usd)}),
        }
    )


async def run(keys: int, concurrency: int, latency_ms: float) -> None:
    admin_key = "VENICE_ADMIN_KEY_bench" + secrets.token_hex(12)
    unlimited = ("--rate-limit", "1000000", "--rate-window", "1", "--max-active-keys", "100000")
    with EmulatorProcess(
        "--admin-key", admin_key, "--latency-ms", str(latency_ms), *unlimited
    ) as emulator:
        assert emulator.process is not None
        emulator_pid = emulator.process.pid
        with served_plugin() as (plugin, port):
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = provider_pb2_grpc.ResourceProviderStub(channel)
                configuration = {
                    "apiKey": PropertyValue(admin_key).with_secret(True),
                    "baseUrl": PropertyValue(emulator.base_url),
                }
                await stub.Configure(
                    provider_pb2.ConfigureRequest(
                        args=PropertyValue.marshal_map(configuration), acceptSecrets=True
                    )
                )
                gate = asyncio.Semaphore(concurrency)
                bound = keys * latency_ms / 1000 / concurrency

                async def phase(name: str, call: Callable[[int], Awaitable[T]]) -> list[T]:
                    async def gated(index: int) -> T:
                        async with gate:
                            return await call(index)

                    plugin_before = cpu_seconds(plugin.pid)
                    emulator_before = cpu_seconds(emulator_pid)
                    started = time.perf_counter()
                    results = await asyncio.gather(*(gated(i) for i in range(keys)))
                    wall = time.perf_counter() - started
                    plugin_ms = (cpu_seconds(plugin.pid) - plugin_before) * 1000 / keys
                    emulator_ms = (cpu_seconds(emulator_pid) - emulator_before) * 1000 / keys
                    print(
                        f"| {name} | {wall:.2f} | {bound:.2f} "
                        f"| {f'{wall / bound:.2f}' if bound else '-'} "
                        f"| {plugin_ms:.2f} | {emulator_ms:.2f} |",
                        flush=True,
                    )
                    return results

                async def create(index: int) -> Any:
                    checked = await stub.Check(
                        provider_pb2.CheckRequest(urn=URN, news=inputs(index, 5.0))
                    )
                    return await stub.Create(
                        provider_pb2.CreateRequest(urn=URN, properties=checked.inputs)
                    )

                print(
                    f"\n## The plugin alone over gRPC: {keys} keys, {concurrency} calls at "
                    f"once, emulator latency {latency_ms:.0f} ms\n"
                )
                print(
                    "| phase (calls per key) | wall s | bound s | ratio "
                    "| plugin CPU ms/key | emulator CPU ms/key |"
                )
                print("|---|---|---|---|---|---|")
                created = await phase("create (Check, Create)", create)

                async def update(index: int) -> Any:
                    olds = created[index].properties
                    checked = await stub.Check(
                        provider_pb2.CheckRequest(urn=URN, olds=olds, news=inputs(index, 6.0))
                    )
                    key_id = created[index].id
                    await stub.Diff(
                        provider_pb2.DiffRequest(urn=URN, id=key_id, olds=olds, news=checked.inputs)
                    )
                    return await stub.Update(
                        provider_pb2.UpdateRequest(
                            urn=URN, id=key_id, olds=olds, news=checked.inputs
                        )
                    )

                updated = await phase("update (Check, Diff, Update)", update)

                async def delete(index: int) -> Any:
                    return await stub.Delete(
                        provider_pb2.DeleteRequest(
                            urn=URN, id=created[index].id, properties=updated[index].properties
                        )
                    )

                await phase("delete (Delete)", delete)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    print(
        f"# pulumi-venice plugin calls ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs)"
    )
    asyncio.run(run(args.keys, args.concurrency, args.latency_ms))


if __name__ == "__main__":
    main()
