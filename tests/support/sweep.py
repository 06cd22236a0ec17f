"""The fault sweep's machinery (issue 30): every Venice call an operation
makes, failed in every way, through either door, against a real emulator.

- :class:`Door`: the dynamic provider or the native plugin, driven in process
  as the engine drives it; both speak the core's plain snake_case values here.
- :class:`World`: one scenario: its emulator, its credentials, and the state
  the engine would hold after each step (a create that fails with the key
  handed over is recorded, as the engine records an initialization error).
- :data:`OPERATIONS`: what a user runs (create, update, replace with and
  without a grace, destroy after rotations, adopt, refresh, delivery to each
  sink), each a setup and the operation itself.
- :class:`Failure`: how one call fails: refused before it is sent (on the
  client's side: no connection), carried out with its answer lost, 5xx past
  the retry budget, Venice's "not found" or 403 as a credential of another
  account gets them; and a sink that fails.

:func:`run_scenario` runs one operation with one failure and returns what it
broke of the three promises, as sentences (none when all hold).
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import secrets
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

import httpx
import pytest
from eth_account import Account
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    CreateRequest,
    DeleteRequest,
    DiffRequest,
    ReadRequest,
    UpdateRequest,
)
from pulumi.runtime.rpc import unwrap_rpc_secret

import pulumi_venice.keys.context as context_module
import pulumi_venice.venice.client as client_module
from pulumi_venice import ApiKeyProvider, VeniceClient, Web3ApiKeyProvider
from pulumi_venice.emulator import EmulatorThread, start_emulator
from pulumi_venice.emulator.faults import FaultPlan
from pulumi_venice.plugin.native import SECRETS, InitFailedError, VeniceProvider
from pulumi_venice.plugin.schema import API_KEY, WEB3_API_KEY
from pulumi_venice.plugin.values import plain, wire
from pulumi_venice.venice.errors import PartialCreateError, VeniceError
from pulumi_venice.venice.models import CreateApiKeyRequest
from pulumi_venice.venice.retry import RetryPolicy

from .keys import wallet_admin_key

MAX_RETRIES: Final = 1  # so that "past the retry budget" is two failed attempts
API_PREFIX: Final = "/api/v1"
_KEY_PATH: Final = re.compile(r"^/api_keys/[0-9a-fA-F-]{36}$")

State = dict[str, Any]


# -- the doors --------------------------------------------------------------------


class Door(Protocol):
    """A front door, as the engine calls it (plain snake_case values in and out)."""

    name: str

    def check(self, kind: str, news: Mapping[str, Any]) -> State: ...
    def diff(self, kind: str, urn: str, key_id: str, olds: State, news: State) -> list[str]: ...
    def create(self, kind: str, urn: str, inputs: State) -> tuple[str, State]: ...
    def update(self, kind: str, urn: str, key_id: str, olds: State, news: State) -> State: ...
    def delete(self, kind: str, urn: str, key_id: str, state: State) -> None: ...
    def read(self, kind: str, urn: str, key_id: str, state: State) -> State | None: ...


class Handed(Exception):  # noqa: N818 - what the engine gets, not a defect
    """A create failed, and handed the engine the key it made."""

    def __init__(self, message: str, key_id: str, outputs: State) -> None:
        super().__init__(message)
        self.key_id = key_id
        self.outputs = outputs


def _unwrapped(values: Mapping[str, Any]) -> State:
    return {k: unwrap_rpc_secret(v) for k, v in values.items()}


class DynamicDoor:
    """The dynamic provider (``ApiKeyProvider``, ``Web3ApiKeyProvider``)."""

    name = "dynamic"

    def __init__(self) -> None:
        self._providers = {"ApiKey": ApiKeyProvider(), "Web3ApiKey": Web3ApiKeyProvider()}

    def check(self, kind: str, news: Mapping[str, Any]) -> State:
        result = self._providers[kind].check({}, dict(news))
        assert result.failures == [], [f.reason for f in result.failures]
        return dict(result.inputs)

    def diff(self, kind: str, urn: str, key_id: str, olds: State, news: State) -> list[str]:
        return list(self._providers[kind].diff(key_id, olds, news).replaces or [])

    def create(self, kind: str, urn: str, inputs: State) -> tuple[str, State]:
        try:
            made = self._providers[kind].create(inputs)
        except PartialCreateError as error:
            raise Handed(str(error), error.key_id, _unwrapped(error.outputs)) from None
        assert made.id is not None
        return made.id, _unwrapped(made.outs or {})

    def update(self, kind: str, urn: str, key_id: str, olds: State, news: State) -> State:
        return _unwrapped(self._providers[kind].update(key_id, olds, news).outs or {})

    def delete(self, kind: str, urn: str, key_id: str, state: State) -> None:
        self._providers[kind].delete(key_id, state)

    def read(self, kind: str, urn: str, key_id: str, state: State) -> State | None:
        read = self._providers[kind].read(key_id, state)
        return None if read.id is None else _unwrapped(read.outs or {})


class PluginDoor:
    """The native plugin ``venice`` (its gRPC methods, called in process)."""

    name = "plugin"
    _TYPES: Final = {"ApiKey": API_KEY, "Web3ApiKey": WEB3_API_KEY}

    def __init__(self) -> None:
        self._plugin = VeniceProvider()

    def check(self, kind: str, news: Mapping[str, Any]) -> State:
        request = CheckRequest(urn_of(kind), {}, wire(news, SECRETS), b"")
        response = asyncio.run(self._plugin.check(request))
        assert not response.failures, [f.reason for f in response.failures or []]
        return plain(response.inputs or {})

    def diff(self, kind: str, urn: str, key_id: str, olds: State, news: State) -> list[str]:
        request = DiffRequest(urn, key_id, wire(olds, SECRETS), wire(news, SECRETS), [])
        response = asyncio.run(self._plugin.diff(request))
        return [_snake(name) for name in response.replaces or []]

    def create(self, kind: str, urn: str, inputs: State) -> tuple[str, State]:
        request = CreateRequest(urn, wire(inputs, SECRETS), 60, False)
        try:
            made = asyncio.run(self._plugin.create(request))
        except InitFailedError as failure:
            outputs = plain(PropertyValue.unmarshal_map(failure.properties))
            raise Handed(str(failure), failure.key_id, outputs) from None
        assert made.resource_id is not None
        return made.resource_id, plain(made.properties or {})

    def update(self, kind: str, urn: str, key_id: str, olds: State, news: State) -> State:
        request = UpdateRequest(
            urn, key_id, wire(olds, SECRETS), wire(news, SECRETS), 60, [], False
        )
        return plain(asyncio.run(self._plugin.update(request)).properties or {})

    def delete(self, kind: str, urn: str, key_id: str, state: State) -> None:
        asyncio.run(self._plugin.delete(DeleteRequest(urn, key_id, wire(state, SECRETS), 60)))

    def read(self, kind: str, urn: str, key_id: str, state: State) -> State | None:
        request = ReadRequest(urn, key_id, wire(state, SECRETS), {})
        response = asyncio.run(self._plugin.read(request))
        return None if response.resource_id is None else plain(response.properties or {})


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def urn_of(kind: str, name: str = "key") -> str:
    return f"urn:pulumi:sweep::p::{PluginDoor._TYPES[kind]}::{name}"


DOORS: Final[Mapping[str, Callable[[], Door]]] = {"dynamic": DynamicDoor, "plugin": PluginDoor}


# -- failures -----------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One Venice call an operation makes: its method and route, how many
    calls of the same route came before it in the operation, and the key it
    was made with: ``admin`` (the configured admin key), ``key`` (a key's
    own value), or None (no key, as a wallet's create)."""

    method: str
    route: str
    nth: int
    credential: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return f"{self.method} {self.route}" + (f" #{self.nth + 1}" if self.nth else "")


