"""The policies on one key: each takes a :class:`~.keys.VeniceKey` and its
config and returns its violations, each a message that names the key, the
value and the fix. A value not known yet is no violation: the engine runs
the policies again at ``up``, when it is known. Pure: no Pulumi here.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from ..settings import times
from ..settings.key_settings import DEFAULT_LIMIT_PERIOD, DEFAULT_MODEL_PRIVACY
from ..venice.models import MODEL_PRIVACIES
from .config import AdminKeysConfig, CappedConfig, EndsConfig, PolicyConfig, PrivacyConfig
from .keys import VeniceKey, is_unknown

PRIVACY_ORDER: Final = MODEL_PRIVACIES  # declared least private first
ENDINGS: Final = ("expires_at", "expires_after", "rotate_after", "keepers")


def number(value: float) -> str:
    """``500`` for 500.0, ``0.5`` for 0.5."""
    return f"{value:g}"


def caps(key: VeniceKey) -> tuple[float | None, float | None] | None:
    """The key's USD and DIEM caps (DIEM read from ``vcu``, its former name,
    when only that is set), or None while either is unknown."""
    limit = key.get("consumption_limit")
    if is_unknown(limit):
        return None
    limit = limit if isinstance(limit, dict) else {}
    diem = limit.get("diem") if limit.get("diem") is not None else limit.get("vcu")
    usd = limit.get("usd")
    if is_unknown(usd) or is_unknown(diem):
        return None
    return usd, diem


def period(key: VeniceKey) -> str | None:
    """The key's limit period (Venice's default when unset), or None while unknown."""
    value = key.get("limit_period")
    if is_unknown(value):
        return None
    return str(value) if value else DEFAULT_LIMIT_PERIOD


def check_capped(key: VeniceKey, config: CappedConfig) -> list[str]:
    """Every key is capped, not at zero in both currencies, and within the maximums."""
    found = caps(key)
    if found is None:
        return []
    usd, diem = found
    field = key.spelled("consumption_limit")
    if usd is None and diem is None:
        return [
            f"{key.label()} has no {field}: it can spend without bound. Set {field}.usd "
            f"and/or {field}.diem (Venice charges DIEM first, then USD: cap both to bound it)."
        ]
    if usd == 0 and diem == 0 and not key.is_admin:
        return [
            f"{key.label()} has {field}.usd 0 and {field}.diem 0: it can spend nothing, so "
            "Venice refuses every call it makes. Raise one of the caps (an ADMIN key may "
            "keep both at 0, to manage keys without spending)."
        ]
    failures = []
    if config.require_both_currencies and (usd is None or diem is None):
        missing = "usd" if usd is None else "diem"
        failures.append(
            f"{key.label()} has no {field}.{missing}: capped in one currency only, it can "
            f"spend without bound in the other. Set {field}.{missing} too."
        )
    window = period(key)
    for currency, cap, maximums in (("usd", usd, config.max_usd), ("diem", diem, config.max_diem)):
        most = maximums.get(window) if window is not None else None  # type: ignore[call-overload]
        if most is None or (cap is not None and cap <= most):
            continue
        shown = "no cap" if cap is None else f"{number(cap)} per {window}"
        failures.append(
            f"{key.label()} has {field}.{currency} {shown}; this stack allows at most "
            f"{number(most)} per {window}. Set {field}.{currency} to {number(most)} or less "
            f"(or raise max{currency.capitalize()}.{window} in the policy config)."
        )
    return failures


def _within(value: Any, limit: timedelta, *, instant: bool) -> bool | None:
    """Whether an expiry (instant) or a duration is within the limit; None if unreadable."""
    try:
        if instant:
            return bool(times.parse_expiry(str(value)) - times.now() <= limit)
        return times.parse_duration(value) <= limit
    except (TypeError, ValueError):
        return None  # the provider's own check names a malformed value


def check_ends(key: VeniceKey, config: EndsConfig) -> list[str]:
    """Every key ends: it expires or is rotated within ``maxDays``."""
    if not key.known(*ENDINGS):
        return []
    limit = timedelta(days=config.max_days)
    days = number(config.max_days)
    has = {name: key.get(name) for name in ENDINGS if key.get(name)}
    if has.get("keepers") and config.accept_keepers:
        return []
    verdicts = [
        _within(has[name], limit, instant=name == "expires_at")
        for name in ("expires_at", "expires_after", "rotate_after")
        if name in has
    ]
    if any(v is not False for v in verdicts):
        return []
    if not verdicts:
        kept = " (its keepers do not count: acceptKeepers is false)" if has else ""
        return [
            f"{key.label()} never ends: it has no expiry and no rotation{kept}. Set "
            f"{key.spelled('expires_after')} (for example 90d, with "
            f"{key.spelled('renew_before')}) or {key.spelled('rotate_after')} (for example "
            f"30d), at most {days} days."
        ]
    named = ", ".join(
        f"{key.spelled(n)} {has[n]}"
        for n in ("expires_at", "expires_after", "rotate_after")
        if n in has
    )
    return [
        f"{key.label()} lives too long: {named} is more than {days} days away. Set "
        f"{key.spelled('expires_after')} or {key.spelled('rotate_after')} to {days}d or less."
    ]


def check_admin_allowed(key: VeniceKey, config: AdminKeysConfig) -> list[str]:
    """ADMIN keys only for the resources the config allows."""
    if not key.known("api_key_type") or not key.is_admin or key.name in config.allowed_resources:
        return []
    allowed = ", ".join(f'"{n}"' for n in config.allowed_resources) or "none"
    return [
        f"{key.label()} is an ADMIN key: it can create and revoke every key of the account. "
        f"ADMIN keys allowed in this stack: {allowed}. Make it "
        f'{key.spelled("api_key_type")} INFERENCE, or add "{key.name}" to allowedResources '
        "in the policy config."
    ]


def check_admin_expires(key: VeniceKey, config: PolicyConfig) -> list[str]:
    """An ADMIN key expires, even where ADMIN keys are allowed."""
    if not key.known("api_key_type", "expires_at", "expires_after") or not key.is_admin:
        return []
    if key.get("expires_at") or key.get("expires_after"):
        return []
    return [
        f"{key.label()} is an ADMIN key that never expires: if it leaks, it works until "
        f"someone revokes it. Set {key.spelled('expires_after')} (for example 30d, with "
        f"{key.spelled('renew_before')} 7d to have it replaced in time) or "
        f"{key.spelled('expires_at')}."
    ]


def check_delivered(key: VeniceKey, config: PolicyConfig) -> list[str]:
    """The key's value goes to a sink, not into the state."""
    if not key.known("deliver_to") or key.get("deliver_to"):
        return []
    return [
        f"{key.label()} has no {key.spelled('deliver_to')}: its value is kept in the stack's "
        f"state (encrypted) as its {key.spelled('api_key')} output. Deliver it to a sink "
        f"({key.spelled('deliver_to')} file, command or "
        f"{key.spelled('aws_secrets_manager')}) so that it never enters the state."
    ]


