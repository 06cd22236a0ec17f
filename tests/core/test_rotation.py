"""Rotation rules (age, renewal window, expiry, grace, destroy during grace),
driven as Pulumi's server drives the provider, against the emulator, with
the provider's and the emulator's clocks moved ahead together."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from pytest_mock import MockerFixture

from pulumi_venice import ApiKeyProvider, VeniceClient
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.settings.checking import check_inputs
from pulumi_venice.settings.fields import UNKNOWN
from pulumi_venice.settings.times import CLOCK_OFFSET_ENV, now, parse_duration, parse_expiry
from pulumi_venice.venice.errors import ServerError
from pulumi_venice.venice.models import UpdateApiKeyRequest

from ..support.keys import key_works

Jump = Callable[[str], None]


@pytest.fixture
def jump(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorThread) -> Jump:
    """Move both clocks (the provider's test aid and the emulator's) to ``offset`` ahead."""

    def to(offset: str) -> None:
        monkeypatch.setenv(CLOCK_OFFSET_ENV, offset)
        emulator.server.backend.set_clock_offset(parse_duration(offset))

    return to


def create(provider: ApiKeyProvider, **props: Any) -> tuple[str, dict[str, Any]]:
    news = {"api_key_type": "INFERENCE", "description": "rotating", **props}
    inputs, failures = check_inputs(news)
    assert failures == []
    result = provider.create(inputs)
    assert result.id is not None and result.outs is not None
    return result.id, {**inputs, **result.outs}


def inputs_of(**props: Any) -> dict[str, Any]:
    inputs, failures = check_inputs(
        {"api_key_type": "INFERENCE", "description": "rotating", **props}
    )
    assert failures == []
    return inputs


def replace(
    provider: ApiKeyProvider, old_id: str, olds: dict[str, Any], news: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """What the engine does for a replacement: diff, create the new key, delete the old."""
    diff = provider.diff(old_id, olds, news)
    assert diff.replaces, "the key should be due for replacement"
    assert diff.delete_before_replace is False  # the new key first
    result = provider.create(news)
    assert result.id is not None and result.outs is not None
    provider.delete(old_id, olds)
    return result.id, {**news, **result.outs}


def secret(props: dict[str, Any]) -> str:
    from pulumi.runtime.rpc import unwrap_rpc_secret

    value = unwrap_rpc_secret(props["api_key"])
    assert isinstance(value, str)
    return value


def works(emulator: EmulatorThread, key_secret: str) -> bool:
    return key_works(emulator.base_url, key_secret)


# -- check --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("30d", "30d"),
        ("12H", "12h"),
        (30, "30d"),
        ("30", "30d"),  # stack config gives strings
        (1.5, "1.5d"),
        ("1d12h", "1d12h"),
        ("2w", "2w"),
    ],
)
def test_durations_are_normalized(given: object, stored: str) -> None:
    assert inputs_of(rotate_after=given)["rotate_after"] == stored


@pytest.mark.parametrize(
    ("props", "field", "phrase"),
    [
        ({"rotate_after": "soon"}, "rotate_after", "must be a duration such as 30d"),
        ({"rotate_after": "30s"}, "rotate_after", "at least 1m"),
        ({"retire_grace": -1}, "retire_grace", "must be a duration"),
        ({"retire_grace": True}, "retire_grace", "must be a duration"),
        ({"renew_before": "7d"}, "renew_before", "needs expires_after"),
        (
            {"renew_before": "90d", "expires_after": "30d"},
            "renew_before",
            "must be shorter than expires_after",
        ),
        (
            {"expires_after": "30d", "expires_at": "2099-01-01"},
            "expires_after",
            "cannot both be set",
        ),
    ],
)
def test_bad_rotation_inputs_are_refused_at_check(
    props: dict[str, Any], field: str, phrase: str
) -> None:
    _, failures = check_inputs({"api_key_type": "INFERENCE", "description": "x", **props})
    assert [name for name, _ in failures] == [field]
    assert phrase in failures[0][1]


def test_the_clock_offset_moves_the_provider_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CLOCK_OFFSET_ENV, "10d")
    assert now() - now({}) > timedelta(days=9, hours=23)


# -- the rules ------------------------------------------------------------------


def test_a_key_older_than_rotate_after_is_replaced(provider: ApiKeyProvider, jump: Jump) -> None:
    key_id, olds = create(provider, rotate_after="30d")
    news = inputs_of(rotate_after="30d")
    assert provider.diff(key_id, olds, news).replaces == []
    jump("29d")
    assert provider.diff(key_id, olds, news).replaces == []
    jump("31d")
    diff = provider.diff(key_id, olds, news)
    assert diff.replaces == ["rotate_after"] and diff.changes


def test_a_key_close_to_its_expiry_is_renewed(provider: ApiKeyProvider, jump: Jump) -> None:
    key_id, olds = create(provider, expires_after="90d", renew_before="7d")
    expiry = parse_expiry(olds["expires_at"])
    assert abs(expiry - (now() + timedelta(days=90))) < timedelta(minutes=1)
    news = inputs_of(expires_after="90d", renew_before="7d")
    jump("82d")
    assert provider.diff(key_id, olds, news).replaces == []
    jump("84d")
    assert provider.diff(key_id, olds, news).replaces == ["renew_before"]
    _new_id, new = replace(provider, key_id, olds, news)
    assert parse_expiry(new["expires_at"]) - parse_expiry(olds["expires_at"]) > timedelta(days=80)


def test_an_expired_key_is_replaced_by_up(
    provider: ApiKeyProvider, jump: Jump, emulator: EmulatorThread
) -> None:
    key_id, olds = create(provider, expires_after="10d")
    news = inputs_of(expires_after="10d")
    jump("11d")  # Venice has deleted it
    assert provider.diff(key_id, olds, news).replaces == ["expires_at"]
    new_id, new = replace(provider, key_id, olds, news)  # the old key's delete: already gone
    assert new_id != key_id and works(emulator, secret(new))


def test_without_grace_the_old_key_is_revoked_at_once(
    provider: ApiKeyProvider, jump: Jump, emulator: EmulatorThread
) -> None:
    key_id, olds = create(provider, rotate_after="30d")
    jump("31d")
    _new_id, new = replace(provider, key_id, olds, inputs_of(rotate_after="30d"))
    assert not works(emulator, secret(olds))
    assert works(emulator, secret(new))
    assert new["retiring_key_ids"] == []  # revoked at once: no key is in its grace


def test_with_grace_the_old_key_lives_until_the_grace_ends(
    provider: ApiKeyProvider, jump: Jump, emulator: EmulatorThread, client: VeniceClient
) -> None:
    props = {"rotate_after": "30d", "retire_grace": "2d"}
    key_id, olds = create(provider, **props)
    jump("31d")
    _new_id, new = replace(provider, key_id, olds, inputs_of(**props))
    assert works(emulator, secret(olds)) and works(emulator, secret(new))
    old_expiry = parse_expiry(client.get_key(key_id).expires_at or "")
    assert abs(old_expiry - (now() + timedelta(days=2))) < timedelta(minutes=1)
    jump("32d")
    assert works(emulator, secret(olds))
    jump("33d1m")
    assert not works(emulator, secret(olds))  # the grace is over: Venice let it expire
    assert works(emulator, secret(new))


def test_destroy_during_grace_revokes_both_keys(
    provider: ApiKeyProvider, jump: Jump, emulator: EmulatorThread
) -> None:
    props = {"rotate_after": "30d", "retire_grace": "7d"}
    key_id, olds = create(provider, **props)
    jump("31d")
    new_id, new = replace(provider, key_id, olds, inputs_of(**props))
    assert works(emulator, secret(olds))
    provider.delete(new_id, new)  # `pulumi destroy`: no diff announced a replacement
    assert not works(emulator, secret(new))
    assert not works(emulator, secret(olds))


def test_a_delete_retried_by_a_later_up_still_leaves_the_grace(
    provider: ApiKeyProvider, jump: Jump, emulator: EmulatorThread, client: VeniceClient
) -> None:
    """The engine deletes the replaced key last; if that delete fails, the next
    `pulumi up` (a new provider process) retries it with nothing but the old
    key's state. It must still leave the key its grace, not revoke it."""
    props = {"rotate_after": "30d", "retire_grace": "2d"}
    key_id, olds = create(provider, **props)
    jump("31d")
    news = inputs_of(**props)
    assert provider.diff(key_id, olds, news).replaces
    created = provider.create(news)
    # ... the delete fails here (the run is cut short); a new process retries it:
    ApiKeyProvider().delete(key_id, olds)
    assert works(emulator, secret(olds)) and works(emulator, secret(created.outs or {}))
    old = client.get_key(key_id)
    assert abs(parse_expiry(old.expires_at or "") - (now() + timedelta(days=2))) < timedelta(
        minutes=1
    )
    assert old.description == "rotating (retiring)"
    jump("33d1m")
    assert not works(emulator, secret(olds))


