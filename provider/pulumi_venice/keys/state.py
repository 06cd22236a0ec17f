"""A key's state: what Pulumi keeps of one key beside its id, as the lifecycle
takes it (refresh, update, destroy, diff) and returns it (create, refresh,
update). The doors translate it at the edge (:meth:`KeyState.from_props`,
:meth:`KeyState.props`: snake_case names, plain values, secrets unwrapped).

Only the fields that were given are written back, so a state round-trips
as it came: a field it lacked stays absent (not null), and a key of another
release keeps its shape. ``tests/unit/test_state.py`` holds the field list to
the settings models' and outputs' declarations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class KeyState(BaseModel):
    """One key as the state holds it: its value, Venice's record of it, the
    settings carried from its inputs, the keys in their grace, and where its
    value was delivered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The key's value (None once delivered: then it is no output).
    api_key: str | None = None
    # Venice's record of the key (records.RECORDED_FIELDS).
    api_key_type: str | None = None
    description: str | None = None
    expires_at: str | None = None
    consumption_limit: dict[str, float | None] | None = None
    limit_period: str | None = None
    model_privacy: str | None = None
    last6_chars: str | None = None
    created_at: str | None = None
    # Carried from the inputs: the keepers, the rotation policy, the sink and
    # the key that manages this one; a wallet's key, its wallet's address.
    keepers: dict[str, str] | None = None
    expires_after: str | None = None
    rotate_after: str | None = None
    renew_before: str | None = None
    retire_grace: str | None = None
    deliver_to: dict[str, Any] | None = None
    admin_api_key: str | None = None
    address: str | None = None
    # The keys this one replaced that are in their grace, and their values
    # ("" for one delivered); 0.2.0 and earlier kept one, as retiring_key_id.
    retiring_key_ids: list[str] | None = None
    retiring_key_values: list[str] | None = None
    retiring_key_id: str | None = None
    # Where the value went (deliver_to), and the fingerprint that proves it.
    delivered_to: str | None = None
    fingerprint: str | None = None

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> KeyState:
        """The state from a door's plain properties (names it does not hold,
        such as a door's hidden inputs, are left out)."""
        return cls.model_validate({k: v for k, v in props.items() if k in cls.model_fields})

    def props(self) -> dict[str, Any]:
        """The fields this state was given, as plain properties."""
        return self.model_dump(exclude_unset=True)

    def with_fields(self, **fields: Any) -> KeyState:
        """This state with ``fields`` given (validated as the rest)."""
        return KeyState.model_validate({**self.props(), **fields})
