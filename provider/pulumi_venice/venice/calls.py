"""Every ``/api_keys`` call, defined once for both clients (:class:`Calls`):
its method, path, body, whether it may be retried, and how its answer is
read into a result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from .models import (
    ApiKeyRecord,
    CreateApiKeyRequest,
    CreateApiKeyResponse,
    CreatedApiKey,
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

ResultT = TypeVar("ResultT")


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


def _path_segment(key_id: str) -> str:
    """A key id as one URL path segment (ids are UUIDs; anything else is escaped)."""
    return quote(key_id, safe="")
