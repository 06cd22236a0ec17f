"""A faithful local emulator of Venice's ``/api_keys`` API.

Run it with ``venice-emulator --port 0 --admin-key KEY`` (the first line it
prints is its base URL), or in-process::

    from pulumi_venice.emulator import start_emulator
    with start_emulator(admin_keys=["VENICE_ADMIN_KEY_test"]) as emulator:
        print(emulator.base_url)
"""

from __future__ import annotations

from .backend import ApiError, Backend, Limits, StoredKey
from .faults import FailRule, FaultInjector, FaultPlan
from .server import EmulatorServer, EmulatorThread, start_emulator

__all__ = [
    "ApiError",
    "Backend",
    "EmulatorServer",
    "EmulatorThread",
    "FailRule",
    "FaultInjector",
    "FaultPlan",
    "Limits",
    "StoredKey",
    "start_emulator",
]