def route_of(path: str) -> str:
    """A path as a fault rule names it: without the API prefix and the query,
    and with a key's id as ``{id}``."""
    route = path.split("?", 1)[0].removeprefix(API_PREFIX)
    return "/api_keys/{id}" if _KEY_PATH.match(route) else route


@dataclass(frozen=True)
class Failure:
    """How the call fails."""

    name: str
    description: str


REFUSED: Final = Failure("refused", "refused before sending (no connection)")
LOST: Final = Failure("lost", "carried out, its answer lost")
SERVER: Final = Failure("5xx", "503 past the retry budget")
NOT_FOUND: Final = Failure("404", '"not found", as to another account\'s admin key')
FORBIDDEN: Final = Failure("403", "403, as to a refused credential")
SINK: Final = Failure("sink", "the sink refuses the value")
CALL_FAILURES: Final = (REFUSED, LOST, SERVER, NOT_FOUND, FORBIDDEN)


class SweepTransport(httpx.BaseTransport):
    """Every connection pool's transport while the sweep runs: it notes each
    call (with the key it is made with, which the emulator's journal does
    not keep), and is the client's side of "refused": the aimed-at call
    (and its retries) fail to connect, so nothing is sent."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.calls: list[Call] = []
        self.target: Call | None = None
        self.seen = 0
        self.refusals = 0

    def aim(self, target: Call | None) -> None:
        self.target, self.seen, self.refusals = target, 0, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        method, route = request.method, route_of(request.url.path)
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        role = "admin" if bearer == os.environ.get("VENICE_API_KEY") else "key" if bearer else None
        nth = sum(1 for c in self.calls if (c.method, c.route) == (method, route))
        self.calls.append(Call(method, route, nth, role))
        target = self.target
        if target is not None and (method, route) == (target.method, target.route):
            self.seen += 1
            if self.seen > target.nth and self.refusals < MAX_RETRIES + 1:
                self.refusals += 1
                raise httpx.ConnectError("connection refused (fault sweep)", request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


# -- one scenario --------------------------------------------------------------------


@dataclass
class World:
    """One scenario: an emulator, the credentials, and the engine's state."""

    emulator: EmulatorThread
    door: Door
    kind: str
    tmp: Path
    wallet_key: str | None = None
    outside: set[str] = field(default_factory=set)  # keys not made by the provider
    state: dict[str, tuple[str, State]] = field(default_factory=dict)
    made_before: set[str] = field(default_factory=set)
    before_create: Callable[[], None] | None = None  # between check and create

    # -- what the engine does with each call's outcome --

    def create(self, urn: str, news: Mapping[str, Any]) -> None:
        inputs = self.door.check(self.kind, news)
        if self.before_create is not None:
            self.before_create()
        try:
            key_id, outputs = self.door.create(self.kind, urn, inputs)
        except Handed as handed:
            self.state[urn] = (handed.key_id, {**inputs, **handed.outputs})
            raise
        self.state[urn] = (key_id, {**inputs, **outputs})

    def update(self, urn: str, news: Mapping[str, Any]) -> None:
        key_id, olds = self.state[urn]
        inputs = self.door.check(self.kind, news)
        assert self.door.diff(self.kind, urn, key_id, olds, inputs) == []
        outputs = self.door.update(self.kind, urn, key_id, olds, inputs)
        self.state[urn] = (key_id, {**inputs, **outputs})

    def replace(self, urn: str, news: Mapping[str, Any]) -> None:
        """Diff, create the new key (the old one stays in the state, pending
        delete, until its delete succeeds), delete the old key."""
        key_id, olds = self.state[urn]
        inputs = self.door.check(self.kind, news)
        assert self.door.diff(self.kind, urn, key_id, olds, inputs), "should replace"
        self.state[urn + "#old"] = self.state.pop(urn)
        self.create(urn, news)
        self.door.delete(self.kind, urn, key_id, olds)
        del self.state[urn + "#old"]

    def destroy(self, urn: str) -> None:
        key_id, state = self.state[urn]
        self.door.delete(self.kind, urn, key_id, state)
        del self.state[urn]

    def refresh(self, urn: str) -> None:
        key_id, state = self.state[urn]
        outputs = self.door.read(self.kind, urn, key_id, state)
        if outputs is None:
            del self.state[urn]
        else:
            self.state[urn] = (key_id, {**state, **outputs})

    # -- what is true at the end --

    def held(self) -> set[str]:
        """Every key id the state holds: the resources' and those in their grace."""
        ids = set()
        for key_id, outputs in self.state.values():
            ids.add(key_id)
            ids.update(outputs.get("retiring_key_ids") or [])
        return ids

    def alive(self) -> dict[str, str]:
        """The keys the provider made that still work: id to value."""
        backend = self.emulator.server.backend
        now = backend.now()
        return {
            k.id: k.secret
            for k in backend.all_keys()
            if not k.expired(now) and k.id not in self.outside
        }

    def every_secret(self) -> set[str]:
        return {k.secret for k in self.emulator.server.backend.all_keys()} | (
            {self.wallet_key, self.wallet_key[2:]} if self.wallet_key else set()
        )


