"""The dynamic provider of Web3 keys: API keys created by a wallet's signature.

At create time (never earlier: tokens live about 15 minutes), the provider
fetches a token from Venice, signs it with the wallet (EIP-191
personal_sign) and posts the address, signature and token with the key's
settings; no admin key is needed. A token refused as expired, or a signature
Venice could not verify (transient, per Venice), is fetched and signed again
once.

When an admin key of the wallet's account is configured, a create whose
answer is lost is resolved as for ``ApiKey`` (a marker per attempt finds the
key, which is cleaned up before the next attempt); without one, the outcome
cannot be checked and the error says so.

Reading, updating and deleting the key afterwards needs an admin key of the
wallet's account: the configured one (``venice:apiKey`` / ``VENICE_API_KEY``)
if there is one, else the key's own value when the key is itself an ADMIN
key. Without either, refresh, update and destroy stop with a sentence that
says so, rather than guessing.

The wallet's private key never leaves this process: it is not an output, it
is not pickled, and no message contains it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from pulumi.dynamic import CreateResult

from . import times
from .client import VeniceClient
from .errors import (
    ConfigurationError,
    InvalidRequestError,
    ServerError,
    TransportError,
)
from .inputs import (
    WEB3_REPLACE_FIELDS,
    Web3KeySettings,
    check_web3_inputs,
    unwrap_secrets,
)
from .models import CreateApiKeyRequest, CreatedApiKey, Web3CreateApiKeyRequest
from .provider import (
    CREDENTIAL,
    CREDENTIAL_REFUSED,
    ApiKeyProvider,
    InputError,
    create_exactly_once,
    create_request,
    explained,
    outputs_from,
    plain_secret,
    record_from_created,
    validated,
)
from .wallet import sign_token, wallet_account, wallet_private_key

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

# Venice's answers worth one more token and signature (docs): the token ran
# out between fetch and post, or the signature check failed transiently.
_RETRY_ONCE_ON: Final = ("JWT has expired", "Could not verify wallet signature")


class Web3ApiKeyProvider(ApiKeyProvider):
    """Manages Venice API keys created by a wallet (``/api_keys/generate_web3_key``)."""

    replace_fields = WEB3_REPLACE_FIELDS
    settings_type = Web3KeySettings

    @explained
    def create(self, props: dict[str, Any]) -> CreateResult:
        settings = validated(props, check_web3_inputs, Web3KeySettings)
        private_key = wallet_private_key(settings.wallet_private_key)
        if private_key is None:  # check refuses this; kept for direct callers
            raise InputError("A Web3 key needs wallet_private_key or VENICE_WALLET_PRIVATE_KEY.")
        account = wallet_account(private_key)
        admin = self._admin_client_or_none(settings.admin_api_key)
        self._changing_keys()
        public = self.client_for(None)
        expires_at = settings.expiry_at_creation(times.now())

        def post(description: str) -> CreatedApiKey:
            request = create_request(settings, description, expires_at)
            return self._signed_create(public, account, request)

        if admin is not None:
            # With an admin key of the wallet's account, a lost answer is
            # resolved as for ApiKey: find the attempt's marker, clean up, retry.
            created = create_exactly_once(post, admin)
        else:
            created = self._create_unchecked(post, settings.description)
        # The key exists from here on: whatever happens, it is returned to Pulumi.
        manager = self._optional_manager(
            created.api_key_type, created.api_key, settings.admin_api_key
        )
        record = (
            self._finish_create(manager, created, settings, expires_at)
            if manager is not None
            else record_from_created(created)  # made with its real description: nothing to fix
        )
        outputs = outputs_from(record, api_key=created.api_key, keepers=settings.keepers)
        extras = {**self._created_extras(props), "address": account.address}
        return CreateResult(created.id, {**outputs, **extras})

    @staticmethod
    def _create_unchecked(post: Callable[[str], CreatedApiKey], description: str) -> CreatedApiKey:
        """One create, when no admin key could find a key whose answer was lost."""
        try:
            return post(description)
        except (TransportError, ServerError) as error:
            raise error.with_suffix(
                "The key may or may not have been created, and with no admin key of the "
                "wallet's account configured (venice:apiKey or VENICE_API_KEY) the provider "
                "cannot check; `pulumi stack export | venice-orphans` lists such keys once "
                "one is."
            ) from None

    def _signed_create(
        self,
        public: VeniceClient,
        account: LocalAccount,
        key: CreateApiKeyRequest,
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

    # -- hooks ----------------------------------------------------------------

    def _check_inputs(
        self, news: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return check_web3_inputs(news)

    def _extra_outputs(self, props: Mapping[str, Any]) -> dict[str, Any]:
        return {**super()._extra_outputs(props), "address": unwrap_secrets(props.get("address"))}

    def _admin_client_or_none(self, admin_api_key: str | None) -> VeniceClient | None:
        """The key's ``admin_api_key``, else the configured admin key, else None."""
        if admin_api_key:
            return self.client_for(admin_api_key, CREDENTIAL_REFUSED)
        return self.client() if self.settings().api_key else None

    def _optional_manager(
        self, api_key_type: str, secret: str | None, admin_api_key: str | None
    ) -> VeniceClient | None:
        admin = self._admin_client_or_none(admin_api_key)
        if admin is not None:
            return admin
        if api_key_type == "ADMIN" and secret:
            return self.client_for(secret)
        return None

    def _manages_itself(self, props: Mapping[str, Any]) -> bool:
        admin = plain_secret(props, CREDENTIAL) or self.settings().api_key
        return admin is None and unwrap_secrets(props.get("api_key_type")) == "ADMIN"

    def _manager(self, operation: str, props: Mapping[str, Any]) -> VeniceClient:
        manager = self._optional_manager(
            str(unwrap_secrets(props.get("api_key_type"))),
            plain_secret(props, "api_key"),
            plain_secret(props, CREDENTIAL),
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
