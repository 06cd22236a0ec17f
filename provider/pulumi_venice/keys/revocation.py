"""Whether a key is really gone, and taking back a key this run just made.

Venice answers a key it cannot find with "not found", and it answers the same
to an admin key of another account (a wallet's keys live in the wallet's own
account). So "not found" from a key's managing credential never counts as
"gone" by itself: the key's own value is asked too (any live key may read its
rate limits). A key whose own value still works is out of the credential's
reach, and the caller says so instead of dropping or forgetting it.

When neither the state nor the key's sink holds its value, Venice's answer is
all there is to go on, and it is taken.

Nothing here knows of Pulumi. No message contains a secret.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..venice.client import VeniceClient
from ..venice.errors import (
    AuthenticationError,
    ConfigurationError,
    KeyNotFoundError,
    KeyOutOfReachError,
    VeniceApiError,
)
from ..venice.models import CreatedApiKey
from . import delivery
from .context import ProviderContext
from .state import KeyState


def own_value(state: KeyState) -> str | None:
    """The key's value: from its state, else from its sink (``deliver_to``)."""
    return state.api_key or delivery.held_value(state)


def confirm_gone(
    context: ProviderContext,
    key_id: str,
    secret: str | None,
    *,
    doing: str,
    out_of_reach: str,
) -> None:
    """Venice told the key's manager that ``key_id`` is not found: return if
    it is gone (its own value is refused too, or there is none to ask with);
    raise :class:`KeyOutOfReachError` if the key still works."""
    try:
        works = context.still_works(secret)
    except VeniceApiError as error:
        raise error.restated(
            doing,
            f"Could not {doing}: Venice answered that the key is not found, and whether it "
            f"is really gone could not be checked ({error}) Nothing was changed; run the "
            "command again.",
            key_id=key_id,
        ) from None
    if works:
        raise KeyOutOfReachError(
            f'Could not {doing}: Venice answered "not found" to the managing admin key, '
            f"but the key still works: {out_of_reach} Nothing was changed, and the key "
            "stays in the stack's state."
        )


@dataclass(frozen=True)
class TakeBack:
    """The outcome of revoking a key this run made: ``revoked`` when Venice
    verifiably no longer has it, else ``why`` says why it is kept;
    ``out_of_reach`` when its manager could not see it (another account)."""

    revoked: bool
    why: str = ""
    out_of_reach: bool = False


def take_back(
    manager: VeniceClient | None, context: ProviderContext, created: CreatedApiKey
) -> TakeBack:
    """Revoke a key this run made, and make sure: with its manager, or, when
    the manager cannot reach it, with the key's own value if it is an ADMIN
    key (any ADMIN key may revoke itself). A key that cannot be revoked is
    kept (the caller hands it to the state), never left behind unrecorded."""
    if manager is not None:
        try:
            manager.delete_key(created.id)
            return TakeBack(revoked=True)
        except KeyNotFoundError:
            pass  # gone, or out of the manager's reach: asked below
        except (VeniceApiError, ConfigurationError) as error:
            return TakeBack(revoked=False, why=f"revoking it failed: {error}")
    try:
        works = context.still_works(created.api_key)
    except VeniceApiError as error:
        return TakeBack(revoked=False, why=f"whether it is revoked could not be checked: {error}")
    if works is None or not works:
        return TakeBack(revoked=True)
    if created.api_key_type == "ADMIN":
        return _revoke_itself(context, created)
    if manager is None:
        why = "no admin key of its account is given, and an INFERENCE key cannot revoke itself"
        return TakeBack(revoked=False, why=why)
    return TakeBack(revoked=False, why="an INFERENCE key cannot revoke itself", out_of_reach=True)


def _revoke_itself(context: ProviderContext, created: CreatedApiKey) -> TakeBack:
    """An ADMIN key out of its manager's reach revokes itself."""
    try:
        context.client_for(created.api_key).delete_key(created.id)
        gone = context.still_works(created.api_key) is False
    except (AuthenticationError, KeyNotFoundError):
        gone = True  # refused: it is gone
    except VeniceApiError as error:
        return TakeBack(
            revoked=False, why=f"revoking it with its own value failed: {error}", out_of_reach=True
        )
    if gone:
        return TakeBack(revoked=True, out_of_reach=True)
    why = "revoking it with its own value did not take"
    return TakeBack(revoked=False, why=why, out_of_reach=True)


def failed_create(created_id: str, cause: str, took: TakeBack, out_of_reach: str) -> str:
    """The message of a create that made key ``created_id`` and then failed
    (``cause``, a sentence), saying truly what became of the key."""
    if took.out_of_reach:
        cause = f"{out_of_reach} ({cause})"
    if took.revoked:
        how = "with its own value" if took.out_of_reach else "again"
        return (
            f"Could not create API key: {cause} The new key {created_id} was revoked {how}, "
            "so nothing is left behind; run `pulumi up` again once that is mended."
        )
    return (
        f"Could not create API key: {cause} The new key {created_id} could not be revoked "
        f"({took.why}), so it is kept in the stack's state rather than lost: once that is "
        "mended, `pulumi up` gives it its settings, or `pulumi destroy` revokes it."
    )
