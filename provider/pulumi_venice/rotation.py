"""Rotation: when a key is due for a new one, and the provider's clock.

A key is replaced (the new key first, then the old one retired) when:
- ``rotate_after``: it is at least that old (from Venice's ``createdAt``);
- ``renew_before``: its expiry is that close (the new key gets a fresh expiry
  from ``expires_after``, which is why renew_before needs it);
- it has already expired: Venice has deleted it, so a new one is made (a
  refresh would drop it from state first; ``up`` alone replaces it).

Durations are written ``30d``, ``12h``, ``90m``, ``45s``, ``2w`` or combined
(``1d12h``); a bare number means days.

The clock is the machine's UTC clock plus ``VENICE_TEST_CLOCK_OFFSET`` (a
duration, ``-`` for the past): a **test aid** that lets tests and demos jump
ahead in time without waiting. Leave it unset in real stacks.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final

CLOCK_OFFSET_ENV: Final = "VENICE_TEST_CLOCK_OFFSET"
DURATION_RULE: Final = (
    "must be a duration such as 30d, 12h, 90m, 2w or 1d12h (s, m, h, d, w), or a number of days"
)
_NUMBER: Final = re.compile(r"\d+(?:\.\d+)?")
_PART: Final = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MINIMUM_ROTATION: Final = timedelta(minutes=1)


def parse_duration(value: Any) -> timedelta:
    """A duration from ``"30d"``, ``"1d12h"`` or a number of days; ValueError if not one."""
    if isinstance(value, bool):
        raise ValueError(DURATION_RULE)
    if isinstance(value, int | float):
        if not 0 <= value < 1e6:
            raise ValueError(DURATION_RULE)
        return timedelta(days=value)
    if not isinstance(value, str):
        raise ValueError(DURATION_RULE)
    text = value.strip().lower()
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if _NUMBER.fullmatch(text):
        text += "d"  # a bare number, as stack config gives it: days
    if not text or _PART.sub("", text):
        raise ValueError(DURATION_RULE)
    seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(text))
    if seconds > 1e6 * 86400:
        raise ValueError(DURATION_RULE)
    return timedelta(seconds=sign * seconds)


def normalize_duration(value: Any) -> str:
    """The stored form of a duration input: ``"30d"`` for ``30``, else the text, lower case."""
    duration = parse_duration(value)
    if duration < MINIMUM_ROTATION:
        raise ValueError("must be at least 1m (one minute)")
    text = str(value).strip().lower()
    return f"{float(text):g}d" if _NUMBER.fullmatch(text) else text


def now(environ: Mapping[str, str] | None = None) -> datetime:
    """The provider's clock: UTC now, plus VENICE_TEST_CLOCK_OFFSET if set (tests only)."""
    env = os.environ if environ is None else environ
    offset = env.get(CLOCK_OFFSET_ENV)
    return datetime.now(UTC) + (parse_duration(offset) if offset else timedelta())


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    from .inputs import parse_expiry

    try:
        return parse_expiry(value)
    except ValueError:
        return None


def expected_expiry(olds: Mapping[str, Any], news: Mapping[str, Any]) -> datetime | None:
    """When the stored key expires under the new inputs: ``created_at +
    expires_after`` when that is set, else the key's recorded expiry."""
    created = _instant(olds.get("created_at"))
    expires_after = news.get("expires_after")
    if isinstance(expires_after, str) and created is not None:
        return created + parse_duration(expires_after)
    return _instant(olds.get("expires_at"))


def rotation_reason(olds: Mapping[str, Any], news: Mapping[str, Any], at: datetime) -> str | None:
    """The input that makes the stored key due for replacement at ``at``, if any."""
    expiry = _instant(olds.get("expires_at"))
    if expiry is not None and expiry <= at:
        return "expires_at"  # already expired: Venice has deleted it
    created = _instant(olds.get("created_at"))
    rotate_after = news.get("rotate_after")
    if (
        isinstance(rotate_after, str)
        and created is not None
        and created + parse_duration(rotate_after) <= at
    ):
        return "rotate_after"
    renew_before = news.get("renew_before")
    expected = expected_expiry(olds, news)
    if (
        isinstance(renew_before, str)
        and expected is not None
        and expected - parse_duration(renew_before) <= at
    ):
        return "renew_before"
    return None
