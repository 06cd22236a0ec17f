"""The native plugin's provider in process (no CLI, no gRPC): what it hands
the engine for inputs wired from other resources (unknown at preview), the
detailed diff that preview --diff shows, and its messages in the caller's
camelCase names."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from pulumi.provider.experimental.property_value import Computed, PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    CreateRequest,
    DeleteRequest,
    DiffRequest,
    PropertyDiffKind,
    ReadRequest,
    UpdateRequest,
)
from pulumi.runtime.rpc import UNKNOWN

from pulumi_venice import VeniceClient
from pulumi_venice.plugin.native import VeniceProvider
from pulumi_venice.plugin.schema import API_KEY, WEB3_API_KEY
from pulumi_venice.plugin.values import plain_value
from pulumi_venice.venice.errors import KeyNotFoundError

URN = "urn:pulumi:dev::p::{type}::key"
BASE = {"apiKeyType": "INFERENCE", "description": "native"}


def props(values: Mapping[str, Any]) -> dict[str, PropertyValue]:
    """Plain values as the engine sends them (an unknown as the SDK reads one in)."""

    def one(value: Any) -> PropertyValue:
        if isinstance(value, Mapping):
            return PropertyValue({k: one(v) for k, v in value.items()})
        if isinstance(value, int) and not isinstance(value, bool):
            return PropertyValue(float(value))
        return PropertyValue(value)

    return {k: one(v) for k, v in values.items()}


@pytest.fixture(autouse=True)
def admin_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VENICE_API_KEY", "VENICE_ADMIN_KEY_" + "x" * 42)


def check(resource: str, inputs: Mapping[str, Any]) -> Any:
    request = CheckRequest(URN.format(type=resource), {}, props(inputs), b"")
    return asyncio.run(VeniceProvider().check(request))


def test_an_input_from_another_resource_stays_unknown_and_marshals() -> None:
    response = check(API_KEY, {**BASE, "description": UNKNOWN})
    assert response.failures == []
    sent = {k: v.marshal() for k, v in response.inputs.items()}  # what the server sends
    assert sent["description"].string_value == UNKNOWN  # the wire's unknown
    assert not any(isinstance(v.value, Computed) for v in response.inputs.values())


def test_an_unknown_secret_managing_key_stays_unknown_and_secret() -> None:
    inputs = {**BASE, "walletPrivateKey": "0x" + "5" * 64, "adminApiKey": UNKNOWN}
    response = check(WEB3_API_KEY, inputs)
    assert response.failures == []
    admin = response.inputs["adminApiKey"]
    assert admin.is_secret and admin.value == UNKNOWN
    admin.marshal()  # no "Unsupported value type"


def diff(olds: Mapping[str, Any], news: Mapping[str, Any]) -> Any:
    request = DiffRequest(URN.format(type=API_KEY), "id-1", props(olds), props(news), [])
    return asyncio.run(VeniceProvider().diff(request))


STATE = {
    **BASE,
    "consumptionLimit": {"usd": 5, "diem": 0},
    "limitPeriod": "EPOCH",
    "modelPrivacy": "ALL",
    "keepers": {"rotation": "1"},
    "last6Chars": "abcdef",
    "createdAt": "2026-12-01T00:00:00.000Z",
}


def test_the_diff_names_each_change_and_its_kind() -> None:
    news = {**STATE, "description": "c2", "keepers": {"rotation": "2"}, "expiresAfter": "30d"}
    for name in ("last6Chars", "createdAt"):
        del news[name]
    response = diff(STATE, news)
    assert response.changes is True
    assert response.replaces == ["keepers"]
    assert sorted(response.diffs) == ["description", "expiresAfter", "keepers"]
    kinds = {name: d.kind for name, d in response.detailed_diff.items()}
    assert kinds == {
        "description": PropertyDiffKind.UPDATE,
        "keepers": PropertyDiffKind.UPDATE_REPLACE,
        "expiresAfter": PropertyDiffKind.ADD,
    }
    assert not any(d.input_diff for d in response.detailed_diff.values())  # against the state


def test_no_change_has_an_empty_diff() -> None:
    news = {k: v for k, v in STATE.items() if k not in ("last6Chars", "createdAt")}
    response = diff(STATE, news)
    assert response.changes is False and response.diffs == [] and response.detailed_diff == {}


def test_check_failures_name_fields_as_the_caller_wrote_them() -> None:
    response = check(API_KEY, {**BASE, "expiresAt": "2001-01-01T00:00:00Z", "limitPeriod": "WEEK"})
    reasons = {failure.property: failure.reason for failure in response.failures}
    assert set(reasons) == {"expiresAt", "limitPeriod"}
    assert reasons["expiresAt"].startswith("expiresAt 2001-01-01T00:00:00Z has passed")
    assert "give a later expiresAt, or expiresAfter" in reasons["expiresAt"]
    assert "renewBefore" in reasons["expiresAt"] and "_" not in reasons["expiresAt"]
    assert reasons["limitPeriod"].startswith("limitPeriod must be one of 'EPOCH'")


def test_a_mistyped_provider_setting_is_refused_not_ignored() -> None:
    request = CheckRequest(
        "urn:pulumi:dev::p::pulumi:providers:venice::a",
        {},
        props({"maxRetry": 3, "requestTimeout": 10}),
        b"",
    )
    response = asyncio.run(VeniceProvider().check_config(request))
    (failure,) = response.failures or []
    assert failure.reason.startswith(
        "venice:maxRetry is not a setting of pulumi-venice (did you mean venice:maxRetries? "
    )
    assert "ignored" not in failure.reason


@pytest.mark.usefixtures("provider_env")
def test_two_replaced_keys_with_the_same_inputs_each_name_their_own_old_key() -> None:
    """The engine's diff and create of a replacement meet on the URN: created
    in any order, each new key names (and retires) the key it replaced."""
    plugin = VeniceProvider()
    policy = {**BASE, "retireGrace": "2d", "keepers": {"generation": "1"}}
    urns = [f"urn:pulumi:dev::p::{API_KEY}::{name}" for name in ("first", "second")]

    async def replace_both() -> dict[str, tuple[str, Any]]:
        olds = {}
        for urn in urns:
            made = await plugin.create(CreateRequest(urn, props(policy), 60, False))
            assert made.resource_id is not None
            olds[urn] = (made.resource_id, made.properties)
        news = props({**policy, "keepers": {"generation": "2"}})
        for urn, (key_id, state) in olds.items():
            diff = await plugin.diff(DiffRequest(urn, key_id, state, news, []))
            assert diff.replaces == ["keepers"]
        replaced = {}
        for urn in reversed(urns):
            made = await plugin.create(CreateRequest(urn, news, 60, False))
            retiring = plain_value(made.properties["retiringKeyIds"])
            replaced[urn] = (olds[urn][0], retiring[0])
        return replaced

    for old_id, named in asyncio.run(replace_both()).values():
        assert named == old_id


@pytest.mark.usefixtures("provider_env")
def test_a_key_through_every_operation_in_process(client: VeniceClient) -> None:
    """check, create, read, diff, update and delete as the engine calls them,
    against the emulator, with no CLI: the state each returns is the next's input."""
    plugin = VeniceProvider()
    urn = URN.format(type=API_KEY)

    async def lifecycle() -> str:
        checked = await plugin.check(
            CheckRequest(urn, {}, props({**BASE, "consumptionLimit": {"usd": 5}}), b"")
        )
        assert checked.failures == [] and checked.inputs is not None
        made = await plugin.create(CreateRequest(urn, checked.inputs, 60, False))
        key_id, state = made.resource_id, made.properties
        assert key_id is not None and state["apiKey"].is_secret
        read = await plugin.read(ReadRequest(urn, key_id, state, checked.inputs))
        assert read.resource_id == key_id and read.properties is not None
        assert plain_value(read.properties["consumptionLimit"])["usd"] == 5
        news = props({**BASE, "description": "native2", "consumptionLimit": {"usd": 7}})
        diff = await plugin.diff(DiffRequest(urn, key_id, state, news, []))
        assert diff.changes and diff.replaces == []
        assert sorted(diff.diffs or []) == ["consumptionLimit", "description"]
        updated = await plugin.update(UpdateRequest(urn, key_id, state, news, 60, [], False))
        assert updated.properties is not None
        assert updated.properties["description"].value == "native2"
        assert updated.properties["apiKey"].value == state["apiKey"].value  # the same key
        await plugin.delete(DeleteRequest(urn, key_id, updated.properties, 60))
        return key_id

    key_id = asyncio.run(lifecycle())
    with pytest.raises(KeyNotFoundError):
        client.get_key(key_id)
