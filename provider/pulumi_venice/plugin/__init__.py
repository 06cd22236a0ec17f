"""The native provider plugin ``venice``: the same lifecycle core as the
dynamic provider, served over Pulumi's provider protocol, so that programs in
any language (TypeScript, Go, YAML, Python through a generated SDK) can use
it, ``pulumi import`` works, and explicit providers hold other accounts.

``python -m pulumi_venice.plugin --install`` installs it into Pulumi's plugin
cache (as ``resource-venice-v<version>``), where every program, ``pulumi
import`` and ``pulumi package gen-sdk venice`` find it; ``--path`` prints its
directory (for ``plugins: providers: [{name: venice, path: ...}]``). Either
way the plugin is made for the Python that runs the command: its
``PulumiPlugin.yaml`` names that interpreter's environment, so the engine runs
the plugin where this package is installed.

Installing is also what lets the engine resolve the plugin offline: the Python
language host lists ``pulumi-venice`` among a program's packages and asks for
a plugin ``venice`` of its version (an editable install hides the package's
``pulumi-plugin.json``); with the plugin in the cache, nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Final

from .._version import __version__

PLUGIN_NAME: Final = "venice"
_MAIN: Final = '''"""Run by Pulumi's Python language host: serve the venice provider."""

from pulumi_venice.plugin.serve import serve

serve()
'''


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pulumi-venice" / "plugin"


def plugin_dir() -> Path:
    """The plugin's directory for this interpreter (made or refreshed now)."""
    environment = Path(sys.prefix).resolve()
    digest = hashlib.sha256(str(environment).encode()).hexdigest()[:12]
    # The engine names a plugin found by path after its folder: `venice`.
    folder = _cache_root() / digest / PLUGIN_NAME
    folder.mkdir(parents=True, exist_ok=True)
    manifest = (
        "# Made by `python -m pulumi_venice.plugin --path` for the Python environment below.\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        "    toolchain: pip\n"
        f"    virtualenv: {environment}\n"
    )
    _write_if_changed(folder / "PulumiPlugin.yaml", manifest)
    _write_if_changed(folder / "__main__.py", _MAIN)
    return folder


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)


class InstallError(Exception):
    """The plugin could not be installed; the message says why in one line."""


def install() -> str:
    """Install the plugin into Pulumi's plugin cache with ``pulumi plugin
    install`` (the CLI must be on PATH); what the CLI said, last line."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise InstallError("the Pulumi CLI is not on PATH")
    with tempfile.TemporaryDirectory(prefix="venice-plugin-") as scratch:
        archive = Path(scratch) / f"pulumi-resource-{PLUGIN_NAME}-v{__version__}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            for item in plugin_dir().iterdir():
                tar.add(item, arcname=item.name)
        done = subprocess.run(  # noqa: S603 - the CLI found on PATH, fixed arguments
            [
                *(pulumi, "plugin", "install", "resource", PLUGIN_NAME, __version__),
                *("--reinstall", "--file", str(archive), "--non-interactive"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise InstallError(f"pulumi plugin install failed: {last}")
    return f"installed the Pulumi plugin {PLUGIN_NAME} v{__version__} (served by {sys.executable})"