@dataclass(frozen=True)
class Operation:
    """What a user runs: ``setup`` (no faults), then ``run`` (the sweep aims at it)."""

    name: str
    kinds: tuple[str, ...]
    setup: Callable[[World], None]
    run: Callable[[World], None]
    sink: str | None = None  # the delivery it exercises, if any

    def __str__(self) -> str:
        return self.name


URN: Final = "key"


def _base(world: World, **extra: Any) -> State:
    return {"api_key_type": "INFERENCE", "description": "sweep", **extra}


def _made(world: World, **extra: Any) -> None:
    world.create(urn_of(world.kind), _base(world, **extra))


def _nothing(_world: World) -> None:
    pass


def _rotations(grace: str | None, count: int) -> Callable[[World], None]:
    def setup(world: World) -> None:
        extra = {"retire_grace": grace} if grace else {}
        _made(world, keepers={"generation": "0"}, **extra)
        for generation in range(1, count + 1):
            world.replace(
                urn_of(world.kind), _base(world, keepers={"generation": str(generation)}, **extra)
            )

    return setup


def _replaced(grace: str | None, generation: int) -> Callable[[World], None]:
    def run(world: World) -> None:
        extra = {"retire_grace": grace} if grace else {}
        world.replace(
            urn_of(world.kind), _base(world, keepers={"generation": str(generation)}, **extra)
        )

    return run


