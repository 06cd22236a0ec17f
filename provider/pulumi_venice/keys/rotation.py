"""Rotation: when a key is due for a new one.

A key is replaced (the new key first, then the old one retired) when:
- ``rotate_after``: it is at least that old (from Venice's ``createdAt``);
- ``renew_before``: its expiry is that close (the new key gets a fresh expiry
  from ``expires_after``, which is why renew_before needs it);
- it has already expired: Venice has deleted it, so a new one is made (a
  refresh would drop it from state first; ``up`` alone replaces it).

Durations and the clock are :mod:`pulumi_venice.settings.times`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..settings.times import instant_or_none as _instant
from ..settings.times import parse_duration


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
