"""The wire mapping of a key: its outputs and inputs from Venice's record, and
the requests made from its settings. Pure functions: no calls, no Pulumi."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypeVar

from pydantic import BaseModel

from ..settings.checking import same_expiry
from ..settings.fields import OUTPUT_ONLY_FIELDS, Role, fields_with
from ..settings.inputs import KeySettings
from ..settings.key_settings import BaseKeySettings, LimitSettings
from ..settings.times import format_expiry
from ..venice.models import ApiKeyRecord, CreateApiKeyRequest, CreatedApiKey, UpdateApiKeyRequest
from . import rotation
from .state import KeyState

# Where Venice's record names a setting otherwise.
_RECORD_NAMES: Final = {"consumption_limit": "consumption_limits"}
# What the outputs take from Venice's record: each setting Venice keeps and
# the record has (by name), and the record's own facts of the key.
RECORDED_FIELDS: Final[tuple[str, ...]] = tuple(
    name
    for name in (*fields_with(KeySettings, Role.REPLACE, Role.UPDATE), *OUTPUT_ONLY_FIELDS)
    if _RECORD_NAMES.get(name, name) in ApiKeyRecord.model_fields
)


def outputs_from(
    record: ApiKeyRecord,
    *,
    api_key: str | None,
    keepers: Mapping[str, str],
    expires_as: Any = None,
) -> KeyState:
    """The key's state as Venice shows it: its record, plus the secret and keepers.

    ``expires_as`` is the expiry as the program wrote it (``2027-06-30``): when
    it names the same instant as Venice's, it is kept in that form, so that a
    refresh records no difference the program did not make.
    """
    outputs: dict[str, Any] = {"api_key": api_key, "keepers": dict(keepers)}
    for name in RECORDED_FIELDS:
        value = getattr(record, _RECORD_NAMES.get(name, name))
        outputs[name] = value.model_dump() if isinstance(value, BaseModel) else value
    expires_at = record.expires_at
    if expires_at and isinstance(expires_as, str) and same_expiry(expires_as, expires_at):
        outputs["expires_at"] = expires_as
    return KeyState.model_validate(outputs)


def inputs_from(
    record: ApiKeyRecord, keepers: Mapping[str, str], state: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Inputs that describe the key as Venice has it (what a refresh records), in
    the form the program wrote them where they mean the same (``state`` is the
    key's recorded outputs); a key whose expiry comes from ``expires_after`` was
    given no ``expires_at``, and is recorded without one."""
    state = state or {}
    outputs = outputs_from(
        record, api_key=None, keepers=keepers, expires_as=state.get("expires_at")
    ).props()
    inputs = {k: outputs[k] for k in KeySettings.model_fields if k in outputs}
    if state.get("expires_after"):
        inputs["expires_at"] = None
    return inputs


def record_from_created(created: CreatedApiKey) -> ApiKeyRecord:
    """A stand-in record from the create answer, used only when the stored key
    cannot be read (its limits may be wrong: the next refresh corrects them)."""
    return ApiKeyRecord(
        api_key_type=created.api_key_type,
        consumption_limits=created.consumption_limit,
        limit_period=created.limit_period,
        model_privacy=created.model_privacy,
        created_at=None,
        description=created.description,
        expires_at=created.expires_at,
        id=created.id,
        last6Chars=created.api_key[-6:],
        last_used_at=None,
    )


RequestT = TypeVar("RequestT", CreateApiKeyRequest, UpdateApiKeyRequest)


def _request(model: type[RequestT], settings: BaseKeySettings, **given: Any) -> RequestT:
    """A request with every field of ``model`` that the settings also have (by
    name), and ``given``: a setting Venice gains needs no edit here."""
    values = {
        name: getattr(settings, name)
        for name in model.model_fields
        if name in type(settings).model_fields and name not in given
    }
    if isinstance(values.get("consumption_limit"), LimitSettings):
        values["consumption_limit"] = settings.consumption_limit.to_wire()
    return model(**values, **given)


def create_request(
    settings: BaseKeySettings, description: str, expires_at: str | None
) -> CreateApiKeyRequest:
    """The POST that makes the key (under ``description``: a creation marker)."""
    return _request(CreateApiKeyRequest, settings, description=description, expires_at=expires_at)


def update_request(
    key_id: str, settings: BaseKeySettings, expires_at: str | None
) -> UpdateApiKeyRequest:
    """A PATCH that sets every updatable field (``expires_at=None`` clears the expiry)."""
    return _request(UpdateApiKeyRequest, settings, id=key_id, expires_at=expires_at)


def text_value(props: Mapping[str, Any], name: str) -> str | None:
    """A text input or output, or None when it is absent (or not text)."""
    value = props.get(name)
    return value if isinstance(value, str) else None


def kept_expiry(settings: BaseKeySettings, key: Mapping[str, Any]) -> str | None:
    """The expiry an existing key should have: with ``expires_after``, the one
    it has if the policy is unchanged (fixed at creation: never moved by an
    update), else ``created_at + expires_after``; without, ``expires_at``."""
    if settings.expires_after and key.get("expires_after") == settings.expires_after:
        current = key.get("expires_at")
        if isinstance(current, str) and current:
            return current
    if settings.expires_after:
        expiry = rotation.expected_expiry(key, {"expires_after": settings.expires_after})
        if expiry is not None:
            return format_expiry(expiry)
    return settings.expires_at
