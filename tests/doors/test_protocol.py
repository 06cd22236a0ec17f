"""Protocol tests: Pulumi's own dynamic-provider server (``python -m
pulumi.dynamic``) driven over gRPC as the engine drives it, with the provider
serialized by ``pulumi.dynamic``, against the emulator."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from pulumi_venice import ApiKeyProvider, VeniceClient
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.settings.times import parse_expiry
from pulumi_venice.venice.models import UpdateApiKeyRequest

pytestmark = pytest.mark.protocol

URN = "urn:pulumi:test::proj::pulumi-python:dynamic/venice:ApiKey::key"
SERIALIZED = serialize_provider(ApiKeyProvider())


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    struct: struct_pb2.Struct = asyncio.run(rpc.serialize_properties(props, {}))
    return struct


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    props: dict[str, Any] = rpc.deserialize_properties(struct)
    return props


@contextlib.contextmanager
def dynamic_provider_server(
    **environment: str,
) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """Start the dynamic-provider server the way the engine's launcher does."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENICE_")}
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.dynamic"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, **environment},
    )
    assert server.stdout is not None
    port = int(server.stdout.readline().strip())
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        channel.close()
        server.terminate()
        _, stderr = server.communicate(timeout=10)
        assert "VENICE_ADMIN_KEY_test" not in stderr


@pytest.fixture
def engine() -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    with dynamic_provider_server() as stub:
        yield stub


def configure(stub: Any, emulator: EmulatorThread, admin_key: str) -> None:
    args = {"venice:apiKey": rpc.wrap_rpc_secret(admin_key), "venice:baseUrl": emulator.base_url}
    stub.Configure(provider_pb2.ConfigureRequest(args=to_struct(args), acceptSecrets=True))


def inputs(**props: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"api_key_type": "INFERENCE", "description": "protocol test"}
    base.update(props)
    base["__provider"] = SERIALIZED
    return base


def check(stub: Any, news: dict[str, Any], olds: dict[str, Any] | None = None) -> Any:
    return stub.Check(
        provider_pb2.CheckRequest(urn=URN, olds=to_struct(olds or {}), news=to_struct(news))
    )


def test_serialized_provider_holds_no_secret(
    engine: Any, emulator: EmulatorThread, admin_key: str
) -> None:
    configure(engine, emulator, admin_key)
    checked = from_struct(check(engine, inputs()).inputs)
    created = engine.Create(provider_pb2.CreateRequest(urn=URN, properties=to_struct(checked)))
    outs = from_struct(created.properties)
    secret = rpc.unwrap_rpc_secret(outs["api_key"])
    pickled = base64.b64decode(outs["__provider"])
    assert pickled == base64.b64decode(SERIALIZED)
    for value in (admin_key, secret, emulator.base_url):
        assert value.encode() not in pickled
    assert b"pulumi_venice.dynamic.provider" in pickled and b"ApiKeyProvider" in pickled
    assert len(pickled) < 200  # a reference to the class, not a copy of its code


