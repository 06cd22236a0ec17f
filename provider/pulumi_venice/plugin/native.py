"""The native provider ``venice``: Pulumi's provider protocol translated onto
the same lifecycle core as the dynamic provider (:mod:`pulumi_venice.keys.lifecycle`).

It only translates: wire values (camelCase ``PropertyValue`` maps) to plain
snake_case values and back (:mod:`.values`), the provider's configuration to
the core's settings, and the core's failures to check failures. Each provider
instance (the default one, or an explicit ``venice.Provider`` with its own
admin key) is a process of its own with its own configuration, so one stack
can manage the keys of several Venice accounts.

The core is synchronous (httpx with retries); each call that reaches Venice
runs in a worker thread, so the engine's ``--parallel`` sets how many run at
once (up to :data:`MAX_CONCURRENT_CALLS`). ``check`` and ``diff`` never call
Venice (microseconds of work each; a Web3 key's first check also loads
eth-account, once per process) and run on the event loop itself: a trip
through the thread pool would cost more than the work. No message carries a
secret.
"""

from __future__ import annotations

import asyncio
import functools
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar

from google.protobuf import struct_pb2
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    InvokeRequest,
    InvokeResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from ..keys.context import ProviderContext
from ..keys.fingerprint import DEFAULT_SALT
from ..keys.lifecycle import KeyLifecycle
from ..keys.outcomes import Diff
from ..keys.state import KeyState
from ..keys.web3 import Web3KeyLifecycle
from ..settings.checking import engine_failures
from ..settings.config import CONFIG_KEYS, resolve_settings, unknown_settings
from ..settings.fields import UNKNOWN
from ..settings.inputs import SECRET_INPUTS, SECRET_OUTPUTS
from ..venice.client import VeniceClient
from ..venice.errors import ConfigurationError, PartialCreateError, VeniceError
from .schema import (
    API_KEY,
    GET_API_KEY,
    GET_API_KEYS,
    GET_RATE_LIMIT_LOGS,
    GET_RATE_LIMITS,
    WEB3_API_KEY,
    schema,
    schema_json,
)
from .values import camel, plain, plain_value, property_value, wire

MAX_CONCURRENT_CALLS: Final = 64
# Inputs the engine gives every provider, beside the package's own.
ENGINE_INPUTS: Final = frozenset({"version", "pluginDownloadURL"})
SECRETS: Final = frozenset(SECRET_INPUTS) | frozenset(SECRET_OUTPUTS)
T = TypeVar("T")
Function = Callable[[VeniceClient, Mapping[str, Any]], dict[str, Any]]

# The data functions: Venice's answers as it words them (camelCase), no secret in any.
FUNCTIONS: Final[Mapping[str, Function]] = {
    GET_API_KEYS: lambda client, _: {"keys": [r.to_wire() for r in client.list_keys()]},
    GET_API_KEY: lambda client, args: client.get_key(str(args.get("id"))).to_wire(),
    GET_RATE_LIMITS: lambda client, _: client.rate_limits().to_wire(),
    GET_RATE_LIMIT_LOGS: lambda client, _: {
        "entries": [entry.to_wire() for entry in client.rate_limit_log()]
    },
}


class InitFailedError(VeniceError):
    """A create that made a key and failed, with the key's outputs on the
    wire: the server hands them to the engine with the message."""

    def __init__(self, message: str, key_id: str, properties: struct_pb2.Struct) -> None:
        super().__init__(message)
        self.key_id = key_id
        self.properties = properties


