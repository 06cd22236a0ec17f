"""The dynamic provider of ``Web3ApiKey``: the same translation as
:mod:`pulumi_venice.dynamic.provider`, onto :class:`~pulumi_venice.keys.web3.Web3KeyLifecycle`.

Stacks saved before 0.3.0 name this class by its old module
(``pulumi_venice.web3_provider.Web3ApiKeyProvider``), which re-exports it.
"""

from __future__ import annotations

from ..keys.web3 import Web3KeyLifecycle
from .provider import ApiKeyProvider


class Web3ApiKeyProvider(ApiKeyProvider):
    """Manages Venice API keys created by a wallet (``/api_keys/generate_web3_key``)."""

    lifecycle_type = Web3KeyLifecycle
