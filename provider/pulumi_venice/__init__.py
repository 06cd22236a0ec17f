"""pulumi-venice: manage Venice AI API keys as code with Pulumi.

Resources: :class:`ApiKey` (keys created with an admin key). Providers, for
driving them directly: :class:`ApiKeyProvider`. A local Venice API emulator
lives in :mod:`pulumi_venice.emulator` (command ``venice-emulator``).
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
from .resources import ApiKey, ApiKeyArgs, ConsumptionLimitArgs

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
    "__version__",
    "resolve_settings",
]
