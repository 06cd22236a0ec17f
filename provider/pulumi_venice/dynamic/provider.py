"""The dynamic provider of ``ApiKey``: Pulumi's check/diff/create/read/update/delete
translated onto the lifecycle core (:mod:`pulumi_venice.keys.lifecycle`).

Pulumi pickles a provider instance into every resource's state and names its
class by module: this one (``pulumi_venice.dynamic.provider.ApiKeyProvider``)
since 0.3.0, ``pulumi_venice.provider.ApiKeyProvider`` (a shim now) before;
each must keep importing and behaving, or existing stacks fail at refresh and
destroy. This module has no side effects, so the class is pickled by
reference, and an instance pickles to nothing at all (``__getstate__``): the
admin key, the base URL and the HTTP clients are resolved at run time, in the
process that runs the provider, from ``configure`` (stack config) or the
environment.

It only translates: secrets are unwrapped once where a call enters, the
server's ``Unknown`` becomes the core's UNKNOWN, a failed check on a secret
input names no property (the engine would print its value), and the core's
secret outputs leave wrapped as Pulumi secrets. No message contains a secret.

Errors: Pulumi's dynamic provider server hands a provider's method no gRPC
context, and reports whatever it raises as ``Exception calling application:
<message>``. So that the user reads only our sentence, and so that a create
that made a key and then failed can hand the engine that key (an
initialization error), a method's error aborts the engine's call through the
context the server's frame holds (:func:`_engine_call`). Where none is found
(a test that calls the provider directly), the error is raised as it is.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Callable, Mapping
from typing import Any, Final, NoReturn, ParamSpec, TypeVar

import grpc
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
from pulumi.output import Unknown
from pulumi.runtime.rpc import (
    is_rpc_secret,
    serialize_properties,
    unwrap_rpc_secret,
    wrap_rpc_secret,
)

from ..keys.lifecycle import KeyLifecycle
from ..keys.state import KeyState
from ..settings.checking import engine_failures
from ..settings.config import CONFIG_KEYS
from ..settings.fields import UNKNOWN
from ..settings.inputs import SECRET_OUTPUTS
from ..venice.errors import PartialCreateError, VeniceError
from .engine_errors import ERROR_CODE, init_failed_status
from .hidden import HIDDEN_INPUTS, IDENTITY_KEY, PROVIDER_KEY, STACK_KEY

P = ParamSpec("P")
R = TypeVar("R")
# How far up the stack the server's frame may be from a provider method.
_MAX_FRAMES: Final = 8


def _engine_call() -> grpc.ServicerContext | None:
    """The gRPC context of the engine's call that is running this method: a
    local ``context`` of the dynamic provider server's frame, or None."""
    frame = sys._getframe(1)
    for _ in range(_MAX_FRAMES):
        if frame.f_back is None:
            return None
        frame = frame.f_back
        context = frame.f_locals.get("context")
        if isinstance(context, grpc.ServicerContext):
            return context
    return None


def _abort(error: VeniceError, status: grpc.Status | None = None) -> NoReturn:
    """End the engine's call with our sentence alone (and, with ``status``,
    its details); raise ``error`` as it is where there is no such call."""
    context = _engine_call()
    if context is None:
        raise error
    if status is not None:
        context.abort_with_status(status)
    context.abort(ERROR_CODE, str(error))
    raise error  # abort raises; kept for the type checker


def plain_errors(method: Callable[P, R]) -> Callable[P, R]:
    """A provider method whose errors of ours reach the user as our sentence alone."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except VeniceError as error:
            _abort(error)

    return wrapper


def _plain_value(value: Any) -> Any:
    """A value without Pulumi's secret envelopes (``{sig: secret, value: ...}``)
    at any depth, and with the server's ``Unknown`` as the core's UNKNOWN."""
    if isinstance(value, Unknown):
        return UNKNOWN
    if is_rpc_secret(value):
        return _plain_value(unwrap_rpc_secret(value))
    if isinstance(value, Mapping):
        return {k: _plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    return value


def plain(props: Mapping[str, Any]) -> dict[str, Any]:
    """Properties as the core takes them (unwrapped once, here, where a call
    enters), without the pickled provider and the resource's hidden inputs."""
    return {k: _plain_value(v) for k, v in props.items() if k not in HIDDEN_INPUTS}


