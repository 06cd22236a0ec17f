"""Checking inputs (Pulumi's ``check``) and comparing them (``diff``), pure:
no HTTP call, no I/O. ``check_inputs`` validates every input, fills in the
defaults, and returns one failure per bad field, naming the field and what
is allowed; ``changed_fields`` names the fields that differ. A message never
echoes the value of a secret input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import (
    BaseModel,
    ValidationError,
)
from pydantic_core import ErrorDetails

from ..venice.models import (
    LIMIT_CURRENCIES,
    MAX_CONSUMPTION_LIMIT,
)
from .fields import OUTPUT_ONLY_FIELDS, contains_unknown, field_meta
from .inputs import (
    CREDENTIAL_FIELDS,
    POLICY_FIELDS,
    REPLACE_FIELDS,
    SECRET_INPUTS,
    UPDATE_FIELDS,
    KeySettings,
    Web3KeySettings,
)
from .key_settings import DEFAULT_LIMIT_PERIOD, DEFAULT_MODEL_PRIVACY, BaseKeySettings
from .times import parse_expiry
from .wallet import ENV_WALLET_PRIVATE_KEY, wallet_account, wallet_private_key

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount


def _placeholders(settings_type: type[BaseKeySettings]) -> dict[str, Any]:
    """A valid stand-in per field, used to validate the other fields while one is unknown."""
    return {
        name: field_meta(info).get("placeholder")
        for name, info in settings_type.model_fields.items()
    }


def engine_failures(failures: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Failures as they may be handed to Pulumi's engine: one on a secret input
    names no property, since the engine would print that property's value
    (the reason still starts with the input's name)."""
    return [("" if prop in SECRET_INPUTS else prop, reason) for prop, reason in failures]


def _allowed_keys(loc: tuple[int | str, ...], settings_type: type[BaseModel]) -> str:
    """The names allowed where an unknown one was given (``loc`` ends in it):
    the inputs in alphabetical order, a nested object's in its own order."""
    model: type[BaseModel] = settings_type
    for part in loc[:-1]:
        info = model.model_fields.get(str(part))
        nested = _model_in(info.annotation) if info is not None else None
        if nested is None:
            break
        model = nested
    if model is settings_type:
        return ", ".join(sorted(model.model_fields))
    return ", ".join(model.model_fields)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model an annotation names (``X | None`` too), if any."""
    options = getattr(annotation, "__args__", None) or (annotation,)
    return next((o for o in options if isinstance(o, type) and issubclass(o, BaseModel)), None)


def _shown(value: Any) -> str:
    """A refused value as the program wrote it (Pulumi sends every number as a
    float: 5 is shown as 5, not 5.0), cut to 60 characters."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value!r:.60}"


def _reason(error: ErrorDetails, settings_type: type[BaseKeySettings]) -> str:
    """One sentence that names the field and says what is allowed."""
    loc = tuple(error["loc"])
    path = ".".join(str(p) for p in loc)
    kind = error["type"]
    shown = "" if loc and loc[0] in SECRET_INPUTS else f" (got {_shown(error['input'])})"
    if kind == "missing":
        return f"{path} is required"
    if kind == "extra_forbidden":
        known = _allowed_keys(loc, settings_type)
        return f"{path} is not a known input; the known ones are: {known}"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{path} must be one of {expected}{shown}"
    if kind in ("float_type", "float_parsing", "finite_number"):
        return f"{path} must be a number from 0 to {MAX_CONSUMPTION_LIMIT}, or null{shown}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{path} must be from 0 to {MAX_CONSUMPTION_LIMIT}{shown}"
    if kind == "string_type":
        return f"{path} must be a string{shown}"
    if kind in ("dict_type", "model_type"):
        return f"{path} must be a map{shown}"
    if kind == "value_error":
        return f"{path} {error['ctx']['error']}"
    return f"{path}: {error['msg']}"


