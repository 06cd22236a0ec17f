"""Web3ApiKey: wallet checks at preview, and the provider against the emulator."""

from __future__ import annotations

import base64
import secrets
from datetime import timedelta
from typing import Any

import pytest
from eth_account import Account
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.rpc import unwrap_rpc_secret

from pulumi_venice import (
    ConfigurationError,
    InvalidRequestError,
    KeyNotFoundError,
    KeyOutOfReachError,
    TransportError,
    VeniceClient,
    Web3ApiKeyProvider,
)
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.settings.checking import check_web3_inputs
from pulumi_venice.venice.models import UpdateApiKeyRequest

from ..support.keys import checked


def new_wallet() -> tuple[str, str]:
    private_key = "0x" + secrets.token_hex(32)
    return private_key, Account.from_key(private_key).address


def failures(props: dict[str, Any], env: dict[str, str] | None = None) -> dict[str, str]:
    _, found = check_web3_inputs({"api_key_type": "INFERENCE", **props}, env or {})
    return dict(found)


def test_check_derives_the_checksummed_address_and_defaults() -> None:
    private_key, address = new_wallet()
    inputs, found = check_web3_inputs(
        {"api_key_type": "INFERENCE", "wallet_private_key": private_key}, {}
    )
    assert found == []
    assert inputs["address"] == address
    assert inputs["description"] == "Web3 API Key"


def test_check_takes_the_private_key_from_the_environment() -> None:
    private_key, address = new_wallet()
    inputs, found = check_web3_inputs(
        {"api_key_type": "INFERENCE"}, {"VENICE_WALLET_PRIVATE_KEY": private_key}
    )
    assert found == []
    assert inputs["address"] == address
    assert "wallet_private_key" not in inputs


@pytest.mark.parametrize(
    ("props", "field", "phrase"),
    [
        ({}, "wallet_private_key", "VENICE_WALLET_PRIVATE_KEY"),
        ({"wallet_private_key": "0x1234"}, "wallet_private_key", "64 hexadecimal digits"),
        ({"wallet_private_key": "zz" * 32}, "wallet_private_key", "64 hexadecimal digits"),
        ({"wallet_private_key": "0x" + "00" * 32}, "wallet_private_key", "private key"),
        ({"address": "0x1234"}, "address", "40 hexadecimal digits"),
        ({"address": "vitalik.eth"}, "address", "Ethereum address"),
    ],
)
def test_check_refuses_bad_wallets_without_echoing_them(
    props: dict[str, Any], field: str, phrase: str
) -> None:
    found = failures(props)
    assert field in found and phrase in found[field]
    for value in props.values():
        assert value not in found[field]


def test_check_refuses_a_wrong_checksum_and_a_foreign_address() -> None:
    private_key, address = new_wallet()
    wrong_case = address[:2] + address[2:].swapcase()
    if wrong_case[2:] not in (wrong_case[2:].lower(), wrong_case[2:].upper()):
        found = failures({"wallet_private_key": private_key, "address": wrong_case})
        assert "checksummed" in found["address"]
    _, other = new_wallet()
    found = failures({"wallet_private_key": private_key, "address": other})
    assert "does not match" in found["address"]
    assert private_key not in found["address"]
    assert failures({"wallet_private_key": private_key, "address": address.lower()}) == {}


@pytest.fixture
def lone_wallet_provider(
    monkeypatch: pytest.MonkeyPatch, wallet_emulator: EmulatorThread, wallet: tuple[str, str]
) -> Web3ApiKeyProvider:
    """A Web3 provider with the wallet but no admin key configured."""
    monkeypatch.setenv("VENICE_BASE_URL", wallet_emulator.base_url)
    monkeypatch.setenv("VENICE_WALLET_PRIVATE_KEY", wallet[0])
    monkeypatch.delenv("VENICE_API_KEY", raising=False)
    return Web3ApiKeyProvider()