class VeniceProvider(Provider):
    """Venice API keys (``ApiKey``, ``Web3ApiKey``) and the account's data functions."""

    def __init__(self) -> None:
        # One account's settings, admin client and key list serve both kinds
        # of key and the functions.
        self._context = ProviderContext()
        self._lifecycles: dict[str, KeyLifecycle] = {
            API_KEY: KeyLifecycle(self._context),
            WEB3_API_KEY: Web3KeyLifecycle(self._context),
        }
        self._threads = ThreadPoolExecutor(MAX_CONCURRENT_CALLS, thread_name_prefix="venice")

    async def _run(self, call: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, functools.partial(call, *args))

    def _lifecycle(self, resource_type: str) -> KeyLifecycle:
        try:
            return self._lifecycles[resource_type]
        except KeyError:
            raise ValueError(f"venice has no resource type {resource_type}") from None

    # -- the provider itself -------------------------------------------------

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=schema_json())

    async def check_config(self, request: CheckRequest) -> CheckResponse:
        """The provider's inputs, checked at preview: unknown names (with the
        likely one) and bad values, each in a sentence that shows no value."""
        given = {k: plain_value(v) for k, v in request.new_inputs.items() if k not in ENGINE_INPUTS}
        failures = [
            CheckFailure("", text)
            for text in unknown_settings((f"venice:{k}" for k in given), refused=True)
        ]
        try:
            resolve_settings({k: v for k, v in _config(given, {}).items() if v != UNKNOWN})
        except ConfigurationError as error:
            failures.append(CheckFailure("", str(error)))
        return CheckResponse(inputs=dict(request.new_inputs), failures=failures)

    async def diff_config(self, request: DiffRequest) -> DiffResponse:
        olds = {k: plain_value(v) for k, v in request.old_state.items()}
        news = {k: plain_value(v) for k, v in request.new_inputs.items()}
        changed = sorted(k for k in set(olds) | set(news) if olds.get(k) != news.get(k))
        return DiffResponse(changes=bool(changed), diffs=changed)

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        """``apiKey``, ``baseUrl`` and the timeouts, from the provider's inputs
        (or ``venice:*`` config); the environment fills what they lack."""
        given = {k: plain_value(v) for k, v in request.args.items()}
        config = _config(given, request.variables)
        await self._run(self._context.configure, config)
        return ConfigureResponse(accept_secrets=True, supports_preview=False)

    # -- resources -------------------------------------------------------------

    async def check(self, request: CheckRequest) -> CheckResponse:
        lifecycle = self._lifecycle(request.type)
        inputs, failures = lifecycle.check(plain(request.new_inputs))
        return CheckResponse(
            inputs=wire(inputs, SECRETS),
            failures=[
                CheckFailure(camel(prop) if prop else prop, camel_names(reason))
                for prop, reason in engine_failures(failures)
            ],
        )

    async def diff(self, request: DiffRequest) -> DiffResponse:
        lifecycle = self._lifecycle(request.type)
        diff = lifecycle.diff(
            request.resource_id,
            state_of(request.old_state),
            plain(request.new_inputs),
            identity=request.urn,
        )
        # The new key is always made before the old one is retired. The engine
        # shows what changes (``description: "c" => "c2"``) only from a detailed
        # diff, which this server always claims to send.
        return DiffResponse(
            changes=diff.changes,
            replaces=[camel(name) for name in diff.replaces],
            delete_before_replace=False,
            diffs=[camel(name) for name in diff.changed],
            detailed_diff=detailed_diff(diff, request.old_state, request.new_inputs),
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        lifecycle = self._lifecycle(request.type)
        create = functools.partial(lifecycle.create, stack=stack_salt(request.urn))
        try:
            key_id, outputs = await self._run(create, plain(request.properties), request.urn)
        except PartialCreateError as error:
            # The key exists and is kept: the engine records it with the error.
            properties = PropertyValue.marshal_map(wire(error.outputs, SECRETS))
            raise InitFailedError(str(error), error.key_id, properties) from None
        return CreateResponse(resource_id=key_id, properties=wire(outputs.props(), SECRETS))

    async def read(self, request: ReadRequest) -> ReadResponse:
        """Refresh, and ``pulumi import`` (no state yet: the key's settings are
        read from Venice; its value cannot be had again)."""
        lifecycle = self._lifecycle(request.type)
        state = state_of({**request.inputs, **request.properties})
        read = await self._run(lifecycle.read, request.resource_id, state)
        if read.key_id is None:
            return ReadResponse(resource_id=None, properties={}, inputs={})
        return ReadResponse(
            resource_id=read.key_id,
            properties=wire(read.outputs.props(), SECRETS),
            inputs=wire(read.inputs, SECRETS),
        )

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        lifecycle = self._lifecycle(request.type)
        outputs = await self._run(
            lifecycle.update,
            request.resource_id,
            state_of(request.olds),
            plain(request.news),
        )
        return UpdateResponse(properties=wire(outputs.props(), SECRETS))

    async def delete(self, request: DeleteRequest) -> None:
        lifecycle = self._lifecycle(request.type)
        await self._run(lifecycle.delete, request.resource_id, state_of(request.properties))

    # -- functions ---------------------------------------------------------------

    async def invoke(self, request: InvokeRequest) -> InvokeResponse:
        function = FUNCTIONS.get(request.tok)
        if function is None:
            raise ValueError(f"venice has no function {request.tok}")
        args = {k: plain_value(v) for k, v in request.args.items()}
        client = await self._run(self._context.client)
        result: Mapping[str, Any] = await self._run(function, client, args)
        return InvokeResponse(
            return_value={k: property_value(v) for k, v in result.items()}, failures=[]
        )


_SNAKE_WORD: Final = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


@functools.cache
def _wire_names() -> frozenset[str]:
    """Every property name of the schema's resources and types (camelCase)."""
    resources = schema()["resources"].values()
    types = schema()["types"].values()
    return frozenset(
        n for r in resources for kind in ("inputProperties", "properties") for n in r[kind]
    ) | frozenset(n for t in types for n in t.get("properties", {}))


def camel_names(text: str) -> str:
    """The core's message with its field names as this door's callers write
    them (``expires_at`` -> ``expiresAt``), so it names what they typed."""
    return _SNAKE_WORD.sub(lambda m: camel(m[0]) if camel(m[0]) in _wire_names() else m[0], text)


def detailed_diff(
    diff: Diff, olds: Mapping[str, PropertyValue], news: Mapping[str, PropertyValue]
) -> dict[str, PropertyDiff]:
    """Each changed input's kind of change (added, deleted, updated; with
    replacement or not), against the stored state (not the old inputs)."""
    detailed = {}
    for name in diff.changed:
        wire_name, replace = camel(name), name in diff.replaces
        had = not _is_null(olds.get(wire_name))
        has = not _is_null(news.get(wire_name))
        if has and not had:
            kind = PropertyDiffKind.ADD_REPLACE if replace else PropertyDiffKind.ADD
        elif had and not has:
            kind = PropertyDiffKind.DELETE_REPLACE if replace else PropertyDiffKind.DELETE
        else:
            kind = PropertyDiffKind.UPDATE_REPLACE if replace else PropertyDiffKind.UPDATE
        detailed[wire_name] = PropertyDiff(kind, input_diff=False)
    return detailed


def _is_null(value: PropertyValue | None) -> bool:
    return value is None or value.value is None


def _config(given: Mapping[str, Any], variables: Mapping[str, str]) -> dict[str, Any]:
    """The core's ``venice:*`` settings from the provider's inputs (numbers as
    text, as stack config gives them), else its config variables."""
    config: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        name = key.split(":", 1)[1]
        value = given.get(name, variables.get(f"venice:config:{name}"))
        config[key] = f"{value:g}" if isinstance(value, float) else value
    return config


def state_of(properties: Mapping[str, PropertyValue]) -> KeyState:
    """A key's state as the core takes it, from the properties the engine kept."""
    return KeyState.from_props(plain(properties))


def stack_salt(urn: str | None) -> str:
    """``<project>/<stack>`` from a resource's URN
    (``urn:pulumi:<stack>::<project>::<type>::<name>``), else the default."""
    if urn and urn.startswith("urn:pulumi:"):
        parts = urn.removeprefix("urn:pulumi:").split("::")
        if len(parts) >= 2 and parts[0] and parts[1]:
            return f"{parts[1]}/{parts[0]}"
    return DEFAULT_SALT
