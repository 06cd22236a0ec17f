"""A small, typed HTTP client for Venice's ``/api_keys`` endpoints.

Each method makes one request, parses the answer with the wire models, and
turns every failure into one of the errors of :mod:`pulumi_venice.venice.errors`,
whose message names the operation, the key and the cause. It never logs, and
never puts a secret in a message: the bearer key lives only in the request
header, and Venice's error text is scrubbed before it is quoted.

The client is safe to share between threads (httpx's connection pool is).
Clients of one process share one connection pool per base URL and timeout
(:func:`shared_http`), so a provider that calls with several keys (an admin
key, a key's own secret) still reuses its connections.
"""

from __future__ import annotations

import copy
import email.utils
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, TypedDict, TypeVar, Unpack
from urllib.parse import quote

import httpx
from pydantic import ValidationError

from .._version import __version__
from .errors import (
    NotConnectedError,
    ServerError,
    TransportError,
    VeniceApiError,
    error_for_answer,
    scrub,
)
from .models import (
    ApiKeyRecord,
    CreateApiKeyRequest,
    CreateApiKeyResponse,
    CreatedApiKey,
    ErrorResponse,
    GetApiKeyResponse,
    ListApiKeysResponse,
    RateLimitLogEntry,
    RateLimitLogResponse,
    RateLimits,
    RateLimitsResponse,
    SuccessResponse,
    UpdateApiKeyRequest,
    UpdateApiKeyResponse,
    Web3CreateApiKeyRequest,
    Web3TokenResponse,
)
from .retry import RetryPolicy

ResultT = TypeVar("ResultT")

USER_AGENT: Final = f"pulumi-venice/{__version__}"


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _describe_body(response: httpx.Response) -> tuple[str | None, dict[str, Any] | None]:
    """Venice's ``error`` text and ``details`` if the body is its JSON error shape."""
    try:
        parsed = ErrorResponse.model_validate(response.json())
    except (json.JSONDecodeError, ValidationError, UnicodeDecodeError):
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        size = len(response.content)
        return (
            f"a {kind} answer of {size} bytes instead of a JSON error"
            if size
            else "an empty answer"
        ), None
    return scrub(parsed.error), parsed.details


def _details_fields(details: dict[str, Any] | None) -> str:
    """``"description (String must contain at most 64 character(s))"``, from zod-style details."""
    if not details:
        return ""
    parts: list[str] = []
    for name, entry in details.items():
        if name == "_errors" or not isinstance(entry, dict):
            continue
        errors = [scrub(str(e)) for e in entry.get("_errors", [])]
        parts.append(f"{name} ({'; '.join(errors)})" if errors else name)
    return f" Fields: {', '.join(parts)}." if parts else ""


def _http_options(base_url: str, timeout: float) -> dict[str, Any]:
    """What every connection pool of either client is made with."""
    return {
        "base_url": base_url + "/",
        "timeout": httpx.Timeout(timeout),
        "headers": {"User-Agent": USER_AGENT, "Accept": "application/json"},
        "follow_redirects": False,
    }