def _adoptable(world: World) -> None:
    """A key made outside Pulumi, to adopt (not the provider's to revoke)."""
    admin = os.environ["VENICE_API_KEY"]
    with VeniceClient(world.emulator.base_url, admin) as client:
        made = client.create_key(
            CreateApiKeyRequest(api_key_type="INFERENCE", description="outside")
        )
    world.outside.add(made.id)
    world.tmp.joinpath("adopt").write_text(made.id, encoding="utf-8")


def _adopt(world: World) -> None:
    key_id = world.tmp.joinpath("adopt").read_text(encoding="utf-8")
    _made(world, import_id=key_id)


STORE: Final = "import sys; open(sys.argv[1], 'w').write(sys.stdin.read())"
READ: Final = "import sys, os; p = sys.argv[1]; print(open(p).read() if os.path.exists(p) else '')"


def deliver_to(world: World, sink: str, broken: bool) -> State:
    """A sink of the given kind, working or (``broken``) refusing the value."""
    if sink == "file":
        path = world.tmp / "key"
        if broken:  # after check, a folder takes the file's place: the write fails
            world.before_create = lambda: path.mkdir(exist_ok=True)
        return {"file": {"path": str(path)}}
    if sink == "command":
        store = str(world.tmp / "store")
        argv = [sys.executable, "-c", "import sys; sys.exit(3)" if broken else STORE, store]
        return {"command": {"argv": argv, "read_argv": [sys.executable, "-c", READ, store]}}
    endpoint = world.emulator.base_url if broken else os.environ["SWEEP_AWS_ENDPOINT"]
    name = f"venice/sweep-{secrets.token_hex(4)}"
    return {
        "aws_secrets_manager": {"secret_id": name, "region": "us-east-1", "endpoint_url": endpoint}
    }


def _delivered(sink: str) -> Callable[[World], None]:
    def run(world: World) -> None:
        broken = world.tmp.joinpath("broken-sink").exists()
        _made(world, deliver_to=deliver_to(world, sink, broken))

    return run


