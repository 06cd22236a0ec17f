"""The SDKs checked in under sdk/: what schema.json generates with the real
CLI's code generators (pulumi_venice/tools/sdks.py), each
building as it is. The TypeScript SDK is built with tsc by the native tests'
fixture (tests/e2e/test_native.py), which run programs on all three."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pulumi_venice._version import __version__
from pulumi_venice.project import plugin_download_url
from pulumi_venice.tools.sdks import SCHEMA, SDK, stale

from ..support.cli import REPO, offline_env, run_checked

pytestmark = pytest.mark.e2e


@pytest.fixture
def env(pulumi_cli: Path, tmp_path: Path) -> dict[str, str]:
    return offline_env(pulumi_cli, tmp_path / "home", GOFLAGS="-mod=mod")


def test_the_checked_in_sdks_are_what_the_schema_generates(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert stale() == [], "sdk/ is stale: run scripts/gen-sdks"


def test_the_python_sdk_builds_a_wheel(env: dict[str, str], tmp_path: Path) -> None:
    source = tmp_path / "python"
    shutil.copytree(SDK / "python", source)  # a build leaves files beside the sources
    run_checked(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", "dist", str(source)],
        env,
        tmp_path,
    )
    (wheel,) = (tmp_path / "dist").glob("pulumi_venice_sdk-*.whl")
    assert wheel.name.startswith(f"pulumi_venice_sdk-{__version__}-")
    with zipfile.ZipFile(wheel) as archive:
        plugin = json.loads(archive.read("pulumi_venice_sdk/pulumi-plugin.json"))
    # The engine downloads the plugin from the project's home (its releases) by itself.
    server = plugin_download_url()
    assert plugin == {"resource": True, "name": "venice", "version": __version__, "server": server}


def test_the_go_sdk_builds(env: dict[str, str], tmp_path: Path) -> None:
    module = tmp_path / "sdk"
    shutil.copytree(SDK / "go", module / "go")
    for name in ("go.mod", "go.sum"):
        shutil.copy(SDK / name, module / name)
    done = subprocess.run(
        ["go", "build", "./..."], cwd=module, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (REPO / "schema.json") == SCHEMA
