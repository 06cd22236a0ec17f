"""Data functions: the account's keys and limits, read from a stack or a script.

In the style of Pulumi's generated SDKs: ``get_api_key(id)`` returns a typed
result at once, and ``get_api_key_output(id)`` takes and returns Outputs, to
chain with other resources. Credentials come from the same places as the
resources' (stack config ``venice:apiKey``/``venice:baseUrl``, else
``VENICE_API_KEY``/``VENICE_BASE_URL``), and the calls have the same retries
and errors. No result ever holds a secret: Venice returns a key's value only
when the key is created; here a key shows its ``last6_chars``.

Results are the client's pydantic models (snake_case attributes):
:class:`~pulumi_venice.venice.models.ApiKeyRecord`, :class:`RateLimits`,
:class:`RateLimitLogEntry`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar, cast

import pulumi
from pydantic import BaseModel

from ..keys.context import ADMIN_KEY_REFUSED, settings_client
from ..settings.config import CONFIG_KEYS, resolve_settings
from ..venice.client import VeniceClient
from ..venice.errors import VeniceError
from ..venice.models import ApiKeyRecord, RateLimitLogEntry, RateLimits


@dataclass(frozen=True)
class GetApiKeysResult:
    """Every active key of the account (no secrets)."""

    keys: list[ApiKeyRecord]


@dataclass(frozen=True)
class GetRateLimitLogsResult:
    """The account's last 50 rate-limit events, newest first."""

    entries: list[RateLimitLogEntry]


F = TypeVar("F", bound=Callable[..., Any])


def _in_programs_as_run_errors(function: F) -> F:
    """In a Pulumi program, a failure is a ``pulumi.RunError``, which Pulumi prints
    as its sentence alone (as the providers' errors are), not after a traceback
    through the retry machinery; a script gets the usual VeniceError."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except VeniceError as error:
            if pulumi.runtime.settings.get_monitor() is None:
                raise
            raise pulumi.RunError(str(error)) from None

    return cast(F, wrapper)


def _client() -> VeniceClient:
    """A client with the stack's (or the environment's) admin key."""
    stack_config = pulumi.Config("venice")
    config = {key: stack_config.get(key.split(":", 1)[1]) for key in CONFIG_KEYS}
    settings = resolve_settings(config)
    return settings_client(settings, settings.require_api_key(), ADMIN_KEY_REFUSED)


@_in_programs_as_run_errors
def get_api_keys() -> GetApiKeysResult:
    """Every active key of the account: ids, descriptions, limits, usage."""
    return GetApiKeysResult(keys=_client().list_keys())


@_in_programs_as_run_errors
def get_api_key(id: str) -> ApiKeyRecord:
    """One key by its id (KeyNotFoundError if Venice has no active key with it)."""
    return _client().get_key(id)


@_in_programs_as_run_errors
def get_rate_limits() -> RateLimits:
    """The admin key's tier, balances and per-model rate limits."""
    return _client().rate_limits()


@_in_programs_as_run_errors
def get_rate_limit_logs() -> GetRateLimitLogsResult:
    """The account's last 50 rate-limit events."""
    return GetRateLimitLogsResult(entries=_client().rate_limit_log())


class Result(dict[str, Any]):
    """A data function's result as an ``*_output`` form gives it, and as Pulumi's
    generated SDKs do: a plain object (a dict, which Pulumi exports and passes
    into other resources as an object with the documented snake_case names)
    whose fields also read as attributes (``result.description``; a field
    named like a dict method, ``keys``, wins over the method at run time, but
    type checkers see the method: write ``result["keys"]``)."""

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("__") and dict.__contains__(self, name):
            return dict.__getitem__(self, name)
        return super().__getattribute__(name)

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"this result has no field {name!r}")


def as_result(value: Any) -> Any:
    """A model, dataclass, dict or list, as Results all the way down."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    elif hasattr(value, "__dataclass_fields__"):
        value = {k: getattr(value, k) for k in asdict(value)}
    if isinstance(value, dict):
        return Result({k: as_result(v) for k, v in value.items()})
    if isinstance(value, list):
        return [as_result(v) for v in value]
    return value


def get_api_keys_output() -> pulumi.Output[Result]:
    """:func:`get_api_keys` as an Output: ``{"keys": [...]}``."""
    return pulumi.Output.from_input(None).apply(lambda _: as_result(get_api_keys()))


def get_api_key_output(id: pulumi.Input[str]) -> pulumi.Output[Result]:
    """:func:`get_api_key` for an id that may be an Output (a resource's id)."""
    return pulumi.Output.from_input(id).apply(lambda key_id: as_result(get_api_key(key_id)))


def get_rate_limits_output() -> pulumi.Output[Result]:
    """:func:`get_rate_limits` as an Output."""
    return pulumi.Output.from_input(None).apply(lambda _: as_result(get_rate_limits()))


def get_rate_limit_logs_output() -> pulumi.Output[Result]:
    """:func:`get_rate_limit_logs` as an Output: ``{"entries": [...]}``."""
    return pulumi.Output.from_input(None).apply(lambda _: as_result(get_rate_limit_logs()))
