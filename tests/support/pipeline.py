"""Stacks driven as infra pipelines drive them: the Automation API on a shared
backend, and a rotation stack a consumer reads.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.settings.times import CLOCK_OFFSET_ENV, parse_duration

from .cli import PASSPHRASE, REPO, kill_processes_of, offline_env
from .keys import key_works
from .project import PulumiProject


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
