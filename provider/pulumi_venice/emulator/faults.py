"""Fault injection: the ways the emulator can misbehave on purpose.

Set from the command line or, while it runs, with ``POST /_emulator/faults``.
Faults apply to ``/api/v1`` calls only, never to the control endpoints.

- ``fail``: the next N matching calls answer a chosen status (429 carries
  ``Retry-After``) and error text, optionally only for one method and path
  (exact, ``path``, or a prefix, ``path_prefix``), and only from the n-th
  such call on (``skip``: how many pass first), and only for calls made
  with one key (``credential``: as an admin key of another account, or a
  revoked one, gets them). With ``drop_answer`` the call is carried out and
  its answer lost instead (the connection closes): a failure of any call,
  at any point, can be aimed at.
- ``latency_ms``: every call waits this long before it is handled.
- ``drop_create_responses``: a create is committed (the key exists) but the
  connection is closed without an answer, for the next N creates, and/or for
  every Nth create (``drop_create_every``).
- ``error_rate``: that fraction of calls answers a random 500, 502 or 503.
- ``html_errors``: injected errors come as an HTML page, as from a proxy.
- ``wrong_create_echo``: the create answer reports no consumption limits,
  whatever was stored (the create echo Venice is reported to get wrong).
"""

from __future__ import annotations

import functools
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Final

_KEY_ID: Final = "[0-9a-fA-F-]{36}"  # the emulator's key ids are UUIDs
ERROR_TEXTS: Final = {
    429: "Too many requests; try again later",
    500: "An unknown error occurred",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}


@dataclass
class FailRule:
    """Answer ``status`` to the next ``count`` calls that match."""

    status: int = 500
    count: int = 1
    method: str | None = None
    path_prefix: str | None = None
    error: str | None = None  # the error text to answer (default: one per status)
    # The whole path (``/api_keys``), where a prefix is too wide; ``{id}``
    # stands for a key id (``/api_keys/{id}``: a GET of any one key).
    path: str | None = None
    skip: int = 0  # matching calls let through before this rule fails one
    drop_answer: bool = False  # carry the call out, then lose its answer
    credential: str | None = field(default=None, repr=False)  # only calls made with this key

    def matches(self, method: str, path: str, authorization: str | None = None) -> bool:
        return (
            (self.credential is None or authorization == f"Bearer {self.credential}")
            and (self.method is None or self.method.upper() == method)
            and (self.path_prefix is None or path.startswith(self.path_prefix))
            and (self.path is None or _path_pattern(self.path).fullmatch(path) is not None)
        )


def _shown(rule: FailRule) -> dict[str, Any]:
    """A rule as the control endpoint shows it: never the key it aims at."""
    return vars(rule) | {"credential": None if rule.credential is None else "[key]"}


@functools.cache
def _path_pattern(path: str) -> re.Pattern[str]:
    return re.compile(re.escape(path).replace(re.escape("{id}"), _KEY_ID))


@dataclass
class Injection:
    """What to do to one call: an error to answer with, or nothing."""

    status: int | None = None
    html: bool = False
    error: str | None = None
    drop_answer: bool = False  # carry the call out, then close without an answer


@dataclass
class FaultPlan:
    """The faults in force; thread-safe through the owning injector's lock."""

    fail: list[FailRule] = field(default_factory=list)
    latency_ms: float = 0.0
    drop_create_responses: int = 0
    drop_create_every: int = 0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    html_errors: bool = False
    wrong_create_echo: bool = False
    seed: int | None = None


class FaultInjector:
    """Decides, call by call, which fault (if any) applies."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        self._lock = threading.Lock()
        self._creates = 0
        self.replace(plan or FaultPlan())

    def replace(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan = plan
            self._random = random.Random(plan.seed)  # noqa: S311 - faults, not crypto
            self._creates = 0

    def update(self, changes: dict[str, Any]) -> FaultPlan:
        """Change the plan from a JSON object (the control endpoint's body)."""
        with self._lock:
            plan = self._plan
            for rule in changes.get("fail", []):
                plan.fail.append(FailRule(**rule))
            for name in ("latency_ms", "error_rate"):
                if name in changes:
                    setattr(plan, name, float(changes[name]))
            for name in ("drop_create_responses", "drop_create_every"):
                if name in changes:
                    setattr(plan, name, int(changes[name]))
            if "error_statuses" in changes:
                plan.error_statuses = tuple(int(s) for s in changes["error_statuses"])
            for name in ("html_errors", "wrong_create_echo"):
                if name in changes:
                    setattr(plan, name, bool(changes[name]))
            if "seed" in changes:
                self._random = random.Random(changes["seed"])  # noqa: S311
            return plan

    def describe(self) -> dict[str, Any]:
        with self._lock:
            plan = self._plan
            return {
                "fail": [_shown(r) for r in plan.fail],
                "latency_ms": plan.latency_ms,
                "drop_create_responses": plan.drop_create_responses,
                "drop_create_every": plan.drop_create_every,
                "error_rate": plan.error_rate,
                "error_statuses": list(plan.error_statuses),
                "html_errors": plan.html_errors,
                "wrong_create_echo": plan.wrong_create_echo,
            }

    def wrong_create_echo(self) -> bool:
        with self._lock:
            return self._plan.wrong_create_echo

    def latency_seconds(self) -> float:
        with self._lock:
            return self._plan.latency_ms / 1000.0

    def before(self, method: str, path: str, authorization: str | None = None) -> Injection:
        """The error to answer instead of handling the call, if any."""
        with self._lock:
            plan = self._plan
            for rule in plan.fail:
                if rule.count > 0 and rule.matches(method, path, authorization):
                    if rule.skip > 0:
                        rule.skip -= 1
                        continue
                    rule.count -= 1
                    plan.fail = [r for r in plan.fail if r.count > 0]
                    if rule.drop_answer:
                        return Injection(drop_answer=True)
                    return Injection(rule.status, plan.html_errors, rule.error)
            if plan.error_rate > 0 and self._random.random() < plan.error_rate:
                return Injection(self._random.choice(plan.error_statuses), plan.html_errors)
            return Injection()

    def drop_this_create(self) -> bool:
        """Whether a create that was just committed loses its answer."""
        with self._lock:
            plan = self._plan
            self._creates += 1
            if plan.drop_create_responses > 0:
                plan.drop_create_responses -= 1
                return True
            return plan.drop_create_every > 0 and self._creates % plan.drop_create_every == 0
