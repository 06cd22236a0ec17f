"""Reliability: retries with backoff inside a deadline, creates whose answer is
lost, rate limits and 5xx storms, against the emulator's fault injection."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from pulumi_venice import (
    ApiKeyProvider,
    InvalidRequestError,
    NotConnectedError,
    RateLimitedError,
    ServerError,
    TransportError,
)
from pulumi_venice.emulator import EmulatorThread, FaultPlan, Limits, start_emulator
from pulumi_venice.keys.creation import MARKER_PREFIX
from pulumi_venice.venice.retry import RetryPolicy

from ..support.keys import managed


class Flaky:
    """Fails with the given errors, then answers "ok"; counts its calls."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def policy(sleeps: list[float], **options: Any) -> RetryPolicy:
    return RetryPolicy(sleep=sleeps.append, **options)


def test_transient_failures_are_retried_with_growing_jittered_waits() -> None:
    sleeps: list[float] = []
    flaky = Flaky(*(ServerError("read", f"boom {n}", status=503) for n in range(4)))
    assert policy(sleeps, initial_backoff=1.0, max_backoff=100).call(flaky) == "ok"
    assert flaky.calls == 5
    assert len(sleeps) == 4 and all(0 <= s <= 2 ** (n + 1) for n, s in enumerate(sleeps))


def test_retry_after_is_honoured() -> None:
    sleeps: list[float] = []
    flaky = Flaky(RateLimitedError("create", "slow down", status=429, retry_after=7))
    assert policy(sleeps).call(flaky) == "ok"
    assert 7 <= sleeps[0] <= 7.5


def test_rate_limits_do_not_use_up_the_retry_budget() -> None:
    sleeps: list[float] = []
    flaky = Flaky(*(RateLimitedError("c", "429", status=429, retry_after=0) for _ in range(20)))
    assert policy(sleeps, max_retries=2).call(flaky) == "ok"
    assert flaky.calls == 21


def test_giving_up_says_how_hard_it_tried() -> None:
    flaky = Flaky(
        *(TransportError("read API key k", "Could not read API key k.") for _ in range(9))
    )
    with pytest.raises(TransportError, match=r"Gave up after 4 attempts") as raised:
        policy([], max_retries=3).call(flaky)
    assert str(raised.value).startswith("Could not read API key k.")


def test_client_errors_are_final_at_once() -> None:
    flaky = Flaky(InvalidRequestError("create", "bad description", status=400))
    with pytest.raises(InvalidRequestError):
        policy([]).call(flaky)
    assert flaky.calls == 1


def test_the_deadline_bounds_everything() -> None:
    flaky = Flaky(*(ServerError("r", "down", status=500) for _ in range(1000)))
    with pytest.raises(ServerError, match="Gave up"):
        RetryPolicy(max_retries=1000, deadline_seconds=0.3, initial_backoff=0.01).call(flaky)
    assert 2 < flaky.calls < 1000


