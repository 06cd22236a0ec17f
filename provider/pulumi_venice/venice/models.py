"""Wire models of the Venice ``/api_keys`` API.

One pydantic model per wire shape: camelCase on the wire, snake_case in Python.
The HTTP client parses Venice's answers with these models and the emulator
renders its answers with the same ones, so the two cannot drift apart silently;
Venice's OpenAPI document is the judge when they disagree (a conformance test
checks the emulator against it).

Request models refuse unknown fields (as Venice does); response models ignore
them, so that a field Venice adds tomorrow does not break today's provider.
Nothing here does I/O, and no model shows a secret in its ``repr``.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

ApiKeyType = Literal["INFERENCE", "ADMIN"]
LimitPeriod = Literal["EPOCH", "MONTH", "LIFETIME"]
# Least private first: the policy pack's floor compares by this order.
ModelPrivacy = Literal["ALL", "PRIVATE_TEXT", "PRIVATE_ONLY"]
RateLimitType = Literal["RPD", "RPM", "TPM", "FAILED_REQUESTS", "UNSUPPORTED_FEATURE_REQUESTS"]

# The key settings Venice enumerates, by name: the plugin's schema names its
# enum types (and so the SDKs' enums: venice.ApiKeyType.INFERENCE) after them.
ENUMERATIONS: Final[dict[str, Any]] = {
    "ApiKeyType": ApiKeyType,
    "LimitPeriod": LimitPeriod,
    "ModelPrivacy": ModelPrivacy,
}

API_KEY_TYPES: Final[tuple[str, ...]] = get_args(ApiKeyType)
LIMIT_PERIODS: Final[tuple[str, ...]] = get_args(LimitPeriod)
MODEL_PRIVACIES: Final[tuple[str, ...]] = get_args(ModelPrivacy)

MAX_DESCRIPTION_LENGTH: Final = 64
MAX_CONSUMPTION_LIMIT: Final = 9_999_999_999
LIMIT_CURRENCIES: Final[tuple[str, ...]] = ("usd", "diem", "vcu")
WEB3_DEFAULT_DESCRIPTION: Final = "Web3 API Key"

# The three forms of ``expiresAt`` Venice accepts: empty (no expiry), a date,
# or a UTC timestamp with optional milliseconds.
EXPIRES_AT_PATTERN: Final = r"^(|\d{4}-\d{2}-\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z)$"


def utf16_length(text: str) -> int:
    """Length as Venice (JavaScript) counts it: UTF-16 code units, so an emoji counts 2."""
    return len(text.encode("utf-16-le")) // 2


def _at_most_64_units(text: str) -> str:
    if utf16_length(text) > MAX_DESCRIPTION_LENGTH:
        raise ValueError(f"String must contain at most {MAX_DESCRIPTION_LENGTH} character(s)")
    return text


# Venice counts a description's length as JavaScript does (UTF-16 code units).
Description = Annotated[str, AfterValidator(_at_most_64_units)]
LimitAmount = Annotated[float | None, Field(default=None, ge=0, le=MAX_CONSUMPTION_LIMIT)]
ExpiresAt = Annotated[str, Field(pattern=EXPIRES_AT_PATTERN)]


class _Request(BaseModel):
    """A body the client sends: unknown fields are an error."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON body, camelCase, without the fields that were never set."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")


