"""Shim: stacks saved before 0.3.0 name the pickled dynamic provider by this
module (``pulumi_venice.web3_provider.Web3ApiKeyProvider``); it lives in
:mod:`pulumi_venice.dynamic.web3_provider`."""

from .dynamic.web3_provider import Web3ApiKeyProvider

__all__ = ["Web3ApiKeyProvider"]