def _new_http(
    base_url: str, timeout: float, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    return httpx.Client(**_http_options(base_url, timeout), transport=transport)


_SHARED_HTTP: dict[tuple[str, float], httpx.Client] = {}
_SHARED_HTTP_LOCK = threading.Lock()


def shared_http(base_url: str, timeout: float) -> httpx.Client:
    """The process's connection pool for one base URL and timeout (thread-safe,
    created on first use, open until the process ends). It carries no
    credential: each call adds its own Authorization header."""
    base = base_url.rstrip("/")
    with _SHARED_HTTP_LOCK:
        pool = _SHARED_HTTP.get((base, timeout))
        if pool is None or pool.is_closed:
            pool = _SHARED_HTTP[(base, timeout)] = _new_http(base, timeout)
        return pool


class ClientOptions(TypedDict, total=False):
    """What both clients take besides the URL and the key (all optional)."""

    timeout: float  # seconds per request (30)
    retry: RetryPolicy | None  # how idempotent calls are retried (RetryPolicy())
    refused_hint: str | None  # the caller's sentence for when Venice refuses the key


class _ClientBase:
    """What the sync and async clients share: where they call, with which key,
    and how; they differ only where I/O happens."""

    def __init__(self, base_url: str, api_key: str | None, options: ClientOptions) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.timeout = options.get("timeout", 30.0)
        self.retry = options.get("retry") or RetryPolicy()
        self.refused_hint = options.get("refused_hint")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _answer(self, call: Call[ResultT], response: httpx.Response) -> ResultT:
        return _result(call, response, self.refused_hint)


class VeniceClient(_ClientBase):
    """Calls Venice with one key (or none, for the public Web3 endpoints).

    ``refused_hint`` is the caller's sentence for when Venice refuses that key
    (where it came from and what to check); without one, the error says only
    that the key was refused. With ``shared=True`` the client uses the
    process's pool for its base URL (:func:`shared_http`) and ``close`` leaves
    that pool open; otherwise it owns a pool of its own (``transport`` is for
    tests).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        shared: bool = False,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(base_url, api_key, options)
        self._owns_http = not shared
        timeout = self.timeout
        self._http = (
            shared_http(self.base_url, timeout)
            if shared
            else _new_http(self.base_url, timeout, transport)
        )

    def with_retry(self, retry: RetryPolicy) -> VeniceClient:
        """The same key and connections under another retry policy (``close`` on
        the copy leaves the connections to this client)."""
        twin = copy.copy(self)
        twin.retry = retry
        twin._owns_http = False
        return twin

    def close(self) -> None:
        """Close the connections, unless they are the process's shared pool."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> VeniceClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- the endpoints (each defined once, in Calls) ------------------------

    def list_keys(self) -> list[ApiKeyRecord]:
        """GET /api_keys: every active key of the account (no secrets)."""
        return self._run(Calls.list_keys())

    def get_key(self, key_id: str) -> ApiKeyRecord:
        """GET /api_keys/{id}; KeyNotFoundError when the key is gone."""
        return self._run(Calls.get_key(key_id))

    def create_key(
        self, request: CreateApiKeyRequest, *, label: str | None = None
    ) -> CreatedApiKey:
        """POST /api_keys, once (see Calls.create_key); the only answer with the secret."""
        return self._run(Calls.create_key(request, label))

    def update_key(self, request: UpdateApiKeyRequest) -> ApiKeyRecord:
        """PATCH /api_keys: the key as stored after the change."""
        return self._run(Calls.update_key(request))

    def delete_key(self, key_id: str) -> None:
        """DELETE /api_keys?id=...; KeyNotFoundError when the key is already gone."""
        self._run(Calls.delete_key(key_id))

    def rate_limits(self) -> RateLimits:
        """GET /api_keys/rate_limits: tier, balances and model limits of the calling key."""
        return self._run(Calls.rate_limits())

    def rate_limit_log(self) -> list[RateLimitLogEntry]:
        """GET /api_keys/rate_limits/log: the account's last 50 rate-limit events."""
        return self._run(Calls.rate_limit_log())

    def web3_token(self) -> str:
        """GET /api_keys/generate_web3_key (no auth): a short-lived token to sign."""
        return self._run(Calls.web3_token())

    def create_web3_key(
        self, request: Web3CreateApiKeyRequest, *, label: str | None = None
    ) -> CreatedApiKey:
        """POST /api_keys/generate_web3_key (no auth), once: a key created by a wallet."""
        return self._run(Calls.create_web3_key(request, label))

    # -- the plumbing ----------------------------------------------------

    def _run(self, call: Call[ResultT]) -> ResultT:
        """One call: request and answer, retried under the policy when safe to repeat."""

        def once() -> ResultT:
            try:
                response = self._http.request(**call.request_args(self._api_key))
            except httpx.HTTPError as exc:
                raise _transport_error(call, exc, self.base_url) from None
            return self._answer(call, response)

        return self.retry.call(once) if call.idempotent else once()


class AsyncVeniceClient(_ClientBase):
    """:class:`VeniceClient` for asyncio (httpx's AsyncClient): the same calls,
    answers, errors and retries, each defined once in :class:`Calls`."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(base_url, api_key, options)
        http_options = _http_options(self.base_url, self.timeout)
        self._http = httpx.AsyncClient(**http_options, transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncVeniceClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def list_keys(self) -> list[ApiKeyRecord]:
        """GET /api_keys: every active key of the account (no secrets)."""
        return await self._run(Calls.list_keys())

    async def get_key(self, key_id: str) -> ApiKeyRecord:
        """GET /api_keys/{id}; KeyNotFoundError when the key is gone."""
        return await self._run(Calls.get_key(key_id))

    async def create_key(
        self, request: CreateApiKeyRequest, *, label: str | None = None
    ) -> CreatedApiKey:
        """POST /api_keys, once; the only answer with the secret."""
        return await self._run(Calls.create_key(request, label))

    async def update_key(self, request: UpdateApiKeyRequest) -> ApiKeyRecord:
        """PATCH /api_keys: the key as stored after the change."""
        return await self._run(Calls.update_key(request))

    async def delete_key(self, key_id: str) -> None:
        """DELETE /api_keys?id=...; KeyNotFoundError when the key is already gone."""
        await self._run(Calls.delete_key(key_id))

    async def rate_limits(self) -> RateLimits:
        """GET /api_keys/rate_limits: tier, balances and model limits of the calling key."""
        return await self._run(Calls.rate_limits())

    async def rate_limit_log(self) -> list[RateLimitLogEntry]:
        """GET /api_keys/rate_limits/log: the account's last 50 rate-limit events."""
        return await self._run(Calls.rate_limit_log())

    async def web3_token(self) -> str:
        """GET /api_keys/generate_web3_key (no auth): a short-lived token to sign."""
        return await self._run(Calls.web3_token())

    async def create_web3_key(
        self, request: Web3CreateApiKeyRequest, *, label: str | None = None
    ) -> CreatedApiKey:
        """POST /api_keys/generate_web3_key (no auth), once: a key created by a wallet."""
        return await self._run(Calls.create_web3_key(request, label))

    async def _run(self, call: Call[ResultT]) -> ResultT:
        async def once() -> ResultT:
            try:
                response = await self._http.request(**call.request_args(self._api_key))
            except httpx.HTTPError as exc:
                raise _transport_error(call, exc, self.base_url) from None
            return self._answer(call, response)

        return await self.retry.acall(once) if call.idempotent else await once()


# -- one definition of each call, for both clients ---------------------------------


@dataclass(frozen=True)
class Call(Generic[ResultT]):
    """One request to Venice and how to read its answer."""

    operation: str  # for errors: "Could not <operation>: ..."
    method: str
    path: str
    unwrap: Callable[[Any], ResultT]  # the parsed JSON body -> the result
    json_body: dict[str, Any] | None = None
    params: dict[str, str] | None = None
    key_id: str | None = None
    authenticated: bool = True
    idempotent: bool = True  # safe to retry; False for creates

    def request_args(self, api_key: str | None) -> dict[str, Any]:
        """The arguments of httpx's ``request`` (the same for Client and AsyncClient)."""
        authorized = self.authenticated and api_key
        return {
            "method": self.method,
            "url": self.path,
            "json": self.json_body,
            "params": self.params,
            "headers": {"Authorization": f"Bearer {api_key}"} if authorized else {},
        }


def _success(body: Any) -> None:
    """Validate a ``{"success": true}`` answer (a call with no result)."""
    SuccessResponse.model_validate(body)


def _data(model: type[Any]) -> Callable[[Any], Any]:
    """Validate the body with ``model`` and take its ``data``."""
    return lambda body: model.model_validate(body).data


class Calls:
    """Every ``/api_keys`` call, defined once for both clients."""

    @staticmethod
    def list_keys() -> Call[list[ApiKeyRecord]]:
        return Call("list API keys", "GET", "api_keys", _data(ListApiKeysResponse))

    @staticmethod
    def get_key(key_id: str) -> Call[ApiKeyRecord]:
        path = f"api_keys/{_path_segment(key_id)}"
        return _on_key("read", key_id, "GET", path, _data(GetApiKeyResponse))

    @staticmethod
    def create_key(request: CreateApiKeyRequest, label: str | None) -> Call[CreatedApiKey]:
        return _creation("API key", "api_keys", request.to_wire(), label, authenticated=True)

    @staticmethod
    def update_key(request: UpdateApiKeyRequest) -> Call[ApiKeyRecord]:
        """Safe to repeat: it sets values, it adds nothing."""
        body = request.to_wire()
        return _on_key("update", request.id, "PATCH", "api_keys", _data(UpdateApiKeyResponse), body)

    @staticmethod
    def delete_key(key_id: str) -> Call[None]:
        return _on_key("delete", key_id, "DELETE", "api_keys", _success, params={"id": key_id})

    @staticmethod
    def rate_limits() -> Call[RateLimits]:
        return Call("read rate limits", "GET", "api_keys/rate_limits", _data(RateLimitsResponse))

    @staticmethod
    def rate_limit_log() -> Call[list[RateLimitLogEntry]]:
        return Call(
            "read the rate-limit log",
            "GET",
            "api_keys/rate_limits/log",
            _data(RateLimitLogResponse),
        )

    @staticmethod
    def web3_token() -> Call[str]:
        return Call(
            "fetch a Web3 token",
            "GET",
            "api_keys/generate_web3_key",
            lambda body: Web3TokenResponse.model_validate(body).data.token,
            authenticated=False,
        )

    @staticmethod
    def create_web3_key(request: Web3CreateApiKeyRequest, label: str | None) -> Call[CreatedApiKey]:
        return _creation(
            "Web3 API key",
            "api_keys/generate_web3_key",
            request.to_wire(),
            label,
            authenticated=False,
        )


def _on_key(
    verb: str,
    key_id: str,
    method: str,
    path: str,
    unwrap: Callable[[Any], ResultT],
    json_body: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> Call[ResultT]:
    """A call on one key, whose errors name it."""
    operation = f"{verb} API key {key_id}"
    return Call(operation, method, path, unwrap, json_body, params, key_id=key_id)


def _creation(
    kind: str, path: str, body: dict[str, Any], label: str | None, *, authenticated: bool
) -> Call[CreatedApiKey]:
    """A create: not retried here, since a lost answer leaves the outcome unknown
    and a blind retry could make a second key (the provider finds out, then
    retries); the only answer that carries the secret."""
    return Call(
        f"create {kind} {label!r}" if label else f"create {kind}",
        "POST",
        path,
        _data(CreateApiKeyResponse),
        json_body=body,
        authenticated=authenticated,
        idempotent=False,
    )


# -- answers and errors, shared by both clients -------------------------------------


def _transport_error(call: Call[Any], exc: httpx.HTTPError, base_url: str) -> TransportError:
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return NotConnectedError(
            call.operation,
            f"Could not {call.operation}: could not connect to {base_url} "
            f"({type(exc).__name__}), so nothing was sent.",
            key_id=call.key_id,
        )
    happened = (
        f"Venice at {base_url} did not answer in time"
        if isinstance(exc, httpx.TimeoutException)
        else f"no answer from Venice at {base_url}"
    )
    return TransportError(
        call.operation,
        f"Could not {call.operation}: {happened} ({type(exc).__name__}).",
        key_id=call.key_id,
    )


def _result(call: Call[ResultT], response: httpx.Response, refused_hint: str | None) -> ResultT:
    """The call's result from Venice's answer, or the error that says what went wrong."""
    operation, key_id = call.operation, call.key_id
    if not response.is_success:
        raise _error(operation, response, key_id, refused_hint)
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        raise ServerError(
            operation,
            f"Could not {operation}: Venice answered {response.status_code} with "
            f"a {kind} body that is not JSON.",
            status=response.status_code,
            key_id=key_id,
        ) from None
    try:
        return call.unwrap(body)
    except ValidationError as exc:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "(body)" for e in exc.errors()})
        raise ServerError(
            operation,
            f"Could not {operation}: Venice's answer did not have the expected shape "
            f"(problem with: {', '.join(fields[:5])}).",
            key_id=key_id,
        ) from None


def _error(
    operation: str, response: httpx.Response, key_id: str | None, refused_hint: str | None
) -> VeniceApiError:
    """The error an answer that is not a success means (read from its body and headers)."""
    text, details = _describe_body(response)
    return error_for_answer(
        operation,
        response.status_code,
        text,
        key_id=key_id,
        fields=_details_fields(details),
        retry_after=_retry_after_seconds(response.headers.get("retry-after")),
        refused_hint=refused_hint,
    )


def _path_segment(key_id: str) -> str:
    """A key id as one URL path segment (ids are UUIDs; anything else is escaped)."""
    return quote(key_id, safe="")
