"""ApiKeyProvider driven directly (as Pulumi's dynamic-provider server does),
against a real emulator over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from pulumi_venice import (
    ApiKeyProvider,
    AuthenticationError,
    ConfigurationError,
    ServerError,
    VeniceClient,
)
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.settings.config import unknown_settings
from pulumi_venice.settings.fields import UNKNOWN
from pulumi_venice.venice.errors import ImportKeyError, PartialCreateError
from pulumi_venice.venice.models import CreateApiKeyRequest, UpdateApiKeyRequest

from ..support.keys import checked, secret_of


def test_create_returns_id_secret_and_stored_settings(
    provider: ApiKeyProvider, client: VeniceClient
) -> None:
    inputs = checked(provider, consumption_limit={"usd": 5.0, "diem": 1.5}, limit_period="MONTH")
    result = provider.create(inputs)
    secret = secret_of(result.outs or {})
    assert secret.startswith("VENICE_INFERENCE_KEY_")
    assert result.id != secret and result.id in {k.id for k in client.list_keys()}
    outs = result.outs or {}
    assert outs["last6_chars"] == secret[-6:]
    assert outs["consumption_limit"] == {"usd": 5.0, "diem": 1.5, "vcu": None}
    assert outs["limit_period"] == "MONTH"
    assert outs["model_privacy"] == "ALL"
    assert outs["created_at"]


def test_create_takes_the_stored_limits_not_the_create_echo(
    provider: ApiKeyProvider, emulator: EmulatorThread
) -> None:
    emulator.server.faults.update({"wrong_create_echo": True})
    outs = provider.create(checked(provider, consumption_limit={"usd": 9.0})).outs or {}
    assert outs["consumption_limit"]["usd"] == 9.0
    assert outs["description"] == "provider test"


def test_create_revokes_the_key_when_the_follow_up_fails(
    emulator: EmulatorThread, monkeypatch: pytest.MonkeyPatch, provider_env: None
) -> None:
    """A key whose settings could not be applied is revoked and the create fails:
    no state ever holds a key under its creation marker."""
    monkeypatch.setenv("VENICE_MAX_RETRIES", "1")
    provider = ApiKeyProvider()
    inputs = checked(provider)
    emulator.server.faults.update({"fail": [{"status": 503, "count": 2, "method": "PATCH"}]})
    with pytest.raises(ServerError, match="revoked again, so nothing is left behind") as raised:
        provider.create(inputs)
    assert str(raised.value).startswith("Could not create API key: the new key ")
    assert [k.api_key_type for k in emulator.server.backend.all_keys()] == ["ADMIN"]


def test_create_keeps_the_key_when_follow_up_and_revoke_both_fail(
    emulator: EmulatorThread, monkeypatch: pytest.MonkeyPatch, provider_env: None
) -> None:
    monkeypatch.setenv("VENICE_MAX_RETRIES", "1")
    provider = ApiKeyProvider()
    inputs = checked(provider)
    emulator.server.faults.update(
        {
            "fail": [
                {"status": 503, "count": 2, "method": "PATCH"},
                {"status": 503, "count": 2, "method": "DELETE"},
            ]
        }
    )
    with pytest.raises(PartialCreateError) as failed:
        provider.create(inputs)
    error = failed.value
    # The create fails, and says so, but the key is handed to the state, not lost.
    assert "kept in the stack's state" in str(error) and error.key_id in str(error)
    outs = error.outputs
    assert outs["api_key"][-6:] == outs["last6_chars"]
    assert outs["api_key"] not in str(error)
    assert error.key_id in {k.id for k in emulator.server.backend.all_keys()}
    # the key still has its creation marker: the next diff asks to put the description right
    assert provider.diff(error.key_id, outs, inputs).changes is True


def test_read_reports_drift_and_carries_the_secret(
    provider: ApiKeyProvider, client: VeniceClient
) -> None:
    created = provider.create(checked(provider, keepers={"rotation": "1"}))
    client.update_key(UpdateApiKeyRequest(id=created.id, description="changed outside"))
    read = provider.read(created.id, created.outs or {})
    assert read.id == created.id
    outs = read.outs or {}
    assert outs["description"] == "changed outside"
    assert secret_of(outs) == secret_of(created.outs or {})
    assert outs["keepers"] == {"rotation": "1"}
    assert read.inputs is not None and read.inputs["description"] == "changed outside"
    assert "api_key" not in read.inputs
    changes = provider.diff(created.id, outs, checked(provider, keepers={"rotation": "1"}))
    assert changes.changes is True and changes.replaces == []


@pytest.mark.parametrize("how", ["deleted", "expired"])
def test_read_of_a_gone_key_drops_it(
    provider: ApiKeyProvider, client: VeniceClient, emulator: EmulatorThread, how: str
) -> None:
    created = provider.create(checked(provider))
    if how == "deleted":
        client.delete_key(created.id)
    else:
        emulator.server.backend.all_keys()  # the key exists...
        for key in emulator.server.backend.all_keys():
            if key.id == created.id:
                key.expires_at = "2000-01-01T00:00:00.000Z"  # ...and has now expired
    read = provider.read(created.id, created.outs or {})
    assert read.id is None
    assert read.outs == {}


def test_update_patches_in_place_and_keeps_the_secret(
    provider: ApiKeyProvider, client: VeniceClient
) -> None:
    created = provider.create(checked(provider, consumption_limit={"usd": 5.0}))
    olds = created.outs or {}
    news = checked(
        provider,
        description="renamed",
        consumption_limit={"diem": 2.0},
        limit_period="LIFETIME",
        model_privacy="PRIVATE_ONLY",
        expires_at="2099-12-31",
    )
    diff = provider.diff(created.id, olds, news)
    assert diff.changes is True and diff.replaces == []
    updated = provider.update(created.id, olds, news).outs or {}
    assert secret_of(updated) == secret_of(olds)
    record = client.get_key(created.id)
    assert record.description == "renamed"
    assert record.consumption_limits.usd is None  # the whole object was sent
    assert record.consumption_limits.diem == 2.0
    assert record.limit_period == "LIFETIME" and record.model_privacy == "PRIVATE_ONLY"
    # Venice stores the instant; the output keeps the program's form of it, so
    # that a refresh records no difference the program did not make.
    assert record.expires_at == "2099-12-31T00:00:00.000Z"
    assert updated["expires_at"] == "2099-12-31"
    cleared = provider.update(created.id, updated, checked(provider, description="renamed"))
    assert (cleared.outs or {})["expires_at"] is None


def test_diff_replaces_on_type_and_keepers(provider: ApiKeyProvider) -> None:
    created = provider.create(checked(provider))
    olds = created.outs or {}
    assert provider.diff(created.id, olds, checked(provider)).changes is False
    admin = provider.diff(created.id, olds, checked(provider, api_key_type="ADMIN"))
    assert admin.replaces == ["api_key_type"]
    assert admin.delete_before_replace is False
    rotate = provider.diff(created.id, olds, checked(provider, keepers={"n": "2"}))
    assert rotate.replaces == ["keepers"]


def test_delete_revokes_and_tolerates_a_gone_key(
    provider: ApiKeyProvider, client: VeniceClient
) -> None:
    created = provider.create(checked(provider))
    provider.delete(created.id, created.outs or {})
    assert created.id not in {k.id for k in client.list_keys()}
    provider.delete(created.id, created.outs or {})  # already gone: no error


def test_import_adopts_an_existing_key(provider: ApiKeyProvider, client: VeniceClient) -> None:
    existing = client.create_key(
        CreateApiKeyRequest(api_key_type="INFERENCE", description="made by hand")
    )
    inputs = checked(
        provider,
        description="now managed",
        import_id=existing.id,
        import_api_key=existing.api_key,
    )
    result = provider.create(inputs)
    assert result.id == existing.id
    assert secret_of(result.outs or {}) == existing.api_key
    assert client.get_key(existing.id).description == "now managed"
    assert len([k for k in client.list_keys() if k.api_key_type == "INFERENCE"]) == 1


def test_import_without_the_secret(provider: ApiKeyProvider, client: VeniceClient) -> None:
    existing = client.create_key(
        CreateApiKeyRequest(api_key_type="INFERENCE", description="made by hand")
    )
    result = provider.create(checked(provider, description="made by hand", import_id=existing.id))
    assert (result.outs or {})["api_key"] is None
    assert (result.outs or {})["last6_chars"] == existing.api_key[-6:]


@pytest.mark.parametrize(
    ("props", "phrase"),
    [
        ({"import_id": "00000000-0000-0000-0000-000000000000"}, "no active key"),
        ({"api_key_type": "ADMIN"}, "type of a key cannot change"),
        ({"import_api_key": "VENICE_INFERENCE_KEY_notthisone"}, "not this key's secret"),
    ],
)
def test_import_refuses_before_changing_anything(
    provider: ApiKeyProvider, client: VeniceClient, props: dict[str, Any], phrase: str
) -> None:
    existing = client.create_key(
        CreateApiKeyRequest(api_key_type="INFERENCE", description="untouched")
    )
    inputs = checked(provider, **{"import_id": existing.id, "description": "x", **props})
    with pytest.raises(ImportKeyError, match=phrase) as raised:
        provider.create(inputs)
    assert "VENICE_INFERENCE_KEY_notthisone" not in str(raised.value)
    assert client.get_key(existing.id).description == "untouched"


def test_configure_reads_stack_config_over_environment(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorThread, admin_key: str
) -> None:
    monkeypatch.setenv("VENICE_API_KEY", "VENICE_ADMIN_KEY_fromtheenvironment")
    monkeypatch.setenv("VENICE_BASE_URL", "http://127.0.0.1:9/api/v1")
    provider = ApiKeyProvider()
    raw = {"venice:apiKey": admin_key, "venice:baseUrl": emulator.base_url}
    provider.configure(ConfigureRequest(Config(raw, "demo")))
    created = provider.create(checked(provider))
    assert created.id


def test_missing_credential_fails_at_preview_with_one_clear_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VENICE_API_KEY", raising=False)
    provider = ApiKeyProvider()
    provider.configure(ConfigureRequest(Config({}, "demo")))
    inputs = {"api_key_type": "INFERENCE", "description": "d"}
    (failure,) = provider.check({}, inputs).failures
    message = failure.reason
    assert "venice:apiKey" in message and "VENICE_API_KEY" in message
    # the stdin form: a key typed on the command line would stay in shell history
    assert "`pulumi config set --secret venice:apiKey`" in message and "<key>" not in message
    assert message.count(".") == 1
    with pytest.raises(ConfigurationError, match="No Venice admin API key"):
        provider.create(inputs)  # a direct caller that skipped check is told the same
    # an admin_api_key input (known, or still unknown at preview) is a credential
    assert provider.check({}, {**inputs, "admin_api_key": UNKNOWN}).failures == []


def test_unknown_venice_settings_are_named_with_the_likely_one() -> None:
    warnings = unknown_settings(["venice:apikey", "venice:baseUrl", "venice:basURL", "aws:x"])
    assert warnings == [
        "venice:apikey is not a setting of pulumi-venice and is ignored (did you mean "
        "venice:apiKey? the settings are venice:apiKey, venice:baseUrl, "
        "venice:requestTimeout, venice:maxRetries, venice:operationTimeout, "
        "venice:rateLimitTimeout)",
        "venice:basURL is not a setting of pulumi-venice and is ignored (did you mean "
        "venice:baseUrl? the settings are venice:apiKey, venice:baseUrl, "
        "venice:requestTimeout, venice:maxRetries, venice:operationTimeout, "
        "venice:rateLimitTimeout)",
    ]


def test_wrong_credential_names_config_and_environment(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorThread
) -> None:
    monkeypatch.setenv("VENICE_API_KEY", "VENICE_ADMIN_KEY_notarealkeyatall")
    monkeypatch.setenv("VENICE_BASE_URL", emulator.base_url)
    provider = ApiKeyProvider()
    with pytest.raises(AuthenticationError) as raised:
        provider.create(checked(provider))
    assert "venice:apiKey" in str(raised.value) and "VENICE_API_KEY" in str(raised.value)
    assert "notarealkeyatall" not in str(raised.value)


def test_provider_is_thread_safe(provider: ApiKeyProvider, client: VeniceClient) -> None:
    """Four threads at once, as Pulumi's dynamic-provider server calls it."""
    barrier = threading.Barrier(4)

    def lifecycle(n: int) -> str:
        barrier.wait()
        created = provider.create(checked(provider, description=f"thread {n}"))
        outs = created.outs or {}
        updated = provider.update(created.id, outs, checked(provider, description=f"t{n}!"))
        assert secret_of(updated.outs or {}) == secret_of(outs)
        provider.read(created.id, updated.outs or {})
        return created.id

    run: Callable[[int], str] = lifecycle
    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(run, range(12)))
    assert len(set(ids)) == 12
    descriptions = {k.id: k.description for k in client.list_keys()}
    assert all(descriptions[i] == f"t{n}!" for n, i in enumerate(ids))


def test_unknowns_as_the_dynamic_provider_server_gives_them_pass_check() -> None:
    """The server turns the engine's unknown marker into ``pulumi.output.Unknown``;
    the front door gives it to the core as UNKNOWN: an input from another
    resource's output at preview is not a wrong type."""
    from pulumi.output import Unknown

    from pulumi_venice.settings.fields import UNKNOWN

    unknown = Unknown()  # type: ignore[no-untyped-call]
    news = {"api_key_type": "INFERENCE", "description": unknown, "admin_api_key": unknown}
    provider = ApiKeyProvider()
    result = provider.check({}, news)
    assert result.failures == []
    assert result.inputs["description"] == UNKNOWN
    diff = provider.diff("id", {"api_key_type": "INFERENCE", "description": "old"}, news)
    assert diff.changes is True