def state_of(props: Mapping[str, Any]) -> KeyState:
    """A key's state as the core takes it, from the properties the engine kept."""
    return KeyState.from_props(plain(props))


def _hidden(props: Mapping[str, Any], name: str) -> str | None:
    value = props.get(name)
    return value if isinstance(value, str) and value != UNKNOWN else None


def identity(props: Mapping[str, Any]) -> str | None:
    """The resource's identity, which its resource class sends as a hidden input."""
    return _hidden(props, IDENTITY_KEY)


def stack(props: Mapping[str, Any]) -> str | None:
    """``<project>/<stack>``, which a resource that delivers its key sends."""
    return _hidden(props, STACK_KEY)


def secret_marked(values: Mapping[str, Any] | KeyState) -> dict[str, Any]:
    """The core's values (or a key's state) with its secret outputs wrapped as
    Pulumi secrets."""
    if isinstance(values, KeyState):
        values = values.props()
    return {
        k: wrap_rpc_secret(v) if k in SECRET_OUTPUTS and v is not None else v
        for k, v in values.items()
    }


class ApiKeyProvider(ResourceProvider):
    """Manages ordinary Venice API keys (``POST /api_keys``) with an admin key."""

    # The serialized provider holds nothing secret (see __getstate__), so it is
    # stored in plain text and anyone can check that it does not.
    serialize_as_secret_always = False
    lifecycle_type: type[KeyLifecycle] = KeyLifecycle

    def __init__(self) -> None:
        super().__init__()
        self.lifecycle = self.lifecycle_type()

    def __getstate__(self) -> dict[str, Any]:
        # Nothing of an instance is pickled: no credential, no client, no lock.
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.lifecycle = self.lifecycle_type()

    def configure(self, req: ConfigureRequest) -> None:
        """Take ``venice:*`` stack config; the environment fills what it lacks."""
        self.lifecycle.context.configure({key: req.config.get(key) for key in CONFIG_KEYS})

    @plain_errors
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = self.lifecycle.check(plain(news))
        for name in (IDENTITY_KEY, STACK_KEY):  # kept, so that diff and create see them
            if name in news:
                inputs[name] = news[name]
        return CheckResult(inputs, [CheckFailure(p, r) for p, r in engine_failures(failures)])

    @plain_errors
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        diff = self.lifecycle.diff(id_, state_of(olds), plain(news), identity(news))
        # The new key is always made before the old one is retired.
        return DiffResult(
            changes=diff.changes,
            replaces=diff.replaces,
            stables=[],
            delete_before_replace=False,
        )

    @plain_errors
    def create(self, props: dict[str, Any]) -> CreateResult:
        try:
            key_id, outputs = self.lifecycle.create(
                plain(props), identity(props), stack=stack(props)
            )
        except PartialCreateError as error:
            # The key exists and is kept: the engine records it with the error.
            outs = {**secret_marked(error.outputs), PROVIDER_KEY: props.get(PROVIDER_KEY)}
            properties = asyncio.run(serialize_properties(outs, {}))
            _abort(error, init_failed_status(str(error), error.key_id, properties))
        return CreateResult(key_id, secret_marked(outputs))

    @plain_errors
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        read = self.lifecycle.read(id_, state_of(props))
        if read.key_id is None:
            return ReadResult(None, {})
        return ReadResult(read.key_id, secret_marked(read.outputs), secret_marked(read.inputs))

    @plain_errors
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(secret_marked(self.lifecycle.update(id_, state_of(olds), plain(news))))

    @plain_errors
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.lifecycle.delete(id_, state_of(props))
