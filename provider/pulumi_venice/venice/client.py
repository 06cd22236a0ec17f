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
import threading
from typing import Any, Final, TypedDict, Unpack

import httpx

from .._version import __version__
from .answers import result_of, transport_error
from .calls import Call, Calls, ResultT
from .models import (
    ApiKeyRecord,
    CreateApiKeyRequest,
    CreatedApiKey,
    RateLimitLogEntry,
    RateLimits,
    UpdateApiKeyRequest,
    Web3CreateApiKeyRequest,
)
from .retry import RetryPolicy

USER_AGENT: Final = f"pulumi-venice/{__version__}"


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
        return result_of(call, response, self.refused_hint)


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
                raise transport_error(call, exc, self.base_url) from None
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
                raise transport_error(call, exc, self.base_url) from None
            return self._answer(call, response)

        return await self.retry.acall(once) if call.idempotent else await once()
