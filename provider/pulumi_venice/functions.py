"""Data functions: the account's keys and limits, read from a stack or a script.

In the style of Pulumi's generated SDKs: ``get_api_key(id)`` returns a typed
result at once, and ``get_api_key_output(id)`` takes and returns Outputs, to
chain with other resources. Credentials come from the same places as the
resources' (stack config ``venice:apiKey``/``venice:baseUrl``, else
``VENICE_API_KEY``/``VENICE_BASE_URL``), and the calls have the same retries
and errors. No result ever holds a secret: Venice returns a key's value only
when the key is created; here a key shows its ``last6_chars``.

Results are the client's pydantic models (snake_case attributes):
:class:`~pulumi_venice.models.ApiKeyRecord`, :class:`RateLimits`,
:class:`RateLimitLogEntry`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from .client import VeniceClient
from .config import CONFIG_KEYS, resolve_settings
from .lifecycle import ADMIN_KEY_REFUSED, settings_client
from .models import ApiKeyRecord, RateLimitLogEntry, RateLimits


@dataclass(frozen=True)
class GetApiKeysResult:
    """Every active key of the account (no secrets)."""

    keys: list[ApiKeyRecord]


@dataclass(frozen=True)
class GetRateLimitLogsResult:
    """The account's last 50 rate-limit events, newest first."""

    entries: list[RateLimitLogEntry]


def _client() -> VeniceClient:
    """A client with the stack's (or the environment's) admin key."""
    stack_config = pulumi.Config("venice")
    config = {key: stack_config.get(key.split(":", 1)[1]) for key in CONFIG_KEYS}
    settings = resolve_settings(config)
    return settings_client(settings, settings.require_api_key(), ADMIN_KEY_REFUSED)


def get_api_keys() -> GetApiKeysResult:
    """Every active key of the account: ids, descriptions, limits, usage."""
    return GetApiKeysResult(keys=_client().list_keys())


def get_api_key(id: str) -> ApiKeyRecord:
    """One key by its id (KeyNotFoundError if Venice has no active key with it)."""
    return _client().get_key(id)


def get_rate_limits() -> RateLimits:
    """The admin key's tier, balances and per-model rate limits."""
    return _client().rate_limits()


def get_rate_limit_logs() -> GetRateLimitLogsResult:
    """The account's last 50 rate-limit events."""
    return GetRateLimitLogsResult(entries=_client().rate_limit_log())


def get_api_keys_output() -> pulumi.Output[GetApiKeysResult]:
    """:func:`get_api_keys` as an Output."""
    return pulumi.Output.from_input(None).apply(lambda _: get_api_keys())


def get_api_key_output(id: pulumi.Input[str]) -> pulumi.Output[ApiKeyRecord]:
    """:func:`get_api_key` for an id that may be an Output (a resource's id)."""
    return pulumi.Output.from_input(id).apply(get_api_key)


def get_rate_limits_output() -> pulumi.Output[RateLimits]:
    """:func:`get_rate_limits` as an Output."""
    return pulumi.Output.from_input(None).apply(lambda _: get_rate_limits())


def get_rate_limit_logs_output() -> pulumi.Output[GetRateLimitLogsResult]:
    """:func:`get_rate_limit_logs` as an Output."""
    return pulumi.Output.from_input(None).apply(lambda _: get_rate_limit_logs())
