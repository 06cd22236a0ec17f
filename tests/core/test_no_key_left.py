"""Issue 30's two ways a key was left alive that nobody held, as tests:

1. a ``Web3ApiKey`` created with an admin key of another account (the
   wallet's keys live in the wallet's own account): the admin key's "not
   found" was taken as "gone", and the new key was left working;
2. ``destroy`` after several rotations with ``retire_grace``: the state kept
   one retiring key, so the older generations lived on.

Both against the emulator, through the dynamic provider as the engine drives it.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime.rpc import unwrap_rpc_secret

from pulumi_venice import (
    ApiKeyProvider,
    KeyOutOfReachError,
    PartialCreateError,
    VeniceClient,
    Web3ApiKeyProvider,
)
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.settings.times import CLOCK_OFFSET_ENV, now, parse_duration
from pulumi_venice.tools.orphans import Managed, classify

from ..support.keys import checked, key_works, wallet_admin_key


@pytest.fixture
def foreign_admin_provider(
    monkeypatch: pytest.MonkeyPatch,
    wallet_emulator: EmulatorThread,
    wallet: tuple[str, str],
    admin_key: str,
) -> Web3ApiKeyProvider:
    """venice:apiKey is the emulator's own admin key: another account than the wallet's."""
    monkeypatch.setenv("VENICE_BASE_URL", wallet_emulator.base_url)
    monkeypatch.setenv("VENICE_WALLET_PRIVATE_KEY", wallet[0])
    monkeypatch.setenv("VENICE_API_KEY", admin_key)
    return Web3ApiKeyProvider()


def wallet_keys(emulator: EmulatorThread, address: str) -> list[Any]:
    now_ = emulator.server.backend.now()
    return [
        k
        for k in emulator.server.backend.all_keys()
        if k.account == address and not k.expired(now_) and k.description != "wallet admin"
    ]


def web3_inputs(provider: Web3ApiKeyProvider, **props: Any) -> dict[str, Any]:
    result = provider.check({}, {"api_key_type": "INFERENCE", **props})
    assert result.failures == [], [f.reason for f in result.failures]
    return result.inputs


def test_a_wallet_key_made_with_another_accounts_admin_key_is_kept_not_left(
    foreign_admin_provider: Web3ApiKeyProvider,
    wallet_emulator: EmulatorThread,
    wallet: tuple[str, str],
) -> None:
    """The issue's reproduction: it used to say "revoked again" and leave it working."""
    provider = foreign_admin_provider
    inputs = web3_inputs(provider, consumption_limit={"diem": 2})
    with pytest.raises(PartialCreateError) as failed:
        provider.create(inputs)
    error = failed.value
    message = str(error)
    live = wallet_keys(wallet_emulator, wallet[1])
    assert [k.id for k in live] == [error.key_id]  # the one key made is the one handed over
    secret = error.outputs["api_key"]
    assert key_works(wallet_emulator.base_url, secret)
    # The message says truly what happened, and what to do.
    assert "revoked again" not in message and "nothing is left behind" not in message
    assert "kept in the stack's state" in message
    assert wallet[1] in message and "venice:apiKey" in message
    assert "admin_api_key" in message and "ADMIN Web3ApiKey of the same wallet" in message
    assert secret not in message and wallet[0][2:] not in message
    # What the state then holds is enough to finish the key once the fix is in:
    # with the wallet's own admin key, the next `up` updates it, and destroy revokes it.
    wallet_admin = wallet_admin_key(wallet_emulator, wallet[0])
    news = web3_inputs(provider, consumption_limit={"diem": 2}, admin_api_key=wallet_admin)
    olds = {**inputs, **error.outputs}
    updated = provider.update(error.key_id, olds, news).outs or {}
    assert updated["description"] == "Web3 API Key"
    assert updated["consumption_limit"]["diem"] == 2
    provider.delete(error.key_id, {**news, **updated})
    assert not key_works(wallet_emulator.base_url, secret)


def test_every_retry_with_the_foreign_admin_key_leaves_nothing_unrecorded(
    foreign_admin_provider: Web3ApiKeyProvider,
    wallet_emulator: EmulatorThread,
    wallet: tuple[str, str],
) -> None:
    recorded = []
    for _ in range(3):
        with pytest.raises(PartialCreateError) as failed:
            foreign_admin_provider.create(web3_inputs(foreign_admin_provider))
        recorded.append(failed.value.key_id)
    assert sorted(k.id for k in wallet_keys(wallet_emulator, wallet[1])) == sorted(recorded)


def test_a_wallet_admin_key_out_of_reach_revokes_itself(
    foreign_admin_provider: Web3ApiKeyProvider,
    wallet_emulator: EmulatorThread,
    wallet: tuple[str, str],
) -> None:
    with pytest.raises(Exception) as failed:
        foreign_admin_provider.create(web3_inputs(foreign_admin_provider, api_key_type="ADMIN"))
    assert not isinstance(failed.value, PartialCreateError)
    message = str(failed.value)
    assert "revoked with its own value" in message and wallet[1] in message
    assert wallet_keys(wallet_emulator, wallet[1]) == []


