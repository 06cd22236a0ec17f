"""The pack's folder, as ``pulumi preview --policy-pack`` takes it: a
``PulumiPolicy.yaml`` and a ``__main__.py``, written for the Python that
runs this (no pulumi-policy needed to write it).

Pulumi's Python language host runs a policy pack only in a virtualenv of its
own (``venv`` beside the pack unless ``PulumiPolicy.yaml`` names one), never
the ambient Python, so the folder is written for this interpreter: its
``virtualenv`` is this one's prefix, where pulumi-venice[policy] is installed.
By default it goes to the user's cache, one folder per version and interpreter.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Final

from .._version import __version__

MAIN_PY: Final = '''"""The Venice guardrails policy pack, as pulumi_venice.policy wrote it."""

from pulumi_venice.policy.pack import serve

serve()
'''


def pack_manifest(prefix: str) -> str:
    """The pack's ``PulumiPolicy.yaml`` for the Python installed at ``prefix``."""
    manifest = {
        "description": "Guardrails for Venice API keys (pulumi-venice).",
        "version": __version__,
        "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": prefix}},
    }
    header = "# Written by python -m pulumi_venice.policy --path (docs/guides/guardrails.md).\n"
    return header + json.dumps(manifest, indent=2) + "\n"  # JSON is YAML


def default_folder(prefix: str) -> Path:
    """``$XDG_CACHE_HOME/pulumi-venice/policy-pack/<version>-<prefix hash>``."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    tag = hashlib.sha256(prefix.encode()).hexdigest()[:12]
    return cache / "pulumi-venice" / "policy-pack" / f"{__version__}-{tag}"


def _write(path: Path, text: str) -> None:
    """Write a file only if it differs, atomically (parallel runs share the folder)."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    with tempfile.NamedTemporaryFile(
        "w", dir=path.parent, delete=False, encoding="utf-8", suffix=".tmp"
    ) as temporary:
        temporary.write(text)
    Path(temporary.name).replace(path)


def pack_path(out: Path | None = None, prefix: str | None = None) -> Path:
    """The pack's folder (``out``, or the default one), written if need be."""
    python = prefix or sys.prefix
    folder = (out or default_folder(python)).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder / "PulumiPolicy.yaml", pack_manifest(python))
    _write(folder / "__main__.py", MAIN_PY)
    return folder
