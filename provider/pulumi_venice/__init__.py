"""pulumi-venice: manage Venice AI API keys as code with Pulumi.

Resources: :class:`ApiKey` (keys created with an admin key) and
:class:`Web3ApiKey` (keys created by a wallet's signature). Providers, for
driving them directly: :class:`ApiKeyProvider`, :class:`Web3ApiKeyProvider`.
A local Venice API emulator lives in :mod:`pulumi_venice.emulator` (command
``venice-emulator``).
"""

from ._version import __version__
from .client import VeniceClient
from .config import ProviderSettings, resolve_settings
from .errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidRequestError,
    KeyNotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    VeniceApiError,
    VeniceError,
)
from .provider import ApiKeyProvider
from .resources import ApiKey, ApiKeyArgs, ConsumptionLimitArgs, Web3ApiKey, Web3ApiKeyArgs
from .web3_provider import Web3ApiKeyProvider

__all__ = [
    "ApiKey",
    "ApiKeyArgs",
    "ApiKeyProvider",
    "AuthenticationError",
    "ConfigurationError",
    "ConsumptionLimitArgs",
    "InvalidRequestError",
    "KeyNotFoundError",
    "ProviderSettings",
    "RateLimitedError",
    "ServerError",
    "TransportError",
    "VeniceApiError",
    "VeniceClient",
    "VeniceError",
    "Web3ApiKey",
    "Web3ApiKeyArgs",
    "Web3ApiKeyProvider",
    "__version__",
    "resolve_settings",
]