def test_lifecycle_of_a_wallet_created_key(
    web3_provider: Web3ApiKeyProvider, wallet_emulator: EmulatorThread, wallet: tuple[str, str]
) -> None:
    created = web3_provider.create(checked(web3_provider, consumption_limit={"usd": 3.0}))
    outs = created.outs or {}
    secret = unwrap_rpc_secret(outs["api_key"])
    assert secret.startswith("VENICE_INFERENCE_KEY_")
    assert outs["address"] == wallet[1]
    assert outs["consumption_limit"]["usd"] == 3.0
    owner = {k.id: k.account for k in wallet_emulator.server.backend.all_keys()}
    assert owner[created.id] == wallet[1]
    news = checked(web3_provider, description="agent key")
    assert web3_provider.diff(created.id, outs, news).replaces == []
    updated = web3_provider.update(created.id, outs, news).outs or {}
    assert unwrap_rpc_secret(updated["api_key"]) == secret
    assert updated["description"] == "agent key" and updated["address"] == wallet[1]
    read = web3_provider.read(created.id, updated)
    assert read.id == created.id and (read.outs or {})["address"] == wallet[1]
    web3_provider.delete(created.id, updated)
    assert created.id not in owner or created.id not in {
        k.id for k in wallet_emulator.server.backend.all_keys()
    }


def test_changing_the_wallet_replaces_the_key(web3_provider: Web3ApiKeyProvider) -> None:
    created = web3_provider.create(checked(web3_provider))
    other_key, _ = new_wallet()
    news = checked(web3_provider, wallet_private_key=other_key)
    assert web3_provider.diff(created.id, created.outs or {}, news).replaces == ["address"]


def test_an_expired_token_is_fetched_and_signed_again_once(
    web3_provider: Web3ApiKeyProvider, wallet_emulator: EmulatorThread
) -> None:
    wallet_emulator.server.faults.update(
        {
            "fail": [
                {
                    "status": 400,
                    "count": 1,
                    "method": "POST",
                    "path_prefix": "/api_keys/generate_web3_key",
                    "error": "JWT has expired",
                }
            ]
        }
    )
    wallet_emulator.server.journal.clear()
    created = web3_provider.create(checked(web3_provider))
    assert created.id
    tokens = [
        c
        for c in wallet_emulator.server.journal
        if c[:2] == ("GET", "/api/v1/api_keys/generate_web3_key")
    ]
    assert len(tokens) == 2


def test_a_second_expiry_is_reported(
    web3_provider: Web3ApiKeyProvider, wallet_emulator: EmulatorThread, wallet: tuple[str, str]
) -> None:
    wallet_emulator.server.faults.update(
        {
            "fail": [
                {
                    "status": 400,
                    "count": 2,
                    "method": "POST",
                    "path_prefix": "/api_keys/generate_web3_key",
                    "error": "JWT has expired",
                }
            ]
        }
    )
    with pytest.raises(InvalidRequestError, match="JWT has expired") as raised:
        web3_provider.create(checked(web3_provider))
    assert wallet[0] not in str(raised.value) and wallet[0][2:] not in str(raised.value)


def test_unstaked_wallet_gets_venice_error_without_the_key(
    monkeypatch: pytest.MonkeyPatch, wallet_emulator: EmulatorThread
) -> None:
    outsider, _ = new_wallet()
    monkeypatch.setenv("VENICE_BASE_URL", wallet_emulator.base_url)
    monkeypatch.setenv("VENICE_WALLET_PRIVATE_KEY", outsider)
    provider = Web3ApiKeyProvider()
    with pytest.raises(InvalidRequestError, match="no staked VVV") as raised:
        provider.create(checked(provider))
    assert outsider[2:] not in str(raised.value)


def test_without_an_admin_key_refresh_and_destroy_say_what_is_missing(
    lone_wallet_provider: Web3ApiKeyProvider,
    wallet_emulator: EmulatorThread,
    wallet: tuple[str, str],
) -> None:
    provider = lone_wallet_provider
    created = provider.create(checked(provider, consumption_limit={"usd": 1.0}))
    outs = created.outs or {}
    assert outs["consumption_limit"]["usd"] == 1.0  # from the create answer
    for attempt in (
        lambda: provider.read(created.id, outs),
        lambda: provider.delete(created.id, outs),
    ):
        with pytest.raises(ConfigurationError, match="venice:apiKey or VENICE_API_KEY"):
            attempt()


def test_an_admin_web3_key_manages_itself(
    lone_wallet_provider: Web3ApiKeyProvider,
    wallet_emulator: EmulatorThread,
    wallet: tuple[str, str],
) -> None:
    provider = lone_wallet_provider
    created = provider.create(checked(provider, api_key_type="ADMIN"))
    outs = created.outs or {}
    assert outs["created_at"]  # read back with its own value
    assert provider.read(created.id, outs).id == created.id
    provider.delete(created.id, outs)
    assert created.id not in {k.id for k in wallet_emulator.server.backend.all_keys()}


