"""Each guardrail policy on its own (pulumi_venice.policy): its violation,
its pass, its config, both doors' spellings, and a value not known yet,
which is never a violation (the engine asks again at ``up``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pulumi_venice.policy import rules, stack
from pulumi_venice.policy.config import (
    AdminKeysConfig,
    BudgetConfig,
    CappedConfig,
    EndsConfig,
    KeyCountConfig,
    PolicyConfig,
    PrivacyConfig,
    parse_config,
)
from pulumi_venice.policy.keys import UNKNOWN_SENTINELS, VeniceKey, venice_key
from pulumi_venice.settings import times

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421"
COMPLIANT: dict[str, Any] = {
    "api_key_type": "INFERENCE",
    "description": "app",
    "consumption_limit": {"usd": 10, "diem": 1},
    "limit_period": "MONTH",
    "model_privacy": "PRIVATE_ONLY",
    "expires_after": "30d",
    "renew_before": "7d",
    "retire_grace": "1d",
    "deliver_to": {"file": {"path": "/run/key"}},
}


def key(name: str = "app", kind: str = "ApiKey", door: str = "dynamic", **props: Any) -> VeniceKey:
    """A key of that door, the compliant one with ``props`` on top (None removes)."""
    values = {k: v for k, v in {**COMPLIANT, **props}.items() if v is not None}
    if door == "plugin":
        type_ = f"venice:index:{kind}"
        values = {_camel(k): _camel_object(v) for k, v in values.items()}
    else:
        type_ = f"pulumi-python:dynamic/venice:{kind}"
    made = venice_key(type_, name, f"urn:pulumi:s::p::{type_}::{name}", values)
    assert made is not None
    return made


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _camel_object(value: Any) -> Any:
    return {_camel(k): v for k, v in value.items()} if isinstance(value, dict) else value


def test_only_venice_keys_are_keys_and_the_plugins_names_read_as_snake_case() -> None:
    assert venice_key("aws:s3/bucket:Bucket", "b", "urn", {}) is None
    plugin = key(door="plugin", consumption_limit={"usd": 3})
    assert plugin.get("consumption_limit") == {"usd": 3}
    assert plugin.spelled("consumption_limit.usd") == "consumptionLimit.usd"
    assert key().spelled("consumption_limit.usd") == "consumption_limit.usd"
    # The user's own map keeps its names.
    assert key(door="plugin", keepers={"myTeam": "x"}).get("keepers") == {"myTeam": "x"}


def test_the_compliant_key_passes_every_key_policy() -> None:
    for door in ("dynamic", "plugin"):
        good = key(door=door)
        assert rules.check_capped(good, CappedConfig()) == []
        assert rules.check_ends(good, EndsConfig()) == []
        assert rules.check_admin_allowed(good, AdminKeysConfig()) == []
        assert rules.check_admin_expires(good, PolicyConfig()) == []
        assert rules.check_delivered(good, PolicyConfig()) == []
        assert rules.check_privacy(good, PrivacyConfig()) == []


@pytest.mark.parametrize("door", ["dynamic", "plugin"])
def test_a_key_with_no_cap_is_named_with_the_field_as_its_program_writes_it(door: str) -> None:
    [message] = rules.check_capped(key(door=door, consumption_limit={}), CappedConfig())
    field = "consumptionLimit" if door == "plugin" else "consumption_limit"
    assert message.startswith(f'ApiKey "app" has no {field}: it can spend without bound')
    assert f"{field}.usd" in message


def test_both_caps_at_zero_is_the_trap_for_an_inference_key_not_for_an_admin_key() -> None:
    zero = {"usd": 0, "diem": 0}
    [message] = rules.check_capped(key(consumption_limit=zero), CappedConfig())
    assert "usd 0 and consumption_limit.diem 0: it can spend nothing" in message
    admin = key(api_key_type="ADMIN", consumption_limit=zero)
    assert rules.check_capped(admin, CappedConfig()) == []


def test_vcu_counts_as_diem_and_one_currency_is_enough_unless_both_are_required() -> None:
    assert rules.check_capped(key(consumption_limit={"vcu": 5}), CappedConfig()) == []
    both = CappedConfig(require_both_currencies=True)
    [message] = rules.check_capped(key(consumption_limit={"usd": 5}), both)
    assert "has no consumption_limit.diem" in message
    assert rules.check_capped(key(consumption_limit={"usd": 5, "vcu": 1}), both) == []


def test_a_cap_above_the_maximum_of_its_period_is_named_with_the_maximum() -> None:
    config = parse_config(CappedConfig, {"maxUsd": {"MONTH": 100}, "maxDiem": {"EPOCH": 2}})
    assert isinstance(config, CappedConfig)
    [message] = rules.check_capped(key(consumption_limit={"usd": 500, "diem": 1}), config)
    assert "consumption_limit.usd 500 per MONTH; this stack allows at most 100 per MONTH" in message
    assert "raise maxUsd.MONTH" in message
    assert rules.check_capped(key(consumption_limit={"usd": 100, "diem": 9}), config) == []
    # Another period's maximum does not apply; no DIEM cap is over a DIEM maximum.
    daily = key(limit_period="EPOCH", consumption_limit={"usd": 500})
    [message] = rules.check_capped(daily, config)
    assert "consumption_limit.diem no cap; this stack allows at most 2 per EPOCH" in message


def test_an_unknown_cap_or_period_is_no_violation() -> None:
    config = CappedConfig(max_usd={"MONTH": 1})
    assert rules.check_capped(key(consumption_limit=UNKNOWN), config) == []
    assert rules.check_capped(key(consumption_limit={"usd": UNKNOWN_NUMBER}), config) == []
    assert rules.check_capped(key(limit_period=UNKNOWN, consumption_limit={"usd": 5}), config) == []


def test_a_key_that_never_ends_is_named_and_one_that_ends_late_too() -> None:
    never = key(expires_after=None, renew_before=None)
    [message] = rules.check_ends(never, EndsConfig())
    assert "never ends: it has no expiry and no rotation" in message
    [message] = rules.check_ends(key(expires_after="200d", renew_before=None), EndsConfig())
    assert "lives too long: expires_after 200d is more than 90 days away" in message
    assert rules.check_ends(key(expires_after="200d", rotate_after="30d"), EndsConfig()) == []
    late = (times.now() + timedelta(days=400)).date().isoformat()
    [message] = rules.check_ends(
        key(door="plugin", expires_after=None, expires_at=late), EndsConfig()
    )
    assert f"expiresAt {late}" in message
    soon = (times.now() + timedelta(days=10)).date().isoformat()
    assert rules.check_ends(key(expires_after=None, expires_at=soon), EndsConfig()) == []


def test_keepers_count_as_a_rotation_unless_the_config_says_not() -> None:
    kept = key(expires_after=None, renew_before=None, keepers={"v": "1"})
    assert rules.check_ends(kept, EndsConfig()) == []
    [message] = rules.check_ends(kept, EndsConfig(accept_keepers=False))
    assert "its keepers do not count: acceptKeepers is false" in message
    assert rules.check_ends(key(expires_after="120d"), EndsConfig(max_days=180)) == []


def test_an_unknown_ending_is_no_violation() -> None:
    assert rules.check_ends(key(expires_after=None, expires_at=UNKNOWN), EndsConfig()) == []


def test_admin_keys_only_on_the_allowlist_and_always_with_an_expiry() -> None:
    admin = key("ops", api_key_type="ADMIN")
    [message] = rules.check_admin_allowed(admin, AdminKeysConfig())
    assert 'ApiKey "ops" is an ADMIN key' in message and "allowed in this stack: none" in message
    assert rules.check_admin_allowed(admin, AdminKeysConfig(allowed_resources=("ops",))) == []
    assert rules.check_admin_expires(admin, PolicyConfig()) == []
    forever = key("ops", door="plugin", api_key_type="ADMIN", expires_after=None)
    [message] = rules.check_admin_expires(forever, PolicyConfig())
    assert "ADMIN key that never expires" in message and "expiresAfter" in message
    assert rules.check_admin_allowed(key(api_key_type=UNKNOWN), AdminKeysConfig()) == []


def test_a_key_without_deliver_to_is_advised_to_use_a_sink() -> None:
    [message] = rules.check_delivered(key(door="plugin", deliver_to=None), PolicyConfig())
    assert "has no deliverTo: its value is kept in the stack's state" in message
    assert rules.check_delivered(key(deliver_to=UNKNOWN), PolicyConfig()) == []


def test_a_wallet_key_the_engine_got_as_plain_text_is_refused_without_showing_it() -> None:
    wallet = "0x" + "ab" * 32
    plain = key(kind="Web3ApiKey", wallet_private_key=wallet)
    [message] = rules.check_wallet_secret(plain, PolicyConfig())
    assert "wallet_private_key that is not a secret" in message
    assert "ab" * 32 not in message
    kept = venice_key(
        "venice:index:Web3ApiKey",
        "w",
        "urn",
        {"walletPrivateKey": wallet},
        frozenset({"walletPrivateKey"}),
    )
    assert kept is not None and rules.check_wallet_secret(kept, PolicyConfig()) == []
    assert rules.check_wallet_secret(key(kind="Web3ApiKey"), PolicyConfig()) == []  # from the env


def test_model_privacy_at_least_the_floor() -> None:
    [message] = rules.check_privacy(key(model_privacy=None), PrivacyConfig())
    assert (
        "model_privacy ALL (unset: the default); this stack asks for at least PRIVATE_TEXT"
        in message
    )
    assert "PRIVATE_TEXT or PRIVATE_ONLY" in message
    assert rules.check_privacy(key(model_privacy="PRIVATE_TEXT"), PrivacyConfig()) == []
    strict = PrivacyConfig(minimum="PRIVATE_ONLY")
    assert rules.check_privacy(key(model_privacy="PRIVATE_TEXT"), strict) != []
    assert rules.check_privacy(key(model_privacy=None), PrivacyConfig(minimum="ALL")) == []


def test_the_stack_holds_at_most_max_keys() -> None:
    keys = [key(f"k{i}") for i in range(3)]
    assert stack.check_key_count(keys, KeyCountConfig(max_keys=3)) == []
    [(where, message)] = stack.check_key_count(keys, KeyCountConfig(max_keys=2))
    assert where is None and "holds 3 Venice keys; it may hold at most 2. Remove 1" in message
    exempt = KeyCountConfig(max_keys=2, exempt_resources=("k0",))
    assert stack.check_key_count(keys, exempt) == []


def test_the_caps_add_up_to_at_most_the_budget_per_currency_and_period() -> None:
    keys = [key(f"k{i}", consumption_limit={"usd": 40, "diem": 1}) for i in range(3)]
    assert stack.check_budget(keys, BudgetConfig(usd={"MONTH": 120})) == []
    [(where, message)] = stack.check_budget(keys, BudgetConfig(usd={"MONTH": 100}))
    assert where is None
    assert "USD caps of this stack's keys with limit period MONTH add up to 120" in message
    assert "the budget is 100. Lower the caps by 20" in message
    assert stack.check_budget(keys, BudgetConfig(usd={"EPOCH": 1})) == []  # another period
    uncapped = [*keys[:1], key("u", consumption_limit={"diem": 1})]
    [(where, message)] = stack.check_budget(uncapped, BudgetConfig(usd={"MONTH": 100}))
    assert where is not None and where.name == "u" and "cannot hold" in message
    unknown = [*keys, key("x", consumption_limit=UNKNOWN)]
    assert stack.check_budget(unknown, BudgetConfig(usd={"MONTH": 120})) == []


def test_a_rotating_key_a_consumer_reads_without_a_grace_is_advised_against() -> None:
    rotating = key("r", rotate_after="30d", renew_before=None, retire_grace=None, deliver_to=None)
    assert stack.check_rotation_grace([rotating], PolicyConfig(), {}) == []  # no reader
    [(where, message)] = stack.check_rotation_grace(
        [rotating], PolicyConfig(), {rotating.urn: ['"app"']}
    )
    assert where is rotating
    assert 'rotates (rotate_after) with no retire_grace, while it is read by "app"' in message
    delivered = key("d", door="plugin", keepers={"v": "1"}, retire_grace=None)
    [(_, message)] = stack.check_rotation_grace([delivered], PolicyConfig(), {})
    assert "read by its deliverTo sink" in message and "keepers" in message
    assert stack.check_rotation_grace([key("g", rotate_after="30d")], PolicyConfig(), {}) == []


def test_the_sentinels_are_pulumis() -> None:
    from pulumi_policy import proxy

    sentinels = {
        v for k, v in vars(proxy).items() if k.startswith("UNKNOWN_") and k.endswith("_VALUE")
    }
    assert sentinels == UNKNOWN_SENTINELS


def test_the_guide_names_every_policy_its_default_level_and_settings_and_the_tests_commands() -> (
    None
):
    from pathlib import Path

    from pulumi_venice.policy.catalog import ALL_POLICIES
    from pulumi_venice.policy.config import config_properties

    repository = Path(__file__).resolve().parents[2]
    guide = (repository / "docs" / "guides" / "guardrails.md").read_text(encoding="utf-8")
    for policy in ALL_POLICIES:
        assert f"| `{policy.name}` | {policy.level} |" in guide, policy.name
        for setting, spec in config_properties(policy.config).items():
            default = str(spec["default"]).replace("True", "true").replace("False", "false")
            assert f"| `{setting}` | `{default}` |" in guide, (policy.name, setting)
    # The commands the real-CLI tests run (tests/e2e/test_guardrails.py, test_pipeline.py).
    e2e = (repository / "tests" / "e2e" / "test_guardrails.py").read_text(encoding="utf-8")
    assert '"-m", "pulumi_venice.policy", "--path"' in e2e and "--policy-pack-config" in e2e
    for command in (
        "pip install 'pulumi-venice[policy]'",
        'pulumi preview --policy-pack "$(python -m pulumi_venice.policy --path)"',
        "--policy-pack-config guardrails.json",
        "provision.py tenants.yaml --stack production --guardrails",
    ):
        assert command in guide, command
