"""The emulated Venice service: its rules, apart from HTTP. :class:`Backend`
is the key rules (here: list, get, create, update, delete, wallet keys, the
creation limits) over the state of :mod:`.store`, with the inference rules
of :mod:`.accounting`.

Plain Python objects behind one lock, so the rules can be tested without a
server and the HTTP layer stays thin. Answers are the wire models of
:mod:`pulumi_venice.venice.models` (the ones the client parses); refusals are
:class:`ApiError` with Venice's status and error body. Where Venice's
behaviour is undocumented the choice is marked ``guess`` and is what a careful
user would expect.

The backend never logs and never puts a secret in an error body.
"""

from __future__ import annotations

import math
import secrets
import time
import uuid
from collections import deque
from typing import Any

from ..settings.times import format_expiry, parse_expiry
from ..venice.models import (
    ApiKeyRecord,
    ConsumptionLimit,
    CreateApiKeyRequest,
    CreatedApiKey,
    UpdateApiKeyRequest,
    Web3CreateApiKeyRequest,
)
from .accounting import InferenceRules
from .store import (
    AUTH_FAILED,
    DEFAULT_ACCOUNT,
    DELETE_NOT_FOUND,
    INVALID_REQUEST,
    NOT_FOUND,
    RATE_LIMITED,
    SECRET_ALPHABET,
    SECRET_LENGTH,
    SECRET_PREFIXES,
    ApiError,
    Limits,
    StoredKey,
    created_answer,
    parse_body,
)
from .web3 import Web3Error, recover_signer

__all__ = [  # what the server, the CLI and the tests take from here
    "AUTH_FAILED",
    "DEFAULT_ACCOUNT",
    "ApiError",
    "Backend",
    "Limits",
    "StoredKey",
]


class Backend(InferenceRules):
    """Every rule of the emulated ``/api_keys`` API (and, through
    :class:`~.accounting.InferenceRules`, of inference), thread-safe."""

    # -- the operations ----------------------------------------------------------

    def list_keys(self, caller: StoredKey) -> list[ApiKeyRecord]:
        with self._lock:
            return [k.record(self.now()) for k in self._active(caller.account)]

    def get_key(self, caller: StoredKey, key_id: str) -> ApiKeyRecord:
        with self._lock:
            return self._find(caller.account, key_id, NOT_FOUND).record(self.now())

    def create_key(self, caller: StoredKey, body: Any) -> CreatedApiKey:
        request: CreateApiKeyRequest = parse_body(CreateApiKeyRequest, body)
        return self._create(caller.account, request)

    def update_key(self, caller: StoredKey, body: Any) -> ApiKeyRecord:
        request: UpdateApiKeyRequest = parse_body(UpdateApiKeyRequest, body)
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

    def web3_token(self) -> str:
        return self._tokens.issue()

    def create_web3_key(self, body: Any) -> CreatedApiKey:
        request: Web3CreateApiKeyRequest = parse_body(Web3CreateApiKeyRequest, body)
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

    # -- rules ------------------------------------------------------------------

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
                secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH)
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
