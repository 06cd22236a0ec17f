"""``python -m pulumi_venice.policy``: where the guardrails pack is, and its
policies with their defaults.

  --path [--out DIR]  write the pack's folder for this Python (in the user's
             cache, or DIR) and print it, for ``pulumi preview --policy-pack``
  --config   a policy config file with every policy's defaults, to edit and pass
             with ``--policy-pack-config``
  (nothing)  the policies, their default levels and what each asks
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .catalog import ALL_POLICIES
from .config import config_properties
from .location import pack_path


def default_config() -> dict[str, dict[str, object]]:
    """Every policy's enforcement level and settings, at their defaults."""
    return {
        p.name: {
            "enforcementLevel": p.level,
            **{k: v["default"] for k, v in config_properties(p.config).items()},
        }
        for p in ALL_POLICIES
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_venice.policy",
        description="The Venice guardrails policy pack (docs/guides/guardrails.md).",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--path", action="store_true", help="write the pack's folder for this Python; print it"
    )
    what.add_argument(
        "--config", action="store_true", help="print a config file with every default"
    )
    parser.add_argument("--out", type=Path, help="with --path: the folder to write the pack to")
    args = parser.parse_args(argv)
    if args.out is not None and not args.path:
        parser.error("--out goes with --path")
    if args.path:
        print(pack_path(args.out))
    elif args.config:
        print(json.dumps(default_config(), indent=2))
    else:
        for policy in ALL_POLICIES:
            print(f"{policy.name} ({policy.level}): {policy.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