def test_destroy_with_another_accounts_admin_key_keeps_the_key_and_says_why(
    monkeypatch: pytest.MonkeyPatch,
    web3_provider: Web3ApiKeyProvider,
    wallet_emulator: EmulatorThread,
    wallet: tuple[str, str],
    admin_key: str,
) -> None:
    created = web3_provider.create(web3_inputs(web3_provider))
    outs = created.outs or {}
    monkeypatch.setenv("VENICE_API_KEY", admin_key)  # changed to another account's
    stranger = Web3ApiKeyProvider()
    with pytest.raises(KeyOutOfReachError, match="stays in the stack's state") as failed:
        stranger.delete(created.id, outs)
    assert wallet[1] in str(failed.value)
    assert key_works(wallet_emulator.base_url, unwrap_rpc_secret(outs["api_key"]))


# -- 2. every key in its grace ------------------------------------------------


def rotate(
    provider: ApiKeyProvider,
    emulator: EmulatorThread,
    monkeypatch: pytest.MonkeyPatch,
    generations: int,
    offset_days: int = 0,
) -> tuple[str, dict[str, Any], list[str]]:
    """A key with a 30-day grace replaced by ``keepers`` ``generations`` times,
    as the engine does (diff, create the new key, delete the old one)."""
    inputs = checked(provider, keepers={"generation": "0"}, retire_grace="30d")
    made = provider.create(inputs)
    key_id, state = made.id or "", {**inputs, **(made.outs or {})}
    secrets_made = [unwrap_rpc_secret(state["api_key"])]
    for generation in range(1, generations + 1):
        news = checked(provider, keepers={"generation": str(generation)}, retire_grace="30d")
        assert provider.diff(key_id, state, news).replaces == ["keepers"]
        new = provider.create(news)
        provider.delete(key_id, state)
        key_id, state = new.id or "", {**news, **(new.outs or {})}
        secrets_made.append(unwrap_rpc_secret(state["api_key"]))
    return key_id, state, secrets_made


def test_destroy_after_three_rotations_revokes_every_generation(
    provider: ApiKeyProvider, emulator: EmulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's reproduction: the first generations used to live on for a month."""
    key_id, state, made = rotate(provider, emulator, monkeypatch, generations=3)
    assert len(state["retiring_key_ids"]) == 3
    assert all(key_works(emulator.base_url, secret) for secret in made)  # all in their grace
    provider.delete(key_id, state)
    assert not any(key_works(emulator.base_url, secret) for secret in made)


def test_refresh_drops_the_keys_whose_grace_has_ended(
    provider: ApiKeyProvider, emulator: EmulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id, state, _ = rotate(provider, emulator, monkeypatch, generations=2)
    assert len(state["retiring_key_ids"]) == 2
    read = provider.read(key_id, state)
    assert (read.outs or {})["retiring_key_ids"] == state["retiring_key_ids"]
    monkeypatch.setenv(CLOCK_OFFSET_ENV, "31d")
    emulator.server.backend.set_clock_offset(parse_duration("31d"))
    read = ApiKeyProvider().read(key_id, state)  # a later refresh: a new provider process
    assert (read.outs or {})["retiring_key_ids"] == []


def test_an_update_keeps_every_key_in_its_grace(
    provider: ApiKeyProvider, emulator: EmulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_id, state, _ = rotate(provider, emulator, monkeypatch, generations=2)
    news = checked(provider, keepers={"generation": "2"}, retire_grace="30d", description="x")
    updated = provider.update(key_id, state, news).outs or {}
    assert updated["retiring_key_ids"] == state["retiring_key_ids"]


def test_a_key_in_its_grace_whose_stack_is_gone_is_an_orphan(
    provider: ApiKeyProvider,
    emulator: EmulatorThread,
    monkeypatch: pytest.MonkeyPatch,
    client: VeniceClient,
) -> None:
    key_id, state, _ = rotate(provider, emulator, monkeypatch, generations=2)
    held = Managed()
    held.add_export(
        {
            "deployment": {
                "resources": [
                    {"type": "pulumi-python:dynamic/venice:ApiKey", "id": key_id, "outputs": state}
                ]
            }
        }
    )
    keys = client.list_keys()
    later = now() + parse_duration("2h")
    assert classify(keys, held, min_age=parse_duration("1h"), all_stacks=True, now=later) == []
    # The stack is gone (its state deleted without a destroy): both are named.
    found = classify(keys, Managed(), min_age=parse_duration("1h"), all_stacks=True, now=later)
    retiring = {f.key.id for f in found if f.verdict == "orphan" and "grace" in f.why}
    assert retiring == set(state["retiring_key_ids"])
