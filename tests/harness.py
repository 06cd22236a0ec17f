"""The test harness, imported by the tests and the benchmarks: the emulator as
a process, Pulumi projects run with the real CLI (a local file backend, no
network, and a record of everything the CLI printed, so that tests can prove
no secret was ever shown), and the small helpers many tests share."""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx
import yaml
from eth_account import Account
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from pulumi_venice import ApiKeyProvider, AuthenticationError, VeniceClient
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.emulator.backend import StoredKey
from pulumi_venice.settings.times import CLOCK_OFFSET_ENV, parse_duration
from pulumi_venice.settings.wallet import sign_token
from pulumi_venice.tools.installer import LAUNCHER, plugin_dir
from pulumi_venice.venice.models import Web3CreateApiKeyRequest

REPO = Path(__file__).resolve().parents[1]
PASSPHRASE = "e2e-passphrase"


def ensure_cli() -> Path:
    """The directory of the Pulumi CLI (built once per machine by scripts/ensure-pulumi)."""
    done = subprocess.run(
        [str(REPO / "scripts" / "ensure-pulumi")], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"scripts/ensure-pulumi failed:\n{done.stderr[-3000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


class PulumiProject:
    """One Pulumi project and stack, run with the real CLI against an emulator."""

    def __init__(
        self,
        workdir: Path,
        cli_dir: Path,
        program: Path,
        *,
        base_url: str,
        admin_key: str,
        runtime_options: dict[str, Any] | None = None,
        stack: str = "e2e",
        runtime: str = "python",
    ) -> None:
        self.dir = workdir / "project"
        self.backend = workdir / "backend"
        self.home = workdir / "pulumi-home"
        shutil.copytree(program, self.dir, ignore=shutil.ignore_patterns("__pycache__"))
        self.backend.mkdir()
        if runtime_options is None and runtime == "python":
            runtime_options = {"toolchain": "pip", "virtualenv": sys.prefix}
        project = {"name": "venice-e2e", "runtime": {"name": runtime, "options": runtime_options}}
        if runtime_options is None:
            project["runtime"] = runtime
        (self.dir / "Pulumi.yaml").write_text(yaml.safe_dump(project), encoding="utf-8")
        self.env = offline_env(
            cli_dir,
            self.home,
            PULUMI_BACKEND_URL=self.backend.as_uri(),
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            UV_PYTHON_DOWNLOADS="never",
            NO_COLOR="1",
        )
        self.transcript: list[str] = []
        self.pulumi("stack", "init", stack)
        self.config("venice:baseUrl", base_url)
        self.config("venice:apiKey", admin_key, secret=True)

    def pulumi(
        self,
        *args: str,
        check: bool = True,
        shows_secrets: bool = False,
        timeout: float = 600,
        stdin: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``pulumi ARGS --non-interactive``; its output joins the transcript
        unless the command was asked to show secrets (or was given one on stdin)."""
        done = subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
        if not shows_secrets:
            self.transcript.append(done.stdout + done.stderr)
        if check and done.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
            )
        return done

    def install_native_plugin(self) -> None:
        """The native plugin `venice` in this project's plugin cache (as users install it)."""
        install_native_plugin(self.env)

    def config(self, key: str, value: str, *, secret: bool = False) -> None:
        if secret:  # given on stdin, never on a command line
            self.pulumi("config", "set", "--secret", key, stdin=value, shows_secrets=True)
        else:
            self.pulumi("config", "set", key, value)

    def up(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.pulumi("up", "--yes", "--skip-preview", *args, check=check)

    def preview(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.pulumi("preview", "--diff", *args, check=check)

    def refresh(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.pulumi("refresh", "--yes", "--skip-preview", *args)

    def destroy(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.pulumi("destroy", "--yes", "--skip-preview", *args)

    def outputs(self, *, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json"] + (["--show-secrets"] if show_secrets else [])
        done = self.pulumi(*args, shows_secrets=show_secrets)
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def export(self) -> dict[str, Any]:
        done = self.pulumi("stack", "export")
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def resources(self, type_suffix: str = "venice:ApiKey") -> list[dict[str, Any]]:
        deployment = self.export()["deployment"]
        return [r for r in deployment.get("resources", []) if r["type"].endswith(type_suffix)]

    def backend_text(self) -> str:
        """Every file of the backend and the project folder, as text."""
        texts = []
        for folder in (self.backend, self.dir, self.home):
            for path in folder.rglob("*"):
                if path.is_file() and ".venv" not in path.parts:
                    texts.append(path.read_bytes().decode("utf-8", errors="replace"))
        return "\n".join(texts)

    def kill_leftover_processes(self) -> None:
        """SIGKILL any process still running with this project's PULUMI_HOME: the
        language host and providers a dead (or untidy) engine left behind."""
        kill_processes_of(self.home)

    def assert_never_shown(self, secrets: Iterable[str]) -> None:
        """No secret in the CLI's output, the exported state, or the backend's files."""
        places = {
            "the CLI's output": "\n".join(self.transcript),
            "pulumi stack export": json.dumps(self.export()),
            "the backend's files": self.backend_text(),
        }
        for secret in secrets:
            assert len(secret) >= 16, "a secret to look for must be long enough to be unique"
            for where, text in places.items():
                assert secret not in text, f"a secret appears in plain text in {where}"


def key_works(base_url: str, secret: str) -> bool:
    """Whether Venice (the emulator) accepts this key value: a call any key may make."""
    with VeniceClient(base_url, secret) as own:
        try:
            own.rate_limits()
        except AuthenticationError:
            return False
    return True


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


class Pipeline:
    """examples/pipeline/provision.py run as a CI job runs it: a process of its
    own, with the credentials and the backend (``backend_url``) in its environment."""

    def __init__(
        self, workdir: Path, cli_dir: Path, *, base_url: str, admin_key: str, backend_url: str
    ) -> None:
        self.dir = workdir
        self.secrets_dir = workdir / "secrets"
        self.home = workdir / "pulumi-home"
        self.env = offline_env(
            cli_dir,
            self.home,
            VENICE_API_KEY=admin_key,
            VENICE_BASE_URL=base_url,
            PULUMI_BACKEND_URL=backend_url,
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            NO_COLOR="1",
        )
        self.transcript: list[str] = []
        self._files = 0

    def tenants_file(self, tenants: list[dict[str, Any]]) -> Path:
        self._files += 1
        path = self.dir / f"tenants-{self._files}.yaml"
        path.write_text(yaml.safe_dump({"tenants": tenants}), encoding="utf-8")
        return path

    def command(self, tenants: list[dict[str, Any]], stack: str, *extra: str) -> list[str]:
        script = REPO / "examples" / "pipeline" / "provision.py"
        return [
            *(sys.executable, str(script), str(self.tenants_file(tenants))),
            *("--stack", stack, "--secrets-dir", str(self.secrets_dir / stack), *extra),
        ]

    def run(
        self, tenants: list[dict[str, Any]], stack: str, *extra: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.command(tenants, stack, *extra),
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        self.transcript.append(done.stdout + done.stderr)
        if check and done.returncode != 0:
            raise AssertionError(
                f"provision failed ({done.returncode}):\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done

    def start(
        self, tenants: list[dict[str, Any]], stack: str, *extra: str
    ) -> subprocess.Popen[str]:
        """The run in a process group of its own (so that it can be killed whole)."""
        return subprocess.Popen(
            self.command(tenants, stack, *extra),
            cwd=self.dir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def key_value(self, stack: str, tenant: str) -> str:
        return (self.secrets_dir / stack / f"{tenant}.key").read_text(encoding="utf-8")

    def export(self, stack: str) -> str:
        """``pulumi stack export`` of a pipeline stack (its state, secrets encrypted)."""
        done = subprocess.run(
            ["pulumi", "stack", "export", "--stack", f"organization/venice-tenants/{stack}"],
            cwd=self.dir,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    def kill_leftover_processes(self) -> None:
        kill_processes_of(self.home)


class EmulatorProcess:
    """``venice-emulator`` run as its own process, as users run it."""

    def __init__(self, *args: str) -> None:
        self.args = [sys.executable, "-m", "pulumi_venice.emulator.cli", "--port", "0", *args]
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def start(self) -> EmulatorProcess:
        self.process = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        stdout: IO[str] | None = self.process.stdout
        assert stdout is not None
        self.base_url = stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the emulator did not start: {self.base_url!r}")
        return self

    @property
    def control_url(self) -> str:
        return self.base_url.removesuffix("/api/v1") + "/_emulator"

    def all_keys(self) -> list[dict[str, object]]:
        """Every key the emulator holds (no secrets), from its control plane."""
        data: list[dict[str, object]] = httpx.get(self.control_url + "/keys").json()["data"]
        return data

    def set_faults(self, **faults: object) -> None:
        httpx.post(self.control_url + "/faults", json=faults).raise_for_status()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


SHARED = Path(__file__).resolve().parents[2] / "shared"


def managed(emulator: EmulatorThread) -> list[StoredKey]:
    """The keys on the emulator other than its own admin key."""
    return [k for k in emulator.server.backend.all_keys() if k.description != "Emulator admin key"]


def checked(provider: ApiKeyProvider, **props: Any) -> dict[str, Any]:
    """Inputs that pass the provider's check (an ApiKey's base, overridden by ``props``)."""
    base: dict[str, Any] = {"api_key_type": "INFERENCE", "description": "provider test"}
    result = provider.check({}, {**base, **props})
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


def secret_of(outs: dict[str, Any]) -> str:
    assert is_rpc_secret(outs["api_key"]), "api_key must leave the provider as a secret"
    value = unwrap_rpc_secret(outs["api_key"])
    assert isinstance(value, str)
    return value


def wallet_admin_key(emulator: EmulatorThread, private_key: str) -> str:
    """An ADMIN key of the wallet's account, made the way an agent would."""
    account = Account.from_key(private_key)
    with VeniceClient(emulator.base_url, None) as public:
        token = public.web3_token()
        created = public.create_web3_key(
            Web3CreateApiKeyRequest(
                address=account.address,
                token=token,
                signature=sign_token(account, token),
                api_key_type="ADMIN",
                description="wallet admin",
            )
        )
    return created.api_key


class ConsumerProcess:
    """``examples/rotation/consumer.py`` as its own process: an application that
    calls the emulator with the openai client, using the key from a file."""

    def __init__(
        self, key_file: Path, base_url: str, report: Path, *, rate: float, reload_every: float
    ) -> None:
        self.report_file = report
        self.args = [
            sys.executable,
            str(REPO / "examples" / "rotation" / "consumer.py"),
            *("--key-file", str(key_file), "--base-url", base_url, "--report", str(report)),
            *("--rate", str(rate), "--reload-every", str(reload_every)),
        ]
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> ConsumerProcess:
        self.process = subprocess.Popen(
            self.args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        return self

    def report(self) -> dict[str, Any]:
        """The consumer's latest report (rewritten every second), or {} before the first."""
        try:
            report: dict[str, Any] = json.loads(self.report_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return report

    def wait_for(
        self, condition: Callable[[dict[str, Any]], bool], what: str, timeout: float = 60
    ) -> dict[str, Any]:
        """Wait until the report meets ``condition``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, "consumer died"
            report = self.report()
            if report and condition(report):
                return report
            time.sleep(0.2)
        raise AssertionError(f"the consumer never {what}: {self.report()}")

    def stop(self) -> dict[str, Any]:
        """Stop it (SIGTERM) and return its final report."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
            _, stderr = self.process.communicate(timeout=20)
            assert self.process.returncode == 0, stderr[-2000:]
        return self.report()

    def __enter__(self) -> ConsumerProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class RotationStack:
    """examples/rotation, its consumer's file, and both clocks (the provider's
    VENICE_TEST_CLOCK_OFFSET and the emulator's own offset)."""

    def __init__(self, project: PulumiProject, emulator: EmulatorThread, key_file: Path) -> None:
        self.project = project
        self.emulator = emulator
        self.key_file = key_file
        project.config("venice-e2e:keyFile", str(key_file))

    def jump(self, offset: str) -> None:
        self.project.env[CLOCK_OFFSET_ENV] = offset
        self.emulator.server.backend.set_clock_offset(parse_duration(offset))

    def delivered(self) -> str:
        return self.key_file.read_text(encoding="utf-8")

    def works(self, secret: str) -> bool:
        return key_works(self.emulator.base_url, secret)


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