def check_inputs(
    news: Mapping[str, Any], settings_type: type[BaseKeySettings] = KeySettings
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Validate and normalize a resource's inputs.

    Returns the inputs to store and a list of ``(property, reason)`` failures;
    a field whose value is unknown at preview is passed through unchecked.
    """
    # Names Pulumi reserves (``__provider``, a door's hidden inputs) are no input.
    props = {k: v for k, v in news.items() if not k.startswith("__")}
    failures: list[tuple[str, str]] = []
    for name in OUTPUT_ONLY_FIELDS:
        if props.get(name) is not None and not contains_unknown(props[name]):
            failures.append((name, f"{name} is an output of the resource and cannot be set"))
        props.pop(name, None)
    unknown = {k for k, v in props.items() if contains_unknown(v)}
    placeholders = _placeholders(settings_type)
    candidate = {k: (placeholders.get(k) if k in unknown else v) for k, v in props.items()}
    candidate = {k: v for k, v in candidate.items() if v is not None}
    try:
        settings = settings_type.model_validate(candidate)
    except ValidationError as exc:
        reasons: dict[str, list[str]] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            reasons.setdefault(field, []).append(_reason(error, settings_type))
        failures.extend((field, "; ".join(texts)) for field, texts in reasons.items())
        return dict(props), failures
    failures.extend(settings.policy_failures())
    inputs = settings.to_inputs()
    inputs.update({k: props[k] for k in unknown})
    return inputs, failures


def same_expiry(old: Any, new: Any) -> bool:
    """Whether two expiries (a date, a timestamp, or none) name the same instant."""
    if not old or not new:
        return not old and not new
    try:
        return parse_expiry(str(old)) == parse_expiry(str(new))
    except ValueError:
        return bool(old == new)


def _without_nulls(value: Any) -> Any:
    """A nested value without its null fields (an omitted and a null field are alike)."""
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None} or None
    return value


def _limits(value: Any) -> tuple[float | None, ...]:
    value = value if isinstance(value, Mapping) else {}
    return tuple(None if value.get(c) is None else float(value[c]) for c in LIMIT_CURRENCIES)


def _same(name: str, old: Any, new: Any) -> bool:
    if name == "expires_at":
        return same_expiry(old, new)
    if name == "consumption_limit":
        return _limits(old) == _limits(new)
    if name == "keepers":
        return dict(old or {}) == dict(new or {})
    if name == "deliver_to":
        return bool(_without_nulls(old) == _without_nulls(new))
    if name == "limit_period":
        return (old or DEFAULT_LIMIT_PERIOD) == (new or DEFAULT_LIMIT_PERIOD)
    if name == "model_privacy":
        return (old or DEFAULT_MODEL_PRIVACY) == (new or DEFAULT_MODEL_PRIVACY)
    return bool(old == new)


def changed_fields(
    olds: Mapping[str, Any],
    news: Mapping[str, Any],
    replace_fields: tuple[str, ...] = REPLACE_FIELDS,
) -> tuple[list[str], list[str]]:
    """The fields that differ between the stored outputs and the new inputs,
    and those of them that force a new key. An unknown counts as a change."""
    changed: list[str] = []
    relative_expiry = news.get("expires_after") is not None
    for name in replace_fields + UPDATE_FIELDS + POLICY_FIELDS + CREDENTIAL_FIELDS:
        if name == "expires_at" and relative_expiry:
            continue  # set once, at creation, from expires_after
        new = news.get(name)
        if contains_unknown(new) or not _same(name, olds.get(name), new):
            changed.append(name)
    return changed, [name for name in changed if name in replace_fields]


def web3_inputs(
    news: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], list[tuple[str, str]], LocalAccount | None]:
    """check_inputs for a Web3 key, plus the wallet: the private key comes from
    the input or VENICE_WALLET_PRIVATE_KEY, and ``address`` is derived from it
    (a given address must match). Also returns the wallet, parsed once."""
    inputs, failures = check_inputs(news, Web3KeySettings)
    if failures or contains_unknown(inputs.get("wallet_private_key")):
        return inputs, failures, None
    private_key = wallet_private_key(inputs.get("wallet_private_key"), environ)
    if private_key is None:
        reason = (
            "wallet_private_key is required: give it as a secret input, or set "
            f"{ENV_WALLET_PRIVATE_KEY} in the environment of pulumi (then it never enters state)"
        )
        return inputs, [("wallet_private_key", reason)], None
    try:
        account = wallet_account(private_key)
    except ValueError as exc:
        return inputs, [("wallet_private_key", f"{ENV_WALLET_PRIVATE_KEY} {exc}")], None
    given = inputs.get("address")
    if given and not contains_unknown(given) and given != account.address:
        reason = (
            f"address {given} does not match the wallet's private key "
            f"(which signs for {account.address})"
        )
        return inputs, [("address", reason)], None
    inputs["address"] = account.address
    return inputs, failures, account


def web3_settings(
    props: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> tuple[Web3KeySettings | None, list[tuple[str, str]]]:
    """Settings of a Web3 key that carry its wallet (parsed once), or the failures."""
    inputs, failures, account = web3_inputs(props, environ)
    if failures or account is None:
        return None, failures
    settings = Web3KeySettings.model_validate(inputs)
    settings._wallet = account
    return settings, []


def check_web3_inputs(
    news: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """:func:`web3_inputs` without the wallet: what ``check`` needs."""
    inputs, failures, _ = web3_inputs(news, environ)
    return inputs, failures
