"""The settings every kind of key has (:class:`BaseKeySettings`): one
declaration per input (its role, whether it is secret, its meaning, its
program type) with its validation, and the consumption limit's settings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

from ..venice.models import (
    MAX_CONSUMPTION_LIMIT,
    MAX_DESCRIPTION_LENGTH,
    ApiKeyType,
    ConsumptionLimit,
    LimitPeriod,
    ModelPrivacy,
    utf16_length,
)
from . import times
from .fields import Duration, Role, fields_with, key_field
from .sinks import DeliverySettings
from .times import DATE_ONLY, format_expiry, parse_expiry

# A Venice key's value: its prefix names its type (docs).
_KEY_VALUE: Final = re.compile(r"^VENICE_(INFERENCE|ADMIN)_KEY_[A-Za-z0-9_\-]+$")
DEFAULT_LIMIT_PERIOD: Final = "EPOCH"  # Venice's documented default
DEFAULT_MODEL_PRIVACY: Final = "ALL"  # Venice's default is undocumented: we always send one
_CONTROL_CHARACTERS: Final = re.compile(r"[\x00-\x1f\x7f]")


class LimitSettings(BaseModel):
    """Spending caps; each optional, a number from 0 to 9 999 999 999."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    usd: float | None = Field(
        default=None,
        ge=0,
        le=MAX_CONSUMPTION_LIMIT,
        allow_inf_nan=False,
        description="The cap in US dollars (0 to 9 999 999 999); omitted: no cap.",
    )
    diem: float | None = Field(
        default=None,
        ge=0,
        le=MAX_CONSUMPTION_LIMIT,
        allow_inf_nan=False,
        description="The cap in DIEM (0 to 9 999 999 999); omitted: no cap.",
    )
    vcu: float | None = Field(
        default=None,
        ge=0,
        le=MAX_CONSUMPTION_LIMIT,
        allow_inf_nan=False,
        description="The cap in VCU (deprecated by Venice, DIEM's former name).",
    )

    def to_wire(self) -> ConsumptionLimit:
        # Every currency is set explicitly (None clears a cap), so the whole
        # object is sent: whether Venice merges a partial one is unknown.
        return ConsumptionLimit(usd=self.usd, diem=self.diem, vcu=self.vcu)


