"""A release: everything a user installs, of one version, written to ``dist/``
(``scripts/release`` runs ``python -m pulumi_venice.tools.release``).

- ``pulumi_venice-<V>-py3-none-any.whl`` and ``pulumi_venice-<V>.tar.gz``: the
  package (``python -m build``);
- ``pulumi-resource-venice-v<V>-<os>-<arch>.tar.gz`` for linux and darwin,
  amd64 and arm64 (the names the engine asks a release for): the plugin as a
  Python plugin project. ``PulumiPlugin.yaml`` (``runtime: python``, a
  virtualenv of its own), ``requirements.txt`` naming the package's wheel,
  which is in the archive too, and ``__main__.py``, which serves the plugin.
  After unpacking, the engine installs its dependencies itself (pkg/workspace
  ``InstallPluginContent`` in v3.259: the Python host makes ``venv`` and
  ``pip install -r requirements.txt``), so ``pulumi plugin install resource
  venice <V>``, or a program that needs the plugin, is the whole install: no
  ``pip install`` by the user. The four archives hold the same files: the
  plugin is pure Python, and the engine picks the one of its platform;
- ``pulumi-venice-venice-<V>.tgz``: the Node.js SDK (built JavaScript and
  type declarations; ``npm install ./that.tgz`` is the whole install);
- ``pulumi_venice_sdk-<V>-py3-none-any.whl``: the Python SDK (on the plugin);
- ``schema.json``, and ``SHA256SUMS`` of every file above.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from .._version import __version__
from .codegen import REPOSITORY
from .installer import PLUGIN_NAME

PLATFORMS: Final = tuple((os, arch) for os in ("linux", "darwin") for arch in ("amd64", "arm64"))
PLUGIN_PROJECT: Final = """\
# The plugin `venice` as a Python plugin project: the engine makes `venv` and
# installs requirements.txt into it after unpacking, then runs __main__.py.
name: venice
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: venv
"""
PLUGIN_MAIN: Final = """\
from pulumi_venice.plugin.serve import serve

serve()
"""


class ReleaseError(Exception):
    """A step of the release failed (its command's last lines are in the message)."""


def _run(command: Sequence[str], cwd: Path) -> None:
    # The commands are this module's own (build, npm, tsc, pip), never input.
    done = subprocess.run(  # noqa: S603
        list(command), cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-2000:]
        raise ReleaseError(f"{' '.join(command[:3])} ... failed ({done.returncode}):\n{tail}")


def plugin_archive_name(os_name: str, arch: str) -> str:
    return f"pulumi-resource-{PLUGIN_NAME}-v{__version__}-{os_name}-{arch}.tar.gz"


def build_package(out: Path) -> Path:
    """The wheel and the sdist; the wheel's path."""
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(REPOSITORY)], REPOSITORY)
    (wheel,) = out.glob(f"pulumi_venice-{__version__}-*.whl")
    return wheel


def _add(archive: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), mode
    archive.addfile(info, io.BytesIO(data))


def build_plugin_archives(out: Path, wheel: Path) -> list[Path]:
    """One plugin archive per platform (the same files in each)."""
    made = []
    for os_name, arch in PLATFORMS:
        path = out / plugin_archive_name(os_name, arch)
        with tarfile.open(path, "w:gz") as archive:
            _add(archive, "PulumiPlugin.yaml", PLUGIN_PROJECT.encode())
            _add(archive, "requirements.txt", f"./{wheel.name}\n".encode())
            _add(archive, "__main__.py", PLUGIN_MAIN.encode())
            _add(archive, wheel.name, wheel.read_bytes())
        made.append(path)
    return made


def build_nodejs_sdk(out: Path, work: Path) -> Path:
    """``npm pack`` of the Node.js SDK, built with tsc (its dependencies from npm)."""
    sdk = work / "nodejs"
    shutil.copytree(REPOSITORY / "sdk" / "nodejs", sdk)
    _run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], sdk)
    _run([str(sdk / "node_modules" / ".bin" / "tsc")], sdk)
    package = json.loads((sdk / "package.json").read_text(encoding="utf-8"))
    package |= {"main": "index.js", "types": "index.d.ts"}
    package.pop("devDependencies", None)
    package.pop("scripts", None)
    (sdk / "bin" / "package.json").write_text(json.dumps(package, indent=4) + "\n", "utf-8")
    _run(["npm", "pack", "--pack-destination", str(out), str(sdk / "bin")], sdk)
    (tarball,) = out.glob(f"*-{__version__}.tgz")
    return tarball


def build_python_sdk(out: Path, work: Path) -> Path:
    source = work / "python"
    shutil.copytree(REPOSITORY / "sdk" / "python", source)
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out)]
    _run([*pip_wheel, str(source)], work)
    (wheel,) = out.glob(f"pulumi_venice_sdk-{__version__}-*.whl")
    return wheel


def write_checksums(out: Path) -> Path:
    """``SHA256SUMS``: ``<hex>  <name>`` for every file of the release."""
    lines = [
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}"
        for path in sorted(out.iterdir())
        if path.is_file() and path.name != "SHA256SUMS"
    ]
    target = out / "SHA256SUMS"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target


def release(out: Path) -> list[Path]:
    """Every artifact of the release, written to ``out`` (emptied first)."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        wheel = build_package(out)
        build_plugin_archives(out, wheel)
        build_nodejs_sdk(out, work)
        build_python_sdk(out, work)
    shutil.copy(REPOSITORY / "schema.json", out / "schema.json")
    write_checksums(out)
    return sorted(out.iterdir())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPOSITORY / "dist", help="default: dist/")
    args = parser.parse_args(argv)
    try:
        made = release(args.out)
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 1
    for path in made:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
