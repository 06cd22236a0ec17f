"""Retrying transient failures: backoff with jitter inside a deadline (tenacity).

Transient: no answer (TransportError), Venice failed or answered something
unusable (ServerError), or rate limited (RateLimitedError, whose Retry-After
is honoured). Anything else, a 4xx, is final at once. Rate limiting is a
normal condition, so 429s are bounded by the deadline alone, while the other
failures also count against ``max_retries``. When the policy gives up, the
last error is raised again with how long it tried.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception_type
from tenacity.wait import wait_random_exponential

from .errors import RateLimitedError, ServerError, TransportError, VeniceApiError

T = TypeVar("T")
TRANSIENT = (TransportError, ServerError, RateLimitedError)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one operation (defaults: 8 retries within 300 s, waits up to 5 s)."""

    max_retries: int = 8
    deadline_seconds: float = 300.0
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def call(self, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` until it succeeds, fails for good, or time is up."""
        started = time.monotonic()
        retrying = Retrying(sleep=self.sleep, **self._rules(started))
        try:
            return retrying(attempt)
        except VeniceApiError as error:
            raise self._final(error, retrying.statistics, started) from None

    async def acall(self, attempt: Callable[[], Awaitable[T]]) -> T:
        """``call`` for a coroutine: the same rules, waiting with asyncio.sleep."""
        started = time.monotonic()
        retrying = AsyncRetrying(**self._rules(started))
        try:
            return await retrying(attempt)
        except VeniceApiError as error:
            raise self._final(error, retrying.statistics, started) from None

    def _rules(self, started: float) -> dict[str, Any]:
        """What to retry, when to stop and how long to wait (for either kind of call)."""
        backoff = wait_random_exponential(multiplier=self.initial_backoff, max=self.max_backoff)
        rate_limited = 0

        def remaining() -> float:
            return self.deadline_seconds - (time.monotonic() - started)

        def stop(state: RetryCallState) -> bool:
            nonlocal rate_limited
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, RateLimitedError):
                rate_limited += 1
                return remaining() <= 0
            return remaining() <= 0 or state.attempt_number - rate_limited > self.max_retries

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, RateLimitedError) and error.retry_after is not None:
                # Honour Retry-After, spread a little (a tenth of the wait, at
                # most 0.5 s) so that waiting callers do not all come back in the
                # same instant, yet the freed capacity is not left idle for long.
                spread = min(0.5, 0.1 * error.retry_after)
                delay = error.retry_after + random.uniform(0, spread)  # noqa: S311 - jitter
            else:
                delay = backoff(state)
            return max(0.0, min(delay, remaining()))

        return {
            "retry": retry_if_exception_type(TRANSIENT),
            "stop": stop,
            "wait": wait,
            "reraise": True,
        }

    @staticmethod
    def _final(error: VeniceApiError, statistics: dict[str, Any], started: float) -> VeniceApiError:
        """The error to raise: the last one, saying how long it tried if it retried."""
        attempts = statistics.get("attempt_number", 1)
        if attempts <= 1 or not isinstance(error, TRANSIENT):
            return error
        elapsed = time.monotonic() - started
        return error.with_suffix(f"Gave up after {attempts} attempts in {elapsed:.0f} s.")


NO_RETRIES = RetryPolicy(max_retries=0, deadline_seconds=0.0)
