"""Small helpers about keys many tests share: does a value still work, the
keys an emulator holds, inputs that pass check, a secret output's value.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from pulumi.runtime.rpc import is_rpc_secret, unwrap_rpc_secret

from pulumi_venice import ApiKeyProvider, AuthenticationError, VeniceClient, Web3ApiKeyProvider
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.emulator.backend import StoredKey
from pulumi_venice.settings.wallet import sign_token
from pulumi_venice.venice.models import Web3CreateApiKeyRequest


def key_works(base_url: str, secret: str) -> bool:
    """Whether Venice (the emulator) accepts this key value: a call any key may make."""
    with VeniceClient(base_url, secret) as own:
        try:
            own.rate_limits()
        except AuthenticationError:
            return False
    return True


def managed(emulator: EmulatorThread) -> list[StoredKey]:
    """The keys on the emulator other than its own admin key."""
    return [k for k in emulator.server.backend.all_keys() if k.description != "Emulator admin key"]


def checked(provider: ApiKeyProvider, **props: Any) -> dict[str, Any]:
    """Inputs that pass the provider's check (an INFERENCE key, described as a
    provider test unless it is a wallet's, overridden by ``props``)."""
    base: dict[str, Any] = {"api_key_type": "INFERENCE"}
    if not isinstance(provider, Web3ApiKeyProvider):
        base["description"] = "provider test"
    result = provider.check({}, {**base, **props})
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


def secret_of(outs: dict[str, Any]) -> str:
    assert is_rpc_secret(outs["api_key"]), "api_key must leave the provider as a secret"
    value = unwrap_rpc_secret(outs["api_key"])
    assert isinstance(value, str)
    return value


def wallet_admin_key(emulator: EmulatorThread, private_key: str) -> str:
    """An ADMIN key of the wallet's account, made the way an agent would."""
    account = Account.from_key(private_key)
    with VeniceClient(emulator.base_url, None) as public:
        token = public.web3_token()
        created = public.create_web3_key(
            Web3CreateApiKeyRequest(
                address=account.address,
                token=token,
                signature=sign_token(account, token),
                api_key_type="ADMIN",
                description="wallet admin",
            )
        )
    return created.api_key
