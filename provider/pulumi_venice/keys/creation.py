"""The exactly-once create protocol: a key is made once, and no attempt whose
answer was lost leaves a key behind.

Each attempt creates the key under a unique marker description
(``pulumi-venice pending <hex>``); when its answer is lost, the marker finds
the key, which is deleted before the next attempt. The caller then gives the
key its real description. ``venice-orphans`` knows a marker key by its
prefix. Nothing here knows of Pulumi.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from typing import Any, Final

from ..settings.key_settings import BaseKeySettings
from ..settings.sinks import DeliverySettings
from ..venice.client import VeniceClient
from ..venice.errors import (
    KeyNotFoundError,
    NotConnectedError,
    ServerError,
    TransportError,
    VeniceApiError,
    VeniceError,
)
from ..venice.models import ApiKeyRecord, CreatedApiKey
from ..venice.retry import NO_RETRIES
from . import delivery
from .context import ProviderContext
from .fingerprint import DEFAULT_SALT, fingerprint
from .records import record_from_created, update_request
from .revocation import failed_create, take_back
from .sinks import DeliveryError

MARKER_PREFIX: Final = "pulumi-venice pending "


def new_marker() -> str:
    """A description that names one create attempt and nothing else (54 characters)."""
    return MARKER_PREFIX + uuid.uuid4().hex


def remove_marked(client: VeniceClient, markers: set[str]) -> None:
    """Delete the keys whose description is one of ``markers``."""
    for key in client.list_keys():
        if key.description in markers:
            with contextlib.suppress(KeyNotFoundError):
                client.delete_key(key.id)


def create_exactly_once(
    post: Callable[[str], CreatedApiKey], finder: VeniceClient
) -> CreatedApiKey:
    """Create a key until one attempt is known to have succeeded, leaving no
    key behind from the attempts whose outcome was unknown.

    ``post(description)`` makes one create call; each attempt passes it a
    unique marker description. When an attempt's answer is lost (no answer, a
    timeout, a 5xx), the key may or may not exist: ``finder`` (an admin client
    of the account) lists the keys once, and the one with that marker is
    deleted (its secret was lost with the answer, so it is of no use) before
    the next attempt. A connection that could not be made sent nothing, so
    there is nothing to look for. A 429 is definite (nothing was created) and
    is retried after Retry-After; any other 4xx is final. Only the policy's
    own loop retries: the clean-up inside an attempt is one call, so a Venice
    that does not answer fails within one policy's time, not two nested ones.
    The caller then gives the key its real description.
    """
    sent: list[str] = []  # markers of the attempts that reached (or may have reached) Venice
    unchecked: set[str] = set()  # markers whose keys could not be looked for yet
    look_once = finder.with_retry(NO_RETRIES)

    def attempt() -> CreatedApiKey:
        marker = new_marker()
        try:
            return post(marker)
        except NotConnectedError:
            raise  # nothing was sent: nothing to clean up; the policy tries again
        except (TransportError, ServerError):
            sent.append(marker)
            try:
                remove_marked(look_once, {marker})
            except VeniceApiError:
                unchecked.add(marker)  # swept once more below
            raise  # transient: the policy tries again

    try:
        created = finder.retry.call(attempt)
    except VeniceApiError as error:
        if unchecked and not _swept(look_once, unchecked):
            raise error.with_suffix(
                f"{len(unchecked)} attempt(s) lost their answer and Venice could not be asked "
                f"whether they made a key; any such key is named '{MARKER_PREFIX}…', has no "
                "known value, and `venice-orphans --delete` revokes it once it is older "
                "than its --min-age."
            ) from None
        raise
    if sent:
        # An earlier attempt whose POST was still in flight when it was
        # cleaned up may have landed since: sweep its marker once more.
        _swept(finder, set(sent))
    return created


def _swept(client: VeniceClient, markers: set[str]) -> bool:
    """Delete the keys under ``markers``; whether Venice could be asked."""
    try:
        remove_marked(client, markers)
    except VeniceApiError:
        return False
    return True


class KeptKeyError(VeniceError):
    """A key this run made that could neither be finished nor revoked: the
    caller must hand it to the state (``record``: the key as Venice has it;
    ``delivered``: the delivery outputs it is kept with, if any)."""

    def __init__(
        self, message: str, record: ApiKeyRecord, delivered: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.record = record
        self.delivered = delivered or {}


def finish_create(
    client: VeniceClient,
    context: ProviderContext,
    created: CreatedApiKey,
    settings: BaseKeySettings,
    expires_at: str | None,
    out_of_reach: str,
) -> ApiKeyRecord:
    """Give a new key its real description; the PATCH answers with the key as
    stored (the create answer's echo of the limits is unreliable).

    If that fails, the key is revoked, verifiably (:func:`take_back`), and
    the create fails cleanly, so no state ever holds a key under a creation
    marker (which is what lets ``venice-orphans`` treat an old marker key as
    an orphan). A key that cannot be revoked raises :class:`KeptKeyError`:
    the state keeps it, and the next ``up`` gives it its settings.
    ``out_of_reach`` is the sentence for a ``client`` of another account.
    """
    try:
        return client.update_key(update_request(created.id, settings, expires_at))
    except VeniceApiError as error:
        took = take_back(client, context, created)
        cause = f"the new key could not be given its settings ({error})"
        message = failed_create(created.id, cause, took, out_of_reach)
        if not took.revoked:
            raise KeptKeyError(message, record_from_created(created)) from None
        raise error.restated("create API key", message, key_id=created.id) from None


def deliver_created(
    context: ProviderContext,
    manager: VeniceClient | None,
    created: CreatedApiKey,
    sink: DeliverySettings | None,
    record: ApiKeyRecord,
    stack: str | None,
) -> dict[str, Any]:
    """Hand a new key's value to its sink (``stack`` salts the fingerprint; no
    outputs without ``deliver_to``). If the sink refuses it, the key is revoked
    again and the create fails: nothing is left that no one can use; if it
    cannot be revoked, :class:`KeptKeyError` hands it to the state."""
    if sink is None:
        return {}
    try:
        return delivery.deliver(sink, created.api_key, stack)
    except DeliveryError as error:
        took = take_back(manager, context, created)
        cause = f"Could not deliver the new API key: {error}"
        if not took.revoked:
            # Kept: the state holds it, its value in no sink, and the next
            # `up` replaces it with a key that is delivered.
            undelivered = {
                "api_key": None,
                "delivered_to": None,
                "fingerprint": fingerprint(created.api_key, stack or DEFAULT_SALT),
            }
            raise KeptKeyError(
                f"{cause} The key ({created.id}) could not be revoked ({took.why}), so it "
                "is kept in the stack's state rather than lost: mend the sink, and "
                "`pulumi up` replaces it with a key that is delivered (or `pulumi destroy` "
                "revokes it).",
                record,
                undelivered,
            ) from None
        raise DeliveryError(
            f"{cause} The key ({created.id}) was revoked again, so nothing is left "
            "behind; mend the sink and run `pulumi up` again."
        ) from None
