"""The emulated Venice service: its state and rules, apart from HTTP.

Plain Python objects behind one lock, so the rules can be tested without a
server and the HTTP layer stays thin. Answers are the wire models of
:mod:`pulumi_venice.models` (the ones the client parses); refusals are
:class:`ApiError` with Venice's status and error body. Where Venice's
behaviour is undocumented the choice is marked ``guess`` and is what a careful
user would expect.

The backend never logs and never puts a secret in an error body.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from ..models import (
    ApiKeyRecord,
    ApiKeyType,
    ApiTier,
    Balances,
    ConsumptionLimit,
    CreateApiKeyRequest,
    CreatedApiKey,
    ErrorResponse,
    LimitPeriod,
    ModelPrivacy,
    ModelRateLimit,
    ModelRateLimits,
    PeriodUsage,
    RateLimitLogEntry,
    RateLimits,
    RateLimitType,
    TrailingUsage,
    UpdateApiKeyRequest,
    Usage,
    Web3CreateApiKeyRequest,
)
from ..times import format_expiry, parse_expiry, utc_now
from .inference import (
    AUTHENTICATION_FAILED,
    CATALOGUE,
    DEFAULT_BALANCES,
    INVALID_MODEL,
    MODEL_NOT_FOUND,
    MODEL_PRIVACY_RESTRICTED,
    RATE_LIMIT_EXCEEDED,
    ChatRequest,
    Currency,
    ModelSpec,
    RateLimiter,
    Reply,
    catalogue_by_id,
    choose_payment,
    decimal_text,
    period_start,
    privacy_allows,
    reply_to,
    spent_since,
    trailing_week_start,
)
from .web3 import TokenIssuer, Web3Error, recover_signer

DEFAULT_ACCOUNT: Final = "default"
SECRET_PREFIXES: Final = {"INFERENCE": "VENICE_INFERENCE_KEY_", "ADMIN": "VENICE_ADMIN_KEY_"}
_SECRET_ALPHABET: Final = string.ascii_letters + string.digits
_SECRET_LENGTH: Final = 42

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


def _parse(model: type[BaseModel], body: Any) -> Any:
    if not isinstance(body, Mapping):
        raise ApiError(400, INVALID_REQUEST, details={"_errors": ["Expected object"]})
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise ApiError(400, INVALID_REQUEST, details=_details(exc, body)) from None


class Backend:
    """Every rule of the emulated ``/api_keys`` API, thread-safe."""

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

    # -- the operations ----------------------------------------------------------

    def list_keys(self, caller: StoredKey) -> list[ApiKeyRecord]:
        with self._lock:
            return [k.record(self.now()) for k in self._active(caller.account)]

    def get_key(self, caller: StoredKey, key_id: str) -> ApiKeyRecord:
        with self._lock:
            return self._find(caller.account, key_id, NOT_FOUND).record(self.now())

    def create_key(self, caller: StoredKey, body: Any) -> CreatedApiKey:
        request: CreateApiKeyRequest = _parse(CreateApiKeyRequest, body)
        return self._create(caller.account, request)

    def update_key(self, caller: StoredKey, body: Any) -> ApiKeyRecord:
        request: UpdateApiKeyRequest = _parse(UpdateApiKeyRequest, body)
        changes = request.model_dump(exclude_unset=True, exclude={"id"})
        with self._lock:
            key = self._find(caller.account, request.id, NOT_FOUND)
            if "description" in changes and request.description is not None:
                key.description = request.description
            if "expires_at" in changes:
                key.expires_at = self._expiry(request.expires_at)
            if request.consumption_limit is not None:
                # Guess: a partial object merges into the stored caps (the
                # provider always sends all three, so either reading is safe).
                given = request.consumption_limit.model_dump(exclude_unset=True)
                key.consumption_limit = {**key.consumption_limit, **given}
            if request.limit_period is not None:
                key.limit_period = request.limit_period
            if request.model_privacy is not None:
                key.model_privacy = request.model_privacy
            self._save()
            return key.record(self.now(), with_usage=False)

    def delete_key(self, caller: StoredKey, key_id: str | None) -> None:
        if not key_id:
            raise ApiError(
                400, INVALID_REQUEST, details={"_errors": [], "id": {"_errors": ["Required"]}}
            )
        with self._lock:
            key = self._find(caller.account, key_id, DELETE_NOT_FOUND)
            del self._keys[key.id]
            del self._ids_by_secret[key.secret]
            self._save()

    def rate_limits(self, caller: StoredKey) -> RateLimits:
        """The calling key's tier, balances and per-model limits (any key type)."""
        now = self.now()
        balances = self.balances(caller.account)
        tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return RateLimits(
            access_permitted=True,
            api_tier=ApiTier(id="paid", is_charged=True),
            balances=Balances.model_validate({"USD": balances["usd"], "DIEM": balances["diem"]}),
            key_expiration=caller.expires_at,
            next_epoch_begins=format_expiry(tomorrow),
            rate_limits=[
                ModelRateLimits(
                    api_model_id=model.id,
                    rate_limits=[
                        ModelRateLimit(amount=a, type=t)
                        for t, a in self.model_limits(model.id).items()
                    ],
                )
                for model in CATALOGUE
            ],
        )

    def rate_limit_log(self, caller: StoredKey) -> list[RateLimitLogEntry]:
        """The account's last 50 rate-limit events, newest first (ADMIN keys only)."""
        with self._lock:
            return list(self._limit_events.get(caller.account, ()))

    def record_rate_limit_event(
        self, key_id: str, model_id: str, rate_limit_type: RateLimitType
    ) -> RateLimitLogEntry:
        """A limit exceeded by inference traffic (chat calls add these; so may the
        control plane, to stand for traffic)."""
        with self._lock:
            key = self._keys.get(key_id)
            if key is None:
                raise ApiError(400, NOT_FOUND)
            entry = RateLimitLogEntry(
                api_key_id=key_id,
                model_id=model_id,
                rate_limit_tier="paid",
                rate_limit_type=rate_limit_type,
                timestamp=format_expiry(self.now()),
            )
            self._limit_events.setdefault(key.account, deque(maxlen=50)).appendleft(entry)
            return entry

    def web3_token(self) -> str:
        return self._tokens.issue()

    def create_web3_key(self, body: Any) -> CreatedApiKey:
        request: Web3CreateApiKeyRequest = _parse(Web3CreateApiKeyRequest, body)
        try:
            self._tokens.verify(request.token)
            signer = recover_signer(request.token, request.signature)
        except Web3Error as failure:
            raise ApiError(400, str(failure)) from None
        if signer.lower() != request.address.lower():
            raise ApiError(400, "Wallet signature does not match")
        if self._staked and signer.lower() not in self._staked:
            raise ApiError(400, "Wallet has no staked VVV on Base")
        with self._lock:
            try:
                self._tokens.consume(request.token)
            except Web3Error as failure:
                raise ApiError(400, str(failure)) from None
            settings = CreateApiKeyRequest.model_validate(
                request.model_dump(exclude={"address", "signature", "token"})
            )
            return self._create(signer, settings)

    def all_keys(self) -> list[StoredKey]:
        """Every stored key of every account, expired ones included (for inspection)."""
        with self._lock:
            return list(self._keys.values())

    # -- inference (what a key's consumer calls) ------------------------------------

    def models(self) -> list[ModelSpec]:
        """The model catalogue (``GET /models`` is public: no key needed)."""
        return list(self._models.values())

    def model_limits(self, model_id: str) -> dict[RateLimitType, float]:
        """A model's rate limits: the catalogue's, or the override set for it."""
        return dict(self._limit_overrides.get(model_id, self._models[model_id].limits))

    def set_model_limits(self, model_id: str, limits: Mapping[RateLimitType, float]) -> None:
        """A test aid: replace a model's rate limits (e.g. to reach them quickly)."""
        if model_id not in self._models:
            raise ApiError(404, f"Model {model_id} not found", code=MODEL_NOT_FOUND)
        with self._lock:
            self._limit_overrides[model_id] = dict(limits)

    def balances(self, account: str) -> dict[Currency, float]:
        with self._lock:
            return dict(self._balances.get(account, DEFAULT_BALANCES))

    def set_balances(self, account: str, balances: Mapping[Currency, float]) -> None:
        """A test aid: the account's USD and DIEM balances."""
        with self._lock:
            self._balances[account] = {**self.balances(account), **balances}
            self._save()

    def consumer(self, authorization: str | None) -> StoredKey:
        """The key an inference call is made with: any active key, else 401."""
        try:
            return self.authenticate(authorization, admin=False)
        except ApiError:
            raise ApiError(401, AUTH_FAILED, code=AUTHENTICATION_FAILED) from None

    def chat(
        self, authorization: str | None, body: Any
    ) -> tuple[ChatRequest, Reply, dict[str, str]]:
        """One chat call: authenticate, check the model, the key's privacy and
        caps and the account's rate limits, then answer and charge the key."""
        key = self.consumer(authorization)
        request: ChatRequest = _parse(ChatRequest, body)
        model = self._models.get(request.model)
        if model is None:
            raise ApiError(404, f"Model {request.model} not found", code=MODEL_NOT_FOUND)
        if model.kind != "text":
            raise ApiError(400, f"Model {model.id} is not a text model", code=INVALID_MODEL)
        if not privacy_allows(key.model_privacy, model):
            raise ApiError(
                403,
                f"This API key's model privacy ({key.model_privacy}) does not allow "
                f"{model.privacy} model {model.id}",
                code=MODEL_PRIVACY_RESTRICTED,
            )
        reply = reply_to(request)
        with self._lock:
            now = self.now()
            balances = self.balances(key.account)
            payment = choose_payment(key.consumption_limit, key.spent_in_period(now), balances)
            if payment.currency is None:
                raise ApiError(402, SPENDING_REFUSALS[payment.refusal or ""], code=payment.refusal)
            admission = self._limiter.admit(
                key.account,
                model.id,
                self.model_limits(model.id),
                reply.prompt_tokens + reply.completion_tokens,
                now.strftime("%Y-%m-%d"),
            )
            if admission.exceeded is not None:
                self.record_rate_limit_event(key.id, model.id, admission.exceeded)
                raise ApiError(
                    429,
                    f"Rate limit exceeded ({admission.exceeded}) for model {model.id}",
                    code=RATE_LIMIT_EXCEEDED,
                    headers=admission.headers,
                )
            left = self._charge(key, model, reply, payment.currency, now)
            headers = {
                **admission.headers,
                "x-venice-balance-usd": decimal_text(left["usd"]),
                "x-venice-balance-diem": decimal_text(left["diem"]),
            }
            return request, reply, headers

    def _charge(
        self, key: StoredKey, model: ModelSpec, reply: Reply, currency: Currency, now: datetime
    ) -> dict[Currency, float]:
        """Charge the call to the key and the account; the account's balances after it."""
        cost = model.cost(reply.prompt_tokens, reply.completion_tokens, currency)
        day = key.spend.setdefault(now.strftime("%Y-%m-%d"), {"usd": 0.0, "diem": 0.0})
        day[currency] = day.get(currency, 0.0) + cost
        balances = self.balances(key.account)
        balances[currency] = max(0.0, balances[currency] - cost)
        self._balances[key.account] = balances
        self._save()
        return balances

    def usage(self, key_id: str | None = None) -> list[dict[str, Any]]:
        """A test aid: each key's spending in its period, this week and in all."""
        with self._lock:
            now = self.now()
            keys = [k for k in self._keys.values() if key_id is None or k.id == key_id]
            if key_id is not None and not keys:
                raise ApiError(404, NOT_FOUND)
            return [
                {
                    "id": k.id,
                    "account": k.account,
                    "limitPeriod": k.limit_period,
                    "consumptionLimit": k.consumption_limit,
                    "currentPeriod": k.spent_in_period(now),
                    "trailingSevenDays": spent_since(k.spend, trailing_week_start(now)),
                    "lifetime": spent_since(k.spend, period_start("LIFETIME", now)),
                }
                for k in keys
            ]

    def reset_usage(self, key_id: str | None = None) -> None:
        """A test aid: forget spending (one key's or all), the rate-limit
        windows, and the account balances set (back to the defaults)."""
        with self._lock:
            for key in self._keys.values():
                if key_id is None or key.id == key_id:
                    key.spend.clear()
            if key_id is None:
                self._limiter.reset()
                self._balances.clear()
            self._save()

    # -- rules -------------------------------------------------------------

    def _active(self, account: str) -> list[StoredKey]:
        now = self.now()
        return [k for k in self._keys.values() if k.account == account and not k.expired(now)]

    def _find(self, account: str, key_id: str, not_found: str) -> StoredKey:
        key = self._keys.get(key_id)
        if key is None or key.account != account or key.expired(self.now()):
            raise ApiError(400, not_found)
        return key

    def _expiry(self, value: str | None) -> str | None:
        if not value:
            return None
        instant = parse_expiry(value)
        if instant <= self.now():
            raise ApiError(
                400,
                INVALID_REQUEST,
                details={
                    "_errors": [],
                    "expiresAt": {"_errors": ["Expiration must be in the future"]},
                },
            )
        return format_expiry(instant)

    def _admit_creation(self, account: str) -> None:
        """The creation rate limit (sliding window) and the active-key limit."""
        window = self.limits.creation_window_seconds
        now = time.monotonic()
        recent = self._creations.setdefault(account, deque())
        while recent and recent[0] <= now - window:
            recent.popleft()
        if len(recent) >= self.limits.creations_per_window:
            wait = max(1, math.ceil(recent[0] + window - now))
            raise ApiError(429, RATE_LIMITED, headers={"Retry-After": str(wait)})
        if len(self._active(account)) >= self.limits.max_active_keys:
            # Guess: Venice's status and text for this limit are not documented.
            raise ApiError(
                400, f"Maximum number of active API keys reached ({self.limits.max_active_keys})"
            )
        recent.append(now)

    def _create(self, account: str, request: CreateApiKeyRequest) -> CreatedApiKey:
        with self._lock:
            expires_at = self._expiry(request.expires_at)
            self._admit_creation(account)
            limits = request.consumption_limit or ConsumptionLimit()
            secret = SECRET_PREFIXES[request.api_key_type] + "".join(
                secrets.choice(_SECRET_ALPHABET) for _ in range(_SECRET_LENGTH)
            )
            key = StoredKey(
                id=str(uuid.uuid4()),
                secret=secret,
                api_key_type=request.api_key_type,
                description=request.description,
                account=account,
                created_at=format_expiry(self.now()),
                expires_at=expires_at,
                consumption_limit=limits.model_dump(),
                limit_period=request.limit_period or "EPOCH",
                model_privacy=request.model_privacy or "ALL",  # guess: the default is ALL
            )
            self._store(key)
            self._save()
            return created_answer(key, self.now())
