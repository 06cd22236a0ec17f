"""What differs between kinds of Venice keys, as one object per kind that the
lifecycle (:class:`~pulumi_venice.keys.lifecycle.KeyLifecycle`) is composed with:
the key's settings, how a key is minted, and which key manages it afterwards.

:class:`AdminKeys` are ordinary keys, made and managed with an admin key;
:class:`~pulumi_venice.keys.web3.WalletKeys` are made by a wallet's
signature.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Protocol

from ..settings.checking import check_inputs
from ..settings.inputs import CREDENTIAL_FIELDS, REPLACE_FIELDS, KeySettings
from ..settings.key_settings import BaseKeySettings
from ..venice.client import VeniceClient
from ..venice.errors import InputError
from ..venice.models import CreatedApiKey
from .context import ProviderContext
from .creation import create_exactly_once
from .records import create_request
from .state import KeyState

CREDENTIAL: Final = CREDENTIAL_FIELDS[0]  # admin_api_key
CREDENTIAL_REFUSED: Final = (
    "The admin_api_key was refused: it must be the value of a live ADMIN key of this key's account."
)

Failures = list[tuple[str, str]]
# A key's making: the create answer, the client that finishes it (None: it
# was made with its real settings and none can), and outputs of its own.
Minted = tuple[CreatedApiKey, VeniceClient | None, dict[str, Any]]


def credential_name(state: KeyState) -> str:
    """The setting that gave the key's managing admin key, as a user names it."""
    if state.admin_api_key:
        return CREDENTIAL
    return "venice:apiKey (or VENICE_API_KEY)"


def invalid(failures: Failures) -> InputError:
    """The error for inputs that check should have refused."""
    return InputError("Invalid inputs: " + "; ".join(reason for _, reason in failures) + ".")


class KeyKind(Protocol):
    """A kind of key, as the lifecycle uses it."""

    replace_fields: tuple[str, ...]
    needs_admin_to_create: bool  # whether making a key takes an admin key

    def validate(self, news: Mapping[str, Any]) -> tuple[dict[str, Any], Failures]:
        """The inputs to store, and one ``(input, reason)`` per bad input."""
        ...

    def settings_from(self, props: Mapping[str, Any]) -> BaseKeySettings:
        """Settings from inputs that check passed (InputError if they do not pass now)."""
        ...

    def mint(self, settings: BaseKeySettings, state: KeyState, expires_at: str | None) -> Minted:
        """Make the key, exactly once (nothing is left when this raises);
        ``state`` is the key as its inputs describe it."""
        ...

    def manager(self, operation: str, state: KeyState) -> VeniceClient:
        """The client that reads, updates and revokes the key."""
        ...

    def manages_itself(self, state: KeyState) -> bool:
        """Whether the key is read, changed and revoked with its own value."""
        ...

    def out_of_reach(self, state: KeyState) -> str:
        """What it means, and what to do, when the key's manager answers "not
        found" for a key that still works (a credential of another account)."""
        ...

    def carried(self, state: KeyState) -> dict[str, Any]:
        """Outputs of this kind's own, carried from the inputs or the state."""
        ...


class AdminKeys:
    """Ordinary keys: made (``POST /api_keys``), read, changed and revoked with
    an admin key, the key's ``admin_api_key`` if it has one, else the
    provider's."""

    replace_fields: tuple[str, ...] = REPLACE_FIELDS
    needs_admin_to_create = True

    def __init__(self, context: ProviderContext) -> None:
        self.context = context

    def validate(self, news: Mapping[str, Any]) -> tuple[dict[str, Any], Failures]:
        return check_inputs(news)

    def settings_from(self, props: Mapping[str, Any]) -> BaseKeySettings:
        inputs, failures = self.validate(props)
        if failures:
            raise invalid(failures)
        return KeySettings.model_validate(inputs)

    def mint(self, settings: BaseKeySettings, state: KeyState, expires_at: str | None) -> Minted:
        client = self.manager("create API key", state)
        created = create_exactly_once(
            lambda marker: client.create_key(create_request(settings, marker, expires_at)),
            client,
        )
        return created, client, {}

    def manager(self, _operation: str, state: KeyState) -> VeniceClient:
        credential = state.admin_api_key
        if credential:
            return self.context.client_for(credential, CREDENTIAL_REFUSED)
        return self.context.client()

    def manages_itself(self, _state: KeyState) -> bool:
        return False

    def out_of_reach(self, state: KeyState) -> str:
        who = credential_name(state)
        return (
            f"{who} is an admin key of another Venice account than this key's, and cannot "
            f"see it. Set {who} to an ADMIN key of the account the key belongs to."
        )

    def carried(self, _state: KeyState) -> dict[str, Any]:
        return {}
