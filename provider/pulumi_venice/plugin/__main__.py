"""``python -m pulumi_venice.plugin``: install the native plugin ``venice``
into Pulumi's plugin cache (``--install``), or print its directory (``--path``)."""

from __future__ import annotations

import argparse
import sys

from pulumi_venice.plugin import InstallError, install, plugin_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pulumi_venice.plugin",
        description="The native Pulumi provider plugin `venice`, served by this Python.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--install",
        action="store_true",
        help="install it into Pulumi's plugin cache ($PULUMI_HOME/plugins) with `pulumi "
        "plugin install`, so that programs in any language find it",
    )
    action.add_argument(
        "--path",
        action="store_true",
        help="print its directory (for plugins.providers[].path in Pulumi.yaml)",
    )
    args = parser.parse_args(argv)
    if args.path:
        print(plugin_dir())
        return 0
    try:
        print(install())
    except InstallError as error:
        print(f"pulumi_venice.plugin: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
