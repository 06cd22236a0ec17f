"""Web3 sign-in for the emulator: short-lived tokens and wallet signature checks.

A token is a JWT (HS256) signed with a key of this emulator process, carrying
an id and an expiry. A wallet signs the token string itself as an EIP-191
``personal_sign`` message; :func:`recover_signer` recovers the address with
eth-account. A token may be used once (guess: Venice's rule is undocumented).
Failures carry Venice's error texts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from typing import Any, Final

from eth_account import Account
from eth_account.messages import encode_defunct

TOKEN_EXPIRED: Final = "JWT has expired"  # noqa: S105 - an error text
TOKEN_INVALID: Final = "Invalid token"  # noqa: S105 - guess
TOKEN_USED: Final = "Token has already been used"  # noqa: S105 - guess
SIGNATURE_UNVERIFIABLE: Final = "Could not verify wallet signature"


class Web3Error(Exception):
    """A refused token or signature; the message is Venice's error text."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues and checks this emulator's tokens; thread-safe."""

    def __init__(self, *, ttl_seconds: float = 900.0) -> None:
        self._key = secrets.token_bytes(32)
        self._ttl = ttl_seconds
        self._used: set[str] = set()
        self._lock = threading.Lock()

    def issue(self) -> str:
        now = int(time.time())
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(
            json.dumps({"jti": str(uuid.uuid4()), "iat": now, "exp": now + self._ttl}).encode()
        )
        signature = _b64(
            hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        )
        return f"{header}.{payload}.{signature}"

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or Web3Error if it is forged, tampered with or expired."""
        try:
            header, payload, signature = token.split(".")
            expected = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                raise Web3Error(TOKEN_INVALID)
            claims: dict[str, Any] = json.loads(_unb64(payload))
        except (ValueError, json.JSONDecodeError):
            raise Web3Error(TOKEN_INVALID) from None
        if float(claims.get("exp", 0)) <= time.time():
            raise Web3Error(TOKEN_EXPIRED)
        return claims

    def consume(self, token: str) -> None:
        """Mark a verified token used; a second use is refused."""
        jti = str(self.verify(token)["jti"])
        with self._lock:
            if jti in self._used:
                raise Web3Error(TOKEN_USED)
            self._used.add(jti)

    def used(self) -> list[str]:
        with self._lock:
            return sorted(self._used)

    def restore(self, used: list[str]) -> None:
        with self._lock:
            self._used.update(used)


def recover_signer(token: str, signature: str) -> str:
    """The checksummed address that signed ``token`` (EIP-191 personal_sign)."""
    try:
        return str(Account.recover_message(encode_defunct(text=token), signature=signature))
    except Exception:  # eth-account raises several types for a malformed signature
        raise Web3Error(SIGNATURE_UNVERIFIABLE) from None
