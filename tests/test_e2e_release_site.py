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

import functools
import hashlib
import http.server
import subprocess
import tarfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pulumi_venice._version import __version__
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.project import plugin_download_url
from pulumi_venice.release import PLATFORMS, plugin_archive_name

from .harness import REPO, PulumiProject, key_works

pytestmark = pytest.mark.e2e

Factory = Callable[..., PulumiProject]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``scripts/release`` run as a user runs it, into a folder of its own."""
    out = tmp_path_factory.mktemp("release") / "dist"
    done = subprocess.run(
        [str(REPO / "scripts" / "release"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def release_site(dist: Path) -> Iterator[str]:
    """``dist/`` served on 127.0.0.1: what the engine downloads the plugin from."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(dist))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


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
    assert not any(project.home.glob("plugins/resource-venice-*"))  # an empty PULUMI_HOME
    project.env.pop("PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION", None)
    # The release site of the project's home, served from dist/ here.
    project.env["PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES"] = f"^{server}={release_site}"
    project.pulumi("up", "--yes", "--skip-preview", timeout=900)
    installed = list(project.home.glob(f"plugins/resource-venice-v{__version__}"))
    assert installed and (installed[0] / "venv").is_dir()  # the engine installed it
    outputs = project.outputs(show_secrets=True)
    assert key_works(emulator.base_url, outputs["key_secret"])
    project.destroy()
    assert not key_works(emulator.base_url, outputs["key_secret"])
    project.assert_never_shown([outputs["key_secret"], admin_key])