def test_a_self_managed_admin_key_revoked_outside_is_dropped_by_refresh(
    lone_wallet_provider: Web3ApiKeyProvider,
    wallet_emulator: EmulatorThread,
    wallet: tuple[str, str],
) -> None:
    """Its own value is refused (401) once it is revoked: with no admin key
    configured, that means gone, as "not found" does for other keys."""
    provider = lone_wallet_provider
    created = provider.create(checked(provider, api_key_type="ADMIN"))
    outs = created.outs or {}
    with VeniceClient(wallet_emulator.base_url, unwrap_rpc_secret(outs["api_key"])) as itself:
        itself.delete_key(created.id)
    assert provider.read(created.id, outs).id is None
    provider.delete(created.id, outs)  # already gone: nothing to do, no error


def test_private_key_is_not_pickled_stored_or_shown(
    web3_provider: Web3ApiKeyProvider, wallet: tuple[str, str]
) -> None:
    inputs = checked(web3_provider, wallet_private_key=wallet[0])
    created = web3_provider.create(inputs)
    text = repr(created.outs) + repr(web3_provider.read(created.id, created.outs or {}).inputs)
    assert wallet[0] not in text and wallet[0][2:] not in text
    pickled = base64.b64decode(serialize_provider(web3_provider))
    assert wallet[0][2:].encode() not in pickled and b"web3_provider" in pickled


def test_refresh_refuses_to_drop_a_key_that_another_account_cannot_see(
    monkeypatch: pytest.MonkeyPatch,
    wallet_emulator: EmulatorThread,
    admin_key: str,
    web3_provider: Web3ApiKeyProvider,
) -> None:
    created = web3_provider.create(checked(web3_provider))
    monkeypatch.setenv("VENICE_API_KEY", admin_key)  # an admin key of another account
    stranger = Web3ApiKeyProvider()
    with pytest.raises(KeyOutOfReachError, match="another Venice account"):
        stranger.read(created.id, created.outs or {})
    other = VeniceClient(wallet_emulator.base_url, admin_key)
    with other, pytest.raises(KeyNotFoundError):
        other.update_key(UpdateApiKeyRequest(id=created.id, description="x"))


def test_a_lost_answer_is_resolved_with_the_wallets_admin_key(
    web3_provider: Web3ApiKeyProvider, wallet_emulator: EmulatorThread, wallet: tuple[str, str]
) -> None:
    wallet_emulator.server.faults.update({"drop_create_responses": 1})
    created = web3_provider.create(checked(web3_provider))
    mine = [
        k
        for k in wallet_emulator.server.backend.all_keys()
        if k.account == wallet[1] and k.api_key_type == "INFERENCE"
    ]
    assert [k.id for k in mine] == [created.id]
    assert mine[0].description == "Web3 API Key"


def test_a_lost_answer_without_an_admin_key_is_reported_plainly(
    lone_wallet_provider: Web3ApiKeyProvider,
    wallet_emulator: EmulatorThread,
    wallet: tuple[str, str],
) -> None:
    provider = lone_wallet_provider
    wallet_emulator.server.faults.update({"drop_create_responses": 1})
    with pytest.raises(TransportError, match="may or may not have been created") as raised:
        provider.create(checked(provider))
    assert "venice-orphans" in str(raised.value)
    assert wallet[0][2:] not in str(raised.value)


def test_a_wallet_key_rotates_with_grace_like_an_ordinary_one(
    web3_provider: Web3ApiKeyProvider,
    wallet_emulator: EmulatorThread,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pulumi_venice.settings.times import CLOCK_OFFSET_ENV

    policy = {"rotate_after": "30d", "retire_grace": "1d", "expires_after": "90d"}
    first = web3_provider.create(checked(web3_provider, **policy))
    olds = {**checked(web3_provider, **policy), **(first.outs or {})}
    assert olds["expires_at"] is not None  # expires_after set the expiry at creation
    monkeypatch.setenv(CLOCK_OFFSET_ENV, "31d")
    wallet_emulator.server.backend.set_clock_offset(timedelta(days=31))
    news = checked(web3_provider, **policy)
    assert web3_provider.diff(first.id or "", olds, news).replaces == ["rotate_after"]
    second = web3_provider.create(news)
    assert (second.outs or {})["retiring_key_ids"] == [first.id]
    web3_provider.delete(first.id or "", olds)
    retired = {k.id: k.expires_at for k in wallet_emulator.server.backend.all_keys()}
    assert retired[first.id or ""] is not None and retired[first.id or ""] < olds["expires_at"]
