"""The inference side of the emulated service: what a key's consumer is
charged and limited by (models, balances, caps, rate limits and their log,
usage), over the :class:`~.store.KeyStore`."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ..settings.times import format_expiry
from ..venice.models import (
    ApiTier,
    Balances,
    ModelRateLimit,
    ModelRateLimits,
    RateLimitLogEntry,
    RateLimits,
    RateLimitType,
)
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
    Reply,
    privacy_allows,
    reply_to,
)
from .spending import choose_payment, decimal_text, period_start, spent_since, trailing_week_start
from .store import (
    AUTH_FAILED,
    NOT_FOUND,
    SPENDING_REFUSALS,
    ApiError,
    KeyStore,
    StoredKey,
    parse_body,
)


class InferenceRules(KeyStore):
    """The rules of inference calls and the account's rate limits."""

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
        request: ChatRequest = parse_body(ChatRequest, body)
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
