"""Pulumi's values in and out of the native plugin: ``PropertyValue`` maps in
camelCase on the wire, plain Python values in snake_case for the lifecycle
core.

Names at the top level are translated (``apiKeyType`` and ``api_key_type``),
and inside the objects whose fields the schema names (:data:`NAMED_OBJECTS`:
``deliverTo.awsSecretsManager.secretId``); the keys of a map such as
``keepers`` are the user's own.
Secrets are unwrapped where a call enters and the core's secret fields are
wrapped again where it leaves; an unknown (computed) value becomes the core's
UNKNOWN. Numbers are floats on the wire (Pulumi has no integers).

Unknowns travel as Pulumi's wire sentinel, a string (``rpc.UNKNOWN``, the
same text as the core's UNKNOWN), both ways: the SDK reads an incoming one as
that string, and cannot marshal its own ``PropertyValue.computed()`` (it
raises "Unsupported value type"), so an outgoing one is sent as the string too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from pulumi.provider.experimental.property_value import Computed, PropertyValue

from ..settings.fields import UNKNOWN

_UPPER = re.compile(r"(?<=[a-z0-9])([A-Z])")
# Inputs that are objects of the schema's own types, named at every depth.
NAMED_OBJECTS: Final = frozenset({"deliver_to"})


@functools.cache  # a few dozen names, each translated on every call
def camel(name: str) -> str:
    """``api_key_type`` -> ``apiKeyType`` (``last6_chars`` -> ``last6Chars``)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@functools.cache
def snake(name: str) -> str:
    """``apiKeyType`` -> ``api_key_type`` (the inverse of :func:`camel`)."""
    return _UPPER.sub(r"_\1", name).lower()


def plain_value(value: PropertyValue) -> Any:
    """A PropertyValue as a plain value, secrets unwrapped, unknowns as UNKNOWN."""
    inner = value.value
    if isinstance(inner, Computed):
        return UNKNOWN
    if isinstance(inner, Mapping):
        return {k: plain_value(v) for k, v in inner.items()}
    if isinstance(inner, tuple | list):
        return [plain_value(v) for v in inner]
    return inner


def _renamed(value: Any, name: Callable[[str], str]) -> Any:
    """A nested object with every field renamed by ``name``."""
    if isinstance(value, Mapping):
        return {name(k): _renamed(v, name) for k, v in value.items()}
    return value


def plain(props: Mapping[str, PropertyValue]) -> dict[str, Any]:
    """Wire properties (camelCase) as the core takes them (snake_case, plain)."""
    values = {snake(k): plain_value(v) for k, v in props.items()}
    return {k: _renamed(v, snake) if k in NAMED_OBJECTS else v for k, v in values.items()}


def property_value(value: Any, *, secret: bool = False) -> PropertyValue:
    """A plain value as a PropertyValue (ints become floats; UNKNOWN stays the
    wire's unknown sentinel)."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        wrapped = PropertyValue(value)
    elif isinstance(value, int):
        wrapped = PropertyValue(float(value))
    elif isinstance(value, Mapping):
        wrapped = PropertyValue({str(k): property_value(v) for k, v in value.items()})
    elif isinstance(value, list | tuple):
        wrapped = PropertyValue([property_value(v) for v in value])
    else:
        raise TypeError(f"cannot send a {type(value).__name__} to Pulumi")
    return wrapped.with_secret(True) if secret else wrapped


def wire(values: Mapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, PropertyValue]:
    """The core's values (snake_case) as wire properties (camelCase), with the
    named fields marked secret (a missing secret stays null, not secret)."""
    hidden = set(secrets)
    return {
        camel(k): property_value(
            _renamed(v, camel) if k in NAMED_OBJECTS else v, secret=k in hidden and v is not None
        )
        for k, v in values.items()
    }
