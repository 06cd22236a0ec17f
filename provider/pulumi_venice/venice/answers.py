"""Venice's answers read for both clients: a call's result, or the error that
says what went wrong (from the status, the body's ``error`` and ``details``,
and ``Retry-After``), and what a transport failure means. Venice's text is
scrubbed before it is quoted.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import httpx
from pydantic import ValidationError

from .calls import Call, ResultT
from .errors import (
    NotConnectedError,
    ServerError,
    TransportError,
    VeniceApiError,
    error_for_answer,
    scrub,
)
from .models import (
    ErrorResponse,
)


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


def transport_error(call: Call[Any], exc: httpx.HTTPError, base_url: str) -> TransportError:
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


def result_of(call: Call[ResultT], response: httpx.Response, refused_hint: str | None) -> ResultT:
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
