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

from tests.support.cli import ensure_cli, native_python_sdk, plugin_env, served_plugin
from tests.support.processes import EmulatorProcess
from tests.support.project import PulumiProject

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
DOORS = ("dynamic", "plugin", "plugin-yaml")


def yaml_program(size: int) -> str:
    """The benchmark's stack as a Pulumi YAML program on the plugin: ``size``
    keys (YAML has no loops, so each is written out), ``usd`` their USD cap."""
    lines = ["config:", "  usd:", "    type: number", "    default: 5"]
    lines += ["resources:"] if size else ["resources: {}"]
    for index in range(size):
        lines += [
            f"  key-{index}:",
            "    type: venice:index:ApiKey",
            "    properties:",
            "      apiKeyType: INFERENCE",
            f"      description: benchmark key {index}",
            "      consumptionLimit:",
            "        usd: ${usd}",
        ]
    lines += ["outputs:", f"  count: {size}"]
    return "\n".join(lines) + "\n"


def door_project(
    door: str, workdir: Path, cli: Path, base_url: str, admin_key: str, venv: Path
) -> PulumiProject:
    """A fresh stack for one door: the dynamic provider and the plugin run the
    same Python program (the plugin's through its generated SDK);
    ``plugin-yaml`` is the same keys as a Pulumi YAML program."""
    folder = Path(tempfile.mkdtemp(dir=workdir))
    if door == "plugin-yaml":
        empty = folder / "yaml-program"
        empty.mkdir()
        (empty / "Main.yaml").write_text(yaml_program(0), encoding="utf-8")
        project = PulumiProject(
            folder,
            cli,
            empty,
            base_url=base_url,
            admin_key=admin_key,
            stack="bench",
            runtime="yaml",
        )
    else:
        native = door == "plugin"
        project = PulumiProject(
            folder,
            cli,
            PROGRAM.with_name("stack_program_native") if native else PROGRAM,
            base_url=base_url,
            admin_key=admin_key,
            stack="bench",
            runtime_options={"toolchain": "pip", "virtualenv": str(venv)} if native else None,
        )
    if door != "dynamic":
        project.install_native_plugin()
    return project


