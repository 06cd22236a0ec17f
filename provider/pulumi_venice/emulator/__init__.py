"""A faithful local emulator of Venice's ``/api_keys`` API.

Run it with ``venice-emulator --port 0 --admin-key KEY`` (the first line it
prints is its base URL), or in-process::

    from pulumi_venice.emulator import start_emulator
    with start_emulator(admin_keys=["VENICE_ADMIN_KEY_test"]) as emulator:
        print(emulator.base_url)
"""

from __future__ import annotations

from pathlib import Path

from .backend import ApiError, Backend, Limits, StoredKey
from .faults import FailRule, FaultInjector, FaultPlan
from .server import EmulatorServer, EmulatorThread


def start_emulator(
    admin_keys: list[str],
    *,
    port: int = 0,
    limits: Limits | None = None,
    state_file: Path | None = None,
    faults: FaultPlan | None = None,
    staked_wallets: list[str] | None = None,
) -> EmulatorThread:
    """Start an emulator on 127.0.0.1 in a background thread; stop it with ``stop()``."""
    backend = Backend(
        admin_keys, limits=limits, state_file=state_file, staked_wallets=staked_wallets
    )
    return EmulatorThread(EmulatorServer(port, backend, FaultInjector(faults))).start()


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
