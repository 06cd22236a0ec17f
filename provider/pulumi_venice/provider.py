"""The dynamic provider: Pulumi's check/diff/create/read/update/delete on Venice keys.

Pulumi pickles a provider instance into every resource's state. This module
is importable and has no side effects, so the class is pickled by reference,
and an instance pickles to nothing at all (``__getstate__``): the admin key,
the base URL and the HTTP client are resolved at run time, in the process that
runs the provider, from ``configure`` (stack config) or the environment.

Pulumi's dynamic-provider server calls one provider instance from four
threads at once: the only shared state (settings and HTTP client) is created
under a lock, and httpx's client is thread-safe.

The secret key value leaves this module only inside Pulumi's secret envelope,
and no message raised here contains it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Final, ParamSpec, TypeVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.runtime.rpc import wrap_rpc_secret

from . import rotation, times
from .client import VeniceClient
from .config import (
    CONFIG_BASE_URL,
    CONFIG_KEYS,
    ENV_BASE_URL,
    ProviderSettings,
    resolve_settings,
)
from .directory import KeyDirectory
from .errors import (
    AuthenticationError,
    ConfigurationError,
    KeyNotFoundError,
    NotConnectedError,
    ServerError,
    TransportError,
    VeniceApiError,
    VeniceError,
)
from .inputs import (
    POLICY_FIELDS,
    REPLACE_FIELDS,
    UPDATE_FIELDS,
    BaseKeySettings,
    KeySettings,
    changed_fields,
    check_inputs,
    contains_unknown,
    engine_failures,
    unwrap_secrets,
)
from .models import ApiKeyRecord, CreateApiKeyRequest, CreatedApiKey, UpdateApiKeyRequest
from .retry import NO_RETRIES, RetryPolicy
from .times import format_expiry, parse_expiry


def retry_policy(settings: ProviderSettings) -> RetryPolicy:
    return RetryPolicy(
        max_retries=settings.max_retries, deadline_seconds=settings.operation_timeout
    )


ADMIN_KEY_REFUSED: Final = (
    "The admin key was refused: check venice:apiKey or VENICE_API_KEY "
    "(it must be a valid ADMIN key)."
)
CREDENTIAL_REFUSED: Final = (
    "The admin_api_key was refused: it must be the value of a live ADMIN key of this key's account."
)


def settings_client(
    settings: ProviderSettings, api_key: str | None, refused_hint: str | None = None
) -> VeniceClient:
    """A client that calls with ``api_key`` on the process's shared connection pool."""
    return VeniceClient(
        settings.base_url,
        api_key,
        timeout=settings.request_timeout,
        retry=retry_policy(settings),
        shared=True,
        refused_hint=refused_hint,
    )


class InputError(VeniceError):
    """Inputs that ``check`` should have refused reached create or update."""


class ImportKeyError(VeniceError):
    """An existing key could not be brought under management."""


P = ParamSpec("P")
R = TypeVar("R")


