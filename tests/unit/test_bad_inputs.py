"""A catalogue of bad inputs: each fails at preview (check) with the field
named, with no HTTP call and nothing created; and property-based tests
(hypothesis) of validation and diff."""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.dynamic import CheckFailure

from pulumi_venice import ApiKeyProvider, Web3ApiKeyProvider
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.settings.checking import changed_fields, check_inputs
from pulumi_venice.settings.inputs import SECRET_INPUTS
from pulumi_venice.settings.wallet import ENV_WALLET_PRIVATE_KEY
from pulumi_venice.venice.models import utf16_length

PRIVATE_KEY = "0x" + "1f" * 32
ADDRESS = Account.from_key(PRIVATE_KEY).address
OTHER_ADDRESS = Account.from_key("0x" + "2e" * 32).address
HUGE = "x" * 100_000

CATALOGUE: list[tuple[str, dict[str, Any], str]] = [
    # (what, inputs over a valid base, the field that must be named)
    ("type missing", {"api_key_type": None}, "api_key_type"),
    ("type lowercase", {"api_key_type": "admin"}, "api_key_type"),
    ("type unknown", {"api_key_type": "SUPERUSER"}, "api_key_type"),
    ("type a number", {"api_key_type": 1.0}, "api_key_type"),
    ("type non-ASCII", {"api_key_type": "INFÉRENCE"}, "api_key_type"),
    ("description missing", {"description": None}, "description"),
    ("description empty", {"description": ""}, "description"),
    ("description blank", {"description": "   "}, "description"),
    ("description 65 chars", {"description": "d" * 65}, "description"),
    ("description 100k chars", {"description": HUGE}, "description"),
    ("description 33 emoji", {"description": "🔐" * 33}, "description"),
    ("description newline", {"description": "a\nb"}, "description"),
    ("description NUL", {"description": "a\x00b"}, "description"),
    ("description a list", {"description": ["a"]}, "description"),
    ("limit negative", {"consumption_limit": {"usd": -0.01}}, "consumption_limit"),
    ("limit too large", {"consumption_limit": {"diem": 1e10 + 1}}, "consumption_limit"),
    ("limit a string", {"consumption_limit": {"usd": "ten"}}, "consumption_limit"),
    ("limit numeric string", {"consumption_limit": {"usd": "10"}}, "consumption_limit"),
    ("limit a boolean", {"consumption_limit": {"vcu": True}}, "consumption_limit"),
    ("limit infinite", {"consumption_limit": {"usd": float("inf")}}, "consumption_limit"),
    ("limit NaN", {"consumption_limit": {"usd": float("nan")}}, "consumption_limit"),
    ("limit unknown currency", {"consumption_limit": {"eur": 5.0}}, "consumption_limit"),
    ("limit not a map", {"consumption_limit": [5.0]}, "consumption_limit"),
    ("period unknown", {"limit_period": "WEEK"}, "limit_period"),
    ("period with a zero-width space", {"limit_period": "MONTH\u200b"}, "limit_period"),
    ("privacy unknown", {"model_privacy": "PUBLIC"}, "model_privacy"),
    ("expiry in the past", {"expires_at": "2001-01-01"}, "expires_at"),
    (
        "expiry a second ago",
        {"expires_at": (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")},
        "expires_at",
    ),
    ("expiry malformed", {"expires_at": "31/12/2030"}, "expires_at"),
    ("expiry impossible date", {"expires_at": "2030-02-30"}, "expires_at"),
    ("expiry without zone", {"expires_at": "2030-01-01T00:00:00"}, "expires_at"),
    ("expiry a number", {"expires_at": 1893456000.0}, "expires_at"),
    ("keepers not strings", {"keepers": {"n": [1.0]}}, "keepers"),
    ("keepers not a map", {"keepers": "rotate"}, "keepers"),
    ("unknown field", {"ip_allowlist": ["10.0.0.0/8"]}, "ip_allowlist"),
    ("camelCase field", {"apiKeyType": "ADMIN"}, "apiKeyType"),
    ("an output set", {"last6_chars": "abcdef"}, "last6_chars"),
    ("import id empty", {"import_id": ""}, "import_id"),
]

WEB3_CATALOGUE: list[tuple[str, dict[str, Any], str]] = [
    ("private key short", {"wallet_private_key": "0x1234"}, "wallet_private_key"),
    ("private key not hex", {"wallet_private_key": "0x" + "zz" * 32}, "wallet_private_key"),
    ("private key zero", {"wallet_private_key": "0x" + "00" * 32}, "wallet_private_key"),
    ("private key huge", {"wallet_private_key": HUGE}, "wallet_private_key"),
    ("address malformed", {"address": "0xnothex"}, "address"),
    ("address ENS name", {"address": "agent.eth"}, "address"),
    ("address bad checksum", {"address": ADDRESS[:2] + ADDRESS[2:].swapcase()}, "address"),
    ("address of another wallet", {"address": OTHER_ADDRESS}, "address"),
    ("import not supported", {"import_id": "abc"}, "import_id"),
]


def base(**overrides: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"api_key_type": "INFERENCE", "description": "catalogue"}
    props.update(overrides)
    return {k: v for k, v in props.items() if v is not None}


def test_the_catalogue_is_large_enough() -> None:
    assert len(CATALOGUE) + len(WEB3_CATALOGUE) >= 30


def by_field(failures: list[CheckFailure]) -> dict[str, str]:
    """Each failure under the input it is about: its property or, for a secret
    input (whose failure names no property, so that the engine never prints
    its value), the input its reason starts with."""
    named: dict[str, str] = {}
    for failure in failures:
        field = failure.property
        if not field:
            first = failure.reason.split()[0]
            field = "wallet_private_key" if first == ENV_WALLET_PRIVATE_KEY else first
            assert field in SECRET_INPUTS, failure.reason
        assert field not in SECRET_INPUTS or not failure.property, "a secret input was named"
        named[field] = failure.reason
    return named


@pytest.mark.parametrize(("what", "props", "field"), CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_api_key_input_fails_at_preview_without_a_call(
    provider: ApiKeyProvider,
    emulator: EmulatorThread,
    what: str,
    props: dict[str, Any],
    field: str,
) -> None:
    result = provider.check({}, base(**props))
    named = by_field(result.failures)
    assert field in named, (what, named)
    assert field in named[field]
    assert len(named[field]) < 400  # one clear message, even for a 100 000-character value
    assert emulator.server.api_requests == 0


@pytest.mark.parametrize(
    ("what", "props", "field"), WEB3_CATALOGUE, ids=[c[0] for c in WEB3_CATALOGUE]
)
def test_bad_web3_input_fails_at_preview_without_a_call(
    provider_env: None, emulator: EmulatorThread, what: str, props: dict[str, Any], field: str
) -> None:
    provider = Web3ApiKeyProvider()
    result = provider.check({}, base(**{"wallet_private_key": PRIVATE_KEY, **props}))
    named = by_field(result.failures)
    assert field in named, (what, named)
    assert PRIVATE_KEY[2:] not in named[field]
    assert emulator.server.api_requests == 0


# -- properties -------------------------------------------------------------

limits = st.one_of(st.none(), st.floats(min_value=0, max_value=9_999_999_999))
valid_inputs = st.fixed_dictionaries(
    {
        "api_key_type": st.sampled_from(["INFERENCE", "ADMIN"]),
        "description": st.text(
            alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=32
        ).filter(lambda d: d.strip() != ""),
    },
    optional={
        "consumption_limit": st.fixed_dictionaries(
            {}, optional={"usd": limits, "diem": limits, "vcu": limits}
        ),
        "limit_period": st.sampled_from(["EPOCH", "MONTH", "LIFETIME"]),
        "model_privacy": st.sampled_from(["ALL", "PRIVATE_TEXT", "PRIVATE_ONLY"]),
        "keepers": st.dictionaries(st.text(string.ascii_letters, min_size=1), st.text()),
        "expires_at": st.dates(min_value=datetime.now(UTC).date() + timedelta(days=2)).map(
            lambda d: d.isoformat()
        ),
    },
)


@settings(max_examples=200, deadline=None)
@given(valid_inputs)
def test_valid_inputs_pass_and_checking_twice_changes_nothing(props: dict[str, Any]) -> None:
    inputs, failures = check_inputs(props)
    assert failures == []
    again, failures = check_inputs(inputs)
    assert failures == [] and again == inputs
    outputs = {**inputs, "api_key": "secret", "last6_chars": "abcdef"}
    assert changed_fields(outputs, inputs) == ([], [])


@settings(max_examples=200, deadline=None)
@given(valid_inputs, valid_inputs)
def test_diff_replaces_exactly_when_type_or_keepers_change(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    olds, _ = check_inputs(first)
    news, _ = check_inputs(second)
    changed, replaces = changed_fields(olds, news)
    expect_replace = {f for f in ("api_key_type", "keepers") if olds[f] != news[f]}
    assert set(replaces) == expect_replace
    assert set(replaces) <= set(changed)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_descriptions_are_judged_as_venice_counts_them(description: str) -> None:
    _, failures = check_inputs(base(description=description))
    bad = (
        description.strip() == ""
        or utf16_length(description) > 64
        or any(ord(c) < 32 or ord(c) == 127 for c in description)
    )
    assert bool(failures) == bad


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "api_key_type",
                "description",
                "expires_at",
                "consumption_limit",
                "limit_period",
                "model_privacy",
                "keepers",
                "import_id",
                "junk",
            ]
        ),
        json_values,
    )
)
def test_any_input_gives_failures_never_an_exception(props: dict[str, Any]) -> None:
    inputs, failures = check_inputs(props)
    assert isinstance(inputs, dict)
    assert all(isinstance(field, str) and reason for field, reason in failures)


def test_a_fresh_wallet_passes() -> None:
    key = "0x" + secrets.token_hex(32)
    result = Web3ApiKeyProvider().check({}, base(wallet_private_key=key))
    assert result.failures == []
