"""``deliver_to``: a key's value handed straight to the place that uses it, and
never kept in state, not even encrypted.

Venice shows a key's value once, in the create answer. With ``deliver_to`` the
lifecycle gives it to a sink inside ``create`` and keeps only a reference:
the sink's description (``delivered_to``) and a fingerprint
(:func:`fingerprint`), with which ``refresh`` tells whether the sink still
holds this key. Three sinks:

- ``file``: written atomically (a temporary file in the same folder, renamed
  over the old one) with the given mode (``0600`` unless told otherwise);
- ``command``: a program run with the value on its standard input and nowhere
  else (not in its arguments, not in its environment), so any secret store
  with a command line works; optional ``read_argv`` prints what the store
  holds (for refresh), ``remove_argv`` removes it (for ``remove_on_destroy``);
- ``aws_secrets_manager``: a secret of AWS Secrets Manager, through boto3 (the
  optional extra ``pulumi-venice[aws]``) and its usual credentials.

Here is what the lifecycle calls (deliver, record, refresh, remove); the
settings, validated at preview one sentence per field, are
:mod:`pulumi_venice.settings.sinks`; the sinks themselves
:mod:`pulumi_venice.keys.sinks`, which never put the value in a message;
the fingerprint :mod:`pulumi_venice.keys.fingerprint`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..settings.sinks import DeliverySettings
from .fingerprint import DEFAULT_SALT, fingerprint, matches
from .sinks import DeliveryError, sink_for, still_holds
from .state import KeyState

# The outputs of a delivered key, beside its settings (its value is not one).
DELIVERY_OUTPUTS: Final = ("delivered_to", "fingerprint")


def delivery_of(state: KeyState) -> DeliverySettings | None:
    """The ``deliver_to`` a key's state records (shape only: nothing on the
    machine is looked at), or None."""
    given = state.deliver_to
    return DeliverySettings.model_validate(given) if given is not None else None


def deliver(settings: DeliverySettings, value: str, salt: str | None) -> dict[str, Any]:
    """Hand ``value`` to the sink; the outputs that record it (no value)."""
    sink = sink_for(settings)
    sink.deliver(value)
    return {
        "api_key": None,
        "delivered_to": sink.description,
        "fingerprint": fingerprint(value, salt or DEFAULT_SALT),
    }


def recorded(state: KeyState) -> dict[str, Any]:
    """The delivery outputs a key's state holds, carried as they are."""
    given = state.model_fields_set
    return {name: getattr(state, name) for name in DELIVERY_OUTPUTS if name in given}


def refreshed(state: KeyState) -> dict[str, Any]:
    """The delivery outputs as the sink shows them now: ``delivered_to`` is
    None once the sink no longer holds this key (then diff replaces it)."""
    settings = delivery_of(state)
    if settings is None:
        return recorded(state)
    sink = sink_for(settings)
    holds = still_holds(sink, state.fingerprint)
    return {"delivered_to": sink.description if holds else None, "fingerprint": state.fingerprint}


def held_value(state: KeyState) -> str | None:
    """The key's value as its sink still holds it (matched by the recorded
    fingerprint), or None: how a delivered key, whose value is no output, can
    still be asked whether it works."""
    settings = delivery_of(state)
    recorded_print = state.fingerprint
    if settings is None or recorded_print is None:
        return None
    sink = sink_for(settings)
    if not sink.can_tell():
        return None
    try:
        held = sink.held()
    except DeliveryError:
        return None  # the sink cannot be read now: nothing to ask with
    return held if held is not None and matches(recorded_print, held) else None


def lost_by_sink(state: KeyState, news: Mapping[str, Any]) -> bool:
    """Whether the key must be delivered anew: refresh found that its sink no
    longer holds it (and the program still asks for the same delivery)."""
    return (
        news.get("deliver_to") is not None
        and state.fingerprint is not None
        and not state.delivered_to
    )


def remove_if_held(state: KeyState) -> None:
    """With ``remove_on_destroy``, remove the sink's entry if it still holds
    this key: never a replacement's value that went to the same place."""
    settings = delivery_of(state)
    recorded_print = state.fingerprint
    if settings is None or not settings.remove_on_destroy or recorded_print is None:
        return
    sink = sink_for(settings)
    held = sink.held()
    if held is not None and matches(recorded_print, held):
        sink.remove()