def explained(method: Callable[P, R]) -> Callable[P, R]:
    """A lifecycle call whose errors also say what to check in the provider's
    configuration, where that is the likely cause."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except NotConnectedError as error:
            raise error.with_suffix(f"Check {CONFIG_BASE_URL} or {ENV_BASE_URL}.") from None

    return wrapper


Checker = Callable[[Mapping[str, Any]], tuple[dict[str, Any], list[tuple[str, str]]]]
SettingsT = TypeVar("SettingsT", bound=BaseKeySettings)


def validated(
    props: Mapping[str, Any], check: Checker, settings_type: type[SettingsT]
) -> SettingsT:
    """Settings from inputs that ``check`` passed (InputError if they do not pass now)."""
    inputs, failures = check(props)
    if failures:
        raise InputError("Invalid inputs: " + "; ".join(reason for _, reason in failures) + ".")
    return settings_type.model_validate(inputs)


def outputs_from(
    record: ApiKeyRecord, *, api_key: str | None, keepers: Mapping[str, str]
) -> dict[str, Any]:
    """The resource's outputs: Venice's view of the key, plus the secret and keepers."""
    limits = record.consumption_limits
    return {
        "api_key": wrap_rpc_secret(api_key) if api_key is not None else None,
        "last6_chars": record.last6_chars,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "description": record.description,
        "api_key_type": record.api_key_type,
        "consumption_limit": {"usd": limits.usd, "diem": limits.diem, "vcu": limits.vcu},
        "limit_period": record.limit_period,
        "model_privacy": record.model_privacy,
        "keepers": dict(keepers),
    }


def inputs_from(record: ApiKeyRecord, keepers: Mapping[str, str]) -> dict[str, Any]:
    """Inputs that describe the key as Venice has it (what a refresh records)."""
    outputs = outputs_from(record, api_key=None, keepers=keepers)
    return {k: outputs[k] for k in KeySettings.model_fields if k in outputs}


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


CREDENTIAL: Final = "admin_api_key"
MARKER_PREFIX: Final = "pulumi-venice pending "


def new_marker() -> str:
    """A description that names one create attempt and nothing else (54 characters)."""
    return MARKER_PREFIX + uuid.uuid4().hex


def remove_marked(client: VeniceClient, markers: set[str]) -> None:
    """Delete the keys whose description is one of ``markers``."""
    for key in client.list_keys():
        if key.description in markers:
            with contextlib.suppress(KeyNotFoundError):
                client.delete_key(key.id)


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


def create_exactly_once(
    post: Callable[[str], CreatedApiKey], finder: VeniceClient
) -> CreatedApiKey:
    """Create a key until one attempt is known to have succeeded, leaving no
    key behind from the attempts whose outcome was unknown.

    ``post(description)`` makes one create call; each attempt passes it a
    unique marker description. When an attempt's answer is lost (no answer, a
    timeout, a 5xx), the key may or may not exist: ``finder`` (an admin client
    of the account) lists the keys once, and the one with that marker is
    deleted (its secret was lost with the answer, so it is of no use) before
    the next attempt. A connection that could not be made sent nothing, so
    there is nothing to look for. A 429 is definite (nothing was created) and
    is retried after Retry-After; any other 4xx is final. Only the policy's
    own loop retries: the clean-up inside an attempt is one call, so a Venice
    that does not answer fails within one policy's time, not two nested ones.
    The caller then gives the key its real description.
    """
    sent: list[str] = []  # markers of the attempts that reached (or may have reached) Venice
    unchecked: set[str] = set()  # markers whose keys could not be looked for yet
    look_once = finder.with_retry(NO_RETRIES)

    def attempt() -> CreatedApiKey:
        marker = new_marker()
        try:
            return post(marker)
        except NotConnectedError:
            raise  # nothing was sent: nothing to clean up; the policy tries again
        except (TransportError, ServerError):
            sent.append(marker)
            try:
                remove_marked(look_once, {marker})
            except VeniceApiError:
                unchecked.add(marker)  # swept once more below
            raise  # transient: the policy tries again

    try:
        created = finder.retry.call(attempt)
    except VeniceApiError as error:
        if unchecked and not _swept(look_once, unchecked):
            raise error.with_suffix(
                f"{len(unchecked)} attempt(s) lost their answer and Venice could not be asked "
                f"whether they made a key; any such key is named '{MARKER_PREFIX}…', has no "
                "known value, and `venice-orphans --delete` revokes it once it is older "
                "than its --min-age."
            ) from None
        raise
    if sent:
        # An earlier attempt whose POST was still in flight when it was
        # cleaned up may have landed since: sweep its marker once more.
        _swept(finder, set(sent))
    return created


def _swept(client: VeniceClient, markers: set[str]) -> bool:
    """Delete the keys under ``markers``; whether Venice could be asked."""
    try:
        remove_marked(client, markers)
    except VeniceApiError:
        return False
    return True


def _fingerprint(props: Mapping[str, Any]) -> str:
    """The identity of a resource's inputs, as diff and create both see them."""
    plain = {k: unwrap_secrets(v) for k, v in props.items() if k != "__provider"}
    return json.dumps(plain, sort_keys=True, default=str)