BOTH: Final = ("ApiKey", "Web3ApiKey")
OPERATIONS: Final = (
    Operation("create", BOTH, _nothing, lambda w: _made(w, consumption_limit={"diem": 2})),
    Operation(
        "update", BOTH, _made, lambda w: w.update(urn_of(w.kind), _base(w, description="sweep 2"))
    ),
    Operation("replace", BOTH, _rotations(None, 0), _replaced(None, 1)),
    Operation("replace with grace", BOTH, _rotations("2d", 0), _replaced("2d", 1)),
    Operation(
        "destroy after rotations", BOTH, _rotations("2d", 2), lambda w: w.destroy(urn_of(w.kind))
    ),
    Operation(
        "refresh after rotations", BOTH, _rotations("2d", 2), lambda w: w.refresh(urn_of(w.kind))
    ),
    Operation("adopt (import_id)", ("ApiKey",), _adoptable, _adopt),
    Operation("deliver to a file", BOTH, _nothing, _delivered("file"), sink="file"),
    Operation("deliver to a command", BOTH, _nothing, _delivered("command"), sink="command"),
    Operation(
        "deliver to AWS Secrets Manager", ("ApiKey",), _nothing, _delivered("aws"), sink="aws"
    ),
)


@contextmanager
def scenario(door_name: str, kind: str, tmp: Path) -> Iterator[World]:
    """A new emulator (and wallet), the environment a provider process reads,
    and a door: one scenario's world."""
    admin = "VENICE_ADMIN_KEY_" + secrets.token_urlsafe(30)
    wallet_key = "0x" + secrets.token_hex(32)
    address = Account.from_key(wallet_key).address
    with start_emulator([admin], staked_wallets=[address]) as emulator:
        env = {"VENICE_BASE_URL": emulator.base_url, "VENICE_MAX_RETRIES": str(MAX_RETRIES)}
        if kind == "Web3ApiKey":
            env["VENICE_WALLET_PRIVATE_KEY"] = wallet_key
            env["VENICE_API_KEY"] = wallet_admin_key(emulator, wallet_key)
        else:
            env["VENICE_API_KEY"] = admin
        saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        try:
            world = World(emulator, DOORS[door_name](), kind, tmp, wallet_key=wallet_key)
            world.outside = {k.id for k in emulator.server.backend.all_keys()}
            yield world
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


@functools.cache
def sweep_transport() -> SweepTransport:
    """The one transport every connection pool of this process is made with
    while the sweep runs (see :func:`sweep_clients`)."""
    return SweepTransport(httpx.HTTPTransport())


@contextmanager
def sweep_clients() -> Iterator[None]:
    """Clients that the sweep can refuse a connection to, and that back off
    for a millisecond, not a fifth of a second, between attempts."""
    transport = sweep_transport()
    original_new_http = client_module._new_http

    def new_http(base_url: str, timeout: float, _transport: Any = None) -> httpx.Client:
        return original_new_http(base_url, timeout, transport)

    quick = functools.partial(RetryPolicy, initial_backoff=0.001, max_backoff=0.002)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(client_module, "_new_http", new_http)
        patch.setattr(context_module, "RetryPolicy", quick)
        client_module._SHARED_HTTP.clear()
        try:
            yield
        finally:
            client_module._SHARED_HTTP.clear()
            transport.aim(None)


# The routes that name one key: what an admin key of another account is
# answered "not found" on (its list and its creates work, in its own account).
KEY_ROUTES: Final = (("GET", "/api_keys/{id}"), ("PATCH", "/api_keys"), ("DELETE", "/api_keys"))


def aim(world: World, calls: list[Call], index: int | None, failure: Failure) -> None:
    """Make ``calls[index]`` fail as ``failure`` says (a sink failure: no call).

    "not found" and 403 come from the credential, not one call: from the
    aimed-at call on, every call of that key on the key routes answers "not
    found" (an admin key of another account), or every call of that key
    answers 403 (a refused key)."""
    if failure is SINK:
        world.tmp.joinpath("broken-sink").write_text("", encoding="utf-8")
        return
    assert index is not None
    call = calls[index]
    if failure is REFUSED:
        sweep_transport().aim(call)
        return
    rule: dict[str, Any] = {"method": call.method, "path": call.route, "skip": call.nth}
    if failure is LOST:
        rules = [rule | {"drop_answer": True}]
    elif failure is SERVER:
        rules = [rule | {"status": 503, "count": MAX_RETRIES + 1}]
    else:
        rules = _credential_rules(calls, index, failure)
    world.emulator.server.faults.update({"fail": rules})