def test_destroy_revokes_a_key_with_a_grace_policy_at_once(
    provider: ApiKeyProvider, emulator: EmulatorThread
) -> None:
    """`pulumi destroy` (no replacement): the policy does not keep the key alive."""
    key_id, olds = create(provider, rotate_after="30d", retire_grace="2d")
    ApiKeyProvider().delete(key_id, olds)
    assert not works(emulator, secret(olds))


def test_two_keys_with_the_same_inputs_each_retire_their_own(
    provider: ApiKeyProvider, jump: Jump, client: VeniceClient
) -> None:
    """Replaced in one `up` with identical inputs, each new key names (and
    retires) the key it replaced, whatever order the engine creates them in."""
    props = {"rotate_after": "30d", "retire_grace": "2d"}
    olds = {name: create(provider, **props) for name in ("first", "second")}
    jump("31d")
    news = {name: {**inputs_of(**props), "__identity": name} for name in olds}
    for name, (key_id, old) in olds.items():
        assert provider.diff(key_id, old, news[name]).replaces
    made = {name: provider.create(news[name]) for name in ("second", "first")}
    for name, result in made.items():
        assert (result.outs or {})["retiring_key_ids"] == [olds[name][0]]
    for key_id, old in olds.values():
        provider.delete(key_id, old)
        assert client.get_key(key_id).description == "rotating (retiring)"


