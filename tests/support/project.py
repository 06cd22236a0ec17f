"""One Pulumi project and stack run with the real CLI against an emulator, with
a record of everything the CLI printed, so that tests can prove no secret was
ever shown.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .cli import PASSPHRASE, install_native_plugin, kill_processes_of, offline_env


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
