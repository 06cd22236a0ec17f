"""The words of the plugin's schema that no settings model declares: the
provider's settings, the data functions' results and the enums' values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

CONFIG_DOCS: Final[Mapping[str, tuple[str, str]]] = {
    "apiKey": ("VENICE_API_KEY", "The ADMIN key that manages the account's keys (a secret)."),
    "baseUrl": (
        "VENICE_BASE_URL",
        "The API's base URL (default `https://api.venice.ai/api/v1`; the emulator's for tests).",
    ),
    "requestTimeout": ("VENICE_REQUEST_TIMEOUT", "Seconds one HTTP call may take (default 30)."),
    "maxRetries": ("VENICE_MAX_RETRIES", "Retries of a failed call (default 8)."),
    "operationTimeout": (
        "VENICE_OPERATION_TIMEOUT",
        "Seconds one operation may spend failing and retrying, not counting waits on 429s (default 300).",
    ),
    "rateLimitTimeout": (
        "VENICE_RATE_LIMIT_TIMEOUT",
        "Seconds one operation may take in all while Venice answers 429 with Retry-After (default 3600).",
    ),
}
# Fields of the functions' results (Venice's wire names), for their docs.
RESULT_DOCS: Final[Mapping[str, str]] = {
    "id": "The key's id.",
    "apiKeyType": "`INFERENCE` or `ADMIN`.",
    "consumptionLimits": "The key's spending caps.",
    "limitPeriod": "The window the caps apply to.",
    "modelPrivacy": "Which models the key may call.",
    "createdAt": "When the key was created.",
    "description": "The key's description.",
    "expiresAt": "When the key expires (none: never).",
    "last6Chars": "The last six characters of the key's value.",
    "lastUsedAt": "When the key was last used.",
    "usage": "What the key spent in the last seven days.",
    "trailingSevenDays": "Spending of the last seven days, as decimal strings.",
    "currentPeriodUsage": "Spending in the current limit period (keys with caps only).",
    "usd": "In US dollars.",
    "diem": "In DIEM.",
    "vcu": "In VCU (DIEM's former name).",
    "accessPermitted": "Whether the key may call the inference API.",
    "apiTier": "The account's API tier.",
    "isCharged": "Whether calls are charged.",
    "balances": "The account's balances.",
    "keyExpiration": "When the calling key expires.",
    "nextEpochBegins": "When the next daily epoch begins.",
    "rateLimits": "Per-model rate limits.",
    "apiModelId": "The model's id.",
    "amount": "The limit.",
    "type": "`RPM`, `RPD` or `TPM`.",
    "apiKeyId": "The key that reached a limit.",
    "modelId": "The model called.",
    "rateLimitTier": "The tier whose limit applied.",
    "rateLimitType": "Which limit: `RPM`, `RPD`, `TPM`, ...",
    "timestamp": "When the limit was reached.",
    "USD": "In US dollars.",
    "DIEM": "In DIEM.",
}
# Inputs that take one of a few values: enum types, so that an editor offers
# the values and a typo fails to compile (TypeScript, Go) before preview.
ENUM_VALUE_DOCS: Final[Mapping[str, str]] = {
    "INFERENCE": "Calls models.",
    "ADMIN": "Calls models and manages the account's keys.",
    "EPOCH": "The UTC day (Venice's epoch).",
    "MONTH": "The calendar month.",
    "LIFETIME": "The key's whole life.",
    "ALL": "Every model.",
    "PRIVATE_TEXT": "Private text models only (other kinds of model as usual).",
    "PRIVATE_ONLY": "Private models only.",
}
