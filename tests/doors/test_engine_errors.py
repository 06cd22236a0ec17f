"""What the engine receives when something fails, over gRPC, from both doors
started as the engine starts them (issue 30): our sentence alone (no
``Exception calling application:``, no ``Unexpected <class ...>:``), and for
a create that made a key it could neither finish nor revoke, the key itself
(``ErrorResourceInitFailed``: its id and outputs), so the engine keeps it.
Also the plugin's ``DiffConfig``: a changed ``venice:apiKey`` is a change."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc, status_pb2

from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.tools.installer import plugin_dir

from ..doors.test_protocol import check, configure, dynamic_provider_server, from_struct, inputs
from ..support.cli import served_plugin

SDK_PREFIXES = ("Exception calling application", "Unexpected <class", "Traceback")
PLUGIN_URN = "urn:pulumi:dev::p::venice:index:ApiKey::key"
# The key's settings and its revoke both fail: the key can only be kept.
NEITHER_FINISHED_NOR_REVOKED = {
    "fail": [
        {"status": 503, "count": 20, "method": "PATCH"},
        {"status": 503, "count": 20, "method": "DELETE"},
    ]
}


def init_failure(error: grpc.RpcError) -> provider_pb2.ErrorResourceInitFailed | None:
    """The ErrorResourceInitFailed detail of a failed call, if it has one."""
    for name, value in error.trailing_metadata() or ():
        if name == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                failure = provider_pb2.ErrorResourceInitFailed()
                if detail.Unpack(failure):
                    return failure
    return None


def assert_plain(details: str) -> None:
    assert details.startswith("Could not "), details
    assert not [prefix for prefix in SDK_PREFIXES if prefix in details], details


# -- the dynamic provider -----------------------------------------------------------


@pytest.fixture
def dynamic(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("VENICE_MAX_RETRIES", "0")
    with dynamic_provider_server(VENICE_MAX_RETRIES="0") as stub:
        yield stub


def test_the_dynamic_provider_fails_with_our_sentence_alone(
    dynamic: Any, emulator: EmulatorThread
) -> None:
    configure(dynamic, emulator, "VENICE_ADMIN_KEY_test_wrong_one")
    checked = check(dynamic, inputs()).inputs
    with pytest.raises(grpc.RpcError) as raised:
        dynamic.Create(provider_pb2.CreateRequest(urn="urn:x", properties=checked))
    assert_plain(raised.value.details() or "")
    assert init_failure(raised.value) is None


def test_the_dynamic_provider_hands_the_engine_a_key_it_could_not_undo(
    dynamic: Any, emulator: EmulatorThread, admin_key: str
) -> None:
    configure(dynamic, emulator, admin_key)
    checked = check(dynamic, inputs()).inputs
    emulator.server.faults.update(NEITHER_FINISHED_NOR_REVOKED)
    with pytest.raises(grpc.RpcError) as raised:
        dynamic.Create(provider_pb2.CreateRequest(urn="urn:x", properties=checked))
    details = raised.value.details() or ""
    assert_plain(details)
    failure = init_failure(raised.value)
    assert failure is not None and failure.id in details
    outputs = from_struct(failure.properties)
    assert rpc.is_rpc_secret(outputs["api_key"])  # the value stays a secret in the state
    assert outputs["__provider"]  # the engine needs the provider to manage it later
    assert failure.id in {k.id for k in emulator.server.backend.all_keys()}
    assert rpc.unwrap_rpc_secret(outputs["api_key"]) not in details


# -- the native plugin --------------------------------------------------------------


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("VENICE_MAX_RETRIES", "0")
    plugin_dir()
    with served_plugin() as (_, port), grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        yield provider_pb2_grpc.ResourceProviderStub(channel)


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def configure_plugin(stub: Any, emulator: EmulatorThread, admin_key: str) -> None:
    config = struct({"apiKey": admin_key, "baseUrl": emulator.base_url})
    stub.Configure(provider_pb2.ConfigureRequest(args=config, acceptSecrets=True))


def checked_plugin_inputs(stub: Any) -> struct_pb2.Struct:
    news = struct({"apiKeyType": "INFERENCE", "description": "engine errors"})
    response = stub.Check(provider_pb2.CheckRequest(urn=PLUGIN_URN, news=news))
    assert not response.failures
    inputs_: struct_pb2.Struct = response.inputs
    return inputs_


def test_the_plugin_fails_with_our_sentence_alone(plugin: Any, emulator: EmulatorThread) -> None:
    configure_plugin(plugin, emulator, "VENICE_ADMIN_KEY_test_wrong_one")
    properties = checked_plugin_inputs(plugin)
    with pytest.raises(grpc.RpcError) as raised:
        plugin.Create(provider_pb2.CreateRequest(urn=PLUGIN_URN, properties=properties))
    assert_plain(raised.value.details() or "")


def test_the_plugin_hands_the_engine_a_key_it_could_not_undo(
    plugin: Any, emulator: EmulatorThread, admin_key: str
) -> None:
    configure_plugin(plugin, emulator, admin_key)
    properties = checked_plugin_inputs(plugin)
    emulator.server.faults.update(NEITHER_FINISHED_NOR_REVOKED)
    with pytest.raises(grpc.RpcError) as raised:
        plugin.Create(provider_pb2.CreateRequest(urn=PLUGIN_URN, properties=properties))
    details = raised.value.details() or ""
    assert_plain(details)
    failure = init_failure(raised.value)
    assert failure is not None and failure.id in details
    outputs = from_struct(failure.properties)
    assert rpc.is_rpc_secret(outputs["apiKey"])
    assert failure.id in {k.id for k in emulator.server.backend.all_keys()}


def test_a_changed_admin_key_is_a_change_of_the_plugins_configuration(
    plugin: Any, emulator: EmulatorThread
) -> None:
    """The SDK's DiffConfig answered "no change" to any change: the engine
    then kept configuring the plugin with the old admin key."""
    old = struct({"apiKey": "VENICE_ADMIN_KEY_old", "baseUrl": emulator.base_url})
    new = struct({"apiKey": "VENICE_ADMIN_KEY_new", "baseUrl": emulator.base_url})
    changed = plugin.DiffConfig(provider_pb2.DiffRequest(urn="urn:p", olds=old, news=new))
    assert changed.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(changed.diffs) == ["apiKey"]
    same = plugin.DiffConfig(provider_pb2.DiffRequest(urn="urn:p", olds=old, news=old))
    assert same.changes == provider_pb2.DiffResponse.DIFF_NONE