def _credential_rules(calls: list[Call], index: int, failure: Failure) -> list[dict[str, Any]]:
    call = calls[index]
    answer: dict[str, Any] = {"status": 403, "count": 1000}
    if failure is NOT_FOUND:
        answer = {"status": 400, "error": "API key not found", "count": 1000}
    if call.credential != "admin":  # made with no key, or a key's own: that call alone
        return [{"method": call.method, "path": call.route, "skip": call.nth} | answer]
    admin = os.environ["VENICE_API_KEY"]  # this scenario's
    routes = {(c.method, c.route) for c in calls[index:] if c.credential == call.credential}
    if failure is NOT_FOUND and (call.method, call.route) in KEY_ROUTES:
        routes = {r for r in routes if r in KEY_ROUTES}
    elif failure is NOT_FOUND:
        routes = {(call.method, call.route)}
    rules = []
    for method, route in sorted(routes):
        before = [
            c
            for c in calls[:index]
            if (c.method, c.route, c.credential) == (method, route, call.credential)
        ]
        rule = {"method": method, "path": route, "skip": len(before), "credential": admin}
        rules.append(rule | answer)
    return rules


@dataclass
class Outcome:
    """One scenario's end: the error (if any) and what it broke."""

    error: BaseException | None
    broken: list[str]


# A failure point: the operation's calls, which of them fails (None: the
# sink), and how.
Fault = tuple[list[Call], int | None, Failure]


def run_scenario(
    door_name: str, operation: Operation, kind: str, tmp: Path, fault: Fault | None
) -> tuple[Outcome, list[Call]]:
    """Run ``operation`` (with ``fault``, or none to learn its calls); what
    it broke of the three promises, and the Venice calls it made."""
    tmp.mkdir(parents=True, exist_ok=True)
    with scenario(door_name, kind, tmp) as world:
        operation.setup(world)
        world.made_before = set(world.alive())
        transport = sweep_transport()
        transport.calls.clear()
        if fault is not None:
            aim(world, *fault)
        error: BaseException | None = None
        try:
            operation.run(world)
        except Exception as raised:  # every failure is judged below
            error = raised
        finally:
            sweep_transport().aim(None)
            world.emulator.server.faults.replace(FaultPlan())
        calls = list(transport.calls)
        broken = judge(world, error)
        if not _fired(fault, calls):
            broken.append("the failure never happened: the operation took another path")
        return Outcome(error, broken), calls


def _fired(fault: Fault | None, made: list[Call]) -> bool:
    """Whether the aimed-at call was made (a scenario that took another path
    before it proves nothing): its failure then happened."""
    if fault is None or fault[1] is None:
        return True
    aimed = fault[0][fault[1]]
    return any((c.method, c.route, c.nth) == (aimed.method, aimed.route, aimed.nth) for c in made)


def judge(world: World, error: BaseException | None) -> list[str]:
    """The promises the scenario broke, in sentences."""
    broken: list[str] = []
    alive, held = world.alive(), world.held()
    for key_id in sorted(set(alive) - held):
        broken.append(f"key {key_id} works, and no state holds it")
    if error is None:
        return broken
    message = str(error)
    if not isinstance(error, (VeniceError, Handed)):
        broken.append(f"an error of ours was expected, got {type(error).__name__}: {message}")
    for secret in world.every_secret():
        if secret and secret in message:
            broken.append("the message contains a key value or a wallet key")
    made_now = set(alive) - world.made_before
    if "nothing is left behind" in message and made_now:
        broken.append(f"the message says nothing is left behind, but {sorted(made_now)} work")
    if isinstance(error, Handed):
        if error.key_id not in message or "pulumi destroy" not in message:
            broken.append("a key kept in the state is not named with the command that removes it")
        if error.key_id not in held:
            broken.append("a key handed to the engine is not in its state")
    return broken
