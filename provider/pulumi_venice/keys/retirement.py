"""Replacement with a grace period (``retire_grace``): the old key keeps
working for a while, marked at Venice as retiring, instead of being revoked.

Pulumi replaces a key in three calls: diff (which decides the replacement and
knows the old key), create (the new key) and, once every other step is done,
delete (the old key). What must outlive the process is kept where it
survives:

- **the old key's retirement is written to Venice by create**, as soon as the
  new key exists: its expiry is moved to the end of the grace (never later
  than its own) and its description ends in ``(retiring)``. If that fails,
  the new key is revoked again and the create fails: nothing changed;
- **the new key's state names the old one** (``retiring_key_ids``, with the
  keys the old one still held in their grace), so that destroying the new key
  during the grace revokes every older generation too, and ``pulumi refresh``
  drops each one whose grace has ended.

A delete then needs only the old key's state and Venice's record: a key that
Venice shows as retiring is left to expire, any other is revoked. So a delete
that failed and is retried by a later ``pulumi up`` (a new process) still
leaves the key its grace, and ``pulumi destroy`` still revokes at once.

What create needs from diff (which key it replaces, that key's state, the
grace) is handed over in memory, keyed by the resource: its URN (the plugin
has it in both calls) or the identity the dynamic provider's resources send
as a hidden input. A replacement's diff and create always run in one
provider process, and two resources with the same inputs never take each
other's old key.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from ..settings import times
from ..settings.times import format_expiry, parse_expiry
from ..venice.client import VeniceClient
from ..venice.errors import KeyNotFoundError, VeniceApiError, VeniceError
from ..venice.models import (
    MAX_DESCRIPTION_LENGTH,
    ApiKeyRecord,
    CreatedApiKey,
    UpdateApiKeyRequest,
    utf16_length,
)
from .revocation import TakeBack
from .state import KeyState

# The end of a retiring key's description at Venice: how a later process (a
# retried delete) knows that the key is retiring, and how a person looking at
# the account's keys tells the old key from its replacement.
RETIRING_MARK: Final = " (retiring)"

# The client that manages a key, given what the call is for and the key's
# inputs or state (a kind of key's ``manager``).
Manager = Callable[[str, KeyState], VeniceClient]


@dataclass(frozen=True)
class Replacement:
    """A replacement that diff announced: the old key and what retiring it takes."""

    old_id: str
    old_state: KeyState
    grace: timedelta | None


def resource_identity(identity: str | None, news: Mapping[str, Any]) -> str:
    """The key of a replacement between diff and create: the resource's URN or
    identity, else (for callers that give neither) its inputs."""
    if identity:
        return f"resource:{identity}"
    return "inputs:" + json.dumps(dict(news), sort_keys=True, default=str)


class PendingReplacements:
    """Replacements announced by diff and not yet taken by create, per resource."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, Replacement] = {}
        self._retired: set[str] = set()  # keys this process marked as retiring

    def note(self, identity: str, replacement: Replacement) -> None:
        """Diff decided a replacement (a later diff of the resource wins)."""
        with self._lock:
            self._pending[identity] = replacement

    def take(self, identity: str) -> Replacement | None:
        """The replacement create is making, if diff announced one."""
        with self._lock:
            return self._pending.pop(identity, None)

    def mark_retired(self, key_id: str) -> None:
        with self._lock:
            self._retired.add(key_id)

    def retired_here(self, key_id: str) -> bool:
        """Whether this process retired the key (Venice has the lasting record)."""
        with self._lock:
            return key_id in self._retired


# A key in its grace, as a state holds it: its id, and its value when the
# state had it (None for a delivered key, whose value was never kept).
Retiring = tuple[str, str | None]


def retiring_keys(state: KeyState) -> list[Retiring]:
    """The keys still in their grace that a key's state holds, newest first
    (a state written by 0.2.0 or earlier names one, as ``retiring_key_id``)."""
    ids = state.retiring_key_ids
    if ids is None:
        ids = [state.retiring_key_id] if state.retiring_key_id else []
    known: list[str | None] = [v or None for v in state.retiring_key_values or []]
    known += [None] * (len(ids) - len(known))
    return [(i, v) for i, v in zip(ids, known, strict=False) if i]


