"""The fingerprint of a delivered key: an HMAC of its value, salted by the stack
that delivered it, with which refresh tells whether a sink still holds the
key, without the value in the state.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

# The fingerprint's form: hmac-sha256:<salt>:<hex digest>. The salt (the
# stack that delivered the key, "<project>/<stack>") is kept with it, so a
# renamed stack still recognises its keys.
FINGERPRINT_SCHEME: Final = "hmac-sha256"
FINGERPRINT_KEY_PREFIX: Final = "pulumi-venice deliver_to "
DEFAULT_SALT: Final = "pulumi-venice"


def fingerprint(value: str, salt: str) -> str:
    """HMAC-SHA256 of a key's value, keyed by ``pulumi-venice deliver_to <salt>``
    (the salt: the stack, ``<project>/<stack>``), as
    ``hmac-sha256:<salt>:<hex>``. It proves nothing to one who lacks the
    value (a Venice key is far too long to guess), and the salt keeps one key
    delivered by two stacks from showing as the same."""
    digest = hmac.new(
        (FINGERPRINT_KEY_PREFIX + salt).encode(), value.encode(), hashlib.sha256
    ).hexdigest()
    return f"{FINGERPRINT_SCHEME}:{salt}:{digest}"


def matches(recorded: str, value: str) -> bool:
    """Whether ``value`` is the key a recorded fingerprint was made of."""
    scheme, _, rest = recorded.partition(":")
    salt, _, _digest = rest.rpartition(":")
    if scheme != FINGERPRINT_SCHEME or not salt:
        return False
    return hmac.compare_digest(fingerprint(value, salt), recorded)
