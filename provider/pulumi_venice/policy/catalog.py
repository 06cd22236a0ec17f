"""The pack's policies, each once: its name, what it asks, its default
enforcement level, its config model and its check. The pack
(:mod:`.pack`) serves them through pulumi-policy; the guide's table and the
tests read them from here. Pure: no Pulumi here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from . import rules, stack
from .config import (
    AdminKeysConfig,
    BudgetConfig,
    CappedConfig,
    EndsConfig,
    KeyCountConfig,
    PolicyConfig,
    PrivacyConfig,
)
from .keys import VeniceKey

PACK_NAME: Final = "venice-guardrails"
KeyCheck = Callable[[VeniceKey, Any], list[str]]
StackCheck = Callable[
    [Sequence[VeniceKey], Any, Mapping[str, Sequence[str]]], list[stack.Violation]
]


@dataclass(frozen=True)
class KeyPolicy:
    """A policy on each key, run before the engine creates or changes it."""

    name: str
    description: str
    level: str  # "mandatory" or "advisory"; "disabled" in a config file turns it off
    config: type[PolicyConfig]
    check: KeyCheck


@dataclass(frozen=True)
class StackPolicy:
    """A policy on the stack's keys together, run once the engine has them all."""

    name: str
    description: str
    level: str
    config: type[PolicyConfig]
    check: StackCheck


def _no_consumers(
    check: Callable[[Sequence[VeniceKey], Any], list[stack.Violation]],
) -> StackCheck:
    return lambda keys, config, consumers: check(keys, config)


KEY_POLICIES: Final[tuple[KeyPolicy, ...]] = (
    KeyPolicy(
        "venice-key-capped",
        "Every Venice key has a USD and/or DIEM consumption limit, not both at 0, and no "
        "larger than the configured maximum per limit period.",
        "mandatory",
        CappedConfig,
        rules.check_capped,
    ),
    KeyPolicy(
        "venice-key-ends",
        "Every Venice key expires (expiresAt, expiresAfter) or is rotated (rotateAfter, keepers) "
        "within the configured number of days.",
        "mandatory",
        EndsConfig,
        rules.check_ends,
    ),
    KeyPolicy(
        "venice-admin-keys",
        "ADMIN keys (which create and revoke every key of the account) only for the resource "
        "names on the allowlist; none by default.",
        "mandatory",
        AdminKeysConfig,
        rules.check_admin_allowed,
    ),
    KeyPolicy(
        "venice-admin-key-expires",
        "An ADMIN key has an expiry, even where ADMIN keys are allowed.",
        "mandatory",
        PolicyConfig,
        rules.check_admin_expires,
    ),
    KeyPolicy(
        "venice-key-delivered",
        "A key's value goes to a sink (deliverTo) instead of the stack's state.",
        "advisory",
        PolicyConfig,
        rules.check_delivered,
    ),
    KeyPolicy(
        "venice-wallet-key-secret",
        "A Web3 key's wallet private key, when the program gives one, reaches the engine "
        "as a secret.",
        "mandatory",
        PolicyConfig,
        rules.check_wallet_secret,
    ),
    KeyPolicy(
        "venice-model-privacy",
        "A key's modelPrivacy is at least the configured level (ALL < PRIVATE_TEXT < "
        "PRIVATE_ONLY).",
        "advisory",
        PrivacyConfig,
        rules.check_privacy,
    ),
)

STACK_POLICIES: Final[tuple[StackPolicy, ...]] = (
    StackPolicy(
        "venice-stack-key-count",
        "A stack holds at most the configured number of Venice keys.",
        "mandatory",
        KeyCountConfig,
        _no_consumers(stack.check_key_count),
    ),
    StackPolicy(
        "venice-stack-budget",
        "The caps of a stack's keys add up to at most the configured budget, per currency and "
        "limit period.",
        "mandatory",
        BudgetConfig,
        _no_consumers(stack.check_budget),
    ),
    StackPolicy(
        "venice-rotation-grace",
        "A key that rotates while a consumer reads it (a resource that depends on it, or its "
        "deliverTo sink) keeps the old key valid for a retireGrace.",
        "advisory",
        PolicyConfig,
        stack.check_rotation_grace,
    ),
)

ALL_POLICIES: Final[tuple[KeyPolicy | StackPolicy, ...]] = (*KEY_POLICIES, *STACK_POLICIES)
POLICY_NAMES: Final = tuple(p.name for p in ALL_POLICIES)
