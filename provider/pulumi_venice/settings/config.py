"""Where the provider finds its credential and endpoint, read at run time.

The admin key comes from the stack config ``venice:apiKey`` (set it as a
secret) or from the environment ``VENICE_API_KEY``; the endpoint from
``venice:baseUrl`` or ``VENICE_BASE_URL``. Explicit stack config wins over the
environment. Nothing here is ever pickled: the provider resolves these values
inside the process that runs it, so they never reach Pulumi's state.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from ..venice.errors import ConfigurationError
from ..venice.retry import (
    CONFIG_MAX_RETRIES,
    CONFIG_OPERATION_TIMEOUT,
    CONFIG_RATE_LIMIT_TIMEOUT,
    DEFAULT_MAX_RETRIES,
    DEFAULT_OPERATION_TIMEOUT,
    DEFAULT_RATE_LIMIT_TIMEOUT,
    ENV_MAX_RETRIES,
    ENV_OPERATION_TIMEOUT,
    ENV_RATE_LIMIT_TIMEOUT,
)

CONFIG_API_KEY: Final = "venice:apiKey"
CONFIG_BASE_URL: Final = "venice:baseUrl"
CONFIG_REQUEST_TIMEOUT: Final = "venice:requestTimeout"
ENV_API_KEY: Final = "VENICE_API_KEY"
ENV_BASE_URL: Final = "VENICE_BASE_URL"
ENV_REQUEST_TIMEOUT: Final = "VENICE_REQUEST_TIMEOUT"
DEFAULT_BASE_URL: Final = "https://api.venice.ai/api/v1"
DEFAULT_REQUEST_TIMEOUT: Final = 30.0
CONFIG_KEYS: Final = (
    CONFIG_API_KEY,
    CONFIG_BASE_URL,
    CONFIG_REQUEST_TIMEOUT,
    CONFIG_MAX_RETRIES,
    CONFIG_OPERATION_TIMEOUT,
    CONFIG_RATE_LIMIT_TIMEOUT,
)

MISSING_API_KEY_MESSAGE: Final = (
    "No Venice admin API key is configured: run "
    f"`pulumi config set --secret {CONFIG_API_KEY}` and paste the key when asked (or pipe "
    f"it in; never put it on the command line), or set the environment variable {ENV_API_KEY}."
)


@dataclass(frozen=True)
class ProviderSettings:
    """What one provider process uses to talk to Venice."""

    base_url: str = DEFAULT_BASE_URL
    api_key: str | None = field(default=None, repr=False)
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    operation_timeout: float = DEFAULT_OPERATION_TIMEOUT
    rate_limit_timeout: float = DEFAULT_RATE_LIMIT_TIMEOUT

    def require_api_key(self) -> str:
        """The admin key, or a ConfigurationError that says how to set it."""
        if not self.api_key:
            raise ConfigurationError(MISSING_API_KEY_MESSAGE)
        return self.api_key


def unknown_settings(keys: Iterable[str], *, refused: bool = False) -> list[str]:
    """One sentence per ``venice:*`` setting that is not one of ours, naming
    the likely one: a warning that it is ignored (stack config, which a typo
    would otherwise silently miss), or, ``refused``, the reason it fails (the
    native plugin's provider inputs, which preview refuses)."""
    known = {key.lower(): key for key in CONFIG_KEYS}
    warnings = []
    for key in sorted(keys):
        if not key.startswith("venice:") or key in CONFIG_KEYS:
            continue
        likely = known.get(key.lower()) or next(
            iter(difflib.get_close_matches(key, CONFIG_KEYS, n=1, cutoff=0.6)), None
        )
        hint = f"did you mean {likely}? " if likely else ""
        warnings.append(
            f"{key} is not a setting of pulumi-venice{'' if refused else ' and is ignored'} ({hint}"
            f"the settings are {', '.join(CONFIG_KEYS)})"
        )
    return warnings


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _first(config: Mapping[str, Any], key: str, env: Mapping[str, str], env_key: str) -> str | None:
    return _text(config.get(key)) or _text(env.get(env_key))


def _base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"The Venice base URL must be an http(s) URL such as {DEFAULT_BASE_URL}; "
            f"check {CONFIG_BASE_URL} or {ENV_BASE_URL}."
        )
    return value.rstrip("/")


def _seconds(value: str, what: str, config_key: str, env_key: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigurationError(
            f"The {what} must be a positive number of seconds; check {config_key} or {env_key}."
        )
    return seconds


def _count(value: str, config_key: str, env_key: str) -> int:
    if not value.isdigit():
        raise ConfigurationError(
            f"The number of retries must be a whole number from 0; check {config_key} or {env_key}."
        )
    return int(value)


def resolve_settings(
    config: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> ProviderSettings:
    """Settings from stack config (keys like ``venice:apiKey``), then the environment."""
    config = config or {}
    env = os.environ if environ is None else environ
    base_url = _first(config, CONFIG_BASE_URL, env, ENV_BASE_URL)
    timeout = _first(config, CONFIG_REQUEST_TIMEOUT, env, ENV_REQUEST_TIMEOUT)
    retries = _first(config, CONFIG_MAX_RETRIES, env, ENV_MAX_RETRIES)
    deadline = _first(config, CONFIG_OPERATION_TIMEOUT, env, ENV_OPERATION_TIMEOUT)
    rate_deadline = _first(config, CONFIG_RATE_LIMIT_TIMEOUT, env, ENV_RATE_LIMIT_TIMEOUT)
    return ProviderSettings(
        base_url=_base_url(base_url) if base_url else DEFAULT_BASE_URL,
        api_key=_first(config, CONFIG_API_KEY, env, ENV_API_KEY),
        request_timeout=_seconds(
            timeout, "request timeout", CONFIG_REQUEST_TIMEOUT, ENV_REQUEST_TIMEOUT
        )
        if timeout
        else DEFAULT_REQUEST_TIMEOUT,
        max_retries=_count(retries, CONFIG_MAX_RETRIES, ENV_MAX_RETRIES)
        if retries
        else DEFAULT_MAX_RETRIES,
        operation_timeout=_seconds(
            deadline, "operation timeout", CONFIG_OPERATION_TIMEOUT, ENV_OPERATION_TIMEOUT
        )
        if deadline
        else DEFAULT_OPERATION_TIMEOUT,
        rate_limit_timeout=_seconds(
            rate_deadline, "rate-limit timeout", CONFIG_RATE_LIMIT_TIMEOUT, ENV_RATE_LIMIT_TIMEOUT
        )
        if rate_deadline
        else DEFAULT_RATE_LIMIT_TIMEOUT,
    )