def _without(values: Mapping[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != name}


def plain_secret(props: Mapping[str, Any], name: str = "api_key") -> str | None:
    value = unwrap_secrets(props.get(name))
    return value if isinstance(value, str) else None


class ApiKeyProvider(ResourceProvider):
    """Manages ordinary Venice API keys (``POST /api_keys``) with an admin key."""

    # The serialized provider holds nothing secret (see __getstate__), so it is
    # stored in plain text and anyone can check that it does not.
    serialize_as_secret_always = False
    # The inputs whose change needs a new key, and the model of all inputs.
    replace_fields: tuple[str, ...] = REPLACE_FIELDS
    settings_type: type[BaseKeySettings] = KeySettings

    def __init__(self) -> None:
        super().__init__()
        self._init_runtime()

    def _init_runtime(self) -> None:
        self._lock = threading.Lock()
        self._settings: ProviderSettings | None = None
        self._client: VeniceClient | None = None
        self._directory: KeyDirectory | None = None
        self._retirements: dict[str, timedelta] = {}  # old key id -> its grace period
        self._replaced: dict[str, list[str]] = {}  # new key's inputs -> old key ids

    def __getstate__(self) -> dict[str, Any]:
        # Nothing of an instance is pickled: no credential, no client, no lock.
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._init_runtime()

    # -- run-time configuration ------------------------------------------

    def configure(self, req: ConfigureRequest) -> None:
        """Take ``venice:*`` stack config; the environment fills what it lacks."""
        config = {key: req.config.get(key) for key in CONFIG_KEYS}
        settings = resolve_settings(config)
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
        """The shared HTTP client, created on first use with the admin key."""
        settings = self.settings()
        with self._lock:
            if self._client is None:
                self._client = settings_client(
                    settings, settings.require_api_key(), ADMIN_KEY_REFUSED
                )
                self._directory = KeyDirectory(self._client.list_keys)
            return self._client

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

    def client_for(self, api_key: str | None, refused_hint: str | None = None) -> VeniceClient:
        """A client that calls with the given key (or none), on the process's
        shared connection pool: cheap to make, and nothing to close."""
        return settings_client(self.settings(), api_key, refused_hint)

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

    # -- the lifecycle ----------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = self._check_inputs(news)
        return CheckResult(
            inputs, [CheckFailure(prop, reason) for prop, reason in engine_failures(failures)]
        )

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed, replaces = changed_fields(olds, news, self.replace_fields)
        known = {k: unwrap_secrets(v) for k, v in news.items() if not contains_unknown(v)}
        due = rotation.rotation_reason(unwrap_secrets(olds), known, times.now())
        if due is not None and due not in replaces:
            replaces.append(due)
        if replaces:
            self._note_replacement(id_, news)
        # The new key is always made before the old one is retired.
        return DiffResult(
            changes=bool(changed or replaces),
            replaces=replaces,
            stables=[],
            delete_before_replace=False,
        )

    @explained
    def create(self, props: dict[str, Any]) -> CreateResult:
        settings = self._settings_from(props)
        if isinstance(settings, KeySettings) and settings.import_id:
            return self._import(settings)
        client = self._manager("create API key", props)
        self._changing_keys()
        expires_at = settings.expiry_at_creation(times.now())
        created = create_exactly_once(
            lambda marker: client.create_key(create_request(settings, marker, expires_at)),
            client,
        )
        record = self._finish_create(client, created, settings, expires_at)
        outputs = outputs_from(record, api_key=created.api_key, keepers=settings.keepers)
        return CreateResult(created.id, {**outputs, **self._created_extras(props)})

    @explained
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            record = self.read_record(self._manager(f"refresh API key {id_}", props), id_)
        except (KeyNotFoundError, AuthenticationError) as error:
            if isinstance(error, AuthenticationError) and not self._manages_itself(props):
                raise
            # Gone (deleted or expired outside Pulumi; a key that manages itself
            # learns it as its own value being refused): refresh drops it.
            self._confirm_gone(id_, plain_secret(props))
            return ReadResult(None, {})
        keepers = unwrap_secrets(props.get("keepers")) or {}
        extra = self._extra_outputs(props)
        return ReadResult(
            id_,
            {**outputs_from(record, api_key=plain_secret(props), keepers=keepers), **extra},
            {**inputs_from(record, keepers), **_without(extra, "retiring_key_id")},
        )

    @explained
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        settings = self._settings_from(news)
        # The credential the key is managed with now (it may have changed too).
        credential = {CREDENTIAL: news.get(CREDENTIAL)}
        client = self._manager(f"update API key {id_}", {**olds, **credential})
        self._changing_keys()
        expires_at = self._kept_expiry(settings, olds)
        # The PATCH answers with the key as stored: no read-back needed.
        record = client.update_key(self._update_request(id_, settings, expires_at))
        outputs = outputs_from(record, api_key=plain_secret(olds), keepers=settings.keepers)
        extra = self._extra_outputs(news)
        extra["retiring_key_id"] = unwrap_secrets(olds.get("retiring_key_id"))
        return UpdateResult({**outputs, **extra})

    @explained
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Revoke the key; when it is being replaced and ``retire_grace`` is set,
        give it that long to live instead. Destroying a key also revokes the key
        it replaced, if that one is still in its grace period."""
        client = self._manager(f"delete API key {id_}", props)
        self._changing_keys()
        grace = self._take_retirement(id_)
        if grace is not None:
            self._retire(client, id_, props, grace)
            return
        retiring = unwrap_secrets(props.get("retiring_key_id"))
        # Already gone is what delete wanted; so is a key that manages itself
        # whose own value is refused.
        gone = (
            (KeyNotFoundError, AuthenticationError)
            if self._manages_itself(props)
            else (KeyNotFoundError,)
        )
        for key_id in (id_, retiring) if isinstance(retiring, str) else (id_,):
            with contextlib.suppress(*gone):
                client.delete_key(key_id)

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
            return client.update_key(self._update_request(created.id, settings, expires_at))
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

    # -- hooks for other kinds of keys -----------------------------------------

    def _check_inputs(
        self, news: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return check_inputs(news)

    def _settings_from(self, props: Mapping[str, Any]) -> BaseKeySettings:
        return validated(props, self._check_inputs, self.settings_type)

    def _extra_outputs(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """Outputs carried from the inputs or the state: the rotation policy and
        the key this one replaced (subclasses add their own)."""
        names = (*POLICY_FIELDS, "retiring_key_id")
        extra = {name: unwrap_secrets(props[name]) for name in names if name in props}
        credential = plain_secret(props, CREDENTIAL)
        if credential is not None:  # kept for read and delete, which see only the state
            extra[CREDENTIAL] = wrap_rpc_secret(credential)
        return extra

    def _created_extras(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """``_extra_outputs`` of a new key: which key it replaces, if it replaces one."""
        return {**self._extra_outputs(props), "retiring_key_id": self._take_replaced(props)}

    # -- replacement and retirement ---------------------------------------------
    #
    # Pulumi replaces a key in three calls to this process: diff (which decides
    # the replacement and knows the old id), create (the new key, whose inputs
    # are the ones diff saw) and delete (the old key). A delete that no diff
    # announced, as in `pulumi destroy`, revokes at once.

    def _note_replacement(self, old_id: str, news: Mapping[str, Any]) -> None:
        grace = unwrap_secrets(news.get("retire_grace"))
        with self._lock:
            if isinstance(grace, str):
                self._retirements[old_id] = times.parse_duration(grace)
            self._replaced.setdefault(_fingerprint(news), []).append(old_id)

    def _take_replaced(self, props: Mapping[str, Any]) -> str | None:
        with self._lock:
            waiting = self._replaced.get(_fingerprint(props))
            return waiting.pop(0) if waiting else None

    def _take_retirement(self, key_id: str) -> timedelta | None:
        with self._lock:
            return self._retirements.pop(key_id, None)

    def _retire(
        self, client: VeniceClient, key_id: str, props: Mapping[str, Any], grace: timedelta
    ) -> None:
        """Let a replaced key live ``grace`` longer (never past its own expiry)."""
        retire_at = times.now() + grace
        current = unwrap_secrets(props.get("expires_at"))
        if isinstance(current, str) and parse_expiry(current) <= retire_at:
            return  # it expires within the grace period anyway
        with contextlib.suppress(KeyNotFoundError):
            client.update_key(UpdateApiKeyRequest(id=key_id, expires_at=format_expiry(retire_at)))

    def _manages_itself(self, _props: Mapping[str, Any]) -> bool:
        """Whether the key is read, changed and revoked with its own value."""
        return False

    def _manager(self, _operation: str, props: Mapping[str, Any]) -> VeniceClient:
        """The client that creates, reads, updates and deletes the key: its
        ``admin_api_key`` if it has one, else the configured admin key."""
        credential = plain_secret(props, CREDENTIAL)
        return self.client_for(credential, CREDENTIAL_REFUSED) if credential else self.client()

    # -- helpers ------------------------------------------------------------

    @staticmethod
    def _kept_expiry(settings: BaseKeySettings, key: Mapping[str, Any]) -> str | None:
        """The expiry an existing key should have: ``created_at + expires_after``
        when that is set (its expiry was fixed at creation), else ``expires_at``."""
        if settings.expires_after:
            expiry = rotation.expected_expiry(key, {"expires_after": settings.expires_after})
            if expiry is not None:
                return format_expiry(expiry)
        return settings.expires_at

    @staticmethod
    def _update_request(
        id_: str, settings: BaseKeySettings, expires_at: str | None
    ) -> UpdateApiKeyRequest:
        """A PATCH that sets every updatable field (``expires_at=None`` clears the expiry)."""
        return UpdateApiKeyRequest(
            id=id_,
            description=settings.description,
            expires_at=expires_at,
            consumption_limit=settings.consumption_limit.to_wire(),
            limit_period=settings.limit_period,
            model_privacy=settings.model_privacy,
        )

    def _import(self, settings: KeySettings) -> CreateResult:
        """Adopt the existing key ``import_id`` instead of creating one."""
        key_id = settings.import_id or ""
        client = self._manager(f"import API key {key_id}", settings.to_inputs())
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
        wanted = {**settings.to_inputs(), "expires_at": expires_at, "expires_after": None}
        changed, _ = changed_fields(inputs_from(record, settings.keepers), wanted)
        if set(changed) & set(UPDATE_FIELDS):
            record = client.update_key(self._update_request(key_id, settings, expires_at))
        outputs = outputs_from(record, api_key=secret, keepers=settings.keepers)
        return CreateResult(key_id, {**outputs, **self._extra_outputs(settings.to_inputs())})
