"""End to end: the examples and the Pulumi.yaml toolchain options users use."""

from __future__ import annotations

import hashlib
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_venice.emulator import EmulatorThread

from ..support.cli import REPO
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

Factory = Callable[..., PulumiProject]


def test_secret_wiring_writes_an_owner_only_file_and_never_prints_the_key(
    project_factory: Factory, emulator: EmulatorThread, admin_key: str, tmp_path: Path
) -> None:
    project = project_factory(REPO / "examples" / "secret-wiring")
    key_file = tmp_path / "delivered" / "venice.key"
    project.config("venice-e2e:keyFile", str(key_file))
    project.up()
    content = key_file.read_text(encoding="utf-8")
    assert content.startswith("VENICE_INFERENCE_KEY_")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    outputs = project.outputs()
    assert outputs["key_file_sha256"] == hashlib.sha256(content.encode()).hexdigest()
    keys = {k.secret for k in emulator.server.backend.all_keys()}
    assert content in keys
    project.refresh()
    project.destroy()
    assert not key_file.exists()
    project.assert_never_shown([content, admin_key])


def test_toolchain_uv(project_factory: Factory, emulator: EmulatorThread) -> None:
    """``toolchain: uv``: Pulumi makes the project's .venv itself with uv."""
    program = REPO / "tests" / "programs" / "configurable"
    project = project_factory(program, runtime_options={"toolchain": "uv"})
    (project.dir / "pyproject.toml").write_text(
        "[project]\n"
        'name = "venice-uv-e2e"\n'
        'version = "0.0.0"\n'
        'requires-python = ">=3.11"\n'
        f'dependencies = ["pulumi-venice @ {REPO.as_uri()}"]\n',
        encoding="utf-8",
    )
    project.env["UV_PYTHON"] = sys.executable
    project.up()
    assert (project.dir / ".venv" / "bin" / "python").exists()
    assert project.outputs()["key_0_id"] in {k.id for k in emulator.server.backend.all_keys()}
    project.destroy()


def test_toolchain_pip_with_a_virtualenv_option(
    project_factory: Factory, emulator: EmulatorThread
) -> None:
    """``toolchain: pip`` with ``virtualenv:`` (every other e2e test uses it too)."""
    project = project_factory(
        REPO / "examples" / "basic",
        runtime_options={"toolchain": "pip", "virtualenv": sys.prefix},
    )
    project.up()
    assert project.outputs()["key_id"] in {k.id for k in emulator.server.backend.all_keys()}
    project.destroy()
