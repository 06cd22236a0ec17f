"""pulumi-venice: manage Venice AI API keys as code with Pulumi.

Resources: :class:`ApiKey` (keys created with an admin key) and
:class:`Web3ApiKey` (keys created by a wallet's signature). Providers, for
driving them directly: :class:`ApiKeyProvider`, :class:`Web3ApiKeyProvider`.
Data functions: :func:`get_api_keys`, :func:`get_api_key`,
:func:`get_rate_limits`, :func:`get_rate_limit_logs` (and ``*_output``
forms). Clients for scripts: :class:`VeniceClient`, :class:`AsyncVeniceClient`.
A local Venice API emulator lives in :mod:`pulumi_venice.emulator` (command
``venice-emulator``).
"""

import importlib
from typing import TYPE_CHECKING, Any, Final

from ._version import __version__
from .client import AsyncVeniceClient, VeniceClient
from .config import ProviderSettings, resolve_settings
from .errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidRequestError,
    KeyNotFoundError,
    KeyOutOfReachError,
    NotConnectedError,
    PartialCreateError,
    RateLimitedError,
    ServerError,
    TransportError,
    VeniceApiError,
    VeniceError,
)
from .models import ApiKeyRecord, RateLimitLogEntry, RateLimits

# What needs the Pulumi SDK (resources, providers, data functions) is imported
# on first use, so that the client, the emulator and venice-orphans do not
# load it.
_PULUMI_FACING: Final = {
    "GetApiKeysResult": "functions",
    "GetRateLimitLogsResult": "functions",
    "get_api_key": "functions",
    "get_api_key_output": "functions",
    "get_api_keys": "functions",
    "get_api_keys_output": "functions",
    "get_rate_limit_logs": "functions",
    "get_rate_limit_logs_output": "functions",
    "get_rate_limits": "functions",
    "get_rate_limits_output": "functions",
    "ApiKeyProvider": "provider",
    "Web3ApiKeyProvider": "web3_provider",
    "ApiKey": "resources",
    "ApiKeyArgs": "args",
    "ConsumptionLimitArgs": "args",
    "Web3ApiKey": "resources",
    "Web3ApiKeyArgs": "args",
}

if TYPE_CHECKING:
    from .args import ApiKeyArgs, ConsumptionLimitArgs, Web3ApiKeyArgs
    from .functions import (
        GetApiKeysResult,
        GetRateLimitLogsResult,
        get_api_key,
        get_api_key_output,
        get_api_keys,
        get_api_keys_output,
        get_rate_limit_logs,
        get_rate_limit_logs_output,
        get_rate_limits,
        get_rate_limits_output,
    )
    from .provider import ApiKeyProvider
    from .resources import ApiKey, Web3ApiKey
    from .web3_provider import Web3ApiKeyProvider


def __getattr__(name: str) -> Any:
    module = _PULUMI_FACING.get(name)
    if module is None:
        raise AttributeError(f"module 'pulumi_venice' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ApiKey",
    "ApiKeyArgs",
    "ApiKeyProvider",
    "ApiKeyRecord",
    "AsyncVeniceClient",
    "AuthenticationError",
    "ConfigurationError",
    "ConsumptionLimitArgs",
    "GetApiKeysResult",
    "GetRateLimitLogsResult",
    "InvalidRequestError",
    "KeyNotFoundError",
    "KeyOutOfReachError",
    "NotConnectedError",
    "PartialCreateError",
    "ProviderSettings",
    "RateLimitLogEntry",
    "RateLimitedError",
    "RateLimits",
    "ServerError",
    "TransportError",
    "VeniceApiError",
    "VeniceClient",
    "VeniceError",
    "Web3ApiKey",
    "Web3ApiKeyArgs",
    "Web3ApiKeyProvider",
    "__version__",
    "get_api_key",
    "get_api_key_output",
    "get_api_keys",
    "get_api_keys_output",
    "get_rate_limit_logs",
    "get_rate_limit_logs_output",
    "get_rate_limits",
    "get_rate_limits_output",
    "resolve_settings",
]
