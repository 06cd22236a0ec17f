"""The real Pulumi CLI as the tests run it: built once per machine, in an
environment that reaches no network (a local backend, no plugin download),
and the native plugin installed into a project's plugin cache.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from pulumi_venice.tools.installer import LAUNCHER, plugin_dir

REPO = Path(__file__).resolve().parents[2]


PASSPHRASE = "e2e-passphrase"


def ensure_cli() -> Path:
    """The directory of the Pulumi CLI (built once per machine by scripts/ensure-pulumi)."""
    done = subprocess.run(
        [str(REPO / "scripts" / "ensure-pulumi")], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"scripts/ensure-pulumi failed:\n{done.stderr[-3000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def kill_processes_of(pulumi_home: Path) -> None:
    """SIGKILL every process running with this PULUMI_HOME in its environment."""
    marker = f"PULUMI_HOME={pulumi_home}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if marker in environ:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(proc.name), signal.SIGKILL)


SHARED = Path(__file__).resolve().parents[3] / "shared"


def run_checked(command: list[str], env: dict[str, str], cwd: Path | None = None) -> str:
    """Run a command; its standard output, or an AssertionError with what it said."""
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{' '.join(command)}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return done.stdout


def offline_env(cli_dir: Path, home: Path, **extra: str) -> dict[str, str]:
    """The environment the real CLI runs in here: this process's, less every
    VENICE_* and PULUMI_* setting, with the CLI and this Python first on PATH,
    ``home`` as PULUMI_HOME, no update check and no plugin download; ``extra``
    on top."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "PULUMI_"))}
    return {
        **inherited,
        "PATH": os.pathsep.join(
            [str(cli_dir), str(Path(sys.prefix) / "bin"), inherited.get("PATH", "")]
        ),
        "PULUMI_HOME": str(home),
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        **extra,
    }


def plugin_env(cli_dir: Path, home: Path) -> dict[str, str]:
    """An offline CLI environment whose plugin cache (PULUMI_HOME) holds the
    native plugin `venice`, installed as users install it."""
    env = offline_env(cli_dir, home)
    install_native_plugin(env)
    return env


@contextlib.contextmanager
def served_plugin() -> Iterator[tuple[subprocess.Popen[str], int]]:
    """The native plugin started as the engine starts it (its launcher, an
    engine address as the argument): the process and the port it printed;
    killed on leaving."""
    with subprocess.Popen(
        [str(plugin_dir() / LAUNCHER), "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as server:
        try:
            assert server.stdout is not None
            yield server, int(server.stdout.readline())
        finally:
            server.kill()


def install_native_plugin(env: dict[str, str]) -> None:
    """``python -m pulumi_venice.plugin --install`` into env's PULUMI_HOME."""
    run_checked([sys.executable, "-m", "pulumi_venice.plugin", "--install"], env)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def native_python_sdk(work: Path, env: dict[str, str]) -> Path:
    """A virtualenv of its own with pulumi and the checked-in Python SDK
    (sdk/python; the project's venv is left alone: a second pulumi-* package
    there would make every program ask for its plugin); its path."""
    shutil.copytree(REPO / "sdk" / "python", work / "sdk" / "python")  # builds leave files
    uv = str(Path(sys.prefix) / "bin" / "uv")
    run_checked([uv, "venv", "--quiet", "--seed", "--python", sys.executable, "venv"], env, work)
    version = importlib.metadata.version("pulumi")  # the engine's release, as in the project
    run_checked(
        [
            *(uv, "pip", "install", "--quiet", "--python", "venv/bin/python"),
            *(f"pulumi=={version}", "./sdk/python"),
        ],
        env,
        work,
    )
    return work / "venv"
