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
from .settings.config import ProviderSettings, resolve_settings
from .venice.client import AsyncVeniceClient, VeniceClient
from .venice.errors import (
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
from .venice.models import ApiKeyRecord, RateLimitLogEntry, RateLimits

# What needs the Pulumi SDK (resources, providers, data functions) is imported
# on first use, so that the client, the emulator and venice-orphans do not
# load it.
_PULUMI_FACING: Final = {
    "GetApiKeysResult": "dynamic.functions",
    "GetRateLimitLogsResult": "dynamic.functions",
    "get_api_key": "dynamic.functions",
    "get_api_key_output": "dynamic.functions",
    "get_api_keys": "dynamic.functions",
    "get_api_keys_output": "dynamic.functions",
    "get_rate_limit_logs": "dynamic.functions",
    "get_rate_limit_logs_output": "dynamic.functions",
    "get_rate_limits": "dynamic.functions",
    "get_rate_limits_output": "dynamic.functions",
    "ApiKeyProvider": "dynamic.provider",
    "Web3ApiKeyProvider": "dynamic.web3_provider",
    "ApiKey": "dynamic.resources",
    "ApiKeyArgs": "dynamic.args",
    "ConsumptionLimitArgs": "dynamic.args",
    "Web3ApiKey": "dynamic.resources",
    "Web3ApiKeyArgs": "dynamic.args",
}

if TYPE_CHECKING:
    from .dynamic.args import ApiKeyArgs, ConsumptionLimitArgs, Web3ApiKeyArgs
    from .dynamic.functions import (
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
    from .dynamic.provider import ApiKeyProvider
    from .dynamic.resources import ApiKey, Web3ApiKey
    from .dynamic.web3_provider import Web3ApiKeyProvider


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
