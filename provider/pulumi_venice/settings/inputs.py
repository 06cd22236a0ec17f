"""The inputs of a Venice API key resource: validated at preview, compared in diff.

``check_inputs`` is what Pulumi's ``check`` runs: it validates every input,
fills in the defaults (so that what is sent to Venice never depends on an
undocumented server default), and returns one failure per bad field, naming
the field and what is allowed. ``changed_fields`` is what ``diff`` runs. Both
are pure: no HTTP call, no I/O. A message never echoes the value of a secret
input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Final

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from ..keys.delivery import DeliverySettings
from ..venice.models import (
    LIMIT_CURRENCIES,
    MAX_CONSUMPTION_LIMIT,
    MAX_DESCRIPTION_LENGTH,
    WEB3_DEFAULT_DESCRIPTION,
    ApiKeyType,
    ConsumptionLimit,
    LimitPeriod,
    ModelPrivacy,
    utf16_length,
)
from . import times
from .times import DATE_ONLY, format_expiry, parse_expiry

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
from .wallet import (
    ENV_WALLET_PRIVATE_KEY,
    check_address,
    check_private_key,
    wallet_account,
    wallet_private_key,
)

# Pulumi's marker for a value not known until apply time (pulumi.runtime.rpc.UNKNOWN).
UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PROVIDER_KEY: Final = "__provider"
# A hidden input of the dynamic provider's resources: which resource this is
# (its name, under its parent's URN). Pulumi's dynamic provider gives the
# provider no URN, and a replacement's create must know which diff announced
# it (see pulumi_venice.keys.retirement). Never compared by diff.
IDENTITY_KEY: Final = "__identity"
# A hidden input of the dynamic provider's resources that deliver their key
# (deliver_to): the stack, "<project>/<stack>", the salt of the fingerprint
# (the plugin reads it from the URN). Never compared by diff.
STACK_KEY: Final = "__stack"
HIDDEN_INPUTS: Final = (PROVIDER_KEY, IDENTITY_KEY, STACK_KEY)


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


class KeySettings(BaseKeySettings):
    """The inputs of an ``ApiKey`` (made with an admin key)."""

    import_id: str | None = key_field(
        Role.CREATE_ONLY,
        doc="Adopt this existing key (its id) instead of creating one; only at creation.",
    )
    import_api_key: str | None = key_field(
        Role.CREATE_ONLY,
        secret=True,
        doc="The adopted key's value, if you have it (needs `importId`); only at creation.",
    )

    @field_validator("import_id")
    @classmethod
    def _import_id(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must be a Venice key id, or omitted")
        return value

    @field_validator("import_api_key")
    @classmethod
    def _import_api_key(cls, value: str | None) -> str | None:
        if value is not None and key_value_type(value) is None:
            raise ValueError(
                "must be the imported key's value, which starts with VENICE_INFERENCE_KEY_ "
                "or VENICE_ADMIN_KEY_, or omitted"
            )
        return value

    def policy_failures(self) -> list[tuple[str, str]]:
        failures = super().policy_failures()
        if self.deliver_to is not None and self.import_id and self.import_api_key is None:
            failures.append(
                (
                    "deliver_to",
                    "deliver_to needs import_api_key when import_id adopts a key: Venice never "
                    "shows an existing key's value again, so there is nothing to deliver",
                )
            )
        if self.import_api_key is not None:
            kind = key_value_type(self.import_api_key)
            if not self.import_id:
                failures.append(
                    ("import_api_key", "import_api_key needs import_id (the key it belongs to)")
                )
            elif kind != self.api_key_type:
                failures.append(
                    (
                        "import_api_key",
                        f"import_api_key is the value of an {kind} key, but api_key_type is "
                        f"{self.api_key_type}",
                    )
                )
        return failures


class Web3KeySettings(BaseKeySettings):
    """The inputs of a ``Web3ApiKey`` (made with a wallet's signature)."""

    description: str = key_field(
        Role.UPDATE,
        WEB3_DEFAULT_DESCRIPTION,
        placeholder="placeholder",
        doc=(
            "What the key is for; 1 to 64 characters (an emoji counts as 2), no control characters."
        ),
    )
    wallet_private_key: str | None = key_field(
        Role.CREATE_ONLY,
        secret=True,
        doc=(
            "The private key of the wallet that signs Venice's token to create the key (hex); "
            "only at creation."
        ),
    )
    address: str | None = key_field(
        Role.REPLACE,  # a new wallet is a new key
        output_type="pulumi.Output[str]",  # always the wallet's, checksummed
        doc="The wallet's address (checksummed); a different wallet makes a new key.",
    )
    # The wallet, when these settings were made with it (see web3_settings).
    _wallet: LocalAccount | None = PrivateAttr(default=None)

    @property
    def wallet(self) -> LocalAccount | None:
        return self._wallet

    @field_validator("wallet_private_key")
    @classmethod
    def _private_key(cls, value: str | None) -> str | None:
        return None if value is None else check_private_key(value)

    @field_validator("address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return None if value is None else check_address(value)


# The tables, derived from the fields' declarations.
REPLACE_FIELDS: Final = fields_with(KeySettings, Role.REPLACE)
WEB3_REPLACE_FIELDS: Final = fields_with(Web3KeySettings, Role.REPLACE)
UPDATE_FIELDS: Final = fields_with(BaseKeySettings, Role.UPDATE)
POLICY_FIELDS: Final = fields_with(BaseKeySettings, Role.POLICY)
CREDENTIAL_FIELDS: Final = fields_with(BaseKeySettings, Role.CREDENTIAL)
# The outputs both doors mark secret (the credential is an input kept as one).
SECRET_OUTPUTS: Final = ("api_key", *CREDENTIAL_FIELDS, "retiring_key_values")
# Inputs whose value is a secret: no message shows them, and a check failure on
# one names no property (the engine prints the value of a property it is told
# has a problem, secret or not), so the reason alone names the input.
SECRET_INPUTS: Final = secret_fields(KeySettings) | secret_fields(Web3KeySettings)


def _placeholders(settings_type: type[BaseKeySettings]) -> dict[str, Any]:
    """A valid stand-in per field, used to validate the other fields while one is unknown."""
    return {
        name: field_meta(info).get("placeholder")
        for name, info in settings_type.model_fields.items()
    }


def key_value_type(value: str) -> str | None:
    """The type of key a secret value belongs to (by its prefix), or None if it
    is not shaped like a Venice key's value."""
    match = _KEY_VALUE.match(value)
    return match.group(1) if match else None


def engine_failures(failures: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Failures as they may be handed to Pulumi's engine: one on a secret input
    names no property, since the engine would print that property's value
    (the reason still starts with the input's name)."""
    return [("" if prop in SECRET_INPUTS else prop, reason) for prop, reason in failures]


def contains_unknown(value: Any) -> bool:
    """Whether a value is, or holds, a preview-time unknown (UNKNOWN)."""
    if isinstance(value, str) and value == UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


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
    props = {k: v for k, v in news.items() if k not in HIDDEN_INPUTS}
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
