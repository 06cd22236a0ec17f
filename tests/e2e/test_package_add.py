"""``pulumi package add venice`` on a consistent toolchain (issue 31): a CLI
and language hosts of one release. The v3.259 CLI cannot link a package into
a project whose host is of another release (the ``Link`` message changed in
v3.203.0, and pulumi-yaml v1.25.0 has no ``Link``); the module proxy serves
the Node.js, Python and Go hosts only at v3.192.0, so this test builds the
v3.192.0 CLI (``scripts/ensure-pulumi``, cached per machine) beside the
v3.259 one that every other test uses.

With it, a Pulumi YAML project and a TypeScript project each add the package
and get a key up. (The TypeScript one needs the hosts built with
pulumi/pulumi#21835 backported, as scripts/ensure-pulumi builds them: built
with Go 1.26, v3.192.0's Node.js code generator wrote ``config/vars.ts``'s
``import "./utilities"``, and the SDK ``package add`` builds failed ``tsc``.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Final

import pytest
import yaml

from pulumi_venice._version import __version__
from pulumi_venice.emulator import EmulatorThread

from ..support.cli import REPO
from ..support.keys import key_works
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

TOOLCHAIN: Final = "v3.192.0"


@pytest.fixture(scope="session")
def consistent_cli() -> Path:
    """The v3.192.0 CLI and its language hosts (built once per machine)."""
    done = subprocess.run(
        [str(REPO / "scripts" / "ensure-pulumi")],
        env={
            **os.environ,
            "PULUMI_VENICE_CLI_VERSION": TOOLCHAIN,
            "PULUMI_VENICE_FORCE_BUILD": "1",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=2400,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return Path(done.stdout.strip().splitlines()[-1])


def package_project(
    cli: Path, tmp_path: Path, emulator: EmulatorThread, admin_key: str, program: str
) -> PulumiProject:
    """A project of tests/native/PROGRAM on the consistent toolchain, the plugin installed."""
    project = PulumiProject(
        tmp_path,
        cli,
        REPO / "tests" / "native" / program,
        base_url=emulator.base_url,
        admin_key=admin_key,
        runtime="yaml" if program.startswith("yaml") else "nodejs",
    )
    assert project.pulumi("version").stdout.strip() == TOOLCHAIN
    project.install_native_plugin()
    return project


def package_added(project: PulumiProject) -> str:
    """``pulumi package add venice``; what it said."""
    added = project.pulumi("package", "add", "venice")
    said = added.stdout + added.stderr
    assert 'Added package "venice"' in said, said
    return said


def key_up_and_destroyed(project: PulumiProject, emulator: EmulatorThread, admin_key: str) -> None:
    """``up`` makes a working key (the program's ``key_secret``); destroy revokes it."""
    project.up()
    secret = project.outputs(show_secrets=True)["key_secret"]
    assert key_works(emulator.base_url, secret)
    project.destroy()
    assert not key_works(emulator.base_url, secret)
    project.assert_never_shown([secret, admin_key])


def test_pulumi_package_add_in_a_yaml_project_gets_a_key_up(
    consistent_cli: Path, tmp_path: Path, emulator: EmulatorThread, admin_key: str
) -> None:
    project = package_project(consistent_cli, tmp_path, emulator, admin_key, "yaml_package_add")
    package_added(project)
    declared = yaml.safe_load((project.dir / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert declared["packages"] == {"venice": f"venice@{__version__}"}
    key_up_and_destroyed(project, emulator, admin_key)


def test_pulumi_package_add_in_a_typescript_project_gets_a_key_up(
    consistent_cli: Path, tmp_path: Path, emulator: EmulatorThread, admin_key: str
) -> None:
    project = package_project(
        consistent_cli, tmp_path, emulator, admin_key, "typescript_package_add"
    )
    npm = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"]
    done = subprocess.run(npm, cwd=project.dir, env=project.env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    said = package_added(project)
    # The SDK is generated into sdks/venice, built by its postinstall (tsc),
    # and linked into package.json under the name the CLI tells the user to
    # import, which is the program's import.
    (module,) = re.findall(r'import \* as venice from "([^"]+)";', said)
    manifest = json.loads((project.dir / "package.json").read_text(encoding="utf-8"))
    assert manifest["dependencies"][module] == "file:sdks/venice"
    assert f'from "{module}"' in (project.dir / "index.ts").read_text(encoding="utf-8")
    assert (project.dir / "sdks" / "venice" / "bin" / "config" / "vars.js").is_file()
    key_up_and_destroyed(project, emulator, admin_key)
