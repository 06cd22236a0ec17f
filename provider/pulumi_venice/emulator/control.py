"""The emulator's control plane (``/_emulator/...``): test aids with no
counterpart at Venice (health, faults, clock, usage, balances, model limits,
rate-limit events, inspection). One small function per route."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, cast, get_args
from urllib.parse import parse_qs

from ..settings.times import format_expiry, parse_duration
from ..venice.models import RateLimitType
from .backend import DEFAULT_ACCOUNT, ApiError, Backend
from .faults import FaultInjector, FaultPlan
from .inference import Currency

Answer = tuple[int, Any, dict[str, str]]
RATE_LIMIT_TYPES: Final = get_args(RateLimitType)


def json_body(raw: bytes) -> Any:
    """A request's JSON body (None when empty); 400 when it is not JSON."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError(400, "Invalid JSON in request body") from None


@dataclass(frozen=True)
class ControlCall:
    """One call to the control plane: what it may use, and what it was sent."""

    backend: Backend
    faults: FaultInjector
    api_requests: int
    query: str
    raw_body: bytes

    def body(self) -> Any:
        return json_body(self.raw_body)

    def key_id(self) -> str | None:
        return next(iter(parse_qs(self.query).get("keyId", [])), None)


def _usage(call: ControlCall) -> Answer:
    return 200, {"data": call.backend.usage(call.key_id())}, {}


def _reset_usage(call: ControlCall) -> Answer:
    call.backend.reset_usage(call.key_id())
    return _usage(call)


def _balances(call: ControlCall) -> Answer:
    # {"account": "default", "usd": 10, "diem": 0}: the account's balances.
    body = call.body()
    if not isinstance(body, dict) or not set(body) <= {"account", "usd", "diem"}:
        raise ApiError(400, "Expected {account?, usd?, diem?}")
    account = str(body.get("account") or DEFAULT_ACCOUNT)
    amounts = {c: float(body[c]) for c in ("usd", "diem") if c in body}
    call.backend.set_balances(account, cast(dict[Currency, float], amounts))
    return 200, {"data": call.backend.balances(account)}, {}


def _model_limits(call: ControlCall) -> Answer:
    # {"model": "llama-3.2-3b", "RPM": 5}: that model's limits from now on.
    body = call.body()
    if not isinstance(body, dict) or not set(body) - {"model"} <= set(RATE_LIMIT_TYPES):
        raise ApiError(400, f"Expected model and any of {RATE_LIMIT_TYPES}")
    limits = {t: float(v) for t, v in body.items() if t != "model"}
    model_id = str(body.get("model"))
    call.backend.set_model_limits(model_id, cast(dict[RateLimitType, float], limits))
    return 200, {"data": call.backend.model_limits(model_id)}, {}


def _set_faults(call: ControlCall) -> Answer:
    changes = call.body()
    if not isinstance(changes, dict):
        raise ApiError(400, "Expected a JSON object of faults")
    try:
        call.faults.update(changes)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"Bad fault plan: {exc}") from None
    return 200, call.faults.describe(), {}


def _clear_faults(call: ControlCall) -> Answer:
    call.faults.replace(FaultPlan())
    return 200, call.faults.describe(), {}


def _clock(call: ControlCall) -> Answer:
    # {"offset": "31d"} moves the emulator's time ahead.
    body = call.body()
    try:
        offset = parse_duration(body.get("offset", 0) if isinstance(body, dict) else None)
    except ValueError as exc:
        raise ApiError(400, f"Bad clock offset: offset {exc}") from None
    call.backend.set_clock_offset(offset)
    return 200, {"now": format_expiry(call.backend.now())}, {}


def _rate_limit_event(call: ControlCall) -> Answer:
    # {"apiKeyId": ..., "modelId": ..., "rateLimitType": "RPM"}: as if inference
    # traffic of that key had exceeded a limit (chat calls also add these).
    body = call.body()
    if not isinstance(body, dict) or body.get("rateLimitType") not in RATE_LIMIT_TYPES:
        raise ApiError(
            400, f"Expected apiKeyId, modelId and rateLimitType (one of {RATE_LIMIT_TYPES})"
        )
    entry = call.backend.record_rate_limit_event(
        str(body.get("apiKeyId")),
        str(body.get("modelId") or "zai-org-glm-5-1"),
        cast(RateLimitType, body["rateLimitType"]),  # checked above
    )
    return 200, {"data": entry.to_wire()}, {}


def _keys(call: ControlCall) -> Answer:
    keys = [
        {
            "id": k.id,
            "account": k.account,
            "apiKeyType": k.api_key_type,
            "description": k.description,
            "expiresAt": k.expires_at,
            "last6Chars": k.secret[-6:],
        }
        for k in call.backend.all_keys()
    ]
    return 200, {"data": keys}, {}


ROUTES: Final[dict[tuple[str, str], Callable[[ControlCall], Answer]]] = {
    ("GET", "/usage"): _usage,
    ("DELETE", "/usage"): _reset_usage,
    ("POST", "/balances"): _balances,
    ("POST", "/model-limits"): _model_limits,
    ("GET", "/health"): lambda _call: (200, {"ok": True}, {}),
    ("GET", "/stats"): lambda call: (200, {"apiRequests": call.api_requests}, {}),
    ("GET", "/faults"): lambda call: (200, call.faults.describe(), {}),
    ("POST", "/faults"): _set_faults,
    ("DELETE", "/faults"): _clear_faults,
    ("POST", "/clock"): _clock,
    ("POST", "/rate-limit-events"): _rate_limit_event,
    ("GET", "/keys"): _keys,
}


def control(method: str, path: str, call: ControlCall) -> Answer:
    """Answer one control-plane call (404 for an unknown route)."""
    route = ROUTES.get((method, path))
    if route is None:
        raise ApiError(404, "Not found")
    return route(call)
