"""The errors of pulumi-venice: one hierarchy with a single root, and which of
them an HTTP answer means (:func:`error_for_answer`).

Every message is one or two plain sentences that say what was attempted, on
which key, and why it failed. A message never contains a secret (an API key,
a wallet key, a signature, a token): the client builds messages only from the
operation, the key id, the HTTP status and Venice's own ``error`` text, which
is scrubbed of anything that looks like a key before it is shown.
"""

from __future__ import annotations

import re
from typing import Any, Final

# Anything shaped like a Venice secret, a bearer header, or a 32-byte hex
# string (a wallet private key) is masked before it reaches a message.
_SECRET_SHAPES: Final = re.compile(
    r"VENICE_(?:INFERENCE|ADMIN)_KEY_[A-Za-z0-9_\-]+"
    r"|Bearer\s+\S+"
    r"|(?:0x)?[0-9a-fA-F]{64}\b"
)
MAX_SERVER_TEXT: Final = 300


def mask_secrets(text: str) -> str:
    """The text with every secret-shaped substring replaced by ``[redacted]``."""
    return _SECRET_SHAPES.sub("[redacted]", text)


def scrub(text: str) -> str:
    """Mask secret-shaped substrings and cut long server text down to size."""
    cleaned = " ".join(mask_secrets(text).split())
    if len(cleaned) > MAX_SERVER_TEXT:
        cleaned = cleaned[: MAX_SERVER_TEXT - 1] + "…"
    return cleaned


class VeniceError(Exception):
    """Root of every error this package raises."""


class ConfigurationError(VeniceError):
    """The provider's configuration is missing or unusable (for example no admin key)."""


class VeniceApiError(VeniceError):
    """Venice answered a request with an error, or an answer that is not usable.

    ``status`` is the HTTP status (``None`` when no answer arrived);
    ``server_message`` is Venice's ``error`` text, scrubbed.
    """

    def __init__(
        self,
        operation: str,
        message: str,
        *,
        status: int | None = None,
        server_message: str | None = None,
        key_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.status = status
        self.server_message = server_message
        self.key_id = key_id
        self.retry_after = retry_after

    def with_suffix(self, suffix: str) -> VeniceApiError:
        """The same error, its message followed by ``suffix``."""
        return self.restated(self.operation, f"{self} {suffix}", key_id=self.key_id)

    def restated(self, operation: str, message: str, *, key_id: str | None) -> VeniceApiError:
        """The same error (kind, status, Venice's text) told as ``operation``'s,
        in ``message``, about ``key_id``."""
        return type(self)(
            operation,
            message,
            status=self.status,
            server_message=self.server_message,
            key_id=key_id,
            retry_after=self.retry_after,
        )


class AuthenticationError(VeniceApiError):
    """Venice refused the admin credential (401, or 402 with no credential)."""


class KeyNotFoundError(VeniceApiError):
    """The key does not exist (any more): 404, or Venice's 400 "not found"."""


class RateLimitedError(VeniceApiError):
    """Venice answered 429; ``retry_after`` says how long to wait, if it said."""


class InvalidRequestError(VeniceApiError):
    """Venice refused the request's content (400 other than "not found")."""


class ServerError(VeniceApiError):
    """Venice failed (5xx) or its answer could not be understood."""


class TransportError(VeniceApiError):
    """No answer arrived: connection refused or reset, or a timeout.

    The request may have reached Venice (a reset or a read timeout) unless it
    is a :class:`NotConnectedError`.
    """


class NotConnectedError(TransportError):
    """No connection could be made (refused, unresolvable, or a connect
    timeout): nothing was sent, so nothing can have been changed."""


class InputError(VeniceError):
    """Inputs that ``check`` should have refused reached create or update."""


class ImportKeyError(VeniceError):
    """An existing key could not be brought under management."""


class KeyOutOfReachError(VeniceError):
    """Venice answered "not found" to the key's managing credential, yet the
    key still works: the credential is of another Venice account."""


class PartialCreateError(VeniceError):
    """A create made a key and then failed: the key is neither lost nor
    revoked, so it is handed to the state (``key_id``, ``outputs``) with the
    error, as Pulumi's initialization errors are."""

    def __init__(self, message: str, key_id: str, outputs: dict[str, Any]) -> None:
        super().__init__(message)
        self.key_id = key_id
        self.outputs = outputs


# Venice answers an unknown or expired id with 400 and one of these phrases.
_NOT_FOUND_PHRASES: Final = ("not found", "could not be found")
_REFUSED: Final = "The API key it was called with was refused, or may not make this call."


def error_for_answer(
    operation: str,
    status: int,
    text: str | None,
    *,
    key_id: str | None = None,
    fields: str = "",
    retry_after: float | None = None,
    refused_hint: str | None = None,
) -> VeniceApiError:
    """The error an HTTP answer means: which class, and the message that says so.

    ``text`` is Venice's error text (scrubbed), ``fields`` a sentence naming the
    fields Venice refused, ``refused_hint`` the caller's sentence for a refused
    key (without one, the message only says that the key was refused).
    """
    said = f"Venice answered {status}: {text}" if text else f"Venice answered {status}"
    message = f"Could not {operation}: {said}."
    common: dict[str, Any] = {"status": status, "server_message": text, "key_id": key_id}
    if status in (401, 402, 403):
        return AuthenticationError(operation, f"{message} {refused_hint or _REFUSED}", **common)
    lowered = (text or "").lower()
    if status == 404 or (status == 400 and any(p in lowered for p in _NOT_FOUND_PHRASES)):
        return KeyNotFoundError(operation, message, **common)
    if status == 429:
        wait = f" Retry after {retry_after:.0f} s." if retry_after is not None else ""
        return RateLimitedError(operation, message + wait, retry_after=retry_after, **common)
    if 400 <= status < 500:
        return InvalidRequestError(operation, message + fields, **common)
    return ServerError(operation, message, **common)
