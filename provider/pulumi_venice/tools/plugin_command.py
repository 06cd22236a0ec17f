"""``python -m pulumi_venice.plugin``: install the native plugin ``venice``
into Pulumi's plugin cache (``--install``), print its directory (``--path``),
or generate an SDK from its schema (``--gen-sdk LANGUAGE``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .installer import SDK_LANGUAGES, InstallError, generate_sdk, install, plugin_dir


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
    action.add_argument(
        "--gen-sdk",
        choices=SDK_LANGUAGES,
        metavar="LANGUAGE",
        help=f"generate the SDK for LANGUAGE ({', '.join(SDK_LANGUAGES)}) into OUT/LANGUAGE "
        "with `pulumi package gen-sdk`",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("sdk"), help="where --gen-sdk writes (default: sdk)"
    )
    args = parser.parse_args(argv)
    if args.path:
        print(plugin_dir())
        return 0
    try:
        if args.gen_sdk:
            print(f"generated the {args.gen_sdk} SDK in {generate_sdk(args.gen_sdk, args.out)}")
            return 0
        print(install())
    except InstallError as error:
        print(f"pulumi_venice.plugin: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
