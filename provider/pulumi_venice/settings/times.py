"""Time, in one place: durations, expiries, and the clock with its test offset.

Used by the inputs, rotation, the providers, venice-orphans and the emulator,
so that all of them read and write instants the same way.

- Durations are written ``30d``, ``12h``, ``90m``, ``45s``, ``2w`` or combined
  (``1d12h``); a bare number means days.
- Expiries are an ISO 8601 date (its midnight UTC) or a timestamp with a time
  zone; Venice's form is ``2026-12-31T23:59:59.000Z``.
- The clock is the machine's UTC clock plus ``VENICE_TEST_CLOCK_OFFSET`` (a
  duration, ``-`` for the past): a **test aid** that lets tests and demos jump
  ahead in time without waiting. Leave it unset in real stacks.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

CLOCK_OFFSET_ENV: Final = "VENICE_TEST_CLOCK_OFFSET"
DURATION_RULE: Final = (
    "must be a duration such as 30d, 12h, 90m, 2w or 1d12h (s, m, h, d, w), or a number of days"
)
MINIMUM_DURATION: Final = timedelta(minutes=1)
_NUMBER: Final = re.compile(r"\d+(?:\.\d+)?")
_PART: Final = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
DATE_ONLY: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
    if duration < MINIMUM_DURATION:
        raise ValueError("must be at least 1m (one minute)")
    text = str(value).strip().lower()
    return f"{float(text):g}d" if _NUMBER.fullmatch(text) else text


def utc_now() -> datetime:
    """The machine's UTC clock (the emulator adds its own offset to it)."""
    return datetime.now(UTC)


def now(environ: Mapping[str, str] | None = None) -> datetime:
    """The provider's clock: UTC now, plus VENICE_TEST_CLOCK_OFFSET if set (tests only)."""
    env = os.environ if environ is None else environ
    offset = env.get(CLOCK_OFFSET_ENV)
    return utc_now() + (parse_duration(offset) if offset else timedelta())


def parse_expiry(value: str) -> datetime:
    """The instant an ``expires_at`` string names (a date means its midnight UTC)."""
    if DATE_ONLY.match(value):
        return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("naive timestamp")
    return parsed.astimezone(UTC)


def format_expiry(instant: datetime) -> str:
    """The UTC form Venice accepts: ``2026-12-31T23:59:59.000Z``."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def instant_or_none(value: Any) -> datetime | None:
    """The instant an expiry or timestamp string names, or None if it names none."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_expiry(value)
    except ValueError:
        return None
