"""What a key may spend and how fast: the spending ledger per ``limitPeriod``
(which period a moment falls in, what was spent since), which currency pays
(DIEM first, then USD: a ``guess`` from Venice's docs), and the per-account,
per-model rate limits (requests and tokens a minute).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..venice.models import LimitPeriod, RateLimitType
from .inference import DIEM_LIMIT_EXCEEDED, INSUFFICIENT_BALANCE, USD_LIMIT_EXCEEDED, Currency


def period_start(period: LimitPeriod, now: datetime) -> str:
    """The first day (``YYYY-MM-DD``) of the limit period that holds ``now``."""
    if period == "LIFETIME":
        return "0000-01-01"
    if period == "MONTH":
        return now.strftime("%Y-%m-01")
    return now.strftime("%Y-%m-%d")  # EPOCH: the UTC day


def spent_since(ledger: Mapping[str, Mapping[str, float]], first_day: str) -> dict[Currency, float]:
    """What a ledger (``{day: {"usd": x, "diem": y}}``) holds from ``first_day`` on."""
    totals: dict[Currency, float] = {"usd": 0.0, "diem": 0.0}
    for day, amounts in ledger.items():
        if day >= first_day:
            totals["usd"] += amounts.get("usd", 0.0)
            totals["diem"] += amounts.get("diem", 0.0)
    return totals


def trailing_week_start(now: datetime) -> str:
    return (now - timedelta(days=6)).strftime("%Y-%m-%d")


def decimal_text(amount: float) -> str:
    """A usage amount as Venice renders it: a decimal string with four places."""
    return f"{amount:.4f}"


@dataclass(frozen=True)
class Payment:
    """How a call is paid, or why it cannot be: ``currency`` or a refusal code."""

    currency: Currency | None
    refusal: str | None = None


def choose_payment(
    caps: Mapping[str, float | None],
    spent: Mapping[Currency, float],
    balances: Mapping[Currency, float],
) -> Payment:
    """DIEM first, then USD (Venice's order); a currency is usable when the
    account holds some and the key's cap for it (if any) is not yet reached.

    Refused: the code of the cap that stopped the key (with both caps reached,
    the larger budget's, USD on a tie: guess), else INSUFFICIENT_BALANCE.
    """
    reached: list[Currency] = []
    for currency in ("diem", "usd"):
        cap = caps.get(currency)
        if cap is not None and spent[currency] >= cap:
            reached.append(currency)
        elif balances[currency] > 0:
            return Payment(currency)
    if not reached:
        return Payment(None, INSUFFICIENT_BALANCE)
    if len(reached) == 2 and (caps.get("diem") or 0.0) > (caps.get("usd") or 0.0):
        return Payment(None, DIEM_LIMIT_EXCEEDED)
    return Payment(None, USD_LIMIT_EXCEEDED if "usd" in reached else DIEM_LIMIT_EXCEEDED)


@dataclass
class _Window:
    """The calls of one account on one model: recent requests and tokens."""

    minute: deque[tuple[float, int]] = field(default_factory=deque)  # (monotonic time, tokens)
    days: dict[str, int] = field(default_factory=dict)  # requests per UTC day


@dataclass(frozen=True)
class Admission:
    """A rate-limit verdict: the limit exceeded (if any) and the headers to send."""

    exceeded: RateLimitType | None
    headers: dict[str, str]


class RateLimiter:
    """RPM, RPD and TPM per account and model, as Venice enforces them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], _Window] = {}

    def admit(
        self,
        account: str,
        model_id: str,
        limits: Mapping[RateLimitType, float],
        tokens: int,
        day: str,
    ) -> Admission:
        """Count one call of ``tokens`` tokens, or say which limit refuses it."""
        now = time.monotonic()
        with self._lock:
            window = self._windows.setdefault((account, model_id), _Window())
            while window.minute and window.minute[0][0] <= now - 60:
                window.minute.popleft()
            requests = len(window.minute)
            used_tokens = sum(t for _, t in window.minute)
            today = window.days.get(day, 0)
            # The minute's window frees its first slot when its oldest call is a minute old.
            seconds_to_reset = 60 - (now - window.minute[0][0]) if window.minute else 60.0
            headers = {"x-ratelimit-reset-requests": str(math.ceil(time.time() + seconds_to_reset))}
            rpm = limits.get("RPM")
            if rpm is not None:
                headers["x-ratelimit-limit-requests"] = str(int(rpm))
                headers["x-ratelimit-remaining-requests"] = str(max(0, int(rpm) - requests - 1))
            exceeded: RateLimitType | None = None
            if rpm is not None and requests >= rpm:
                exceeded = "RPM"
            elif (rpd := limits.get("RPD")) is not None and today >= rpd:
                exceeded = "RPD"
            elif (tpm := limits.get("TPM")) is not None and used_tokens + tokens > tpm:
                exceeded = "TPM"
            if exceeded is not None:
                headers["x-ratelimit-remaining-requests"] = "0"
                headers["Retry-After"] = str(max(1, math.ceil(seconds_to_reset)))
                return Admission(exceeded, headers)
            window.minute.append((now, tokens))
            window.days = {day: today + 1}  # only today's count matters
            return Admission(None, headers)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
