"""A release a user can install: ``python -m build`` makes an sdist and, from
it, a wheel; the wheel installed into a clean virtualenv (nothing of the
checkout on its path) runs the demo stack (examples/basic) with the real CLI
against the emulator, its pytest plugin included."""

from __future__ import annotations

import os
import shutil
import sys
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_venice._version import __version__
from pulumi_venice.emulator import EmulatorThread

from ..support.cli import REPO, run_checked
from ..support.keys import key_works
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

# What a checkout has that a release is not made of.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", ".demo", "node_modules", "__pycache__", "*.egg-info", "build", "dist"
)


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist, the wheel, and a clean virtualenv with the wheel installed."""
    work = tmp_path_factory.mktemp("release")
    source = work / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCES)
    # This machine's environment (its package index and certificates), with
    # nothing that points into the checkout.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "PYTHON"))}
    run_checked([sys.executable, "-m", "build", "--outdir", str(work / "dist"), str(source)], env)
    (sdist,) = (work / "dist").glob("pulumi_venice-*.tar.gz")
    (wheel,) = (work / "dist").glob("pulumi_venice-*.whl")
    uv = str(Path(sys.prefix) / "bin" / "uv")
    venv = work / "venv"
    run_checked([uv, "venv", "--quiet", "--seed", "--python", sys.executable, str(venv)], env)
    run_checked(
        [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"), str(wheel)], env
    )
    return {"sdist": sdist, "wheel": wheel, "venv": venv}


def test_the_wheel_and_sdist_carry_the_version_and_what_users_need(
    released: dict[str, Path],
) -> None:
    assert released["wheel"].name == f"pulumi_venice-{__version__}-py3-none-any.whl"
    assert released["sdist"].name == f"pulumi_venice-{__version__}.tar.gz"
    with zipfile.ZipFile(released["wheel"]) as wheel:
        names = set(wheel.namelist())
        entry_points = wheel.read(
            f"pulumi_venice-{__version__}.dist-info/entry_points.txt"
        ).decode()
    needed = ("py.typed", "pulumi-plugin.json", "dynamic/args.py", "testing.py", "keys/delivery.py")
    for name in needed:
        assert f"pulumi_venice/{name}" in names, name
    assert "venice = pulumi_venice.tools.testing" in entry_points  # the pytest plugin
    assert "venice-emulator = pulumi_venice.emulator.cli:main" in entry_points
    with tarfile.open(released["sdist"]) as sdist:
        members = {Path(m).name for m in sdist.getnames()}
    assert {"pyproject.toml", "README.md", "delivery.py"} <= members


def test_the_installed_wheel_runs_the_demo_stack(
    released: dict[str, Path],
    project_factory: Callable[..., PulumiProject],
    emulator: EmulatorThread,
) -> None:
    venv = released["venv"]
    where = run_checked(
        [str(venv / "bin" / "python"), "-c", "import pulumi_venice; print(pulumi_venice.__file__)"],
        {"PATH": "/usr/bin:/bin"},
        venv.parent,
    )
    assert where.startswith(str(venv)) and str(REPO) not in where  # not the checkout's
    project = project_factory(
        REPO / "examples" / "basic",
        runtime_options={"toolchain": "pip", "virtualenv": str(venv)},
    )
    project.up()
    secret = project.outputs(show_secrets=True)["api_key"]
    assert key_works(emulator.base_url, secret)
    project.destroy()
    assert not key_works(emulator.base_url, secret)
    project.assert_never_shown([secret])


def test_the_policy_extra_installs_the_guardrails_pack_the_engine_runs(
    released: dict[str, Path], project_factory: Callable[..., PulumiProject]
) -> None:
    """``pip install 'pulumi-venice[policy]'`` and the guardrails guide's
    command: the pack's folder, written for the installed Python, runs."""
    venv, python = released["venv"], str(released["venv"] / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "PYTHON"))}
    uv = str(Path(sys.prefix) / "bin" / "uv")
    requirement = f"pulumi-venice[policy] @ {released['wheel'].as_uri()}"
    run_checked([uv, "pip", "install", "--quiet", "--python", python, requirement], env)
    env["XDG_CACHE_HOME"] = str(venv.parent / "cache")
    folder = run_checked([python, "-m", "pulumi_venice.policy", "--path"], env).strip()
    assert folder.startswith(str(venv.parent / "cache"))
    assert f'"virtualenv": "{venv}"' in (Path(folder) / "PulumiPolicy.yaml").read_text()
    project = project_factory(
        REPO / "examples" / "basic",
        runtime_options={"toolchain": "pip", "virtualenv": str(venv)},
    )
    done = project.pulumi("preview", "--policy-pack", folder, check=False)
    assert f"venice-guardrails@v{__version__}" in done.stdout, done.stdout[-3000:] + done.stderr
    assert "venice-key-" in done.stdout  # the pack reported on the example's key