def test_full_lifecycle_over_grpc(
    engine: Any, emulator: EmulatorThread, admin_key: str, client: VeniceClient
) -> None:
    configure(engine, emulator, admin_key)

    # check: normalizes and fills defaults
    checked = from_struct(check(engine, inputs(consumption_limit={"usd": 5})).inputs)
    assert checked["limit_period"] == "EPOCH"
    assert checked["consumption_limit"] == {"usd": 5}  # the wire drops nulls

    # create: id + secret output, marked secret on the wire
    created = engine.Create(provider_pb2.CreateRequest(urn=URN, properties=to_struct(checked)))
    outs = from_struct(created.properties)
    assert rpc.is_rpc_secret(outs["api_key"])
    secret = rpc.unwrap_rpc_secret(outs["api_key"])
    assert secret.startswith("VENICE_INFERENCE_KEY_") and created.id != secret
    assert client.get_key(created.id).consumption_limits.usd == 5

    # diff: in-place change versus replacement
    renamed = from_struct(check(engine, inputs(description="renamed")).inputs)
    diff = engine.Diff(
        provider_pb2.DiffRequest(
            id=created.id, urn=URN, olds=created.properties, news=to_struct(renamed)
        )
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == []
    retyped = from_struct(check(engine, inputs(api_key_type="ADMIN")).inputs)
    diff = engine.Diff(
        provider_pb2.DiffRequest(
            id=created.id, urn=URN, olds=created.properties, news=to_struct(retyped)
        )
    )
    assert list(diff.replaces) == ["api_key_type"]
    same = from_struct(check(engine, inputs(consumption_limit={"usd": 5})).inputs)
    diff = engine.Diff(
        provider_pb2.DiffRequest(
            id=created.id, urn=URN, olds=created.properties, news=to_struct(same)
        )
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE

    # update: PATCH in place, secret carried forward
    updated = engine.Update(
        provider_pb2.UpdateRequest(
            id=created.id, urn=URN, olds=created.properties, news=to_struct(renamed)
        )
    )
    updated_outs = from_struct(updated.properties)
    assert rpc.unwrap_rpc_secret(updated_outs["api_key"]) == secret
    assert client.get_key(created.id).description == "renamed"

    # read: drift shows, the secret stays, inputs follow the live key
    client.update_key(UpdateApiKeyRequest(id=created.id, description="drifted"))
    read = engine.Read(
        provider_pb2.ReadRequest(id=created.id, urn=URN, properties=updated.properties)
    )
    assert read.id == created.id
    read_outs = from_struct(read.properties)
    assert read_outs["description"] == "drifted"
    assert rpc.unwrap_rpc_secret(read_outs["api_key"]) == secret
    assert from_struct(read.inputs)["description"] == "drifted"

    # delete, then read: gone from state
    engine.Delete(provider_pb2.DeleteRequest(id=created.id, urn=URN, properties=read.properties))
    assert created.id not in {k.id for k in client.list_keys()}
    gone = engine.Read(provider_pb2.ReadRequest(id=created.id, urn=URN, properties=read.properties))
    assert gone.id == ""
    engine.Delete(provider_pb2.DeleteRequest(id=created.id, urn=URN, properties=read.properties))


def test_check_failures_name_fields_and_call_nothing(
    engine: Any, emulator: EmulatorThread, admin_key: str
) -> None:
    configure(engine, emulator, admin_key)
    before = emulator.server.api_requests
    result = check(
        engine, inputs(description="", limit_period="WEEK", consumption_limit={"usd": -1})
    )
    failures = {f.property: f.reason for f in result.failures}
    assert set(failures) == {"description", "limit_period", "consumption_limit"}
    assert "'EPOCH', 'MONTH' or 'LIFETIME'" in failures["limit_period"]
    assert emulator.server.api_requests == before


def test_wrong_admin_key_fails_with_one_clear_sentence(
    engine: Any, emulator: EmulatorThread
) -> None:
    wrong = "VENICE_ADMIN_KEY_test_wrong_one"
    configure(engine, emulator, wrong)
    checked = from_struct(check(engine, inputs()).inputs)
    with pytest.raises(grpc.RpcError) as raised:
        engine.Create(provider_pb2.CreateRequest(urn=URN, properties=to_struct(checked)))
    details = raised.value.details() or ""
    assert "venice:apiKey" in details and "VENICE_API_KEY" in details
    assert wrong not in details
    assert "Traceback" not in details


def test_web3_key_over_grpc_never_returns_the_private_key(
    engine: Any, emulator: EmulatorThread
) -> None:
    from eth_account import Account

    from pulumi_venice import Web3ApiKeyProvider

    from ..support.keys import wallet_admin_key

    private_key = "0x" + secrets.token_hex(32)
    address = Account.from_key(private_key).address
    configure(engine, emulator, wallet_admin_key(emulator, private_key))
    serialized = serialize_provider(Web3ApiKeyProvider())
    news = {
        "api_key_type": "INFERENCE",
        "wallet_private_key": rpc.wrap_rpc_secret(private_key),
        "__provider": serialized,
    }
    checked = check(engine, news)
    assert list(checked.failures) == []
    inputs = from_struct(checked.inputs)
    assert inputs["address"] == address
    created = engine.Create(provider_pb2.CreateRequest(urn=URN, properties=checked.inputs))
    outs = from_struct(created.properties)
    assert rpc.is_rpc_secret(outs["api_key"]) and outs["address"] == address
    wire = created.SerializeToString()
    assert private_key[2:].encode() not in wire and private_key[2:].encode() not in (
        base64.b64decode(serialized)
    )
    read = engine.Read(
        provider_pb2.ReadRequest(id=created.id, urn=URN, properties=created.properties)
    )
    assert read.id == created.id
    engine.Delete(provider_pb2.DeleteRequest(id=created.id, urn=URN, properties=read.properties))
    assert created.id not in {k.id for k in emulator.server.backend.all_keys()}


def test_rotation_over_grpc_age_grace_and_destroy_during_grace(
    engine: Any, emulator: EmulatorThread, admin_key: str, client: VeniceClient
) -> None:
    policy = {"rotate_after": "30d", "retire_grace": "2d"}
    configure(engine, emulator, admin_key)
    checked = check(engine, inputs(**policy)).inputs
    first = engine.Create(provider_pb2.CreateRequest(urn=URN, properties=checked))
    first_secret = rpc.unwrap_rpc_secret(from_struct(first.properties)["api_key"])

    def diff(stub: Any) -> Any:
        return stub.Diff(
            provider_pb2.DiffRequest(id=first.id, urn=URN, olds=first.properties, news=checked)
        )

    assert list(diff(engine).replaces) == []  # 0 days old
    # A later run: the provider's clock and Venice's 31 days ahead.
    emulator.server.backend.set_clock_offset(timedelta(days=31))
    with dynamic_provider_server(VENICE_TEST_CLOCK_OFFSET="31d") as later:
        configure(later, emulator, admin_key)
        due = diff(later)
        assert list(due.replaces) == ["rotate_after"] and not due.deleteBeforeReplace
        second = later.Create(provider_pb2.CreateRequest(urn=URN, properties=checked))
        second_outs = from_struct(second.properties)
        assert second_outs["retiring_key_ids"] == [first.id]
        later.Delete(provider_pb2.DeleteRequest(id=first.id, urn=URN, properties=first.properties))
        # Retired, not revoked: the old key works, and expires 2 days from "now".
        retired = client.get_key(first.id)
        expected = datetime.now(UTC) + timedelta(days=33)
        assert abs(parse_expiry(retired.expires_at or "") - expected) < timedelta(minutes=1)
        with VeniceClient(emulator.base_url, first_secret) as old:
            assert old.rate_limits().access_permitted
    # `pulumi destroy` in yet another run: no diff announces a replacement.
    with dynamic_provider_server(VENICE_TEST_CLOCK_OFFSET="31d") as destroy:
        configure(destroy, emulator, admin_key)
        destroy.Delete(
            provider_pb2.DeleteRequest(id=second.id, urn=URN, properties=second.properties)
        )
    remaining = {k.id for k in emulator.server.backend.all_keys()}
    assert first.id not in remaining and second.id not in remaining


def test_renewal_window_over_grpc(engine: Any, emulator: EmulatorThread, admin_key: str) -> None:
    configure(engine, emulator, admin_key)
    checked = check(engine, inputs(expires_after="90d", renew_before="7d")).inputs
    created = engine.Create(provider_pb2.CreateRequest(urn=URN, properties=checked))
    request = provider_pb2.DiffRequest(
        id=created.id, urn=URN, olds=created.properties, news=checked
    )
    for offset, replaces in (("80d", []), ("84d", ["renew_before"]), ("91d", ["expires_at"])):
        with dynamic_provider_server(VENICE_TEST_CLOCK_OFFSET=offset) as later:
            configure(later, emulator, admin_key)
            assert list(later.Diff(request).replaces) == replaces, offset
