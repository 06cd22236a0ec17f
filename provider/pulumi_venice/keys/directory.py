"""Reads served from one list call: how a refresh of N keys costs one request.

``pulumi refresh`` asks the provider to read every key of the stack, four at
a time. Venice's ``GET /api_keys`` answers with every active key of the
account at once (no secrets, no pagination), so one list call can answer all
those reads: :class:`KeyDirectory` fetches the list when a read finds no
fresh copy, lets concurrent readers wait for that one call instead of making
their own, and keeps the copy for a few seconds.

Rules that keep it correct:
- A key missing from the copy is never judged gone from it: the caller asks
  Venice for that key alone (it may be newer than the copy, or expired).
- The copy is short-lived (``max_age_seconds``, 5 s by default), and the
  provider drops it whenever it changes a key, so it never reports what this
  process has just changed in the past tense.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..venice.models import ApiKeyRecord


class KeyDirectory:
    """A short-lived, thread-safe copy of the account's key list."""

    def __init__(
        self,
        list_keys: Callable[[], list[ApiKeyRecord]],
        *,
        max_age_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._list_keys = list_keys
        self._max_age = max_age_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._fetching = threading.Condition(self._lock)
        self._records: dict[str, ApiKeyRecord] | None = None
        self._taken_at = 0.0
        self._in_flight = False
        self._generation = 0

    def lookup(self, key_id: str) -> ApiKeyRecord | None:
        """The key as the account's list shows it, or None when the list does not
        have it (the caller then asks for the key alone)."""
        records = self._fresh_records()
        return records.get(key_id)

    def invalidate(self) -> None:
        """Forget the copy (the provider changed a key)."""
        with self._lock:
            self._records = None
            self._generation += 1

    def _fresh_records(self) -> dict[str, ApiKeyRecord]:
        with self._lock:
            while True:
                if self._records is not None and self._clock() - self._taken_at < self._max_age:
                    return self._records
                if not self._in_flight:
                    break
                self._fetching.wait()  # another reader is fetching the list: share it
            self._in_flight = True
            generation = self._generation
        try:
            started = self._clock()
            records = {record.id: record for record in self._list_keys()}
        except BaseException:
            with self._lock:
                self._in_flight = False
                self._fetching.notify_all()
            raise
        with self._lock:
            self._in_flight = False
            self._fetching.notify_all()
            if generation == self._generation:  # no change was made meanwhile
                self._records, self._taken_at = records, started
            return records
