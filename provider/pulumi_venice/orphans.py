"""Shim: the ``venice-orphans`` console script of installs before 0.3.0 names
``pulumi_venice.orphans:main``; it lives in :mod:`pulumi_venice.tools.orphans`."""

from .tools.orphans import main

__all__ = ["main"]