def test_a_retirement_venice_refuses_undoes_the_new_key(
    provider: ApiKeyProvider,
    jump: Jump,
    emulator: EmulatorThread,
    client: VeniceClient,
    mocker: MockerFixture,
) -> None:
    """Create retires the old key as soon as the new one exists; if Venice
    refuses that, the new key is revoked again and nothing has changed."""
    props = {"rotate_after": "30d", "retire_grace": "2d"}
    key_id, olds = create(provider, **props)
    jump("31d")
    news = inputs_of(**props)
    assert provider.diff(key_id, olds, news).replaces
    real_update = VeniceClient.update_key

    def refuse_the_old_key(self: VeniceClient, request: UpdateApiKeyRequest) -> Any:
        if request.id == key_id:
            raise ServerError("update API key", "Venice answered 500", status=500)
        return real_update(self, request)

    before = {k.id for k in client.list_keys()}
    mocker.patch.object(VeniceClient, "update_key", refuse_the_old_key)
    with pytest.raises(ServerError, match=f"Could not replace API key {key_id}") as raised:
        provider.create(news)
    mocker.stopall()
    assert "was revoked again and the old key is unchanged" in str(raised.value)
    assert {k.id for k in client.list_keys()} == before  # the new key is gone again
    assert client.get_key(key_id).expires_at == olds.get("expires_at")
    assert works(emulator, secret(olds))


