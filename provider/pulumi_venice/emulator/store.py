"""The emulated Venice service's state: its keys and accounts, the clock,
persistence and authentication, with the refusals and error texts both rule
sets (:mod:`.backend`, the keys; :mod:`.accounting`, inference) share.

Plain Python objects behind one lock. The store never logs and never puts a
secret in an error body.
"""

from __future__ import annotations

import json
import os
import string
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from ..settings.times import format_expiry, parse_expiry, utc_now
from ..venice.models import (
    ApiKeyRecord,
    ApiKeyType,
    ConsumptionLimit,
    CreatedApiKey,
    ErrorResponse,
    LimitPeriod,
    ModelPrivacy,
    PeriodUsage,
    RateLimitLogEntry,
    RateLimitType,
    TrailingUsage,
    Usage,
)
from .inference import Currency, catalogue_by_id
from .spending import RateLimiter, decimal_text, period_start, spent_since, trailing_week_start
from .web3 import TokenIssuer

DEFAULT_ACCOUNT: Final = "default"
SECRET_PREFIXES: Final = {"INFERENCE": "VENICE_INFERENCE_KEY_", "ADMIN": "VENICE_ADMIN_KEY_"}
SECRET_ALPHABET: Final = string.ascii_letters + string.digits
SECRET_LENGTH: Final = 42

# Error texts. Those in the docs are Venice's own; the others are guesses.
NOT_FOUND: Final = "API key not found"
DELETE_NOT_FOUND: Final = "The API key could not be found"
AUTH_FAILED: Final = "Authentication failed"
ADMIN_REQUIRED: Final = "Admin API key required"
NO_CREDENTIAL: Final = "Authentication required: no API key was provided"  # guess
RATE_LIMITED: Final = "Too many API key creation requests; try again later"  # guess
INVALID_REQUEST: Final = "Invalid request parameters"  # guess
SPENDING_REFUSALS: Final = {
    "API_KEY_USD_SPEND_LIMIT_EXCEEDED": "This API key has reached its USD spending limit",
    "API_KEY_DIEM_SPEND_LIMIT_EXCEEDED": "This API key has reached its DIEM spending limit",
    "INSUFFICIENT_BALANCE": "Insufficient balance: add USD credits or stake VVV for DIEM",
}  # guess: the docs give the codes and their meaning, not the exact texts


