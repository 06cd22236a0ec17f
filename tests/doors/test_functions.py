"""Data functions and the async client, against the emulator over HTTP."""

from __future__ import annotations

import asyncio

import httpx
import pytest

import pulumi_venice as venice
from pulumi_venice import AsyncVeniceClient, KeyNotFoundError, VeniceClient
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.venice.models import CreateApiKeyRequest, UpdateApiKeyRequest
from pulumi_venice.venice.retry import RetryPolicy


def add_event(emulator: EmulatorThread, key_id: str, kind: str, model: str) -> None:
    control = emulator.base_url.removesuffix("/api/v1") + "/_emulator/rate-limit-events"
    body = {"apiKeyId": key_id, "modelId": model, "rateLimitType": kind}
    httpx.post(control, json=body).raise_for_status()


def test_get_api_keys_and_get_api_key(provider_env: None, client: VeniceClient) -> None:
    created = client.create_key(CreateApiKeyRequest(api_key_type="INFERENCE", description="fn"))
    result = venice.get_api_keys()
    assert isinstance(result, venice.GetApiKeysResult)
    mine = [k for k in result.keys if k.id == created.id]
    assert len(mine) == 1 and mine[0].description == "fn"
    assert mine[0].last6_chars == created.api_key[-6:]
    one = venice.get_api_key(created.id)
    assert one.api_key_type == "INFERENCE" and one.limit_period == "EPOCH"
    assert created.api_key not in repr(result) + repr(one) + one.model_dump_json()
    with pytest.raises(KeyNotFoundError):
        venice.get_api_key("00000000-0000-4000-8000-000000000000")


def test_get_rate_limits(provider_env: None) -> None:
    limits = venice.get_rate_limits()
    assert limits.api_tier.id == "paid" and limits.access_permitted
    assert limits.balances.usd == 50.23 and limits.balances.diem == 100.023
    models = {m.api_model_id: {r.type for r in m.rate_limits} for m in limits.rate_limits}
    assert len(models) >= 3 and {"RPM", "RPD", "TPM"} <= models["venice-uncensored"]


def test_get_rate_limit_logs_keeps_the_last_50_newest_first(
    provider_env: None, client: VeniceClient, emulator: EmulatorThread
) -> None:
    created = client.create_key(CreateApiKeyRequest(api_key_type="INFERENCE", description="l"))
    assert venice.get_rate_limit_logs().entries == []
    for index in range(55):
        add_event(emulator, created.id, "RPM" if index % 2 else "TPM", f"model-{index}")
    entries = venice.get_rate_limit_logs().entries
    assert len(entries) == 50
    assert entries[0].model_id == "model-54" and entries[-1].model_id == "model-5"
    assert {e.api_key_id for e in entries} == {created.id}
    assert entries[0].rate_limit_type == "TPM" and entries[0].rate_limit_tier == "paid"


def test_the_log_needs_an_admin_key(client: VeniceClient, emulator: EmulatorThread) -> None:
    created = client.create_key(CreateApiKeyRequest(api_key_type="INFERENCE", description="i"))
    with VeniceClient(emulator.base_url, created.api_key) as inference:
        assert inference.rate_limits().access_permitted  # any key reads its own limits
        with pytest.raises(venice.AuthenticationError):
            inference.rate_limit_log()


def test_functions_need_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VENICE_API_KEY", raising=False)
    with pytest.raises(venice.ConfigurationError, match="VENICE_API_KEY"):
        venice.get_api_keys()


def test_the_async_client_covers_every_call(emulator: EmulatorThread, admin_key: str) -> None:
    async def scenario() -> None:
        async with AsyncVeniceClient(emulator.base_url, admin_key) as client:
            created = await client.create_key(
                CreateApiKeyRequest(api_key_type="INFERENCE", description="async")
            )
            assert created.api_key.startswith("VENICE_INFERENCE_KEY_")
            keys = await client.list_keys()
            assert created.id in {k.id for k in keys}
            updated = await client.update_key(
                UpdateApiKeyRequest(id=created.id, description="async 2")
            )
            assert updated.description == "async 2"
            assert (await client.get_key(created.id)).description == "async 2"
            assert (await client.rate_limits()).api_tier.id == "paid"
            assert await client.rate_limit_log() == []
            assert await client.web3_token()
            # Concurrent reads on one client.
            read = await asyncio.gather(*(client.get_key(created.id) for _ in range(8)))
            assert {r.id for r in read} == {created.id}
            await client.delete_key(created.id)
            with pytest.raises(KeyNotFoundError):
                await client.get_key(created.id)

    asyncio.run(scenario())


def test_the_async_client_retries_like_the_sync_one(
    emulator: EmulatorThread, admin_key: str
) -> None:
    emulator.server.faults.update({"fail": [{"status": 503, "count": 2}]})

    async def scenario() -> None:
        policy = RetryPolicy(initial_backoff=0.01, max_backoff=0.02)
        async with AsyncVeniceClient(emulator.base_url, admin_key, retry=policy) as client:
            assert isinstance(await client.list_keys(), list)

    asyncio.run(scenario())
    statuses = [status for _, _, status in emulator.server.journal]
    assert statuses[:3] == [503, 503, 200]


def test_the_async_client_reports_errors_as_the_sync_one(
    emulator: EmulatorThread,
) -> None:
    async def scenario() -> str:
        async with AsyncVeniceClient(emulator.base_url, "VENICE_ADMIN_KEY_wrong") as client:
            with pytest.raises(venice.AuthenticationError) as caught:
                await client.list_keys()
            return str(caught.value)

    async_message = asyncio.run(scenario())
    with (
        VeniceClient(emulator.base_url, "VENICE_ADMIN_KEY_wrong") as sync_client,
        pytest.raises(venice.AuthenticationError) as caught,
    ):
        sync_client.list_keys()
    assert async_message == str(caught.value)
    assert "VENICE_ADMIN_KEY_wrong" not in async_message


def test_output_forms_give_plain_objects_that_read_as_attributes(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorThread, admin_key: str
) -> None:
    """What Pulumi exports (its stack-output massage) is an object with the
    documented names, not a list of pairs; fields still read as attributes."""
    from pulumi.runtime.stack import massage

    from pulumi_venice.dynamic.functions import Result, as_result

    monkeypatch.setenv("VENICE_API_KEY", admin_key)
    monkeypatch.setenv("VENICE_BASE_URL", emulator.base_url)
    limits = as_result(venice.get_rate_limits())
    assert isinstance(limits, Result) and limits.api_tier.id == "paid"
    exported = massage(limits, [])
    assert exported["api_tier"] == {"id": "paid", "is_charged": limits.api_tier.is_charged}
    keys = as_result(venice.get_api_keys())
    assert keys.keys == keys["keys"] and isinstance(massage(keys, [])["keys"], list)
