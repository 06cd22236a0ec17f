"""What the lifecycle's operations answer (:class:`Diff`, :class:`Read`), what
a create carries between its steps, and the advice an error gets when the
provider's configuration is its likely cause (:func:`explained`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, ParamSpec, TypeVar

from ..settings.config import (
    CONFIG_BASE_URL,
    DEFAULT_BASE_URL,
    ENV_BASE_URL,
)
from ..settings.key_settings import BaseKeySettings
from ..venice.errors import (
    NotConnectedError,
    VeniceApiError,
)
from ..venice.models import CreatedApiKey
from .retirement import (
    Replacement,
)
from .state import KeyState

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Diff:
    """Whether the key changes, the inputs that differ (``changed``, with a due
    rotation's reason), and those (or the rotation reason) that need a new one."""

    changes: bool
    replaces: list[str]
    changed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Made:
    """A key Venice has just made, and what it was made from."""

    created: CreatedApiKey
    settings: BaseKeySettings
    expires_at: str | None
    replacement: Replacement | None
    state: KeyState  # the key as its inputs (and what minting added) describe it


@dataclass(frozen=True)
class Read:
    """A key as refresh sees it; ``key_id`` is None when it is gone."""

    key_id: str | None
    outputs: KeyState
    inputs: dict[str, Any]


NULL_CREDENTIAL: Final = (
    "admin_api_key is null: when it is another key's api_key output, that key has "
    "deliver_to, and its value is never an output; give the ADMIN key's value another "
    "way, or leave admin_api_key out to manage this key with venice:apiKey"
)
WRONG_PATH: Final = (
    f"Check {CONFIG_BASE_URL} or {ENV_BASE_URL}: Venice's API is under /api/v1 "
    f"({DEFAULT_BASE_URL}), and nothing answered at that path."
)


def explained(method: Callable[P, R]) -> Callable[P, R]:
    """A lifecycle call whose errors also say what to check in the provider's
    configuration, where that is the likely cause."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except NotConnectedError as error:
            raise error.with_suffix(f"Check {CONFIG_BASE_URL} or {ENV_BASE_URL}.") from None
        except VeniceApiError as error:
            if error.status == 404:  # Venice answers an unknown key 400: a wrong path
                raise error.with_suffix(WRONG_PATH) from None
            raise

    return wrapper
