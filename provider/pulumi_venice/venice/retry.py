"""Retrying transient failures: backoff with jitter inside a deadline (tenacity).

Transient: no answer (TransportError), Venice failed or answered something
unusable (ServerError), or rate limited (RateLimitedError, whose Retry-After
is honoured). Anything else, a 4xx, is final at once.

Two deadlines. Failures (no answer, a 5xx) count against ``max_retries`` and
the operation's deadline (``venice:operationTimeout``, 300 s). Rate limiting
is a normal condition, not a failure: Venice answering 429 with Retry-After
is Venice saying when to come back, and a stack of many keys waits its turn
under the account's creation limit (500 keys at 20 a minute is 25 minutes).
So the time spent waiting on 429s does not use up the operation's deadline;
it has its own, ``venice:rateLimitTimeout`` (3600 s), counted from the
operation's start. When the policy gives up, the last error is raised again
with how long it tried and which setting ended it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception_type
from tenacity.wait import wait_random_exponential

from .errors import RateLimitedError, ServerError, TransportError, VeniceApiError

# The settings that tune retries (read by pulumi_venice.settings.config), named
# in the message of an operation that gave up, and their defaults.
CONFIG_MAX_RETRIES: Final = "venice:maxRetries"
CONFIG_OPERATION_TIMEOUT: Final = "venice:operationTimeout"
CONFIG_RATE_LIMIT_TIMEOUT: Final = "venice:rateLimitTimeout"
ENV_MAX_RETRIES: Final = "VENICE_MAX_RETRIES"
ENV_OPERATION_TIMEOUT: Final = "VENICE_OPERATION_TIMEOUT"
ENV_RATE_LIMIT_TIMEOUT: Final = "VENICE_RATE_LIMIT_TIMEOUT"
DEFAULT_MAX_RETRIES: Final = 8
DEFAULT_OPERATION_TIMEOUT: Final = 300.0
# 500 keys (Venice's cap) at 20 creations a minute take 25 minutes to make.
DEFAULT_RATE_LIMIT_TIMEOUT: Final = 3600.0

T = TypeVar("T")
TRANSIENT = (TransportError, ServerError, RateLimitedError)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one operation (defaults: 8 retries within 300 s of
    failures, and up to 3600 s in all while rate limited; waits up to 5 s)."""

    max_retries: int = DEFAULT_MAX_RETRIES
    deadline_seconds: float = DEFAULT_OPERATION_TIMEOUT
    rate_limit_deadline_seconds: float = DEFAULT_RATE_LIMIT_TIMEOUT
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def call(self, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` until it succeeds, fails for good, or time is up."""
        budget = _Budget(self, self.clock())
        retrying = Retrying(sleep=self.sleep, **self._rules(budget))
        try:
            return retrying(attempt)
        except VeniceApiError as error:
            raise budget.final(error, retrying.statistics) from None

    async def acall(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """``call`` for a coroutine: the same rules, waiting with asyncio.sleep."""
        budget = _Budget(self, self.clock())
        retrying = AsyncRetrying(**self._rules(budget))
        try:
            return await retrying(attempt)
        except VeniceApiError as error:
            raise budget.final(error, retrying.statistics) from None

    def _rules(self, budget: _Budget) -> dict[str, Any]:
        """What to retry, when to stop and how long to wait (for either kind of call)."""
        backoff = wait_random_exponential(multiplier=self.initial_backoff, max=self.max_backoff)

        def stop(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, RateLimitedError):
                budget.rate_limited += 1
                return budget.rate_limit_remaining() <= 0
            failures = state.attempt_number - budget.rate_limited
            return budget.operation_remaining() <= 0 or failures > self.max_retries

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            if not isinstance(error, RateLimitedError):
                return max(0.0, min(backoff(state), budget.operation_remaining()))
            if error.retry_after is not None:
                # Honour Retry-After, spread a little (a tenth of the wait, at
                # most 0.5 s) so that waiting callers do not all come back in the
                # same instant, yet the freed capacity is not left idle for long.
                spread = min(0.5, 0.1 * error.retry_after)
                delay = error.retry_after + random.uniform(0, spread)  # noqa: S311 - jitter
            else:
                delay = backoff(state)
            delay = max(0.0, min(delay, budget.rate_limit_remaining()))
            budget.rate_limit_waited += delay
            return delay

        return {
            "retry": retry_if_exception_type(TRANSIENT),
            "stop": stop,
            "wait": wait,
            "reraise": True,
        }


@dataclass
class _Budget:
    """One operation's time: since it started, and how much of that went on
    waiting out 429s (which the operation's deadline does not count)."""

    policy: RetryPolicy
    started: float
    rate_limited: int = 0
    rate_limit_waited: float = 0.0

    def elapsed(self) -> float:
        return self.policy.clock() - self.started

    def operation_remaining(self) -> float:
        return self.policy.deadline_seconds - (self.elapsed() - self.rate_limit_waited)

    def rate_limit_remaining(self) -> float:
        return self.policy.rate_limit_deadline_seconds - self.elapsed()

    def final(self, error: VeniceApiError, statistics: dict[str, Any]) -> VeniceApiError:
        """The error to raise: the last one, saying how long it tried and
        which setting ended it, if it retried."""
        attempts = statistics.get("attempt_number", 1)
        if attempts <= 1 or not isinstance(error, TRANSIENT):
            return error
        policy, elapsed = self.policy, self.elapsed()
        if isinstance(error, RateLimitedError):
            why = (
                f"Venice answered 429 (rate limited) {self.rate_limited} time(s) and the "
                f"rate-limit deadline ran out ({CONFIG_RATE_LIMIT_TIMEOUT} or "
                f"{ENV_RATE_LIMIT_TIMEOUT}: {policy.rate_limit_deadline_seconds:g} s)"
            )
        elif self.operation_remaining() <= 0:
            why = (
                f"the operation's deadline ran out ({CONFIG_OPERATION_TIMEOUT} or "
                f"{ENV_OPERATION_TIMEOUT}: {policy.deadline_seconds:g} s, not counting "
                "waits on 429s)"
            )
        else:
            why = (
                f"its retries ran out ({CONFIG_MAX_RETRIES} or {ENV_MAX_RETRIES}: "
                f"{policy.max_retries})"
            )
        return error.with_suffix(f"Gave up after {attempts} attempts in {elapsed:.0f} s: {why}.")


NO_RETRIES = RetryPolicy(max_retries=0, deadline_seconds=0.0, rate_limit_deadline_seconds=0.0)
