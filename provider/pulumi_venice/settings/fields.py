"""The metadata every input and output is declared with: its role (what a
change of it does), whether it is secret, its meaning, and a stand-in for
preview; the outputs that are no input; and Pulumi's marker for a value not
known until apply time, which the core understands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
)
from pydantic.fields import FieldInfo

from . import times

# Pulumi's marker for a value not known until apply time (pulumi.runtime.rpc.UNKNOWN).
UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


class Role(StrEnum):
    """What an input is to the lifecycle (declared once, on each settings field)."""

    REPLACE = "replace"  # a change needs a new key
    UPDATE = "update"  # Venice changes it in place
    POLICY = (
        "policy"  # rotation policy (rotation.py): the provider acts on it, Venice never sees it
    )
    CREATE_ONLY = "create-only"  # matters only when the key is created
    CREDENTIAL = (
        "credential"  # the key that manages this one: an update in place, Venice sees nothing
    )


def key_field(
    role: Role,
    default: Any = None,
    *,
    secret: bool = False,
    placeholder: Any = None,
    default_factory: Callable[[], Any] | None = None,
    doc: str,
    program_type: str | None = None,
    output_type: str | None = None,
) -> Any:
    """A settings field with its role, whether it is secret, the valid stand-in
    used to check the other fields while this one is unknown, and what it
    means to a user (the schema's description, and so every SDK's and the
    reference docs'). ``program_type`` is what a Python program may pass, where
    it is more than the stored type says, and ``output_type`` the resource's
    output where it is always set (args.py is generated from both)."""
    extra = {"role": role.value, "secret": secret, "placeholder": placeholder}
    if program_type is not None:
        extra["program_type"] = program_type
    if output_type is not None:
        extra["output_type"] = output_type
    if default_factory is not None:
        return Field(
            default_factory=default_factory,
            repr=not secret,
            json_schema_extra=extra,
            description=doc,
        )
    return Field(default, repr=not secret, json_schema_extra=extra, description=doc)


def field_meta(info: FieldInfo) -> dict[str, Any]:
    """What key_field declared of a settings field (role, secret, placeholder, ...)."""
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def fields_with(settings_type: type[BaseModel], *roles: Role) -> tuple[str, ...]:
    """The settings' fields of the given roles, in declaration order."""
    wanted = {role.value for role in roles}
    return tuple(
        name
        for name, info in settings_type.model_fields.items()
        if field_meta(info).get("role") in wanted
    )


def field_doc(settings_type: type[BaseModel], name: str) -> str:
    """What a settings field means, as its declaration says."""
    return settings_type.model_fields[name].description or ""


def secret_fields(settings_type: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name for name, info in settings_type.model_fields.items() if field_meta(info).get("secret")
    )


def _duration(value: Any) -> str | None:
    return None if value is None else times.normalize_duration(value)


Duration = Annotated[str | None, BeforeValidator(_duration)]


def is_duration(info: FieldInfo) -> bool:
    """Whether a settings field is a Duration (``30d``, or a number of days)."""
    return any(getattr(m, "func", None) is _duration for m in info.metadata)


# The outputs that are no input, and what each means: the resources declare
# them (as None) so that Pulumi resolves them.
OUTPUT_DOCS: Final[Mapping[str, str]] = {
    "api_key": (
        "The key's value: a secret, returned by Venice only when the key is created "
        "(empty for a key adopted with `pulumi import`)."
    ),
    "last6_chars": "The last six characters of the key's value, as Venice shows it.",
    "created_at": "When Venice created the key.",
    "retiring_key_ids": (
        "The keys this one replaced that are still in their `retireGrace`, newest first "
        "(empty when there are none): `pulumi destroy` revokes them with this key, and "
        "`pulumi refresh` drops those whose grace has ended."
    ),
    "retiring_key_values": (
        "The values of the keys in `retiringKeyIds`, in the same order (a secret, as "
        "`apiKey` is; empty for a key whose value went to `deliverTo`): with them, "
        "`pulumi refresh` and `pulumi destroy` tell a key that is gone from one that an "
        "admin key of another account cannot see."
    ),
    "delivered_to": (
        "Where `deliverTo` put the key's value; empty when `pulumi refresh` found that the "
        "sink no longer holds this key (the next `pulumi up` delivers a new one)."
    ),
    "fingerprint": (
        "With `deliverTo`: `hmac-sha256:<project>/<stack>:<hex>`, the HMAC-SHA256 of the "
        "key's value keyed by its stack, with which refresh recognises the key in its sink."
    ),
}
# The outputs that may be empty (the others are set on every key).
OPTIONAL_OUTPUTS: Final = frozenset({"delivered_to", "fingerprint"})
# The outputs that are lists of strings (the others are strings).
LIST_OUTPUTS: Final = frozenset({"retiring_key_ids", "retiring_key_values"})
OUTPUT_ONLY_FIELDS: Final[tuple[str, ...]] = tuple(OUTPUT_DOCS)


def contains_unknown(value: Any, markers: frozenset[str] = frozenset({UNKNOWN})) -> bool:
    """Whether a value is, or holds, a preview-time unknown (UNKNOWN, or
    another of ``markers``: a policy pack sees one sentinel per type)."""
    if isinstance(value, str) and value in markers:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v, markers) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v, markers) for v in value)
    return False
