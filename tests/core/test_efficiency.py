"""The provider's costs that grow with a stack: HTTP calls per key, the shared
connection pool, the key-list copy that serves a refresh, and start-up
imports. (Times are measured in benchmarks/, not here: these tests count.)"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from pulumi_venice import ApiKeyProvider, KeyNotFoundError, VeniceClient
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.keys.directory import KeyDirectory
from pulumi_venice.venice.client import shared_http
from pulumi_venice.venice.models import ApiKeyRecord, UpdateApiKeyRequest


def created_keys(provider: ApiKeyProvider, count: int) -> list[tuple[str, dict[str, Any]]]:
    results = []
    for index in range(count):
        inputs = provider.check(
            {}, {"api_key_type": "INFERENCE", "description": f"efficiency {index}"}
        ).inputs
        result = provider.create(inputs)
        assert result.id is not None and result.outs is not None
        results.append((result.id, {**inputs, **result.outs}))
    return results


def api_calls(emulator: EmulatorThread) -> list[tuple[str, str]]:
    return [(method, path) for method, path, _ in emulator.server.journal]


def test_a_refresh_of_many_keys_costs_one_list_call(
    provider: ApiKeyProvider, emulator: EmulatorThread
) -> None:
    keys = created_keys(provider, 12)
    fresh = ApiKeyProvider()  # a new provider process's instance: no copy of the list yet
    emulator.server.journal.clear()
    with ThreadPoolExecutor(max_workers=4) as pool:  # as Pulumi's server calls read
        results = list(pool.map(lambda key: fresh.read(key[0], key[1]), keys))
    assert api_calls(emulator) == [("GET", "/api/v1/api_keys")]
    assert [r.id for r in results] == [key_id for key_id, _ in keys]
    descriptions = [(r.outs or {})["description"] for r in results]
    assert descriptions == [f"efficiency {i}" for i in range(12)]


def test_a_key_missing_from_the_list_is_asked_for_alone(
    provider: ApiKeyProvider, emulator: EmulatorThread, client: VeniceClient
) -> None:
    (kept_id, kept), (gone_id, gone) = created_keys(provider, 2)
    fresh = ApiKeyProvider()
    assert fresh.read(kept_id, kept).id == kept_id  # takes the copy of the list
    client.delete_key(gone_id)  # deleted outside, after the copy was taken
    emulator.server.journal.clear()
    # The copy is at most 5 s old and still lists the deleted key (a refresh
    # that started before the delete would have seen it too)...
    assert fresh.read(gone_id, gone).id == gone_id
    # ...but a key the copy lacks is never judged gone without asking Venice.
    assert fresh.read("4d8a1c51-0000-4000-8000-000000000000", gone).id is None
    assert api_calls(emulator) == [
        ("GET", "/api/v1/api_keys/4d8a1c51-0000-4000-8000-000000000000"),
        ("GET", "/api/v1/api_keys/rate_limits"),  # the key's own secret: is it really gone?
    ]


def test_the_provider_drops_its_copy_when_it_changes_a_key(
    provider: ApiKeyProvider, emulator: EmulatorThread
) -> None:
    ((key_id, props),) = created_keys(provider, 1)
    assert (provider.read(key_id, props).outs or {})["description"] == "efficiency 0"
    news = provider.check({}, {"api_key_type": "INFERENCE", "description": "renamed"}).inputs
    provider.update(key_id, props, news)
    assert (provider.read(key_id, props).outs or {})["description"] == "renamed"


def test_update_is_one_call(provider: ApiKeyProvider, emulator: EmulatorThread) -> None:
    ((key_id, props),) = created_keys(provider, 1)
    news = provider.check({}, {"api_key_type": "INFERENCE", "description": "one call"}).inputs
    emulator.server.journal.clear()
    outs = provider.update(key_id, props, news).outs
    assert api_calls(emulator) == [("PATCH", "/api/v1/api_keys")]
    assert outs is not None and outs["description"] == "one call"


def test_create_is_two_calls_and_delete_one(
    provider: ApiKeyProvider, emulator: EmulatorThread
) -> None:
    emulator.server.journal.clear()
    ((key_id, props),) = created_keys(provider, 1)
    provider.delete(key_id, props)
    assert api_calls(emulator) == [
        ("POST", "/api/v1/api_keys"),  # with a marker description (safe to clean up)
        ("PATCH", "/api/v1/api_keys"),  # the real description; answers the stored key
        ("DELETE", "/api/v1/api_keys?id=" + key_id),
    ]


def test_clients_of_one_process_share_one_connection_pool(
    provider: ApiKeyProvider, emulator: EmulatorThread
) -> None:
    admin = provider.lifecycle.context.client()
    other = provider.lifecycle.context.client_for("VENICE_INFERENCE_KEY_other")
    public = provider.lifecycle.context.client_for(None)
    assert admin._http is other._http is public._http
    assert admin._http is shared_http(
        emulator.base_url, provider.lifecycle.context.settings().request_timeout
    )
    other.close()  # a no-op on the shared pool
    assert not admin._http.is_closed


def test_concurrent_readers_share_one_list_call() -> None:
    calls = 0
    release = threading.Event()

    def slow_list() -> list[ApiKeyRecord]:
        nonlocal calls
        calls += 1
        release.wait(5)
        return []

    directory = KeyDirectory(slow_list)
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(directory.lookup, f"id-{i}") for i in range(8)]
        release.set()
        assert [f.result() for f in futures] == [None] * 8
    assert calls == 1


def test_the_copy_expires_and_is_dropped_on_invalidate() -> None:
    now = 0.0
    lists = 0

    def list_keys() -> list[ApiKeyRecord]:
        nonlocal lists
        lists += 1
        return []

    directory = KeyDirectory(list_keys, max_age_seconds=5.0, clock=lambda: now)
    directory.lookup("a")
    directory.lookup("b")
    assert lists == 1
    now = 6.0
    directory.lookup("a")
    assert lists == 2
    directory.invalidate()
    directory.lookup("a")
    assert lists == 3


def test_a_failed_list_call_is_reported_and_not_kept() -> None:
    outcomes: list[Exception | None] = [KeyNotFoundError("list", "boom"), None]

    def list_keys() -> list[ApiKeyRecord]:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return []

    directory = KeyDirectory(list_keys)
    with pytest.raises(KeyNotFoundError):
        directory.lookup("a")
    assert directory.lookup("a") is None  # tried again, not a cached failure


def loaded_by(modules: str, packages: tuple[str, ...]) -> list[str]:
    """The modules of ``packages`` that importing ``modules`` loads, in a fresh process."""
    probe = (
        f"import json, sys, {modules}; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {packages!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    loaded: list[str] = json.loads(out)
    return loaded


def test_importing_the_provider_does_not_import_eth_account() -> None:
    """eth-account costs most of a second to import: only Web3 keys pay for it."""
    assert (
        loaded_by("pulumi_venice, pulumi_venice.dynamic.provider", ("eth_account", "eth_utils"))
        == []
    )


def test_the_core_the_sweeper_and_the_emulator_do_not_load_the_pulumi_sdk() -> None:
    """The lifecycle core knows nothing of Pulumi's transports, and venice-orphans,
    the client and the emulator do not load the SDK to get a string."""
    modules = (
        "pulumi_venice, pulumi_venice.keys.lifecycle, pulumi_venice.keys.web3, "
        "pulumi_venice.tools.orphans, pulumi_venice.emulator.cli"
    )
    assert loaded_by(modules, ("pulumi",)) == []


def test_patch_answer_is_the_stored_key(client: VeniceClient) -> None:
    """update relies on the PATCH answer being the key as stored (no read-back)."""
    from pulumi_venice.venice.models import CreateApiKeyRequest

    created = client.create_key(CreateApiKeyRequest(api_key_type="INFERENCE", description="x"))
    answer = client.update_key(UpdateApiKeyRequest(id=created.id, description="y"))
    stored = client.get_key(created.id)
    assert answer.model_dump(exclude={"usage", "current_period_usage", "last_used_at"}) == (
        stored.model_dump(exclude={"usage", "current_period_usage", "last_used_at"})
    )
