"""Where the pack's folder is, inside the installed package (no
pulumi-policy needed to find it)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

PACK_FOLDER: Final = "guardrails"


def pack_path() -> Path:
    """The folder to pass to ``pulumi preview --policy-pack``."""
    return Path(__file__).resolve().parent / PACK_FOLDER