def retiring_ids(state: KeyState) -> list[str]:
    """The ids of :func:`retiring_keys`."""
    return [key_id for key_id, _ in retiring_keys(state)]


def retiring_outputs(keys: list[Retiring]) -> dict[str, list[str]]:
    """The outputs that hold the keys in their grace (a missing value as "")."""
    return {
        "retiring_key_ids": [key_id for key_id, _ in keys],
        "retiring_key_values": [value or "" for _, value in keys],
    }


def inherited(replacement: Replacement | None, retired: bool) -> list[Retiring]:
    """What a new key's grace list starts as: the key it replaced, when that
    one was given a grace, and every key that one still held."""
    if replacement is None:
        return []
    held = retiring_keys(replacement.old_state)
    if not retired:
        return held
    return [(replacement.old_id, replacement.old_state.api_key or None), *held]


def retiring_description(description: str | None) -> str:
    """The old key's description with the retiring mark, cut to Venice's 64
    UTF-16 units if need be."""
    text = (description or "").removesuffix(RETIRING_MARK)
    while text and utf16_length(text + RETIRING_MARK) > MAX_DESCRIPTION_LENGTH:
        text = text[:-1]
    return (text.rstrip() or "API key") + RETIRING_MARK


def retirement_request(
    replacement: Replacement, now: datetime | None = None
) -> UpdateApiKeyRequest | None:
    """The PATCH that retires the old key, or None when it has no grace."""
    if replacement.grace is None:
        return None
    state = replacement.old_state
    description = retiring_description(state.description)
    retire_at = (now or times.now()) + replacement.grace
    current = state.expires_at
    if current and parse_expiry(current) <= retire_at:
        # It expires within the grace anyway: only the mark changes.
        return UpdateApiKeyRequest(id=replacement.old_id, description=description)
    return UpdateApiKeyRequest(
        id=replacement.old_id, description=description, expires_at=format_expiry(retire_at)
    )


def is_retiring(record: ApiKeyRecord) -> bool:
    """Whether Venice's record shows a key retired by its replacement."""
    return record.expires_at is not None and (record.description or "").endswith(RETIRING_MARK)


def retire_replaced(
    replacement: Replacement,
    created: CreatedApiKey,
    manager: Manager,
    take_back_new: Callable[[], TakeBack],
    confirm_gone: Callable[[str, KeyState], None],
    *,
    undo: bool = True,
) -> bool:
    """Retire the key the new one replaces (True if it was, False with no
    grace); if Venice refuses, revoke the new key again and fail, so that
    nothing has changed. With ``undo=False`` (the new key's value is already
    in its sink, replacing the old one's: revoking it would leave the sink
    with a dead key), or when the new key cannot be revoked, a refusal keeps
    the new key, and the old one's delete revokes that at once.
    ``confirm_gone(id, state)`` raises unless an old key that Venice did not
    find is really gone (then there is nothing to retire)."""
    request = retirement_request(replacement)
    if request is None:
        return False  # no grace: the delete that follows revokes it
    old = replacement.old_state
    try:
        manager(f"retire API key {replacement.old_id}", old).update_key(request)
        return True
    except KeyNotFoundError:
        try:
            confirm_gone(replacement.old_id, old)
        except VeniceError as reason:  # out of reach, or Venice could not tell
            return _undone(replacement, created, reason, take_back_new, undo)
        return False  # nothing to retire: it is gone
    except VeniceApiError as error:
        return _undone(replacement, created, error, take_back_new, undo)


def _undone(
    replacement: Replacement,
    created: CreatedApiKey,
    error: VeniceError,
    take_back_new: Callable[[], TakeBack],
    undo: bool,
) -> bool:
    """The retirement failed: revoke the new key and raise, or keep it."""
    if not undo or not take_back_new().revoked:
        # Kept rather than lost: the state holds it, and the old key's
        # delete revokes that one at once (it could not be retired).
        return False
    message = (
        f"Could not replace API key {replacement.old_id}: it could not be given its "
        f"retire_grace ({error}) The new key {created.id} was revoked again and the old "
        "key is unchanged; run `pulumi up` again."
    )
    if isinstance(error, VeniceApiError):
        raise error.restated("create API key", message, key_id=replacement.old_id) from None
    raise type(error)(message) from None
