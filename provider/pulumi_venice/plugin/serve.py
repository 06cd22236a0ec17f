"""Serve the native provider over gRPC: the engine runs this module through
the plugin folder's ``pulumi-resource-venice``; the first line printed is
the port."""

from __future__ import annotations

import sys

from pulumi.provider.experimental.server import main

from .._version import __version__
from .native import VeniceProvider


def serve() -> None:
    main(sys.argv[1:], __version__, VeniceProvider())


if __name__ == "__main__":
    serve()