class Clock:
    """A monotonic clock that only the policy's sleeps move."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def timed(clock: Clock, **options: Any) -> RetryPolicy:
    return RetryPolicy(sleep=clock.sleep, clock=clock, **options)


def rate_limited(n: int, wait: float = 5) -> list[RateLimitedError]:
    return [
        RateLimitedError("create API key", "Could not create API key: 429.", retry_after=wait)
        for _ in range(n)
    ]


def test_waits_on_429s_do_not_use_up_the_operations_deadline() -> None:
    # 100 answers of 429 with Retry-After: 5 s is about 500 s of waiting, well
    # past a 30 s operation deadline: the queue is progress, not failure.
    clock = Clock()
    flaky = Flaky(*rate_limited(100), ServerError("c", "down", status=503))
    assert timed(clock, deadline_seconds=30).call(flaky) == "ok"
    assert flaky.calls == 102 and clock.now > 500


def test_a_rate_limit_that_never_lifts_stops_at_its_own_deadline_and_names_it() -> None:
    clock = Clock()
    flaky = Flaky(*rate_limited(10_000))
    with pytest.raises(RateLimitedError) as raised:
        timed(clock, rate_limit_deadline_seconds=600).call(flaky)
    assert clock.now == pytest.approx(600)
    message = str(raised.value)
    assert message.startswith("Could not create API key: 429. Gave up after ")
    assert "rate-limit deadline ran out (venice:rateLimitTimeout or " in message
    assert "VENICE_RATE_LIMIT_TIMEOUT: 600 s)." in message


def test_failures_after_a_long_queue_still_stop_at_the_operations_deadline() -> None:
    clock = Clock()
    down = [ServerError("create API key", "Venice is down.", status=503) for _ in range(10_000)]
    flaky = Flaky(*rate_limited(100), *down)
    with pytest.raises(ServerError) as raised:
        timed(clock, max_retries=10_000, deadline_seconds=30).call(flaky)
    failing = sum(clock.sleeps[100:])  # the waits after the queue
    assert 25 < failing < 30 + 1e-6
    assert "the operation's deadline ran out (venice:operationTimeout or " in str(raised.value)
    assert "VENICE_OPERATION_TIMEOUT: 30 s, not counting waits on 429s)." in str(raised.value)


def test_running_out_of_retries_names_the_setting() -> None:
    flaky = Flaky(*(ServerError("r", "Venice is down.", status=503) for _ in range(9)))
    with pytest.raises(ServerError, match=r"its retries ran out \(venice:maxRetries or "):
        timed(Clock(), max_retries=3).call(flaky)


def inputs(provider: ApiKeyProvider, n: int = 0) -> dict[str, Any]:
    result = provider.check({}, {"api_key_type": "INFERENCE", "description": f"reliable {n}"})
    assert result.failures == []
    return result.inputs


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch, provider_env: None) -> None:
    monkeypatch.setenv("VENICE_MAX_RETRIES", "20")
    monkeypatch.setenv("VENICE_OPERATION_TIMEOUT", "120")


def test_a_create_whose_answer_is_lost_leaves_exactly_one_key(
    fast_retries: None, emulator: EmulatorThread
) -> None:
    provider = ApiKeyProvider()
    emulator.server.faults.update({"drop_create_responses": 2})
    created = provider.create(inputs(provider))
    (key,) = managed(emulator)
    assert key.id == created.id and key.description == "reliable 0"
    calls = [(m, status) for m, _, status in emulator.server.journal]
    assert calls.count(("POST", 0)) == 2 and calls.count(("POST", 200)) == 1
    assert calls.count(("DELETE", 200)) == 2


def test_a_create_answered_5xx_is_checked_and_retried(
    fast_retries: None, emulator: EmulatorThread
) -> None:
    provider = ApiKeyProvider()
    emulator.server.faults.update({"fail": [{"status": 502, "count": 3, "method": "POST"}]})
    created = provider.create(inputs(provider))
    assert [k.id for k in managed(emulator)] == [created.id]


def test_no_marker_is_ever_left_behind(fast_retries: None, emulator: EmulatorThread) -> None:
    provider = ApiKeyProvider()
    emulator.server.faults.update({"drop_create_every": 3, "error_rate": 0.1, "seed": 7})
    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(lambda n: provider.create(inputs(provider, n)).id, range(12)))
    keys = managed(emulator)
    assert sorted(k.id for k in keys) == sorted(ids)
    assert not [k for k in keys if k.description.startswith(MARKER_PREFIX)]


def test_rate_limited_creates_converge(monkeypatch: pytest.MonkeyPatch, admin_key: str) -> None:
    with start_emulator([admin_key], limits=Limits(5, 1.0, 500)) as emu:
        monkeypatch.setenv("VENICE_API_KEY", admin_key)
        monkeypatch.setenv("VENICE_BASE_URL", emu.base_url)
        provider = ApiKeyProvider()
        with ThreadPoolExecutor(max_workers=4) as pool:
            ids = list(pool.map(lambda n: provider.create(inputs(provider, n)).id, range(16)))
        assert len(set(ids)) == 16 and len(managed(emu)) == 16
        assert any(status == 429 for _, _, status in emu.server.journal)


def test_a_queue_longer_than_the_operation_timeout_still_converges(
    monkeypatch: pytest.MonkeyPatch, admin_key: str
) -> None:
    # 2 creations per 2 s for 12 keys: the last waits about 10 s, five times
    # the operation deadline, answered 429 with Retry-After all the while.
    with start_emulator([admin_key], limits=Limits(2, 2.0, 500)) as emu:
        monkeypatch.setenv("VENICE_API_KEY", admin_key)
        monkeypatch.setenv("VENICE_BASE_URL", emu.base_url)
        monkeypatch.setenv("VENICE_OPERATION_TIMEOUT", "2")
        provider = ApiKeyProvider()
        with ThreadPoolExecutor(max_workers=12) as pool:
            ids = list(pool.map(lambda n: provider.create(inputs(provider, n)).id, range(12)))
        assert len(set(ids)) == 12 and len(managed(emu)) == 12
        assert sum(status == 429 for _, _, status in emu.server.journal) >= 12


def test_a_5xx_storm_converges_for_every_operation(
    monkeypatch: pytest.MonkeyPatch, admin_key: str
) -> None:
    storm = FaultPlan(error_rate=0.3, seed=11, html_errors=True)
    with start_emulator([admin_key], faults=storm) as emu:
        monkeypatch.setenv("VENICE_API_KEY", admin_key)
        monkeypatch.setenv("VENICE_BASE_URL", emu.base_url)
        monkeypatch.setenv("VENICE_MAX_RETRIES", "30")
        provider = ApiKeyProvider()

        def lifecycle(n: int) -> str:
            created = provider.create(inputs(provider, n))
            outs = created.outs or {}
            news = provider.check({}, {"api_key_type": "INFERENCE", "description": f"r{n}!"})
            outs = provider.update(created.id, outs, news.inputs).outs or {}
            assert provider.read(created.id, outs).id == created.id
            provider.delete(created.id, outs)
            return created.id

        run: Callable[[int], str] = lifecycle
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(run, range(10)))
        assert managed(emu) == []
        assert sum(1 for _, _, status in emu.server.journal if status >= 500) > 5


def test_a_refused_connection_fails_the_create_once_and_names_the_url(
    monkeypatch: pytest.MonkeyPatch, admin_key: str
) -> None:
    """Nothing listens: no marker to look for, one retry loop (not two nested
    ones), and an error that names the create, the URL and the setting."""
    with start_emulator([admin_key]) as emu:  # a port that was just freed
        dead_url = emu.base_url
    monkeypatch.setenv("VENICE_API_KEY", admin_key)
    monkeypatch.setenv("VENICE_BASE_URL", dead_url)
    monkeypatch.setenv("VENICE_MAX_RETRIES", "3")
    provider = ApiKeyProvider()
    with pytest.raises(NotConnectedError) as raised:
        provider.create(inputs(provider))
    message = str(raised.value)
    assert message.startswith(f"Could not create API key: could not connect to {dead_url}")
    assert "nothing was sent" in message
    assert message.count("Gave up after 4 attempts") == 1
    assert message.endswith("Check venice:baseUrl or VENICE_BASE_URL.")


def test_lost_create_answers_are_checked_with_one_list_call_each(
    fast_retries: None, emulator: EmulatorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When Venice stops answering altogether, each attempt's clean-up is one
    call: the create's own retry loop is the only one."""
    monkeypatch.setenv("VENICE_MAX_RETRIES", "2")
    emulator.server.faults.update({"fail": [{"status": 503, "count": 1000}]})
    provider = ApiKeyProvider()
    with pytest.raises(ServerError) as raised:
        provider.create(inputs(provider))
    calls = [(m, p) for m, p, _ in emulator.server.journal]
    assert calls.count(("POST", "/api/v1/api_keys")) == 3
    # one look per lost answer, one last sweep, and no retries of either
    assert calls.count(("GET", "/api/v1/api_keys")) == 4
    assert "venice-orphans --delete" in str(raised.value)
    assert "Could not create API key" in str(raised.value)