def set_size(project: PulumiProject, door: str, size: int, usd: str) -> None:
    """``size`` keys with a USD cap of ``usd`` at the next command."""
    if door == "plugin-yaml":
        (project.dir / "Main.yaml").write_text(yaml_program(size), encoding="utf-8")
        project.config("usd", usd)
    else:
        project.config("bench:count", str(size))
        project.config("bench:usd", usd)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def plugin_vs_dynamic(
    cli: Path,
    workdir: Path,
    sizes: list[int],
    latency_ms: float,
    repeat: int,
    checkpoint_modes: list[str],
) -> None:
    """The native plugin beside the dynamic provider, in the same run: up,
    preview and update of every key (its USD cap), refresh and destroy; each
    cycle ``repeat`` times (medians printed), with the engine's checkpoints
    ("on") and without ("skipped": PULUMI_SKIP_CHECKPOINTS=true). Three doors:
    the dynamic provider and the plugin under the same Python program, and the
    plugin under the same keys as a YAML program (no Python SDK in the
    program). The plugin runs with ``--parallel 32`` (its calls are concurrent
    up to 64); the dynamic provider's server does 4 at once whatever the
    engine asks."""
    env = plugin_env(cli, workdir / "plugin-home")
    venv = native_python_sdk(Path(tempfile.mkdtemp(dir=workdir)), env)
    latency = latency_ms / 1000
    admin_key = "VENICE_ADMIN_KEY_bench" + secrets.token_hex(12)
    unlimited = ("--rate-limit", "1000000", "--rate-window", "1", "--max-active-keys", "100000")
    print(
        f"\n## Native plugin beside the dynamic provider, emulator latency {latency_ms:.0f} ms, "
        f"median of {repeat}\n"
    )
    print(
        "| N | command | checkpoints | dynamic s | plugin s | plugin, YAML s "
        "| dynamic / plugin | dynamic / plugin, YAML | dynamic / bound | plugin / bound "
        "| plugin, YAML / bound | plugin peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for mode in checkpoint_modes:
        extra = {} if mode == "on" else {"PULUMI_SKIP_CHECKPOINTS": "true"}
        runs: dict[tuple[str, int, str], list[Run]] = {}
        fixed: dict[tuple[str, str], float] = {}
        for door in DOORS:
            native = door != "dynamic"
            with EmulatorProcess(
                "--admin-key", admin_key, "--latency-ms", str(latency_ms), *unlimited
            ) as emulator:
                project = door_project(door, workdir, cli, emulator.base_url, admin_key, venv)
                project.env.update({**PULUMI_ENV, **extra})
                args = ("--parallel", str(PLUGIN_PARALLEL)) if native else ()
                process = b"plugin.serve" if native else b"pulumi.dynamic"
                try:
                    set_size(project, door, 0, "5")
                    for command in PLUGIN_COMMANDS:
                        fixed[(door, command)] = run_command(
                            project, emulator, command, *args, process=process
                        ).seconds
                    for size in sizes:
                        for _ in range(repeat):
                            set_size(project, door, size, "5")
                            for command in PLUGIN_COMMANDS:
                                if command == "preview":  # 6: the engine and program alone
                                    set_size(project, door, size, "6")
                                runs.setdefault((door, size, command), []).append(
                                    run_command(project, emulator, command, *args, process=process)
                                )
                finally:
                    project.kill_leftover_processes()
        for size in sizes:
            for command in PLUGIN_COMMANDS:
                seconds = {
                    door: median([run.seconds for run in runs[(door, size, command)]])
                    for door in DOORS
                }
                bound = {
                    door: fixed[(door, command)]
                    + size * latency / (PLUGIN_PARALLEL if door != "dynamic" else WORKERS)
                    for door in DOORS
                }
                peak = max(
                    run.peak_rss_mb
                    for door in ("plugin", "plugin-yaml")
                    for run in runs[(door, size, command)]
                )
                print(
                    f"| {size} | {command} | {mode} "
                    + "".join(f"| {seconds[door]:.2f} " for door in DOORS)
                    + f"| {seconds['dynamic'] / seconds['plugin']:.2f} "
                    f"| {seconds['dynamic'] / seconds['plugin-yaml']:.2f} "
                    + "".join(f"| {seconds[door] / bound[door]:.2f} " for door in DOORS)
                    + f"| {peak:.0f} |",
                    flush=True,
                )
                if repeat > 1:
                    spread = "; ".join(
                        f"{door} "
                        + ", ".join(f"{run.seconds:.2f}" for run in runs[(door, size, command)])
                        for door in DOORS
                    )
                    print(f"<!-- {size} {command} {mode}: {spread} -->", flush=True)
    plugin_startup()


def plugin_startup(repeat: int = 5) -> None:
    """The plugin process's start-up: from launch to its gRPC port (median)."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        with served_plugin():
            samples.append((time.perf_counter() - started) * 1000)
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
import pulumi_venice.settings.wallet
pulumi_venice.settings.wallet.wallet_account("0x" + "11" * 32)
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
    parser.add_argument(
        "--plugin-repeat", type=int, default=3, help="cycles per door and N (medians printed)"
    )
    parser.add_argument(
        "--plugin-checkpoints",
        default="skipped,on",
        help="engine checkpoints for the plugin runs: skipped (PULUMI_SKIP_CHECKPOINTS), on",
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
            plugin_vs_dynamic(
                cli,
                workdir,
                plugin_sizes,
                args.latency_ms,
                args.plugin_repeat,
                args.plugin_checkpoints.split(","),
            )


if __name__ == "__main__":
    main()
