"""The lifecycle of a Venice key: check, diff, create, read, update, delete, rotate.

This is the one core every front door sits on (the dynamic providers of
provider.py and web3_provider.py today; a native provider plugin next). It
knows nothing of Pulumi's transports: it takes and returns plain values.
A front door unwraps secrets once where a call enters, gives a value not yet
known at preview as :data:`~pulumi_venice.inputs.UNKNOWN`, and marks the
outputs named in :data:`SECRET_OUTPUTS` secret on the way out.

:class:`KeyLifecycle` makes ordinary keys with an admin key; what differs for
other kinds (a wallet's key: :mod:`pulumi_venice.web3_lifecycle`) is how a key
is minted and which key manages it afterwards. One instance serves a provider
process, called from several threads: its shared state (settings, clients,
the pending replacements) lives behind one lock.

No message raised here contains a secret.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, ParamSpec, TypeVar

from . import rotation, times
from .client import VeniceClient
from .config import (
    CONFIG_BASE_URL,
    CONFIG_KEYS,
    DEFAULT_BASE_URL,
    ENV_BASE_URL,
    MISSING_API_KEY_MESSAGE,
    ProviderSettings,
    resolve_settings,
)
from .creation import create_exactly_once
from .directory import KeyDirectory
from .errors import (
    AuthenticationError,
    ConfigurationError,
    ImportKeyError,
    InputError,
    KeyNotFoundError,
    NotConnectedError,
    VeniceApiError,
)
from .inputs import (
    CREDENTIAL_FIELDS,
    POLICY_FIELDS,
    REPLACE_FIELDS,
    UPDATE_FIELDS,
    BaseKeySettings,
    KeySettings,
    changed_fields,
    check_inputs,
    contains_unknown,
    same_expiry,
)
from .models import ApiKeyRecord, CreateApiKeyRequest, CreatedApiKey, UpdateApiKeyRequest
from .retirement import (
    PendingReplacements,
    Replacement,
    is_retiring,
    resource_identity,
    retirement_request,
)
from .retry import RetryPolicy
from .times import format_expiry, parse_expiry

CREDENTIAL: Final = CREDENTIAL_FIELDS[0]  # admin_api_key
# The outputs a front door must mark secret.
SECRET_OUTPUTS: Final = ("api_key", CREDENTIAL)
ADMIN_KEY_REFUSED: Final = (
    "The admin key was refused: check venice:apiKey or VENICE_API_KEY "
    "(it must be a valid ADMIN key)."
)
CREDENTIAL_REFUSED: Final = (
    "The admin_api_key was refused: it must be the value of a live ADMIN key of this key's account."
)

Failures = list[tuple[str, str]]
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Diff:
    """Whether the key changes, the inputs that differ (``changed``, with a due
    rotation's reason), and those (or the rotation reason) that need a new one."""

    changes: bool
    replaces: list[str]
    changed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Read:
    """A key as refresh sees it; ``key_id`` is None when it is gone."""

    key_id: str | None
    outputs: dict[str, Any]
    inputs: dict[str, Any]


def settings_client(
    settings: ProviderSettings, api_key: str | None, refused_hint: str | None = None
) -> VeniceClient:
    """A client that calls with ``api_key`` on the process's shared connection pool."""
    return VeniceClient(
        settings.base_url,
        api_key,
        timeout=settings.request_timeout,
        retry=RetryPolicy(
            max_retries=settings.max_retries,
            deadline_seconds=settings.operation_timeout,
            rate_limit_deadline_seconds=settings.rate_limit_timeout,
        ),
        shared=True,
        refused_hint=refused_hint,
    )


WRONG_PATH: Final = (
    f"Check {CONFIG_BASE_URL} or {ENV_BASE_URL}: Venice's API is under /api/v1 "
    f"({DEFAULT_BASE_URL}), and nothing answered at that path."
)


def explained(method: Callable[P, R]) -> Callable[P, R]:
    """A lifecycle call whose errors also say what to check in the provider's
    configuration, where that is the likely cause."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except NotConnectedError as error:
            raise error.with_suffix(f"Check {CONFIG_BASE_URL} or {ENV_BASE_URL}.") from None
        except VeniceApiError as error:
            if error.status == 404:  # Venice answers an unknown key 400: a wrong path
                raise error.with_suffix(WRONG_PATH) from None
            raise

    return wrapper


def outputs_from(
    record: ApiKeyRecord,
    *,
    api_key: str | None,
    keepers: Mapping[str, str],
    expires_as: Any = None,
) -> dict[str, Any]:
    """The resource's outputs: Venice's view of the key, plus the secret and keepers.

    ``expires_as`` is the expiry as the program wrote it (``2027-06-30``): when
    it names the same instant as Venice's, it is kept in that form, so that a
    refresh records no difference the program did not make.
    """
    limits = record.consumption_limits
    expires_at = record.expires_at
    if expires_at and isinstance(expires_as, str) and same_expiry(expires_as, expires_at):
        expires_at = expires_as
    return {
        "api_key": api_key,
        "last6_chars": record.last6_chars,
        "created_at": record.created_at,
        "expires_at": expires_at,
        "description": record.description,
        "api_key_type": record.api_key_type,
        "consumption_limit": {"usd": limits.usd, "diem": limits.diem, "vcu": limits.vcu},
        "limit_period": record.limit_period,
        "model_privacy": record.model_privacy,
        "keepers": dict(keepers),
    }


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
    )
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


def create_request(
    settings: BaseKeySettings, description: str, expires_at: str | None
) -> CreateApiKeyRequest:
    return CreateApiKeyRequest(
        api_key_type=settings.api_key_type,
        description=description,
        expires_at=expires_at,
        consumption_limit=settings.consumption_limit.to_wire(),
        limit_period=settings.limit_period,
        model_privacy=settings.model_privacy,
    )


def update_request(
    key_id: str, settings: BaseKeySettings, expires_at: str | None
) -> UpdateApiKeyRequest:
    """A PATCH that sets every updatable field (``expires_at=None`` clears the expiry)."""
    return UpdateApiKeyRequest(
        id=key_id,
        description=settings.description,
        expires_at=expires_at,
        consumption_limit=settings.consumption_limit.to_wire(),
        limit_period=settings.limit_period,
        model_privacy=settings.model_privacy,
    )


def invalid(failures: Failures) -> InputError:
    """The error for inputs that check should have refused."""
    return InputError("Invalid inputs: " + "; ".join(reason for _, reason in failures) + ".")


def text_value(props: Mapping[str, Any], name: str) -> str | None:
    """A text input or output, or None when it is absent (or not text)."""
    value = props.get(name)
    return value if isinstance(value, str) else None


class KeyLifecycle:
    """Ordinary Venice API keys, made with an admin key (``POST /api_keys``)."""

    settings_type: type[BaseKeySettings] = KeySettings
    replace_fields: tuple[str, ...] = REPLACE_FIELDS

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings: ProviderSettings | None = None
        self._client: VeniceClient | None = None
        self._directory: KeyDirectory | None = None
        self._replacements = PendingReplacements()

    # -- run-time configuration ------------------------------------------

    def configure(self, config: Mapping[str, Any]) -> None:
        """Take ``venice:*`` config; the environment fills what it lacks."""
        settings = resolve_settings({key: config.get(key) for key in CONFIG_KEYS})
        with self._lock:
            self._client = None  # made again, with the new settings, on first use
            self._directory = None
            self._settings = settings

    def settings(self) -> ProviderSettings:
        """The run-time settings (from configure, else from the environment)."""
        with self._lock:
            if self._settings is None:
                self._settings = resolve_settings()
            return self._settings

    def client(self) -> VeniceClient:
        """The shared HTTP client, created on first use with the configured admin key."""
        settings = self.settings()
        with self._lock:
            if self._client is None:
                self._client = settings_client(
                    settings, settings.require_api_key(), ADMIN_KEY_REFUSED
                )
                self._directory = KeyDirectory(self._client.list_keys)
            return self._client

    def client_for(self, api_key: str | None, refused_hint: str | None = None) -> VeniceClient:
        """A client that calls with the given key (or none), on the process's
        shared connection pool: cheap to make, and nothing to close."""
        return settings_client(self.settings(), api_key, refused_hint)

    def read_record(self, client: VeniceClient, key_id: str) -> ApiKeyRecord:
        """A key as Venice has it: from the admin client's short-lived copy of
        the key list when it has the key (one list call serves a whole
        refresh), else from ``GET /api_keys/{id}`` (KeyNotFoundError if gone)."""
        with self._lock:
            directory = self._directory if client is self._client else None
        record = directory.lookup(key_id) if directory is not None else None
        return record if record is not None else client.get_key(key_id)

    def _changing_keys(self) -> None:
        """Drop the copy of the key list: this process is about to change a key."""
        with self._lock:
            directory = self._directory
        if directory is not None:
            directory.invalidate()

    # -- the lifecycle ----------------------------------------------------

    # Whether making a key takes an admin key (a wallet's key does not).
    needs_admin_to_create = True

    def check(self, news: Mapping[str, Any]) -> tuple[dict[str, Any], Failures]:
        """The inputs to store, and one ``(input, reason)`` per bad input; a key
        with no admin key to make it fails here, at preview, not at ``up``."""
        inputs, failures = self.validate(news)
        admin = news.get(CREDENTIAL) or self.settings().api_key
        if not failures and self.needs_admin_to_create and not admin:
            failures.append(("", MISSING_API_KEY_MESSAGE))
        return inputs, failures

    def validate(self, news: Mapping[str, Any]) -> tuple[dict[str, Any], Failures]:
        """The inputs alone, with no regard to the provider's configuration."""
        return check_inputs(news)

    def diff(
        self,
        key_id: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        identity: str | None = None,
    ) -> Diff:
        """What changes; ``identity`` (the resource's URN) ties a replacement
        to the create that makes it (see :mod:`pulumi_venice.retirement`)."""
        changed, replaces = changed_fields(olds, news, self.replace_fields)
        known = {k: v for k, v in news.items() if not contains_unknown(v)}
        due = rotation.rotation_reason(olds, known, times.now())
        if due is not None and due not in replaces:
            replaces.append(due)
        if due is not None and due not in changed:
            changed.append(due)
        if replaces:
            grace = news.get("retire_grace")
            self._replacements.note(
                resource_identity(identity, news),
                Replacement(
                    key_id,
                    dict(olds),
                    times.parse_duration(grace) if isinstance(grace, str) else None,
                ),
            )
        return Diff(changes=bool(changed), replaces=replaces, changed=changed)

    @explained
    def create(
        self, props: Mapping[str, Any], identity: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Make the key (exactly once); its id and outputs. When it replaces a
        key with ``retire_grace``, that key is retired now, at Venice."""
        settings = self._settings_from(props)
        if isinstance(settings, KeySettings) and settings.import_id:
            return self._import(settings)
        self._changing_keys()
        replacement = self._replacements.take(resource_identity(identity, props))
        expires_at = settings.expiry_at_creation(times.now())
        created, record, extra = self.mint(settings, props, expires_at)
        if replacement is not None:
            self._retire_replaced(replacement, created, props)
        outputs = outputs_from(
            record, api_key=created.api_key, keepers=settings.keepers, expires_as=expires_at
        )
        retiring = {"retiring_key_id": replacement.old_id if replacement else None}
        return created.id, {**outputs, **self._carried(props), **retiring, **extra}

    @explained
    def read(self, key_id: str, props: Mapping[str, Any]) -> Read:
        try:
            record = self._read_key(key_id, props)
        except (KeyNotFoundError, AuthenticationError) as error:
            if isinstance(error, AuthenticationError) and not self.manages_itself(props):
                raise
            # Gone (deleted or expired outside Pulumi; a key that manages itself
            # learns it as its own value being refused): refresh drops it.
            self._confirm_gone(key_id, text_value(props, "api_key"))
            return Read(None, {}, {})
        keepers = props.get("keepers") or {}
        extra = self._carried(props)
        outputs = outputs_from(
            record,
            api_key=text_value(props, "api_key"),
            keepers=keepers,
            expires_as=props.get("expires_at"),
        )
        inputs = {k: v for k, v in extra.items() if k != "retiring_key_id"}
        return Read(key_id, {**outputs, **extra}, {**inputs_from(record, keepers, props), **inputs})

    def _read_key(self, key_id: str, props: Mapping[str, Any]) -> ApiKeyRecord:
        """The key as Venice has it; an error names the key being refreshed (a
        failed list call serves many reads)."""
        try:
            return self.read_record(self.manager(f"refresh API key {key_id}", props), key_id)
        except (KeyNotFoundError, AuthenticationError):
            raise
        except VeniceApiError as error:
            if error.key_id == key_id:
                raise
            raise type(error)(
                f"refresh API key {key_id}",
                f"Could not refresh API key {key_id}: {error}",
                status=error.status,
                server_message=error.server_message,
                key_id=key_id,
                retry_after=error.retry_after,
            ) from None

    @explained
    def update(
        self, key_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        settings = self._settings_from(news)
        # The credential the key is managed with now (it may have changed too).
        client = self.manager(
            f"update API key {key_id}", {**olds, CREDENTIAL: news.get(CREDENTIAL)}
        )
        self._changing_keys()
        expires_at = self._kept_expiry(settings, olds)
        # The PATCH answers with the key as stored: no read-back needed.
        try:
            record = client.update_key(update_request(key_id, settings, expires_at))
        except KeyNotFoundError as error:
            raise error.with_suffix(
                "It was deleted (or expired) outside Pulumi: run `pulumi refresh` (or "
                "`pulumi up --refresh`) to drop it from the state, and `pulumi up` makes a new one."
            ) from None
        secret = text_value(olds, "api_key")
        outputs = outputs_from(
            record, api_key=secret, keepers=settings.keepers, expires_as=expires_at
        )
        return {**outputs, **self._carried(news), "retiring_key_id": olds.get("retiring_key_id")}

    @explained
    def delete(self, key_id: str, props: Mapping[str, Any]) -> None:
        """Revoke the key, unless Venice shows it retiring (its replacement
        gave it a grace period). Destroying a key also revokes the key it
        replaced, if that one is still in its grace period."""
        client = self.manager(f"delete API key {key_id}", props)
        self._changing_keys()
        # Already gone is what delete wanted; so is a key that manages itself
        # whose own value is refused.
        gone: tuple[type[VeniceApiError], ...] = (KeyNotFoundError,)
        if self.manages_itself(props):
            gone = (KeyNotFoundError, AuthenticationError)
        if self._is_retiring(client, key_id, props, gone):
            return
        retiring = text_value(props, "retiring_key_id")
        for doomed in (key_id, retiring) if retiring else (key_id,):
            with contextlib.suppress(*gone):
                client.delete_key(doomed)

    # -- what differs between kinds of keys -------------------------------------

    def mint(
        self, settings: BaseKeySettings, props: Mapping[str, Any], expires_at: str | None
    ) -> tuple[CreatedApiKey, ApiKeyRecord, dict[str, Any]]:
        """Make the key: the create answer, the key as stored, and outputs of its own."""
        client = self.manager("create API key", props)
        created = create_exactly_once(
            lambda marker: client.create_key(create_request(settings, marker, expires_at)),
            client,
        )
        return created, self._finish_create(client, created, settings, expires_at), {}

    def manager(self, _operation: str, props: Mapping[str, Any]) -> VeniceClient:
        """The client that creates, reads, updates and deletes the key: its
        ``admin_api_key`` if it has one, else the configured admin key."""
        credential = text_value(props, CREDENTIAL)
        return self.client_for(credential, CREDENTIAL_REFUSED) if credential else self.client()

    def manages_itself(self, _props: Mapping[str, Any]) -> bool:
        """Whether the key is read, changed and revoked with its own value."""
        return False

    def _carried(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Outputs carried from the inputs or the state: the rotation policy, the
        key this one replaced and the managing key (other kinds add their own)."""
        names = (*POLICY_FIELDS, "retiring_key_id")
        carried = {name: props[name] for name in names if name in props}
        if props.get(CREDENTIAL) is not None:  # for read and delete, which see only the state
            carried[CREDENTIAL] = props[CREDENTIAL]
        return carried

    # -- helpers ------------------------------------------------------------

    def _settings_from(self, props: Mapping[str, Any]) -> BaseKeySettings:
        """Settings from inputs that check passed (InputError if they do not pass now)."""
        inputs, failures = self.validate(props)
        if failures:
            raise invalid(failures)
        return self.settings_type.model_validate(inputs)

    def _finish_create(
        self,
        client: VeniceClient,
        created: CreatedApiKey,
        settings: BaseKeySettings,
        expires_at: str | None,
    ) -> ApiKeyRecord:
        """Give a new key its real description; the PATCH answers with the key as
        stored (the create answer's echo of the limits is unreliable).

        If that fails, the key is revoked and the create fails cleanly, so no
        state ever holds a key under a creation marker (which is what lets
        ``venice-orphans`` treat an old marker key as an orphan). Only when the
        revoke fails too is the key returned as it is, so that it is not lost:
        the next ``up`` gives it its description.
        """
        try:
            return client.update_key(update_request(created.id, settings, expires_at))
        except VeniceApiError as error:
            try:
                client.delete_key(created.id)
            except KeyNotFoundError:
                pass  # gone already: nothing is left behind either way
            except VeniceApiError:
                return record_from_created(created)
            raise type(error)(
                "create API key",
                f"Could not create API key: the new key {created.id} could not be given its "
                f"settings ({error}) It was revoked again, so nothing is left behind; run "
                "`pulumi up` again.",
                status=error.status,
                server_message=error.server_message,
                key_id=created.id,
            ) from None

    def _confirm_gone(self, key_id: str, secret: str | None) -> None:
        """Venice said the key is gone: make sure before refresh drops it from state.

        A key's own secret can always read its rate limits; if that still
        works, the key exists and the admin key merely cannot see it (it
        belongs to another account), which must not empty the state.
        """
        if secret is None:
            return
        try:
            self.client_for(secret).rate_limits()
        except (AuthenticationError, KeyNotFoundError):
            return  # the key's own secret is refused too: it is gone
        raise ConfigurationError(
            f"Cannot refresh API key {key_id}: the configured admin key cannot see it, "
            "but the key still works, so it belongs to another Venice account; set "
            "venice:apiKey or VENICE_API_KEY to an admin key of that account."
        )

    @staticmethod
    def _kept_expiry(settings: BaseKeySettings, key: Mapping[str, Any]) -> str | None:
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

    def _import(self, settings: KeySettings) -> tuple[str, dict[str, Any]]:
        """Adopt the existing key ``import_id`` instead of creating one."""
        key_id = settings.import_id or ""
        inputs = settings.to_inputs()
        client = self.manager(f"import API key {key_id}", inputs)
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
        expires_at = self._kept_expiry(
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
        outputs = outputs_from(
            record, api_key=secret, keepers=settings.keepers, expires_as=expires_at
        )
        return key_id, {**outputs, **self._carried(inputs)}

    # -- replacement and retirement (see pulumi_venice.retirement) -------------

    def _retire_replaced(
        self, replacement: Replacement, created: CreatedApiKey, props: Mapping[str, Any]
    ) -> None:
        """Retire the key the new one replaces; if Venice refuses, revoke the
        new key again and fail, so that nothing has changed."""
        request = retirement_request(replacement)
        if request is None:
            return  # no grace: the delete that follows revokes it
        old = replacement.old_state
        try:
            with contextlib.suppress(KeyNotFoundError):  # gone already: nothing to retire
                self.manager(f"retire API key {replacement.old_id}", old).update_key(request)
            self._replacements.mark_retired(replacement.old_id)
        except VeniceApiError as error:
            try:
                undo = self.manager("create API key", {**props, "api_key": created.api_key})
                undo.delete_key(created.id)
            except (VeniceApiError, ConfigurationError):
                # Kept rather than lost: the state holds it, and the old key's
                # delete revokes that one at once (it could not be retired).
                return
            raise type(error)(
                "create API key",
                f"Could not replace API key {replacement.old_id}: it could not be given its "
                f"retire_grace ({error}) The new key {created.id} was revoked again and the old "
                "key is unchanged; run `pulumi up` again.",
                status=error.status,
                server_message=error.server_message,
                key_id=replacement.old_id,
            ) from None

    def _is_retiring(
        self,
        client: VeniceClient,
        key_id: str,
        props: Mapping[str, Any],
        gone: tuple[type[VeniceApiError], ...],
    ) -> bool:
        """Whether the key was retired by its replacement: known here, or (for
        a key with a ``retire_grace`` policy, in any later process) shown so
        by Venice. A key with no such policy is revoked with no extra call."""
        if self._replacements.retired_here(key_id):
            return True
        if text_value(props, "retire_grace") is None:
            return False
        try:
            return is_retiring(client.get_key(key_id))
        except gone:
            return False