def check_wallet_secret(key: VeniceKey, config: PolicyConfig) -> list[str]:
    """A wallet's private key, when the program gives one, is a secret."""
    if key.kind != "Web3ApiKey" or key.get("wallet_private_key") in (None, ""):
        return []
    if is_unknown(key.get("wallet_private_key")) or "wallet_private_key" in key.secrets:
        return []
    field = key.spelled("wallet_private_key")
    return [
        f"{key.label()} has a {field} that is not a secret: the engine, the state and the "
        "stack's config history may hold it as plain text. Give it as secret config "
        "(pulumi config set --secret) or wrap it in a secret, or leave it out and set "
        "VENICE_WALLET_PRIVATE_KEY where pulumi runs."
    ]


def check_privacy(key: VeniceKey, config: PrivacyConfig) -> list[str]:
    """A key's model privacy is at least the configured floor."""
    value = key.get("model_privacy")
    if is_unknown(value):
        return []
    privacy = str(value) if value else DEFAULT_MODEL_PRIVACY
    if privacy not in PRIVACY_ORDER:
        return []  # the provider's own check names it
    if PRIVACY_ORDER.index(privacy) >= PRIVACY_ORDER.index(config.minimum):
        return []
    field = key.spelled("model_privacy")
    unset = " (unset: the default)" if not value else ""
    return [
        f"{key.label()} has {field} {privacy}{unset}; this stack asks for at least "
        f"{config.minimum}. Set {field} to "
        + " or ".join(PRIVACY_ORDER[PRIVACY_ORDER.index(config.minimum) :])
        + "."
    ]
