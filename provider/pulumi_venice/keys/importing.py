"""Adopting an existing key (``import_id``) instead of creating one: checked
against what the program says of it, and given the program's settings."""

from __future__ import annotations

from ..settings import times
from ..settings.checking import changed_fields
from ..settings.inputs import UPDATE_FIELDS, KeySettings
from ..settings.times import parse_expiry
from ..venice.client import VeniceClient
from ..venice.errors import ImportKeyError, KeyNotFoundError
from .records import inputs_from, kept_expiry, outputs_from, update_request
from .state import KeyState


def adopt(settings: KeySettings, client: VeniceClient) -> tuple[str, KeyState]:
    """Adopt the existing key ``import_id`` (with ``client``, its manager)
    instead of creating one: its id and state. The key's settings become the
    inputs' (one PATCH, if they differ); its value is ``import_api_key``, if
    given and if it is this key's."""
    key_id = settings.import_id or ""
    inputs = settings.to_inputs()
    try:
        record = client.get_key(key_id)
    except KeyNotFoundError:
        raise ImportKeyError(
            f"Cannot import API key {key_id}: Venice has no active key with that id."
        ) from None
    if record.api_key_type != settings.api_key_type:
        raise ImportKeyError(
            f"Cannot import API key {key_id}: it is an {record.api_key_type} key but "
            f"api_key_type is {settings.api_key_type}, and the type of a key cannot change."
        )
    secret = settings.import_api_key
    if secret is not None and not secret.endswith(record.last6_chars):
        raise ImportKeyError(
            f"Cannot import API key {key_id}: import_api_key is not this key's secret "
            f"(its last six characters do not match)."
        )
    expires_at = kept_expiry(
        settings, {"created_at": record.created_at, "expires_at": record.expires_at}
    )
    if settings.expires_after and expires_at and parse_expiry(expires_at) <= times.now():
        raise ImportKeyError(
            f"Cannot import API key {key_id}: it was created at {record.created_at}, so "
            f"expires_after={settings.expires_after} would have expired it already; give "
            "a longer expires_after, or expires_at."
        )
    wanted = {**inputs, "expires_at": expires_at, "expires_after": None}
    changed, _ = changed_fields(inputs_from(record, settings.keepers), wanted)
    if set(changed) & set(UPDATE_FIELDS):
        record = client.update_key(update_request(key_id, settings, expires_at))
    outputs = outputs_from(record, api_key=secret, keepers=settings.keepers, expires_as=expires_at)
    return key_id, outputs
