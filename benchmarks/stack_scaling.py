"""Benchmark: `pulumi up`, `preview`, `refresh` and `destroy` with the real CLI
as a stack grows (N = 10, 100, 500 keys), against the emulator with an added
latency, compared with the lower bound of Pulumi's dynamic-provider server
(at most 4 operations at once):

    bound = (the same command on a stack with no keys) + N x latency / 4

It also prints HTTP calls per key, the provider process's peak memory, the
provider's start-up cost, a plain httpx loop (4 workers) doing the same
creates and reads, and how close `up` comes to the creation rate limit.

Run on demand (prints figures, asserts nothing; takes a few minutes):

    .venv/bin/python -m benchmarks.stack_scaling [--latency-ms 50] [--sizes 10,100,500]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

from pulumi_venice.plugin import LAUNCHER
from tests.harness import (
    EmulatorProcess,
    PulumiProject,
    ensure_cli,
    native_python_sdk,
    plugin_env,
    run_checked,
)

REPO = Path(__file__).resolve().parents[1]

PROGRAM = Path(__file__).resolve().parent / "stack_program"
COMMANDS = ("up", "preview", "refresh", "destroy")
PULUMI_ENV: dict[str, str] = {}  # --pulumi-env: extra environment for the CLI
WORKERS = 4  # Pulumi's dynamic-provider server: ThreadPoolExecutor(max_workers=4)


@dataclass
class Run:
    seconds: float
    api_calls: int
    peak_rss_mb: float


class ProviderMemory:
    """Peak resident memory of the dynamic-provider processes of one PULUMI_HOME,
    sampled from /proc while a command runs (VmHWM is the kernel's own peak)."""

    def __init__(self, home: Path, process: bytes = b"pulumi.dynamic") -> None:
        self._marker = f"PULUMI_HOME={home}".encode()
        self._process = process  # what the provider's command line holds
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.wait(0.05):
            for proc in Path("/proc").iterdir():
                if not proc.name.isdigit():
                    continue
                with contextlib.suppress(OSError):
                    if self._process not in (proc / "cmdline").read_bytes():
                        continue
                    if self._marker not in (proc / "environ").read_bytes().split(b"\0"):
                        continue
                    for line in (proc / "status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def __enter__(self) -> ProviderMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def api_requests(emulator: EmulatorProcess) -> int:
    count: int = httpx.get(emulator.control_url + "/stats").json()["apiRequests"]
    return count


def run_command(
    project: PulumiProject,
    emulator: EmulatorProcess,
    command: str,
    *args: str,
    process: bytes = b"pulumi.dynamic",
) -> Run:
    action: Callable[..., object] = {
        "up": project.up,
        "update": project.up,
        "preview": project.preview,
        "refresh": project.refresh,
        "destroy": project.destroy,
    }[command]
    before = api_requests(emulator)
    with ProviderMemory(project.home, process) as memory:
        started = time.perf_counter()
        action(*args)
        seconds = time.perf_counter() - started
    return Run(seconds, api_requests(emulator) - before, memory.peak_kb / 1024)


@contextlib.contextmanager
def stack(
    workdir: Path, cli: Path, admin_key: str, *emulator_args: str
) -> Iterator[tuple[PulumiProject, EmulatorProcess]]:
    """A fresh project and stack against a fresh emulator run with ``emulator_args``."""
    with EmulatorProcess("--admin-key", admin_key, *emulator_args) as emulator:
        folder = Path(tempfile.mkdtemp(dir=workdir))
        project = PulumiProject(
            folder, cli, PROGRAM, base_url=emulator.base_url, admin_key=admin_key, stack="bench"
        )
        project.env.update(PULUMI_ENV)
        try:
            yield project, emulator
        finally:
            project.kill_leftover_processes()


def scaling(cli: Path, workdir: Path, sizes: list[int], latency_ms: float) -> None:
    admin_key = "VENICE_ADMIN_KEY_bench" + secrets.token_hex(12)
    latency = latency_ms / 1000
    unlimited = ("--rate-limit", "1000000", "--rate-window", "1", "--max-active-keys", "100000")
    with stack(workdir, cli, admin_key, "--latency-ms", str(latency_ms), *unlimited) as (
        project,
        emulator,
    ):
        fixed: dict[str, float] = {}
        project.config("bench:count", "0")
        for command in COMMANDS:  # the engine's own cost: a stack with no keys
            fixed[command] = run_command(project, emulator, command).seconds
        print(f"\n## Stack scaling: real CLI, emulator latency {latency_ms:.0f} ms\n")
        print(
            "engine fixed cost (no keys): " + ", ".join(f"{c} {s:.2f} s" for c, s in fixed.items())
        )
        print(
            "\n| N | command | wall s | bound s | ratio | HTTP calls/key | provider peak RSS MB |"
        )
        print("|---|---|---|---|---|---|---|")
        for size in sizes:
            project.config("bench:count", str(size))
            for command in COMMANDS:
                run = run_command(project, emulator, command)
                bound = fixed[command] + size * latency / WORKERS
                print(
                    f"| {size} | {command} | {run.seconds:.2f} | {bound:.2f} "
                    f"| {run.seconds / bound:.2f} | {run.api_calls / size:.2f} "
                    f"| {run.peak_rss_mb:.0f} |",
                    flush=True,
                )


PLUGIN_COMMANDS = ("up", "preview", "update", "refresh", "destroy")
PLUGIN_PARALLEL = 32


def plugin_vs_dynamic(cli: Path, workdir: Path, sizes: list[int], latency_ms: float) -> None:
    """The native plugin beside the dynamic provider, in the same run: up, an
    update of every key (its USD cap), refresh and destroy, with the engine's
    checkpoints and without (PULUMI_SKIP_CHECKPOINTS=true). The plugin runs with
    ``--parallel 32`` (its calls are concurrent up to 64); the dynamic provider's
    server does 4 at once whatever the engine asks."""
    env = plugin_env(cli, workdir / "plugin-home")
    venv = native_python_sdk(Path(tempfile.mkdtemp(dir=workdir)), env)
    latency = latency_ms / 1000
    admin_key = "VENICE_ADMIN_KEY_bench" + secrets.token_hex(12)
    unlimited = ("--rate-limit", "1000000", "--rate-window", "1", "--max-active-keys", "100000")
    print(f"\n## Native plugin beside the dynamic provider, emulator latency {latency_ms:.0f} ms\n")
    print(
        "| N | command | checkpoints | dynamic s | plugin s | plugin / dynamic "
        "| dynamic / bound | plugin / bound | plugin peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for checkpoints in (True, False):
        extra = {} if checkpoints else {"PULUMI_SKIP_CHECKPOINTS": "true"}
        results: dict[tuple[str, int, str], Run] = {}
        fixed: dict[tuple[str, str], float] = {}
        for provider in ("dynamic", "plugin"):
            native = provider == "plugin"
            with EmulatorProcess(
                "--admin-key", admin_key, "--latency-ms", str(latency_ms), *unlimited
            ) as emulator:
                folder = Path(tempfile.mkdtemp(dir=workdir))
                project = PulumiProject(
                    folder,
                    cli,
                    PROGRAM.with_name("stack_program_native") if native else PROGRAM,
                    base_url=emulator.base_url,
                    admin_key=admin_key,
                    stack="bench",
                    runtime_options={"toolchain": "pip", "virtualenv": str(venv)}
                    if native
                    else None,
                )
                project.env.update({**PULUMI_ENV, **extra})
                if native:
                    project.install_native_plugin()
                args = ("--parallel", str(PLUGIN_PARALLEL)) if native else ()
                process = b"resource-venice" if native else b"pulumi.dynamic"
                try:
                    project.config("bench:count", "0")
                    for command in PLUGIN_COMMANDS:
                        fixed[(provider, command)] = run_command(
                            project, emulator, command, *args, process=process
                        ).seconds
                    for size in sizes:
                        project.config("bench:count", str(size))
                        project.config("bench:usd", "5")
                        for command in PLUGIN_COMMANDS:
                            if command == "preview":  # the engine and program alone
                                project.config("bench:usd", "6")
                            if command == "update":
                                project.config("bench:usd", "6")
                            results[(provider, size, command)] = run_command(
                                project, emulator, command, *args, process=process
                            )
                finally:
                    project.kill_leftover_processes()
        for size in sizes:
            for command in PLUGIN_COMMANDS:
                dynamic = results[("dynamic", size, command)]
                plugin = results[("plugin", size, command)]
                dynamic_bound = fixed[("dynamic", command)] + size * latency / WORKERS
                plugin_bound = fixed[("plugin", command)] + size * latency / PLUGIN_PARALLEL
                print(
                    f"| {size} | {command} | {'on' if checkpoints else 'skipped'} "
                    f"| {dynamic.seconds:.2f} | {plugin.seconds:.2f} "
                    f"| {plugin.seconds / dynamic.seconds:.2f} "
                    f"| {dynamic.seconds / dynamic_bound:.2f} "
                    f"| {plugin.seconds / plugin_bound:.2f} | {plugin.peak_rss_mb:.0f} |",
                    flush=True,
                )
    plugin_startup(env)


def plugin_startup(env: dict[str, str], repeat: int = 5) -> None:
    """The plugin process's start-up: from launch to its gRPC port (median)."""
    folder = Path(
        run_checked([sys.executable, "-m", "pulumi_venice.plugin", "--path"], env).strip()
    )
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        with subprocess.Popen(
            [str(folder / LAUNCHER), "127.0.0.1:1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        ) as server:
            assert server.stdout is not None
            server.stdout.readline()
            samples.append((time.perf_counter() - started) * 1000)
            server.kill()
    samples.sort()
    print(
        f"\nplugin start-up (launch to its gRPC port, median of {repeat}): "
        f"{samples[len(samples) // 2]:.0f} ms"
    )


def plain_httpx(sizes: list[int], latency_ms: float) -> None:
    """The same creates and reads as a bare httpx loop with 4 workers: no Pulumi."""
    admin_key = "VENICE_ADMIN_KEY_bench" + secrets.token_hex(12)
    latency = latency_ms / 1000
    print(f"\n## Plain httpx, {WORKERS} workers, latency {latency_ms:.0f} ms\n")
    print("| N | creates s | reads s | N x latency / 4 s |")
    print("|---|---|---|---|")
    with EmulatorProcess(
        "--admin-key",
        admin_key,
        "--latency-ms",
        str(latency_ms),
        "--rate-limit",
        "1000000",
        "--max-active-keys",
        "100000",
    ) as emulator:
        headers = {"Authorization": f"Bearer {admin_key}"}
        with httpx.Client(base_url=emulator.base_url + "/", headers=headers) as http:

            def create(index: int) -> str:
                body = {"apiKeyType": "INFERENCE", "description": f"plain {index}"}
                key_id: str = http.post("api_keys", json=body).json()["data"]["id"]
                return key_id

            def read(key_id: str) -> None:
                http.get(f"api_keys/{key_id}").raise_for_status()

            for size in sizes:
                with ThreadPoolExecutor(WORKERS) as pool:
                    started = time.perf_counter()
                    ids = list(pool.map(create, range(size)))
                    created = time.perf_counter() - started
                    started = time.perf_counter()
                    list(pool.map(read, ids))
                    reads = time.perf_counter() - started
                    list(pool.map(lambda k: http.delete("api_keys", params={"id": k}), ids))
                print(
                    f"| {size} | {created:.2f} | {reads:.2f} | {size * latency / WORKERS:.2f} |",
                    flush=True,
                )


def rate_limited_creation(cli: Path, workdir: Path, size: int, limit: int, window: float) -> None:
    """`pulumi up` of N keys when the service admits `limit` creations per `window`."""
    admin_key = "VENICE_ADMIN_KEY_bench" + secrets.token_hex(12)
    rate = limit / window
    with stack(
        workdir, cli, admin_key, "--rate-limit", str(limit), "--rate-window", str(window)
    ) as (project, emulator):
        project.config("bench:count", str(size))
        started = time.perf_counter()
        done = project.up(check=False)
        seconds = time.perf_counter() - started
        created = len(project.resources())
        calls = api_requests(emulator)
        project.destroy()
    print(f"\n## Creation under the rate limit ({limit} per {window:g} s = {rate:g}/s)\n")
    print(
        f"up of {size} keys: {seconds:.1f} s; N / rate = {size / rate:.1f} s; "
        f"ratio {seconds / (size / rate):.2f}; exit code {done.returncode}; "
        f"{created} keys in state; {calls} API calls (429s included)"
    )


STARTUP_PROBE = """
import base64, sys, time
started = time.perf_counter()
import pulumi.dynamic
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
import dill
server_ready = time.perf_counter()
provider = dill.loads(base64.b64decode(sys.argv[1]))
provider.configure(ConfigureRequest(Config({"venice:apiKey": "VENICE_ADMIN_KEY_x",
    "venice:baseUrl": "http://127.0.0.1:9/api/v1"}, "venice")))
provider.lifecycle.client()
ours = time.perf_counter()
import pulumi_venice.wallet
pulumi_venice.wallet.wallet_account("0x" + "11" * 32)
web3 = time.perf_counter()
print(server_ready - started, ours - server_ready, web3 - ours)
"""


def startup(repeat: int = 5) -> None:
    """Time to import and configure the provider in a fresh process (median of runs)."""
    from pulumi.dynamic.dynamic import serialize_provider

    from pulumi_venice import ApiKeyProvider

    serialized = serialize_provider(ApiKeyProvider())
    base64.b64decode(serialized)  # it is the engine's form: base64 of a dill pickle
    samples = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", STARTUP_PROBE, serialized],
            capture_output=True,
            text=True,
            check=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("VENICE_")},
        ).stdout.split()
        samples.append([float(x) * 1000 for x in out])
    samples.sort(key=lambda s: s[1])
    server, ours, web3 = samples[len(samples) // 2]
    print("\n## Provider start-up (fresh process, median of 5)\n")
    print(f"Pulumi's dynamic-provider server imports (pulumi.dynamic, dill): {server:.0f} ms")
    print(f"our provider: unpickle + import + configure + client: {ours:.0f} ms")
    print(f"first Web3 key only (eth-account import + wallet): {web3:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--sizes", default="10,100,500")
    parser.add_argument("--rate-keys", type=int, default=200, help="keys for the rate-limit run")
    parser.add_argument("--rate-limit", type=int, default=50, help="creations per window")
    parser.add_argument("--rate-window", type=float, default=10.0, help="window in seconds")
    parser.add_argument(
        "--pulumi-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="environment for the CLI, e.g. PULUMI_SKIP_CHECKPOINTS=true to see the engine's share",
    )
    parser.add_argument(
        "--skip", default="", help="parts to skip: scaling,httpx,rate,startup,plugin"
    )
    parser.add_argument(
        "--plugin-sizes", default="100,500", help="N for the plugin beside the dynamic provider"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    skip = set(args.skip.split(","))
    PULUMI_ENV.update(item.split("=", 1) for item in args.pulumi_env)
    print(
        f"# pulumi-venice stack benchmark ({time.strftime('%Y-%m-%d %H:%M')}, "
        f"{os.cpu_count()} CPUs, CLI environment {PULUMI_ENV or 'unchanged'})"
    )
    if "startup" not in skip:
        startup()
    cli = ensure_cli()
    with tempfile.TemporaryDirectory(prefix="venice-bench-") as temporary:
        workdir = Path(temporary)
        if "scaling" not in skip:
            scaling(cli, workdir, sizes, args.latency_ms)
        if "httpx" not in skip:
            plain_httpx(sizes, args.latency_ms)
        if "rate" not in skip:
            rate_limited_creation(cli, workdir, args.rate_keys, args.rate_limit, args.rate_window)
        if "plugin" not in skip:
            plugin_sizes = [int(s) for s in args.plugin_sizes.split(",")]
            plugin_vs_dynamic(cli, workdir, plugin_sizes, args.latency_ms)


if __name__ == "__main__":
    main()
