"""The native provider plugin ``venice``: the same lifecycle core as the
dynamic provider, served over Pulumi's provider protocol, so that programs in
any language (TypeScript, Go, YAML, Python through a generated SDK) can use
it, ``pulumi import`` works, and explicit providers hold other accounts.

``python -m pulumi_venice.plugin --install`` installs it into Pulumi's plugin
cache (as ``resource-venice-v<version>``), where every program, ``pulumi
import`` and ``pulumi package gen-sdk venice`` find it; ``--path`` prints its
directory (for ``plugins: providers: [{name: venice, path: ...}]``);
``--gen-sdk LANGUAGE`` generates an SDK from its schema (:func:`generate_sdk`,
``pulumi package gen-sdk venice`` with the right host on PATH). Either
way the plugin is made for the Python that runs the command: the folder holds
one executable, ``pulumi-resource-venice``, a two-line shell script that runs
this interpreter on :mod:`pulumi_venice.plugin.serve`. The engine runs it
directly, as it runs any provider binary; a ``PulumiPlugin.yaml`` folder would
go through the Python language host instead, which costs every command a
second process and a check of the environment (about 0.2 s of CPU, read
from /proc during a 500-key ``pulumi up``) for nothing this plugin needs.

Installing is also what lets the engine resolve the plugin offline: the Python
language host lists ``pulumi-venice`` among a program's packages and asks for
a plugin ``venice`` of its version (an editable install hides the package's
``pulumi-plugin.json``); with the plugin in the cache, nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Final

from .._version import __version__

PLUGIN_NAME: Final = "venice"
LAUNCHER: Final = f"pulumi-resource-{PLUGIN_NAME}"
# Files of the earlier PulumiPlugin.yaml form, removed from a folder made by it.
_STALE: Final = ("PulumiPlugin.yaml", "__main__.py")


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pulumi-venice" / "plugin"


def plugin_dir() -> Path:
    """The plugin's directory for this interpreter (made or refreshed now)."""
    interpreter = sys.executable  # a virtualenv's own python: not resolved
    digest = hashlib.sha256(interpreter.encode()).hexdigest()[:12]
    # The engine names a plugin found by path after its folder: `venice`.
    folder = _cache_root() / digest / PLUGIN_NAME
    folder.mkdir(parents=True, exist_ok=True)
    launcher = (
        "#!/bin/sh\n"
        "# Made by `python -m pulumi_venice.plugin` for the Python below.\n"
        f'exec {shlex.quote(interpreter)} -m pulumi_venice.plugin.serve "$@"\n'
    )
    _write_executable(folder / LAUNCHER, launcher)
    for stale in _STALE:
        (folder / stale).unlink(missing_ok=True)
    return folder


def _write_executable(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (mode 0755) unless it already holds it; a
    reader never sees a half-written file."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        path.chmod(0o755)
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.chmod(0o755)
    temporary.replace(path)


class InstallError(Exception):
    """The plugin could not be installed; the message says why in one line."""


def install() -> str:
    """Install the plugin into Pulumi's plugin cache with ``pulumi plugin
    install`` (the CLI must be on PATH); what the CLI said, last line."""
    with tempfile.TemporaryDirectory(prefix="venice-plugin-") as scratch:
        archive = Path(scratch) / f"pulumi-resource-{PLUGIN_NAME}-v{__version__}.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            for item in plugin_dir().iterdir():
                tar.add(item, arcname=item.name)
        _pulumi(
            *("plugin", "install", "resource", PLUGIN_NAME, __version__),
            *("--reinstall", "--file", str(archive), "--non-interactive"),
        )
    return f"installed the Pulumi plugin {PLUGIN_NAME} v{__version__} (served by {sys.executable})"


def _pulumi(*args: str, hint: str = "") -> None:
    """Run the Pulumi CLI found on PATH; if it fails, an InstallError with its
    last error line (else its last line of stderr) and ``hint``."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise InstallError("the Pulumi CLI is not on PATH")
    done = subprocess.run(  # noqa: S603 - the CLI found on PATH, arguments of ours
        [pulumi, *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["(no message)"]
        said = next((ln for ln in reversed(lines) if ln.startswith("error:")), lines[-1])
        raise InstallError(f"pulumi {' '.join(args[:2])} failed: {said}{hint}")


SDK_LANGUAGES: Final = ("nodejs", "python", "go")


def generate_sdk(language: str, out: Path, schema: Path | None = None) -> Path:
    """``pulumi package gen-sdk`` into ``out/LANGUAGE``, from the installed
    plugin ``venice`` (or from the ``schema`` file); it builds as it is
    (``tsc``, ``pip install``, ``go build``) when the language's host, which
    must be on PATH, generates imports right (scripts/ensure-pulumi's hosts
    carry pulumi/pulumi#21835). The SDK's folder."""
    if language not in SDK_LANGUAGES:
        raise InstallError(f"no SDK for {language!r}: choose one of {', '.join(SDK_LANGUAGES)}")
    origin = str(schema) if schema is not None else PLUGIN_NAME
    hint = "" if schema else " (is the plugin installed? python -m pulumi_venice.plugin --install)"
    _pulumi(
        *("package", "gen-sdk", origin, "--language", language, "--out", str(out)),
        hint=hint,
    )
    return out / language