def test_grace_never_extends_a_key_past_its_own_expiry(
    provider: ApiKeyProvider, jump: Jump, client: VeniceClient
) -> None:
    props = {"expires_after": "40d", "rotate_after": "30d", "retire_grace": "30d"}
    key_id, olds = create(provider, **props)
    jump("31d")
    replace(provider, key_id, olds, inputs_of(**props))
    assert client.get_key(key_id).expires_at == olds["expires_at"]


def test_changing_the_policy_updates_in_place(provider: ApiKeyProvider) -> None:
    key_id, olds = create(provider, rotate_after="30d")
    news = inputs_of(rotate_after="60d", retire_grace="1d")
    diff = provider.diff(key_id, olds, news)
    assert diff.changes and diff.replaces == []
    outs = provider.update(key_id, olds, news).outs or {}
    assert outs["rotate_after"] == "60d" and outs["retire_grace"] == "1d"
    assert provider.diff(key_id, {**news, **outs}, news).changes is False


def test_a_refresh_keeps_the_policy_and_the_retiring_key(
    provider: ApiKeyProvider, jump: Jump
) -> None:
    props = {"rotate_after": "30d", "retire_grace": "1d"}
    key_id, olds = create(provider, **props)
    jump("31d")
    new_id, new = replace(provider, key_id, olds, inputs_of(**props))
    read = provider.read(new_id, new)
    assert (read.outs or {})["retiring_key_ids"] == [key_id]
    assert (read.outs or {})["rotate_after"] == "30d"
    assert "retiring_key_ids" not in (read.inputs or {})


def test_an_unknown_policy_at_preview_does_not_break_diff(provider: ApiKeyProvider) -> None:
    key_id, olds = create(provider, rotate_after="30d")
    diff = provider.diff(key_id, olds, {**inputs_of(), "rotate_after": UNKNOWN})
    assert diff.changes and diff.replaces == []


def test_an_imported_key_gets_its_expiry_from_expires_after(
    provider: ApiKeyProvider, client: VeniceClient, emulator: EmulatorThread
) -> None:
    from pulumi_venice.venice.models import CreateApiKeyRequest

    existing = client.create_key(CreateApiKeyRequest(api_key_type="INFERENCE", description="old"))
    emulator.server.journal.clear()
    key_id, outs = create(provider, import_id=existing.id, expires_after="90d")
    assert key_id == existing.id
    stored = client.get_key(existing.id)
    created = parse_expiry(stored.created_at or "")
    assert parse_expiry(stored.expires_at or "") - created == timedelta(days=90)
    assert outs["expires_at"] == stored.expires_at
    methods = [method for method, _, _ in emulator.server.journal]
    assert methods[:2] == ["GET", "PATCH"] and "POST" not in methods


def test_an_update_keeps_the_expiry_set_at_creation(provider: ApiKeyProvider) -> None:
    key_id, olds = create(provider, expires_after="90d")
    news = inputs_of(expires_after="90d", description="renamed")
    outs = provider.update(key_id, olds, news).outs or {}
    moved = parse_expiry(outs["expires_at"]) - parse_expiry(olds["expires_at"])
    assert abs(moved) < timedelta(seconds=5)


def test_importing_a_key_older_than_expires_after_is_refused_plainly(
    provider: ApiKeyProvider, client: VeniceClient, jump: Jump
) -> None:
    from pulumi_venice.venice.errors import ImportKeyError
    from pulumi_venice.venice.models import CreateApiKeyRequest

    existing = client.create_key(CreateApiKeyRequest(api_key_type="INFERENCE", description="old"))
    jump("40d")
    inputs, failures = check_inputs(
        {
            "api_key_type": "INFERENCE",
            "description": "x",
            "import_id": existing.id,
            "expires_after": "30d",
        }
    )
    assert failures == []
    with pytest.raises(ImportKeyError, match="expires_after=30d would have expired it"):
        provider.create(inputs)
    assert client.get_key(existing.id).expires_at is None  # nothing was changed
