"""What one provider process shares between its resources and functions: the
run-time settings (stack config, else the environment), one admin client on
one connection pool, and its short-lived copy of the account's key list.

The plugin serves both key types and the functions from one context; each of
the dynamic provider's providers has its own. Thread-safe: every call may
come from another thread.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Final

from ..settings.config import CONFIG_KEYS, ProviderSettings, resolve_settings
from ..venice.client import VeniceClient
from ..venice.errors import AuthenticationError, KeyNotFoundError
from ..venice.models import ApiKeyRecord
from ..venice.retry import RetryPolicy
from .directory import KeyDirectory

ADMIN_KEY_REFUSED: Final = (
    "The admin key was refused: check venice:apiKey or VENICE_API_KEY "
    "(it must be a valid ADMIN key)."
)


def settings_client(
    settings: ProviderSettings, api_key: str | None, refused_hint: str | None = None
) -> VeniceClient:
    """A client that calls with ``api_key`` on the process's shared connection pool."""
    return VeniceClient(
        settings.base_url,
        api_key,
        timeout=settings.request_timeout,
        retry=RetryPolicy(
            max_retries=settings.max_retries,
            deadline_seconds=settings.operation_timeout,
            rate_limit_deadline_seconds=settings.rate_limit_timeout,
        ),
        shared=True,
        refused_hint=refused_hint,
    )


class ProviderContext:
    """The settings, the admin client and the key list of one provider process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: ProviderSettings | None = None
        self._client: VeniceClient | None = None
        self._directory: KeyDirectory | None = None

    def configure(self, config: Mapping[str, Any]) -> None:
        """Take ``venice:*`` config; the environment fills what it lacks."""
        settings = resolve_settings({key: config.get(key) for key in CONFIG_KEYS})
        with self._lock:
            self._client = None  # made again, with the new settings, on first use
            self._directory = None
            self._settings = settings

    def settings(self) -> ProviderSettings:
        """The run-time settings (from configure, else from the environment)."""
        with self._lock:
            if self._settings is None:
                self._settings = resolve_settings()
            return self._settings

    def client(self) -> VeniceClient:
        """The shared HTTP client, created on first use with the configured admin key."""
        settings = self.settings()
        with self._lock:
            if self._client is None:
                self._client = settings_client(
                    settings, settings.require_api_key(), ADMIN_KEY_REFUSED
                )
                self._directory = KeyDirectory(self._client.list_keys)
            return self._client

    def client_for(self, api_key: str | None, refused_hint: str | None = None) -> VeniceClient:
        """A client that calls with the given key (or none), on the process's
        shared connection pool: cheap to make, and nothing to close."""
        return settings_client(self.settings(), api_key, refused_hint)

    def read_record(self, client: VeniceClient, key_id: str) -> ApiKeyRecord:
        """A key as Venice has it: from the admin client's short-lived copy of
        the key list when it has the key (one list call serves a whole
        refresh), else from ``GET /api_keys/{id}`` (KeyNotFoundError if gone)."""
        with self._lock:
            directory = self._directory if client is self._client else None
        record = directory.lookup(key_id) if directory is not None else None
        return record if record is not None else client.get_key(key_id)

    def changing_keys(self) -> None:
        """Drop the copy of the key list: this process is about to change a key."""
        with self._lock:
            directory = self._directory
        if directory is not None:
            directory.invalidate()

    def still_works(self, secret: str | None) -> bool | None:
        """Whether a key's own value is still accepted: Venice answers any live
        key's ``GET /api_keys/rate_limits``, whatever its type or account.
        None when there is no value to ask with; a Venice that cannot be
        asked raises (nothing may be judged gone on a guess)."""
        if not secret:
            return None
        try:
            self.client_for(secret).rate_limits()
        except (AuthenticationError, KeyNotFoundError):
            return False  # the key's own value is refused: it is gone
        return True
