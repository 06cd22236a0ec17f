"""A release a user installs like any Pulumi provider (issue 31), with the
real CLI: ``scripts/release`` writes ``dist/`` with matching checksums, and a
Pulumi YAML program in a new folder, with an empty ``PULUMI_HOME`` and
automatic plugin acquisition on, gets a key up and destroys it, the engine
downloading the plugin from ``dist/`` served on 127.0.0.1 (the stand-in for
the release site, through ``PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES``) and
installing its dependencies itself. The program's environment has no
pulumi-venice package: the plugin runs in the virtualenv the engine made.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_venice._version import __version__
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.project import go_module, plugin_download_url
from pulumi_venice.tools.release import PLATFORMS, plugin_archive_name

from ..support.cli import REPO
from ..support.keys import key_works
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

Factory = Callable[..., PulumiProject]


def up_and_destroy_from_the_release(
    project: PulumiProject, release_site: str, emulator: EmulatorThread, admin_key: str
) -> None:
    """``pulumi up`` with automatic plugin acquisition on and the project's
    release site served from dist/: the engine installs the plugin itself
    (its own virtualenv); the key works; ``destroy`` revokes it."""
    assert not any(project.home.glob("plugins/resource-venice-*"))  # an empty PULUMI_HOME
    project.env.pop("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", None)
    project.env["PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES"] = f"^{plugin_download_url()}={release_site}"
    project.pulumi("up", "--yes", "--skip-preview", timeout=900)
    assert list(project.home.glob(f"plugins/resource-venice-v{__version__}/venv"))
    secret = project.outputs(show_secrets=True)["key_secret"]
    assert key_works(emulator.base_url, secret)
    project.destroy()
    assert not key_works(emulator.base_url, secret)
    project.assert_never_shown([secret, admin_key])


def test_the_release_holds_every_artifact_of_one_version_with_matching_checksums(
    dist: Path,
) -> None:
    names = {path.name for path in dist.iterdir()}
    expected = {plugin_archive_name(os, arch) for os, arch in PLATFORMS} | {
        f"pulumi_venice-{__version__}-py3-none-any.whl",
        f"pulumi_venice-{__version__}.tar.gz",
        f"pulumi-venice-venice-{__version__}.tgz",
        f"pulumi_venice_sdk-{__version__}-py3-none-any.whl",
        "schema.json",
        "SHA256SUMS",
    }
    assert names == expected
    sums: dict[str, str] = {}
    for line in (dist / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    assert set(sums) == names - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest, name
    with tarfile.open(dist / plugin_archive_name("linux", "amd64")) as archive:
        assert sorted(archive.getnames()) == sorted(
            [
                "PulumiPlugin.yaml",
                "requirements.txt",
                "__main__.py",
                f"pulumi_venice-{__version__}-py3-none-any.whl",
            ]
        )


# What a YAML user writes (docs/installation-configuration.md): the version and
# the release site, which an SDK would carry for them.
YAML_PROGRAM = """\
resources:
  key:
    type: venice:index:ApiKey
    properties:
      apiKeyType: INFERENCE
      description: from the release
    options:
      version: {version}
      pluginDownloadURL: {server}
outputs:
  key_secret: ${{key.apiKey}}
"""


def test_a_yaml_program_gets_the_plugin_from_the_release_site_by_itself(
    project_factory: Factory,
    release_site: str,
    emulator: EmulatorThread,
    admin_key: str,
    tmp_path: Path,
) -> None:
    program = tmp_path / "yaml-program"
    program.mkdir()
    server = plugin_download_url()
    text = YAML_PROGRAM.format(version=__version__, server=server)
    (program / "Main.yaml").write_text(text, encoding="utf-8")
    project = project_factory(program, runtime="yaml")
    up_and_destroy_from_the_release(project, release_site, emulator, admin_key)


TYPESCRIPT_PROGRAM = """\
import * as venice from "@pulumi-venice/venice";

const key = new venice.ApiKey("key", {
    apiKeyType: "INFERENCE",
    description: "from the release",
    consumptionLimit: { usd: 5 },
});
export const key_secret = key.apiKey;
"""


def test_a_typescript_program_installs_only_the_npm_tarball(
    project_factory: Factory,
    release_site: str,
    dist: Path,
    emulator: EmulatorThread,
    admin_key: str,
    tmp_path: Path,
) -> None:
    """A new folder, ``npm install`` of the release's tarball (and Pulumi's own
    SDK, which it depends on): the SDK names the plugin's version and release
    site, so the engine downloads the plugin with nothing else installed."""
    program = tmp_path / "typescript-program"
    program.mkdir()
    (program / "index.ts").write_text(TYPESCRIPT_PROGRAM, encoding="utf-8")
    shutil.copy(REPO / "tests" / "native" / "typescript" / "tsconfig.json", program)
    package = {
        "name": "release-user",
        "private": True,
        "main": "index.ts",
        # The Node.js language host here is v3.192.0's (docs/guides/pulumi-cli-offline.md).
        "dependencies": {"@pulumi/pulumi": "3.192.0"},
        "devDependencies": {"@types/node": "^20", "typescript": "^5.6"},
    }
    (program / "package.json").write_text(json.dumps(package), encoding="utf-8")
    tarball = dist / f"pulumi-venice-venice-{__version__}.tgz"
    npm = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"]
    subprocess.run([*npm, str(tarball)], cwd=program, check=True, capture_output=True, timeout=600)
    subprocess.run(npm, cwd=program, check=True, capture_output=True, timeout=600)
    project = project_factory(program, runtime="nodejs")
    up_and_destroy_from_the_release(project, release_site, emulator, admin_key)


def test_a_go_program_on_the_go_sdk_gets_the_plugin_by_itself(
    project_factory: Factory, release_site: str, emulator: EmulatorThread, admin_key: str
) -> None:
    """The Go SDK (its module named by the project's home; taken from the
    repository's sdk/ with a replace, as the module cannot be fetched from
    here) names the plugin's version and release site: the engine downloads
    the plugin by itself."""
    project = project_factory(REPO / "tests" / "native" / "go", runtime="go")
    go_env = {**project.env, "GOFLAGS": "-mod=mod", "GONOSUMDB": "github.com/pulumi/pulumi"}
    for step in (
        ["go", "mod", "edit", f"-replace={go_module()}={REPO / 'sdk'}"],
        ["go", "mod", "tidy"],
    ):
        subprocess.run(
            step, cwd=project.dir, env=go_env, check=True, capture_output=True, timeout=900
        )
    project.env.update({"GOFLAGS": "-mod=mod", "GONOSUMDB": "github.com/pulumi/pulumi"})
    up_and_destroy_from_the_release(project, release_site, emulator, admin_key)