class ApiError(Exception):
    """A refusal: the HTTP status, Venice's error body and extra headers."""

    def __init__(
        self,
        status: int,
        error: str,
        *,
        details: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(error)
        self.status = status
        self.body = ErrorResponse(error=error, details=details, code=code)
        self.headers = dict(headers or {})


@dataclass
class StoredKey:
    """One key as the emulator keeps it (the secret included)."""

    id: str
    secret: str = field(repr=False)
    api_key_type: ApiKeyType
    description: str
    account: str
    created_at: str
    expires_at: str | None = None
    consumption_limit: dict[str, float | None] = field(
        default_factory=lambda: {"usd": None, "diem": None, "vcu": None}
    )
    limit_period: LimitPeriod = "EPOCH"
    model_privacy: ModelPrivacy = "ALL"
    last_used_at: str | None = None
    # What the key spent, per UTC day: {"2026-11-30": {"usd": 0.01, "diem": 0.0}}.
    spend: dict[str, dict[str, float]] = field(default_factory=dict)

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and parse_expiry(self.expires_at) <= now

    def limits(self) -> ConsumptionLimit:
        return ConsumptionLimit(**self.consumption_limit)

    def has_caps(self) -> bool:
        return any(v is not None for v in self.consumption_limit.values())

    def spent_in_period(self, now: datetime) -> dict[Currency, float]:
        """What the key spent in its current limit period."""
        return spent_since(self.spend, period_start(self.limit_period, now))

    def record(self, now: datetime, *, with_usage: bool = True) -> ApiKeyRecord:
        week = spent_since(self.spend, trailing_week_start(now))
        period = self.spent_in_period(now)
        return ApiKeyRecord(
            api_key_type=self.api_key_type,
            consumption_limits=self.limits(),
            limit_period=self.limit_period,
            model_privacy=self.model_privacy,
            created_at=self.created_at,
            description=self.description,
            expires_at=self.expires_at,
            id=self.id,
            last6Chars=self.secret[-6:],
            last_used_at=self.last_used_at,
            # VCU is DIEM's former name: its usage is reported as zero.
            usage=Usage(
                trailing_seven_days=TrailingUsage(
                    usd=decimal_text(week["usd"]),
                    vcu=decimal_text(0.0),
                    diem=decimal_text(week["diem"]),
                )
            )
            if with_usage
            else None,
            current_period_usage=PeriodUsage(
                usd=decimal_text(period["usd"]), diem=decimal_text(period["diem"])
            )
            if with_usage and self.has_caps()
            else None,
        )


def created_answer(key: StoredKey, now: datetime) -> CreatedApiKey:
    """The create answer: the stored key as a record, plus its secret (the only
    answer that carries it)."""
    record = key.record(now, with_usage=False)
    shared = {"api_key_type", "limit_period", "model_privacy", "description", "expires_at", "id"}
    return CreatedApiKey(
        api_key=key.secret,
        consumption_limit=record.consumption_limits,
        **record.model_dump(include=shared),
    )


@dataclass(frozen=True)
class Limits:
    """The service limits (Venice: 20 creations a minute, 500 active keys)."""

    creations_per_window: int = 20
    creation_window_seconds: float = 60.0
    max_active_keys: int = 500


def _details(exc: ValidationError, body: Mapping[str, Any]) -> dict[str, Any]:
    """A zod-style ``details`` object: ``{"_errors": [...], field: {"_errors": [...]}}``."""
    details: dict[str, Any] = {"_errors": []}
    unknown = [e["loc"][0] for e in exc.errors() if e["type"] == "extra_forbidden" and e["loc"]]
    if unknown:
        names = ", ".join(f"'{name}'" for name in unknown)
        details["_errors"].append(f"Unrecognized key(s) in object: {names}")
    for error in exc.errors():
        if error["type"] == "extra_forbidden" or not error["loc"]:
            continue
        name = str(error["loc"][0])
        message = (
            "Required" if error["type"] == "missing" else error["msg"].removeprefix("Value error, ")
        )
        details.setdefault(name, {"_errors": []})["_errors"].append(message)
    return details


def parse_body(model: type[BaseModel], body: Any) -> Any:
    if not isinstance(body, Mapping):
        raise ApiError(400, INVALID_REQUEST, details={"_errors": ["Expected object"]})
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ApiError(400, INVALID_REQUEST, details=_details(exc, body)) from None


class KeyStore:
    """The state every rule works on, behind one re-entrant lock."""

    def __init__(
        self,
        admin_keys: list[str],
        *,
        limits: Limits | None = None,
        state_file: Path | None = None,
        staked_wallets: list[str] | None = None,
        token_ttl_seconds: float = 900.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._lock = threading.RLock()
        self.limits = limits or Limits()
        self._state_file = state_file
        self._clock = clock
        self.clock_offset = timedelta()  # a test aid: jump ahead in time (set_clock_offset)
        self._keys: dict[str, StoredKey] = {}
        self._ids_by_secret: dict[str, str] = {}  # authentication in O(1), not O(keys)
        self._creations: dict[str, deque[float]] = {}
        self._limit_events: dict[str, deque[RateLimitLogEntry]] = {}  # per account, newest first
        self._tokens = TokenIssuer(ttl_seconds=token_ttl_seconds)
        self._staked = {w.lower() for w in staked_wallets or []}
        self._models = catalogue_by_id()
        self._limit_overrides: dict[str, dict[RateLimitType, float]] = {}
        self._balances: dict[str, dict[Currency, float]] = {}  # per account; default until set
        self._limiter = RateLimiter()
        if state_file is not None and state_file.exists():
            self._load(state_file)
        for admin_key in admin_keys:
            self._add_bootstrap_admin(admin_key)
        self._save()

    # -- the clock --------------------------------------------------------------

    def now(self) -> datetime:
        """The emulator's time: the clock plus the test offset."""
        return self._clock() + self.clock_offset

    def set_clock_offset(self, offset: timedelta) -> None:
        """Move the emulator's time (expiry, createdAt) by ``offset`` from the real clock."""
        with self._lock:
            self.clock_offset = offset

    # -- persistence -----------------------------------------------------------

    def _load(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        for raw in data.get("keys", []):
            self._store(StoredKey(**raw))
        self._tokens.restore(data.get("usedTokens", []))
        for account, amounts in data.get("balances", {}).items():
            self._balances[account] = {"usd": float(amounts["usd"]), "diem": float(amounts["diem"])}

    def _save(self) -> None:
        if self._state_file is None:
            return
        data = {
            "keys": [asdict(k) for k in self._keys.values()],
            "usedTokens": self._tokens.used(),
            "balances": self._balances,
        }
        temporary = self._state_file.with_name(self._state_file.name + ".tmp")
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.chmod(temporary, 0o600)
        temporary.replace(self._state_file)

    def _add_bootstrap_admin(self, secret: str) -> None:
        if secret in self._ids_by_secret:
            return
        key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "venice-emulator-admin:" + secret))
        self._store(
            StoredKey(
                id=key_id,
                secret=secret,
                api_key_type="ADMIN",
                description="Emulator admin key",
                account=DEFAULT_ACCOUNT,
                created_at=format_expiry(self.now()),
            )
        )

    def _store(self, key: StoredKey) -> None:
        self._keys[key.id] = key
        self._ids_by_secret[key.secret] = key.id

    # -- authentication --------------------------------------------------------

    def authenticate(self, authorization: str | None, *, admin: bool) -> StoredKey:
        """The calling key, or the refusal Venice gives (402 none, 401 bad or not admin)."""
        if not authorization:
            raise ApiError(402, NO_CREDENTIAL)
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        with self._lock:
            key_id = self._ids_by_secret.get(token)
            key = self._keys.get(key_id) if key_id is not None else None
            if scheme.lower() != "bearer" or key is None or key.expired(self.now()):
                raise ApiError(401, AUTH_FAILED)
            if admin and key.api_key_type != "ADMIN":
                raise ApiError(401, ADMIN_REQUIRED)
            key.last_used_at = format_expiry(self.now())
            return key

    def all_keys(self) -> list[StoredKey]:
        """Every stored key of every account, expired ones included (for inspection)."""
        with self._lock:
            return list(self._keys.values())

    # -- lookups ---------------------------------------------------------------

    def _active(self, account: str) -> list[StoredKey]:
        now = self.now()
        return [k for k in self._keys.values() if k.account == account and not k.expired(now)]

    def _find(self, account: str, key_id: str, not_found: str) -> StoredKey:
        key = self._keys.get(key_id)
        if key is None or key.account != account or key.expired(self.now()):
            raise ApiError(400, not_found)
        return key