def _keeper_text(value: Any) -> Any:
    """A number or boolean as the text a user wrote (2.0 from the wire is "2")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and math.isfinite(value):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return value


class BaseKeySettings(BaseModel):
    """The validated, defaulted settings every kind of Venice key has."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    api_key_type: ApiKeyType = key_field(
        Role.REPLACE,
        ...,
        placeholder="INFERENCE",
        doc="`INFERENCE` (calls models) or `ADMIN` (also manages keys). A change makes a new key.",
    )
    description: str = key_field(
        Role.UPDATE,
        ...,
        placeholder="placeholder",
        doc=(
            "What the key is for; 1 to 64 characters (an emoji counts as 2), no control characters."
        ),
    )
    expires_at: str | None = key_field(
        Role.UPDATE,
        program_type="pulumi.Input[str] | datetime | date | None",
        doc=(
            "When Venice expires the key: a date (`2026-12-31`) or a timestamp with a time "
            "zone; omit for a key that never expires."
        ),
    )
    consumption_limit: LimitSettings = key_field(
        Role.UPDATE,
        LimitSettings(),
        placeholder={},
        doc=(
            "Spending caps. Venice charges DIEM first, then USD: cap both to bound the key; "
            "both at 0 means it can spend nothing."
        ),
    )
    limit_period: LimitPeriod = key_field(
        Role.UPDATE,
        DEFAULT_LIMIT_PERIOD,
        placeholder=DEFAULT_LIMIT_PERIOD,
        doc=(
            "The window the caps apply to: `EPOCH` (the UTC day, the default), `MONTH` or "
            "`LIFETIME`."
        ),
    )
    model_privacy: ModelPrivacy = key_field(
        Role.UPDATE,
        DEFAULT_MODEL_PRIVACY,
        placeholder=DEFAULT_MODEL_PRIVACY,
        doc="Which models the key may call: `ALL` (the default), `PRIVATE_TEXT` or `PRIVATE_ONLY`.",
    )
    keepers: dict[str, str] = key_field(
        Role.REPLACE,
        default_factory=dict,
        placeholder={},
        doc=(
            "Arbitrary strings; any change makes a new key (rotation on demand), as in "
            "pulumi-random."
        ),
    )
    expires_after: Duration = key_field(
        Role.POLICY,
        doc="The key expires this long after it is created (`90d`); instead of `expiresAt`.",
    )
    rotate_after: Duration = key_field(
        Role.POLICY, doc="Replace the key once it is this old (`30d`), at the next `pulumi up`."
    )
    renew_before: Duration = key_field(
        Role.POLICY, doc="Replace the key this long before it expires (`7d`); needs `expiresAfter`."
    )
    retire_grace: Duration = key_field(
        Role.POLICY,
        doc=(
            "On replacement, the old key stays valid this long (`2d`) instead of being revoked "
            "at once."
        ),
    )
    deliver_to: DeliverySettings | None = key_field(
        Role.REPLACE,  # the value exists only at creation: a new sink needs a new key
        program_type="pulumi.Input[Mapping[str, Any]] | None",
        output_type="pulumi.Output[dict[str, Any] | None]",
        doc=(
            "Deliver the key's value to one sink (`file`, `command` or `awsSecretsManager`) "
            "instead of the `apiKey` output: it is then never in state, not even encrypted. "
            "A change makes a new key."
        ),
    )
    admin_api_key: str | None = key_field(
        Role.CREDENTIAL,
        secret=True,
        doc=(
            "The ADMIN key that manages this key, instead of the provider's admin key "
            "(`venice:apiKey`); typically another key's `apiKey` output."
        ),
    )

    @field_validator("keepers", mode="before")
    @classmethod
    def _keepers_as_text(cls, value: Any) -> Any:
        """A keeper given as a number or a boolean counts as its text (2 is
        "2", true is "true"): Pulumi YAML and typed stack config hand numbers
        over as numbers, and a keeper is only ever compared."""
        if not isinstance(value, Mapping):
            return value
        return {k: _keeper_text(v) for k, v in value.items()}

    @field_validator("admin_api_key")
    @classmethod
    def _admin_api_key(cls, value: str | None) -> str | None:
        if value is not None and key_value_type(value) != "ADMIN":
            raise ValueError(
                "must be the value of an ADMIN key of the account (it starts with "
                "VENICE_ADMIN_KEY_), such as another key resource's api_key output"
            )
        return value

    def policy_failures(self) -> list[tuple[str, str]]:
        """Rules between the rotation inputs, each naming its field, and what
        the machine lacks for ``deliver_to``."""
        failures: list[tuple[str, str]] = []
        if self.deliver_to is not None:
            failures.extend(self.deliver_to.local_failures())
        if self.expires_after and self.expires_at:
            failures.append(
                ("expires_after", "expires_after and expires_at cannot both be set: choose one")
            )
        if self.renew_before and not self.expires_after:
            failures.append(
                (
                    "renew_before",
                    "renew_before needs expires_after (for example 90d): a key replaced "
                    "ahead of a fixed expires_at would get the same expiry",
                )
            )
        elif self.renew_before and self.expires_after:
            window = times.parse_duration(self.renew_before)
            if window >= times.parse_duration(self.expires_after):
                failures.append(
                    (
                        "renew_before",
                        f"renew_before ({self.renew_before}) must be shorter than "
                        f"expires_after ({self.expires_after}), or every key would be due at once",
                    )
                )
        return failures

    def expiry_at_creation(self, at: datetime) -> str | None:
        """The ``expiresAt`` to create the key with (``expires_after`` counts from ``at``)."""
        if self.expires_after:
            return format_expiry(at + times.parse_duration(self.expires_after))
        return self.expires_at

    @field_validator("description")
    @classmethod
    def _description(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        length = utf16_length(value)
        if length > MAX_DESCRIPTION_LENGTH:
            counted = (
                " (as Venice counts: an emoji or other character beyond U+FFFF counts as two)"
                if length != len(value)
                else ""
            )
            raise ValueError(
                f"is {length} characters long{counted}; at most {MAX_DESCRIPTION_LENGTH} "
                "are allowed"
            )
        if _CONTROL_CHARACTERS.search(value):
            raise ValueError("must not contain control characters such as newlines or tabs")
        return value

    @field_validator("expires_at")
    @classmethod
    def _expires_at(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        try:
            instant = parse_expiry(value)
        except ValueError:
            raise ValueError(
                "must be an ISO 8601 date (2026-12-31) or a timestamp with a time zone "
                "(2026-12-31T23:59:59Z), or empty for no expiry"
            ) from None
        if instant <= times.now():
            raise ValueError(
                f"{value} has passed: a key with that expiry has expired, and Venice deletes "
                "expired keys; give a later expires_at, or expires_after (for example 90d, "
                "with renew_before) to have keys replaced before they expire"
            )
        return value if DATE_ONLY.match(value) else format_expiry(instant)

    def to_inputs(self) -> dict[str, Any]:
        """The normalized inputs Pulumi stores (create-only and rotation fields only
        when set)."""
        optional = fields_with(type(self), Role.POLICY, Role.CREATE_ONLY, Role.CREDENTIAL)
        inputs = self.model_dump(exclude={*optional, "deliver_to"})
        for name in optional:
            if getattr(self, name, None) is not None:
                inputs[name] = getattr(self, name)
        if self.deliver_to is not None:
            inputs["deliver_to"] = self.deliver_to.model_dump(exclude_none=True)
        return inputs


def key_value_type(value: str) -> str | None:
    """The type of key a secret value belongs to (by its prefix), or None if it
    is not shaped like a Venice key's value."""
    match = _KEY_VALUE.match(value)
    return match.group(1) if match else None