class _Response(BaseModel):
    """A body Venice sends: unknown fields are ignored, not fatal."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )

    def to_wire(self, *, exclude: set[str] | None = None) -> dict[str, Any]:
        """The JSON body as Venice renders it (the emulator's side)."""
        return self.model_dump(by_alias=True, mode="json", exclude=exclude)


class ConsumptionLimit(BaseModel):
    """Spending caps of a key; ``None`` means no cap in that currency."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    usd: LimitAmount = None
    diem: LimitAmount = None
    vcu: LimitAmount = None


class CreateApiKeyRequest(_Request):
    """Body of ``POST /api_keys``."""

    api_key_type: ApiKeyType
    description: Description
    expires_at: ExpiresAt | None = None
    consumption_limit: ConsumptionLimit | None = None
    limit_period: LimitPeriod | None = None
    model_privacy: ModelPrivacy | None = None


class UpdateApiKeyRequest(_Request):
    """Body of ``PATCH /api_keys``: ``id`` plus the fields to change.

    ``expires_at`` set to ``None`` (or ``""``) removes the expiry. Send the
    whole ``consumption_limit``: whether Venice merges a partial one is unknown.
    """

    id: str
    description: Description | None = None
    expires_at: ExpiresAt | None = None
    consumption_limit: ConsumptionLimit | None = None
    limit_period: LimitPeriod | None = None
    model_privacy: ModelPrivacy | None = None


class Web3CreateApiKeyRequest(_Request):
    """Body of ``POST /api_keys/generate_web3_key``: a wallet's signed token."""

    address: str
    signature: str = Field(repr=False)
    token: str = Field(repr=False)
    api_key_type: ApiKeyType
    description: Description = WEB3_DEFAULT_DESCRIPTION
    expires_at: ExpiresAt | None = None
    consumption_limit: ConsumptionLimit | None = None
    limit_period: LimitPeriod | None = None
    model_privacy: ModelPrivacy | None = None


class CreatedApiKey(_Response):
    """``data`` of the create answers: the only time the secret is returned."""

    api_key: str = Field(repr=False)
    api_key_type: ApiKeyType
    consumption_limit: ConsumptionLimit
    limit_period: LimitPeriod
    model_privacy: ModelPrivacy
    description: str | None = None
    expires_at: str | None
    id: str


class TrailingUsage(_Response):
    """Usage of the last seven days, as decimal strings."""

    usd: str
    vcu: str
    diem: str


class Usage(_Response):
    trailing_seven_days: TrailingUsage


class PeriodUsage(_Response):
    """Usage in the current limit period (only for keys with caps)."""

    usd: str
    diem: str


class ApiKeyRecord(_Response):
    """One key as list, read and update describe it (never the secret)."""

    api_key_type: ApiKeyType
    consumption_limits: ConsumptionLimit
    limit_period: LimitPeriod
    model_privacy: ModelPrivacy
    created_at: str | None
    description: str | None = None
    expires_at: str | None
    id: str
    last6_chars: str = Field(alias="last6Chars")
    last_used_at: str | None
    usage: Usage | None = None
    current_period_usage: PeriodUsage | None = None

    def to_wire(self, *, exclude: set[str] | None = None) -> dict[str, Any]:
        # Usage blocks are absent, not null, when there is nothing to report.
        body = super().to_wire(exclude=exclude)
        for name in ("usage", "currentPeriodUsage"):
            if body.get(name, ...) is None:
                del body[name]
        return body


class CreateApiKeyResponse(_Response):
    data: CreatedApiKey
    success: bool


class GetApiKeyResponse(_Response):
    data: ApiKeyRecord


class UpdateApiKeyResponse(_Response):
    data: ApiKeyRecord
    success: bool


class ListApiKeysResponse(_Response):
    data: list[ApiKeyRecord]
    object: Literal["list"] = "list"


class SuccessResponse(_Response):
    success: bool


class Web3Token(_Response):
    token: str = Field(repr=False)


class Web3TokenResponse(_Response):
    data: Web3Token
    success: bool


class ApiTier(_Response):
    id: str
    is_charged: bool


class ModelRateLimit(_Response):
    amount: float
    type: str


class ModelRateLimits(_Response):
    api_model_id: str
    rate_limits: list[ModelRateLimit]


class Balances(_Response):
    """A key's balances (Venice's ``USD`` and ``DIEM``; absent means not reported)."""

    usd: float | None = Field(default=None, alias="USD")
    diem: float | None = Field(default=None, alias="DIEM")


class RateLimits(_Response):
    """What ``GET /api_keys/rate_limits`` says of the calling key."""

    access_permitted: bool
    api_tier: ApiTier
    balances: Balances
    key_expiration: str | None
    next_epoch_begins: str
    rate_limits: list[ModelRateLimits]


class RateLimitsResponse(_Response):
    data: RateLimits


class RateLimitLogEntry(_Response):
    api_key_id: str
    model_id: str
    rate_limit_tier: str
    rate_limit_type: RateLimitType
    timestamp: str


class RateLimitLogResponse(_Response):
    data: list[RateLimitLogEntry]
    object: Literal["list"] = "list"


class ErrorResponse(_Response):
    """Venice's error body; ``details`` maps a field to ``{"_errors": [...]}``."""

    error: str
    details: dict[str, Any] | None = None
    code: str | None = (
        None  # inference errors: Venice's published code (e.g. AUTHENTICATION_FAILED)
    )

    def to_wire(self, *, exclude: set[str] | None = None) -> dict[str, Any]:
        body = super().to_wire(exclude=exclude)
        for name in ("details", "code"):
            if body.get(name) is None:
                body.pop(name, None)
        return body
