"""A small, typed HTTP client for Venice's ``/api_keys`` endpoints.

Each method makes one request, parses the answer with the wire models, and
turns every failure into one of the errors of :mod:`pulumi_venice.errors`,
whose message names the operation, the key and the cause. It never logs, and
never puts a secret in a message: the bearer key lives only in the request
header, and Venice's error text is scrubbed before it is quoted.

The client is safe to share between threads (httpx's connection pool is).
Clients of one process share one connection pool per base URL and timeout
(:func:`shared_http`), so a provider that calls with several keys (an admin
key, a key's own secret) still reuses its connections.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from ._version import __version__
from .errors import (
    AuthenticationError,
    InvalidRequestError,
    KeyNotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    VeniceApiError,
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
    RateLimits,
    RateLimitsResponse,
    SuccessResponse,
    UpdateApiKeyRequest,
    UpdateApiKeyResponse,
    Web3CreateApiKeyRequest,
    Web3TokenResponse,
)
from .retry import RetryPolicy

ModelT = TypeVar("ModelT", bound=BaseModel)

USER_AGENT: Final = f"pulumi-venice/{__version__}"
# Venice answers an unknown or expired id with 400 and one of these phrases.
_NOT_FOUND_PHRASES: Final = ("not found", "could not be found")


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


def _new_http(
    base_url: str, timeout: float, transport: httpx.BaseTransport | None = None
) -> httpx.Client:
    return httpx.Client(
        base_url=base_url + "/",
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        transport=transport,
        follow_redirects=False,
    )


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


class VeniceClient:
    """Calls Venice with one key (or none, for the public Web3 endpoints).

    With ``shared=True`` the client uses the process's pool for its base URL
    (:func:`shared_http`) and ``close`` leaves that pool open; otherwise it
    owns a pool of its own (``transport`` is for tests).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        shared: bool = False,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self.retry = retry or RetryPolicy()
        self._owns_http = not shared
        self._http = (
            shared_http(self.base_url, timeout)
            if shared
            else _new_http(self.base_url, timeout, transport)
        )

    def __repr__(self) -> str:
        return f"VeniceClient(base_url={self.base_url!r})"

    def close(self) -> None:
        """Close the connections, unless they are the process's shared pool."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> VeniceClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- the endpoints ---------------------------------------------------

    def create_key(
        self, request: CreateApiKeyRequest, *, label: str | None = None
    ) -> CreatedApiKey:
        """POST /api_keys, once: a create is not retried here, because a lost
        answer leaves its outcome unknown (the provider finds out, then retries).
        ``label`` names the key in errors."""
        operation = f"create API key {label!r}" if label else "create API key"
        return self._call(
            operation,
            "POST",
            "api_keys",
            CreateApiKeyResponse,
            json_body=request.to_wire(),
            idempotent=False,
        ).data

    def get_key(self, key_id: str) -> ApiKeyRecord:
        """GET /api_keys/{id}; KeyNotFoundError when the key is gone."""
        return self._call(
            f"read API key {key_id}",
            "GET",
            f"api_keys/{_path_segment(key_id)}",
            GetApiKeyResponse,
            key_id=key_id,
        ).data

    def list_keys(self) -> list[ApiKeyRecord]:
        """GET /api_keys: every active key of the account (no secrets)."""
        return self._call("list API keys", "GET", "api_keys", ListApiKeysResponse).data

    def update_key(self, request: UpdateApiKeyRequest) -> ApiKeyRecord:
        """PATCH /api_keys (safe to repeat: it sets values, it adds nothing)."""
        return self._call(
            f"update API key {request.id}",
            "PATCH",
            "api_keys",
            UpdateApiKeyResponse,
            json_body=request.to_wire(),
            key_id=request.id,
        ).data

    def delete_key(self, key_id: str) -> None:
        """DELETE /api_keys?id=...; KeyNotFoundError when the key is already gone."""
        self._call(
            f"delete API key {key_id}",
            "DELETE",
            "api_keys",
            SuccessResponse,
            params={"id": key_id},
            key_id=key_id,
        )

    def rate_limits(self) -> RateLimits:
        """GET /api_keys/rate_limits for the calling key (any key type)."""
        return self._call(
            "read rate limits", "GET", "api_keys/rate_limits", RateLimitsResponse
        ).data

    def web3_token(self) -> str:
        """GET /api_keys/generate_web3_key (no auth): a short-lived token to sign."""
        return self._call(
            "fetch a Web3 token",
            "GET",
            "api_keys/generate_web3_key",
            Web3TokenResponse,
            authenticated=False,
        ).data.token

    def create_web3_key(
        self, request: Web3CreateApiKeyRequest, *, label: str | None = None
    ) -> CreatedApiKey:
        """POST /api_keys/generate_web3_key (no auth), once: a key created by a wallet."""
        operation = f"create Web3 API key {label!r}" if label else "create Web3 API key"
        return self._call(
            operation,
            "POST",
            "api_keys/generate_web3_key",
            CreateApiKeyResponse,
            json_body=request.to_wire(),
            authenticated=False,
            idempotent=False,
        ).data

    # -- the plumbing ----------------------------------------------------

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        model: type[ModelT],
        *,
        idempotent: bool = True,
        json_body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        key_id: str | None = None,
        authenticated: bool = True,
    ) -> ModelT:
        """One operation: the request and the parsing of its answer, retried
        under the retry policy when it is safe to repeat."""

        def once() -> ModelT:
            body = self._request_once(
                operation,
                method,
                path,
                json_body=json_body,
                params=params,
                key_id=key_id,
                authenticated=authenticated,
            )
            return self._parse(operation, body, model, key_id)

        return self.retry.call(once) if idempotent else once()

    def _request_once(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None,
        params: dict[str, str] | None,
        key_id: str | None,
        authenticated: bool,
    ) -> Any:
        headers: dict[str, str] = {}
        if authenticated and self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        try:
            response = self._http.request(
                method, path, json=json_body, params=params, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise TransportError(
                operation,
                f"Could not {operation}: Venice at {self.base_url} did not answer in time "
                f"({type(exc).__name__}).",
                key_id=key_id,
            ) from None
        except httpx.HTTPError as exc:
            raise TransportError(
                operation,
                f"Could not {operation}: no answer from Venice at {self.base_url} "
                f"({type(exc).__name__}).",
                key_id=key_id,
            ) from None
        if response.is_success:
            try:
                return response.json()
            except (json.JSONDecodeError, UnicodeDecodeError):
                kind = response.headers.get("content-type", "no content type").split(";")[0]
                raise ServerError(
                    operation,
                    f"Could not {operation}: Venice answered {response.status_code} with "
                    f"a {kind} body that is not JSON.",
                    status=response.status_code,
                    key_id=key_id,
                ) from None
        raise self._error(operation, response, key_id)

    def _error(
        self, operation: str, response: httpx.Response, key_id: str | None
    ) -> VeniceApiError:
        status = response.status_code
        text, details = _describe_body(response)
        said = f"Venice answered {status}: {text}" if text else f"Venice answered {status}"
        common: dict[str, Any] = {"status": status, "server_message": text, "key_id": key_id}
        if status in (401, 402, 403):
            hint = (
                " The admin key was refused: check venice:apiKey or VENICE_API_KEY "
                "(it must be a valid ADMIN key)."
            )
            return AuthenticationError(operation, f"Could not {operation}: {said}.{hint}", **common)
        lowered = (text or "").lower()
        if status == 404 or (status == 400 and any(p in lowered for p in _NOT_FOUND_PHRASES)):
            return KeyNotFoundError(operation, f"Could not {operation}: {said}.", **common)
        if status == 429:
            wait = _retry_after_seconds(response.headers.get("retry-after"))
            hint = f" Retry after {wait:.0f} s." if wait is not None else ""
            return RateLimitedError(
                operation, f"Could not {operation}: {said}.{hint}", retry_after=wait, **common
            )
        if 400 <= status < 500:
            return InvalidRequestError(
                operation, f"Could not {operation}: {said}.{_details_fields(details)}", **common
            )
        return ServerError(operation, f"Could not {operation}: {said}.", **common)

    @staticmethod
    def _parse(operation: str, body: Any, model: type[ModelT], key_id: str | None) -> ModelT:
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in e["loc"]) or "(body)" for e in exc.errors()})
            raise ServerError(
                operation,
                f"Could not {operation}: Venice's answer did not have the expected shape "
                f"(problem with: {', '.join(fields[:5])}).",
                key_id=key_id,
            ) from None


def _path_segment(key_id: str) -> str:
    """A key id as one URL path segment (ids are UUIDs; anything else is escaped)."""
    return quote(key_id, safe="")
