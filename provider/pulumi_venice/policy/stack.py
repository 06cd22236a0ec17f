"""The policies on a whole stack: how many keys it holds, what their caps
add up to per limit period, and which rotating keys a consumer reads with no
grace. Each returns ``(key or None, message)`` pairs; a key's value not known
yet is left out (the engine runs them again at ``up``). Pure: no Pulumi here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from .config import BudgetConfig, KeyCountConfig, PolicyConfig
from .keys import VeniceKey
from .rules import caps, number, period

Violation = tuple[VeniceKey | None, str]
ROTATIONS: Final = ("rotate_after", "renew_before", "keepers")


def check_key_count(keys: Sequence[VeniceKey], config: KeyCountConfig) -> list[Violation]:
    """At most ``maxKeys`` keys in the stack."""
    counted = [k for k in keys if not config.exempts(k.name)]
    if len(counted) <= config.max_keys:
        return []
    return [
        (
            None,
            f"This stack holds {len(counted)} Venice keys; it may hold at most "
            f"{config.max_keys}. Remove {len(counted) - config.max_keys}, share keys between "
            "consumers, or raise maxKeys in the policy config.",
        )
    ]


def check_budget(keys: Sequence[VeniceKey], config: BudgetConfig) -> list[Violation]:
    """The caps of the stack's keys add up to at most the budget, per currency and period."""
    violations: list[Violation] = []
    for index, (currency, budget) in enumerate((("usd", config.usd), ("diem", config.diem))):
        totals: dict[str, float] = {}
        for key in keys:
            found, window = caps(key), period(key)
            if config.exempts(key.name) or found is None or window not in budget:
                continue
            cap = found[index]
            if cap is None:
                field = key.spelled(f"consumption_limit.{currency}")
                violations.append(
                    (
                        key,
                        f"{key.label()} has no {field}, so the stack's {currency.upper()} "
                        f"budget per {window} ({number(budget[window])}) cannot hold "
                        f"(Venice charges DIEM first, then USD). Set {field}.",
                    )
                )
                continue
            totals[window] = totals.get(window, 0.0) + cap
        for window, total in sorted(totals.items()):
            most = budget[window]  # type: ignore[index]
            if total > most:
                violations.append(
                    (
                        None,
                        f"The {currency.upper()} caps of this stack's keys with limit period "
                        f"{window} add up to {number(total)}; the budget is {number(most)}. "
                        f"Lower the caps by {number(total - most)}, or raise "
                        f"{currency}.{window} in the policy config.",
                    )
                )
    return violations


def check_rotation_grace(
    keys: Sequence[VeniceKey],
    config: PolicyConfig,
    consumers: Mapping[str, Sequence[str]],
) -> list[Violation]:
    """A key that rotates while a consumer reads it keeps the old key for a grace.

    ``consumers`` names, per key URN, the stack's resources that depend on
    it; a key delivered to a sink is read there too."""
    violations: list[Violation] = []
    for key in keys:
        if config.exempts(key.name) or not key.known(*ROTATIONS, "retire_grace", "deliver_to"):
            continue
        rotates = [n for n in ROTATIONS if key.get(n)]
        readers = list(consumers.get(key.urn, ()))
        if key.get("deliver_to"):
            readers.append(f"its {key.spelled('deliver_to')} sink")
        if not rotates or key.get("retire_grace") or not readers:
            continue
        how = " and ".join(key.spelled(n) for n in rotates)
        violations.append(
            (
                key,
                f"{key.label()} rotates ({how}) with no {key.spelled('retire_grace')}, while "
                f"it is read by {', '.join(readers)}: each rotation revokes the old key at once, "
                "and a consumer still holding it fails until it reads the new one. Set "
                f"{key.spelled('retire_grace')} (for example 1d) to keep the old key valid "
                "that long.",
            )
        )
    return violations
