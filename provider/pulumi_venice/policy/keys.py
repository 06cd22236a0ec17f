"""One Venice key as the policies see it, from either door: the dynamic
provider's ``pulumi-python:dynamic/venice:ApiKey`` (snake_case properties) and
the native plugin's ``venice:index:ApiKey`` (camelCase), and their Web3 kinds.

A value the engine does not know yet (at preview, a property computed from
another resource's output) stays Pulumi's sentinel (:func:`is_unknown`): the policies
treat it as "not a violation yet", and the engine asks them again at ``up``,
when it is known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ..plugin.schema import API_KEY, WEB3_API_KEY
from ..plugin.values import camel, snake
from ..settings.fields import UNKNOWN, contains_unknown

# The resource types of a Venice key, by door, and the kind each one is.
KEY_TYPES: Final[Mapping[str, str]] = {
    "pulumi-python:dynamic/venice:ApiKey": "ApiKey",
    "pulumi-python:dynamic/venice:Web3ApiKey": "Web3ApiKey",
    API_KEY: "ApiKey",
    WEB3_API_KEY: "Web3ApiKey",
}
# Pulumi's sentinels for a value not known yet, one per type (pulumi_policy's
# proxy.py and the engine's resource/properties.go).
UNKNOWN_SENTINELS: Final = frozenset(
    {
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",  # boolean
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",  # number
        UNKNOWN,  # string (the core's own marker)
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",  # array
        "030794c1-ac77-496b-92df-f27374a8bd58",  # asset
        "e48ece36-62e2-4504-bad9-02848725956a",  # archive
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",  # object
    }
)


def is_unknown(value: Any) -> bool:
    """Whether a value is, or holds, one not known yet."""
    return contains_unknown(value, UNKNOWN_SENTINELS)


def _snake_names(value: Any) -> Any:
    """A property with its names in snake_case at every depth."""
    if isinstance(value, Mapping):
        return {snake(str(k)): _snake_names(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_snake_names(v) for v in value]
    return value


@dataclass(frozen=True)
class VeniceKey:
    """A Venice key resource: its name, kind and properties (snake_case)."""

    name: str
    kind: str
    # "plugin" (camelCase names) or "dynamic" (snake_case, as Python programs write them).
    door: str
    urn: str
    props: Mapping[str, Any]
    # Top-level properties the engine sent as secrets.
    secrets: frozenset[str] = field(default_factory=frozenset)

    def get(self, name: str) -> Any:
        """A property: None when absent, a sentinel (:func:`is_unknown`) when not known yet."""
        return self.props.get(name)

    def known(self, *names: str) -> bool:
        """Whether these properties are all known (absent counts as known)."""
        return not any(is_unknown(self.props.get(n)) for n in names)

    def spelled(self, name: str) -> str:
        """A field's name as the program wrote it (``consumptionLimit.usd`` in
        YAML and the plugin's SDKs, ``consumption_limit.usd`` in Python's)."""
        if self.door != "plugin":
            return name
        return ".".join(camel(part) for part in name.split("."))

    def label(self) -> str:
        """How a message names the key: ``ApiKey "app"``."""
        return f'{self.kind} "{self.name}"'

    @property
    def is_admin(self) -> bool:
        return bool(self.get("api_key_type") == "ADMIN")


def venice_key(
    resource_type: str,
    name: str,
    urn: str,
    props: Mapping[str, Any],
    secrets: frozenset[str] = frozenset(),
) -> VeniceKey | None:
    """The key a resource is, or None for a resource that is no Venice key."""
    kind = KEY_TYPES.get(resource_type)
    if kind is None:
        return None
    plain = {snake(str(k)): v for k, v in props.items()}
    # The user's own map keeps its names; every other object is ours to rename.
    converted = {k: (v if k == "keepers" else _snake_names(v)) for k, v in plain.items()}
    door = "plugin" if resource_type in (API_KEY, WEB3_API_KEY) else "dynamic"
    return VeniceKey(name, kind, door, urn, converted, frozenset(snake(s) for s in secrets))
