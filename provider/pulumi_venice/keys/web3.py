"""The lifecycle of a key created by a wallet's signature (``Web3ApiKey``).

What differs from an ordinary key is how it is minted and which key manages
it afterwards (:class:`WalletKeys`, a :class:`~pulumi_venice.keys.kinds.KeyKind`);
everything else is :class:`~pulumi_venice.keys.lifecycle.KeyLifecycle`.

Minting: at create time (never earlier: tokens live about 15 minutes), fetch
a token from Venice, sign it with the wallet (EIP-191 personal_sign) and post
the address, signature and token with the key's settings; no admin key is
needed. A token refused as expired, or a signature Venice could not verify
(transient, per Venice), is fetched and signed again once. With an admin key
of the wallet's account (``admin_api_key``, else the configured one), a
create whose answer is lost is resolved as for an ordinary key (a marker per
attempt); without one, the outcome cannot be checked and the error says so.

Managing: reading, updating and revoking the key needs an admin key of the
wallet's account: its ``admin_api_key``, else the configured one, else the
key's own value when it is itself an ADMIN key. Without any, refresh, update
and destroy stop with a sentence that says so, rather than guessing.

The wallet's private key is parsed once per operation; it is never an
output, and no message contains it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from ..settings.checking import web3_inputs, web3_settings
from ..settings.inputs import WEB3_REPLACE_FIELDS, Web3KeySettings
from ..settings.key_settings import BaseKeySettings
from ..settings.wallet import sign_token
from ..venice.client import VeniceClient
from ..venice.errors import (
    ConfigurationError,
    InputError,
    InvalidRequestError,
    ServerError,
    TransportError,
)
from ..venice.models import CreateApiKeyRequest, CreatedApiKey, Web3CreateApiKeyRequest
from .context import ProviderContext
from .creation import create_exactly_once
from .kinds import CREDENTIAL, CREDENTIAL_REFUSED, Failures, Minted, credential_name, invalid
from .lifecycle import KeyLifecycle
from .records import create_request
from .state import KeyState

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

# Venice's answers worth one more token and signature (docs): the token ran
# out between fetch and post, or the signature check failed transiently.
_RETRY_ONCE_ON: Final = ("JWT has expired", "Could not verify wallet signature")


class WalletKeys:
    """Keys created by a wallet (``/api_keys/generate_web3_key``): a
    :class:`~pulumi_venice.keys.kinds.KeyKind`."""

    replace_fields: tuple[str, ...] = WEB3_REPLACE_FIELDS
    needs_admin_to_create = False  # the wallet's signature makes the key

    def __init__(self, context: ProviderContext) -> None:
        self.context = context

    def validate(self, news: Mapping[str, Any]) -> tuple[dict[str, Any], Failures]:
        inputs, failures, _ = web3_inputs(news)
        if not failures and self._delivered_without_manager(inputs):
            failures.append(
                (
                    "deliver_to",
                    "deliver_to on an ADMIN Web3ApiKey needs admin_api_key (or venice:apiKey): "
                    "a wallet's ADMIN key is otherwise read, changed and revoked with its own "
                    "value, which deliver_to keeps out of state",
                )
            )
        return inputs, failures

    def _delivered_without_manager(self, inputs: Mapping[str, Any]) -> bool:
        """A delivered ADMIN key that only its own value (not kept) could manage."""
        return (
            inputs.get("deliver_to") is not None
            and inputs.get("api_key_type") == "ADMIN"
            and not inputs.get(CREDENTIAL)
            and not self.context.settings().api_key
        )

    def mint(self, settings: BaseKeySettings, state: KeyState, expires_at: str | None) -> Minted:
        account = settings.wallet if isinstance(settings, Web3KeySettings) else None
        if account is None:  # settings_from always gives one; kept for direct callers
            raise InputError("A Web3 key needs a valid wallet_private_key.")
        admin = self._admin_client_or_none(settings.admin_api_key)
        public = self.context.client_for(None)

        def post(description: str) -> CreatedApiKey:
            request = create_request(settings, description, expires_at)
            return self._signed_create(public, account, request)

        if admin is not None:
            # With an admin key of the wallet's account, a lost answer is
            # resolved as for ApiKey: find the attempt's marker, clean up, retry.
            created = create_exactly_once(post, admin)
        else:
            created = self._create_unchecked(post, settings.description)
        # The key exists from here on. Without a manager it was made with its
        # real description, and nothing is left to finish.
        manager = self._optional_manager(
            created.api_key_type, created.api_key, settings.admin_api_key
        )
        return created, manager, {"address": account.address}

    def settings_from(self, props: Mapping[str, Any]) -> BaseKeySettings:
        """The settings, carrying the wallet: parsed once for the whole create."""
        settings, failures = web3_settings(props)
        if settings is None:
            raise invalid(failures)
        return settings

    def manager(self, operation: str, state: KeyState) -> VeniceClient:
        manager = self._optional_manager(
            str(state.api_key_type), state.api_key, state.admin_api_key
        )
        if manager is None:
            raise ConfigurationError(
                f"Cannot {operation}: a key created by a wallet is read, changed and revoked "
                "with an admin key of the wallet's account, and none is given; pass the "
                "api_key of an ADMIN key of that account as admin_api_key (for example an "
                "ADMIN Web3ApiKey of the same wallet: Pulumi then revokes this key before "
                "that one), or set venice:apiKey or VENICE_API_KEY."
            )
        return manager

    def manages_itself(self, state: KeyState) -> bool:
        admin = state.admin_api_key or self.context.settings().api_key
        return admin is None and state.api_key_type == "ADMIN"

    def carried(self, state: KeyState) -> dict[str, Any]:
        return {"address": state.address}

    def out_of_reach(self, state: KeyState) -> str:
        who = credential_name(state)
        address = state.address or "(the wallet's address)"
        return (
            f"{who} is an admin key of another Venice account: it cannot see the keys of "
            f"wallet {address}, which live in the wallet's own account. Set admin_api_key to "
            "an ADMIN key of the wallet's account (for example the api_key of an ADMIN "
            "Web3ApiKey of the same wallet)."
        )

    # -- helpers ------------------------------------------------------------

    def _admin_client_or_none(self, admin_api_key: str | None) -> VeniceClient | None:
        """The key's ``admin_api_key``, else the configured admin key, else None."""
        if admin_api_key:
            return self.context.client_for(admin_api_key, CREDENTIAL_REFUSED)
        return self.context.client() if self.context.settings().api_key else None

    def _optional_manager(
        self, api_key_type: str, secret: str | None, admin_api_key: str | None
    ) -> VeniceClient | None:
        admin = self._admin_client_or_none(admin_api_key)
        if admin is not None:
            return admin
        if api_key_type == "ADMIN" and secret:
            return self.context.client_for(secret)
        return None

    @staticmethod
    def _create_unchecked(post: Callable[[str], CreatedApiKey], description: str) -> CreatedApiKey:
        """One create, when no admin key could find a key whose answer was lost."""
        try:
            return post(description)
        except (TransportError, ServerError) as error:
            raise error.with_suffix(
                "The key may or may not have been created, and with no admin key of the "
                "wallet's account given (admin_api_key, venice:apiKey or VENICE_API_KEY) the "
                "provider cannot check; `pulumi stack export | venice-orphans` lists such "
                "keys once one is."
            ) from None

    @staticmethod
    def _signed_create(
        public: VeniceClient, account: LocalAccount, key: CreateApiKeyRequest
    ) -> CreatedApiKey:
        """Fetch a token, sign it, post it with the key's settings: once more if the
        token expired meanwhile."""
        for attempt in (1, 2):
            token = public.web3_token()
            request = Web3CreateApiKeyRequest(
                address=account.address,
                signature=sign_token(account, token),
                token=token,
                **key.model_dump(exclude_unset=True),
            )
            try:
                return public.create_web3_key(request)
            except InvalidRequestError as error:
                if attempt == 1 and error.server_message in _RETRY_ONCE_ON:
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover


class Web3KeyLifecycle(KeyLifecycle):
    """The lifecycle of wallet-made keys: :class:`KeyLifecycle` composed with
    :class:`WalletKeys` (the class the dynamic provider names)."""

    def __init__(self, context: ProviderContext | None = None) -> None:
        context = context or ProviderContext()
        super().__init__(context, WalletKeys(context))
