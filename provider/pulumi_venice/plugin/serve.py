"""Serve the native provider over gRPC (run by the engine, through the
plugin directory's ``__main__.py``): the first line printed is its port."""

from __future__ import annotations

import sys

from pulumi.provider.experimental.server import main

from .._version import __version__
from .native import VeniceProvider


def serve() -> None:
    main(sys.argv[1:], __version__, VeniceProvider())
