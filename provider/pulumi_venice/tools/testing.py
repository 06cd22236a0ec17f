"""A pytest plugin for users' own tests: the ``venice_emulator`` fixture.

Installed with the package (entry point ``pytest11``), so any project that
has pulumi-venice and pytest can write::

    def test_my_script(venice_emulator):
        venice_emulator.use()                    # VENICE_BASE_URL / VENICE_API_KEY
        run_my_script()
        assert [k.description for k in venice_emulator.keys()] == ["ci key"]

    def test_it_survives_a_rate_limit(venice_emulator):
        venice_emulator.fail(429, count=2, method="POST")
        ...

Each test gets a fresh emulator on 127.0.0.1 (the real HTTP server, not a
mock), with its own admin key; it is stopped when the test ends. Disable the
plugin with ``-p no:venice``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from ..emulator import EmulatorThread, FailRule, StoredKey, start_emulator
from ..venice.client import VeniceClient

ADMIN_KEY_PREFIX = "VENICE_ADMIN_KEY_pytest"


@dataclass
class VeniceEmulator:
    """A running emulator, and what a test does with it."""

    thread: EmulatorThread
    admin_key: str
    _saved: dict[str, str | None] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """The API's base URL (``http://127.0.0.1:PORT/api/v1``)."""
        return self.thread.base_url

    @property
    def env(self) -> dict[str, str]:
        """The environment that points the provider, the client and the
        plugin at this emulator."""
        return {"VENICE_BASE_URL": self.base_url, "VENICE_API_KEY": self.admin_key}

    def use(self) -> None:
        """Set :attr:`env` in this process (restored when the test ends)."""
        for name, value in self.env.items():
            self._saved.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def client(self) -> VeniceClient:
        """A client with the admin key (close it, or use it in ``with``)."""
        return VeniceClient(self.base_url, self.admin_key)

    def keys(self) -> list[StoredKey]:
        """The keys the emulator holds, other than its own admin key."""
        return [k for k in self.thread.server.backend.all_keys() if k.secret != self.admin_key]

    def fail(
        self,
        status: int,
        *,
        count: int = 1,
        method: str | None = None,
        path_prefix: str | None = None,
        error: str | None = None,
        path: str | None = None,
        skip: int = 0,
        drop_answer: bool = False,
    ) -> None:
        """Answer ``status`` to the next ``count`` matching calls (429 with
        Retry-After), as Venice does when it fails; from the ``skip``+1-th
        such call on; with ``drop_answer``, carry the call out and lose its
        answer instead (a committed change whose answer never arrived)."""
        rule = FailRule(
            status,
            count,
            method,
            path_prefix,
            error,
            path=path,
            skip=skip,
            drop_answer=drop_answer,
        )
        self.faults(fail=[vars(rule)])

    def faults(self, **changes: Any) -> dict[str, Any]:
        """Change the fault plan (``fail`` rules are added; ``latency_ms``,
        ``error_rate``, ``drop_create_responses``, ``html_errors``, ...; see
        :mod:`pulumi_venice.emulator.faults`); the plan now in force."""
        self.thread.server.faults.update(changes)
        return self.thread.server.faults.describe()

    def restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def emulator_for_test(
    admin_key: str | None = None, *, staked_wallets: list[str] | None = None
) -> Iterator[VeniceEmulator]:
    """A fresh emulator on 127.0.0.1 with one admin key (a new one unless
    given) and the wallets that hold staked VVV; stopped, and the environment
    :meth:`VeniceEmulator.use` set restored, on leaving. What
    :func:`venice_emulator` and this repository's own test fixtures run on."""
    key = admin_key or ADMIN_KEY_PREFIX + secrets.token_hex(12)
    with start_emulator([key], staked_wallets=staked_wallets) as thread:
        emulator = VeniceEmulator(thread, key)
        try:
            yield emulator
        finally:
            emulator.restore()


@pytest.fixture
def venice_emulator() -> Iterator[VeniceEmulator]:
    """A fresh Venice API emulator on 127.0.0.1 for one test."""
    with emulator_for_test() as emulator:
        yield emulator
