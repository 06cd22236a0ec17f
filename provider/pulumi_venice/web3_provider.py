"""The dynamic provider of ``Web3ApiKey``: the same translation as
:mod:`pulumi_venice.provider`, onto :class:`~pulumi_venice.web3_lifecycle.Web3KeyLifecycle`.

Existing stacks name this class by module in their state
(``pulumi_venice.web3_provider.Web3ApiKeyProvider``): it stays here.
"""

from __future__ import annotations

from .provider import ApiKeyProvider
from .web3_lifecycle import Web3KeyLifecycle


class Web3ApiKeyProvider(ApiKeyProvider):
    """Manages Venice API keys created by a wallet (``/api_keys/generate_web3_key``)."""

    lifecycle_type = Web3KeyLifecycle
