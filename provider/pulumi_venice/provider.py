"""Shim: stacks saved before 0.3.0 name the pickled dynamic provider by this
module (``pulumi_venice.provider.ApiKeyProvider``); it lives in
:mod:`pulumi_venice.dynamic.provider`."""

from .dynamic.provider import ApiKeyProvider

__all__ = ["ApiKeyProvider"]
