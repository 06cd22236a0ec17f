"""A key's state (keys/state.py) holds what the declarations say a key's
state holds, and round-trips a door's properties as they came."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pulumi_venice.keys.records import RECORDED_FIELDS
from pulumi_venice.keys.state import KeyState
from pulumi_venice.settings.fields import OUTPUT_ONLY_FIELDS
from pulumi_venice.settings.inputs import CREDENTIAL_FIELDS, POLICY_FIELDS

# Written by 0.2.0 and earlier; read, never written.
LEGACY: frozenset[str] = frozenset({"retiring_key_id"})


def test_the_state_has_a_field_for_every_declared_output_and_carried_input() -> None:
    declared = {
        *RECORDED_FIELDS,
        *OUTPUT_ONLY_FIELDS,
        *POLICY_FIELDS,
        *CREDENTIAL_FIELDS,
        "keepers",
        "deliver_to",
        "address",  # a wallet's key: its wallet's
    }
    assert set(KeyState.model_fields) - LEGACY == declared


def test_a_state_round_trips_absent_and_null_fields_as_they_came() -> None:
    props = {
        "api_key": None,
        "description": "d",
        "keepers": {"g": "1"},
        "consumption_limit": {"usd": 5.0, "diem": None},
        "retiring_key_ids": ["a"],
        "__provider": "pickled",  # a door's hidden input: not the key's state
    }
    state = KeyState.from_props(props)
    assert state.props() == {k: v for k, v in props.items() if k != "__provider"}
    assert "expires_at" not in state.props()


def test_a_state_built_with_a_name_it_does_not_hold_is_refused() -> None:
    with pytest.raises(ValidationError):
        KeyState().with_fields(expires_in="1d")
