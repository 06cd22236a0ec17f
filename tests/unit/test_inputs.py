"""check and diff of ApiKey inputs: pure functions, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pulumi_venice.settings.checking import changed_fields, check_inputs
from pulumi_venice.settings.fields import UNKNOWN

FUTURE = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")


def good(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"api_key_type": "INFERENCE", "description": "ci key"}
    props.update(overrides)
    return props


def failures_of(props: dict[str, Any]) -> dict[str, str]:
    _, failures = check_inputs(props)
    return dict(failures)


def test_check_fills_defaults_and_normalizes() -> None:
    inputs, failures = check_inputs(good(consumption_limit={"usd": 5.0}))
    assert failures == []
    assert inputs == {
        "api_key_type": "INFERENCE",
        "description": "ci key",
        "expires_at": None,
        "consumption_limit": {"usd": 5.0, "diem": None, "vcu": None},
        "limit_period": "EPOCH",
        "model_privacy": "ALL",
        "keepers": {},
    }


def test_check_ignores_declared_outputs_and_provider_key() -> None:
    props = good(api_key=None, last6_chars=None, created_at=None, __provider="x")
    inputs, failures = check_inputs(props)
    assert failures == []
    assert "api_key" not in inputs and "__provider" not in inputs


@pytest.mark.parametrize(
    ("props", "field", "phrase"),
    [
        ({"description": "d"}, "api_key_type", "is required"),
        (good(api_key_type="inference"), "api_key_type", "'INFERENCE' or 'ADMIN'"),
        (good(description=""), "description", "must not be empty"),
        (good(description="x" * 65), "description", "at most 64"),
        (good(description="🔑" * 33), "description", "66 characters"),
        (good(description="two\nlines"), "description", "control characters"),
        (good(description=7.0), "description", "must be a string"),
        (good(limit_period="WEEK"), "limit_period", "'EPOCH', 'MONTH' or 'LIFETIME'"),
        (good(model_privacy="NONE"), "model_privacy", "'ALL', 'PRIVATE_TEXT' or 'PRIVATE_ONLY'"),
        (good(consumption_limit={"usd": -1.0}), "consumption_limit", "from 0 to 9999999999"),
        (good(consumption_limit={"usd": 1e11}), "consumption_limit", "from 0 to 9999999999"),
        (good(consumption_limit={"usd": "5"}), "consumption_limit", "must be a number"),
        (good(consumption_limit={"usd": True}), "consumption_limit", "must be a number"),
        (good(consumption_limit={"eur": 1.0}), "consumption_limit", "usd, diem, vcu"),
        (good(consumption_limit=5.0), "consumption_limit", "must be a map"),
        (good(expires_at="2020-01-01"), "expires_at", "2020-01-01 has passed"),
        (good(expires_at="next tuesday"), "expires_at", "ISO 8601"),
        (good(expires_at="2030-01-01T00:00:00"), "expires_at", "time zone"),
        (good(keepers={"rotation": [1.0]}), "keepers", "must be a string"),
        (good(colour="blue"), "colour", "not a known input"),
        (good(api_key="VENICE_INFERENCE_KEY_x"), "api_key", "is an output"),
        (good(import_id=""), "import_id", "Venice key id"),
    ],
)
def test_check_names_the_field_and_what_is_allowed(
    props: dict[str, Any], field: str, phrase: str
) -> None:
    failures = failures_of(props)
    assert field in failures, failures
    assert phrase in failures[field]
    assert failures[field].startswith(field)


def test_check_gives_one_failure_per_field() -> None:
    _, failures = check_inputs(good(consumption_limit={"usd": -1.0, "diem": -2.0, "x": 1.0}))
    assert [field for field, _ in failures] == ["consumption_limit"]
    reason = failures[0][1]
    assert "consumption_limit.usd" in reason and "consumption_limit.diem" in reason
    assert "consumption_limit.x" in reason


def test_check_never_echoes_a_secret_input() -> None:
    secret = "VENICE_INFERENCE_KEY_doNotShowMe123"
    failures = failures_of(good(import_api_key={"not": secret}))
    assert "import_api_key" in failures
    assert secret not in failures["import_api_key"]


def test_check_passes_unknowns_through_and_checks_the_rest() -> None:
    inputs, failures = check_inputs(
        {"api_key_type": UNKNOWN, "description": UNKNOWN, "limit_period": "WEEK"}
    )
    assert [field for field, _ in failures] == ["limit_period"]
    inputs, failures = check_inputs({"api_key_type": UNKNOWN, "description": "d"})
    assert failures == []
    assert inputs["api_key_type"] == UNKNOWN
    assert inputs["model_privacy"] == "ALL"


def test_check_normalizes_timestamps_to_utc() -> None:
    inputs, failures = check_inputs(good(expires_at="2030-01-01T02:00:00+02:00"))
    assert failures == []
    assert inputs["expires_at"] == "2030-01-01T00:00:00.000Z"
    inputs, _ = check_inputs(good(expires_at=FUTURE))
    assert inputs["expires_at"] == FUTURE
    inputs, _ = check_inputs(good(expires_at=""))
    assert inputs["expires_at"] is None


def stored(**overrides: Any) -> dict[str, Any]:
    """Outputs as state holds them after create."""
    outs, _ = check_inputs(good())
    outs.update(api_key="secret", last6_chars="abcdef", created_at="2026-01-01T00:00:00.000Z")
    outs.update(overrides)
    return outs


def test_diff_no_change_when_equal() -> None:
    news, _ = check_inputs(good())
    assert changed_fields(stored(), news) == ([], [])


@pytest.mark.parametrize("field", ["api_key_type", "keepers"])
def test_diff_replaces_on_type_or_keepers(field: str) -> None:
    news, _ = check_inputs(good(api_key_type="ADMIN", keepers={"rotate": "2"}))
    changed, replaces = changed_fields(stored(), news)
    assert field in changed and field in replaces


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", "renamed"),
        ("expires_at", FUTURE),
        ("consumption_limit", {"usd": 1.0}),
        ("limit_period", "MONTH"),
        ("model_privacy", "PRIVATE_ONLY"),
    ],
)
def test_diff_updates_in_place(field: str, value: Any) -> None:
    news, _ = check_inputs(good(**{field: value}))
    changed, replaces = changed_fields(stored(), news)
    assert changed == [field]
    assert replaces == []


def test_diff_compares_expiry_instants_and_limit_numbers() -> None:
    news, _ = check_inputs(good(expires_at=FUTURE, consumption_limit={"usd": 5.0}))
    olds = stored(expires_at=FUTURE + "T00:00:00.000Z", consumption_limit={"usd": 5})
    assert changed_fields(olds, news) == ([], [])


def test_diff_counts_an_unknown_as_a_change() -> None:
    news, _ = check_inputs({"api_key_type": UNKNOWN, "description": UNKNOWN})
    changed, replaces = changed_fields(stored(), news)
    assert set(changed) == {"api_key_type", "description"}
    assert replaces == ["api_key_type"]


def test_diff_ignores_create_only_inputs() -> None:
    news, _ = check_inputs(good(import_id="abc", import_api_key="VENICE_INFERENCE_KEY_x"))
    assert changed_fields(stored(), news) == ([], [])


def test_keepers_given_as_numbers_or_booleans_count_as_their_text() -> None:
    # Pulumi YAML and typed stack config hand `generation: 2` over as a number.
    given = {"a": 2.0, "b": 2.5, "c": True, "d": "x"}
    inputs, failures = check_inputs(
        {"api_key_type": "INFERENCE", "description": "d", "keepers": given}
    )
    assert failures == []
    assert inputs["keepers"] == {"a": "2", "b": "2.5", "c": "true", "d": "x"}
    stored = {**inputs, "keepers": {"a": "2", "b": "2.5", "c": "true", "d": "x"}}
    assert changed_fields(stored, inputs) == ([], [])
    _, failures = check_inputs(
        {"api_key_type": "INFERENCE", "description": "d", "keepers": {"a": [1]}}
    )
    assert failures == [("keepers", "keepers.a must be a string (got [1])")]


def test_the_requests_carry_every_setting_venice_takes() -> None:
    """create_request and update_request take each field their wire model and
    the settings share, by name: a new Venice setting needs no mapper edit."""
    from pulumi_venice.keys.records import create_request, update_request
    from pulumi_venice.settings.inputs import KeySettings

    inputs, failures = check_inputs(
        {
            "api_key_type": "ADMIN",
            "description": "mapped",
            "consumption_limit": {"usd": 5, "diem": 1},
            "limit_period": "MONTH",
            "model_privacy": "PRIVATE_ONLY",
            "keepers": {"generation": "1"},
        }
    )
    assert failures == []
    settings = KeySettings.model_validate(inputs)
    shared = {
        "consumptionLimit": {"usd": 5.0, "diem": 1.0, "vcu": None},
        "limitPeriod": "MONTH",
        "modelPrivacy": "PRIVATE_ONLY",
    }
    expiry = "2030-01-01T00:00:00.000Z"
    assert create_request(settings, "marker", expiry).to_wire() == {
        "apiKeyType": "ADMIN",
        "description": "marker",
        "expiresAt": expiry,
        **shared,
    }
    assert update_request("key-1", settings, None).to_wire() == {
        "id": "key-1",
        "description": "mapped",
        "expiresAt": None,
        **shared,
    }
