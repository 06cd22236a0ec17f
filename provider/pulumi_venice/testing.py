"""Shim: the pytest plugin (``venice_emulator`` and ``VeniceEmulator``) lives in
:mod:`pulumi_venice.tools.testing`; programs' tests written before 0.3.0
import it from here."""

from .tools.testing import VeniceEmulator, venice_emulator

__all__ = ["VeniceEmulator", "venice_emulator"]
