"""End to end with a live consumer no one here wrote (the ``openai`` client):
caps set by ``pulumi up`` bite and are lifted in place; a key rotated by
``pulumi up`` while an application calls the emulator 20 times a second
costs no failed call when ``retire_grace`` is set, and shows the gap when not."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from pulumi_venice.emulator import EmulatorThread

from ..support.cli import REPO
from ..support.pipeline import RotationStack
from ..support.processes import ConsumerProcess
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

CONFIGURABLE = REPO / "tests" / "programs" / "configurable"
MODEL = "llama-3.2-3b"
RATE = 20.0  # calls a second
Factory = Callable[..., PulumiProject]


def ask(base_url: str, secret: str) -> str:
    client = openai.OpenAI(api_key=secret, base_url=base_url, max_retries=0)
    answer = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Hello"}]
    )
    return answer.choices[0].message.content or ""


def refused(base_url: str, secret: str) -> tuple[int, str]:
    """The status and code of the error a chat gets."""
    with pytest.raises(openai.APIStatusError) as caught:
        ask(base_url, secret)
    body: dict[str, Any] = caught.value.response.json()
    return caught.value.status_code, str(body.get("code"))


def test_caps_set_by_pulumi_bite_and_raising_them_updates_in_place(
    project_factory: Factory, emulator: EmulatorThread, admin_key: str
) -> None:
    project = project_factory(CONFIGURABLE)
    project.config("test:usd", "0.0001")
    project.config("test:diem", "0")  # the account pays DIEM first: cap it to spend USD
    project.up()
    before = project.outputs(show_secrets=True)
    secret = before["key_0_secret"]
    assert ask(emulator.base_url, secret)
    for _ in range(200):
        try:
            ask(emulator.base_url, secret)
        except openai.APIStatusError:
            break
    assert refused(emulator.base_url, secret) == (402, "API_KEY_USD_SPEND_LIMIT_EXCEEDED")

    project.config("test:usd", "1")
    preview = project.preview().stdout
    assert "~ 1 to update" in preview and "to replace" not in preview
    project.up()
    assert project.outputs(show_secrets=True) == before  # same id, same secret
    assert ask(emulator.base_url, secret)  # calls go through again

    project.destroy()
    assert refused(emulator.base_url, secret) == (401, "AUTHENTICATION_FAILED")
    project.assert_never_shown([secret, admin_key])


@pytest.fixture
def stack(project_factory: Factory, emulator: EmulatorThread, tmp_path: Path) -> RotationStack:
    # The consumer's 20 calls a second are above the model's 500 a minute for
    # the account: lift that limit (a test aid) so only the rotation can fail a call.
    emulator.server.backend.set_model_limits(MODEL, {"RPM": 100_000})
    project = project_factory(REPO / "examples" / "rotation")
    return RotationStack(project, emulator, tmp_path / "consumer" / "venice.key")


@contextlib.contextmanager
def running_consumer(stack: RotationStack, report: Path) -> Iterator[ConsumerProcess]:
    """The consumer, calling with the stack's key 20 times a second (its file
    checked every 2 s), once it has made its first 20 calls."""
    with ConsumerProcess(
        stack.key_file, stack.emulator.base_url, report, rate=RATE, reload_every=2.0
    ) as process:
        process.wait_for(lambda r: r["calls"] >= 20, "made 20 calls")
        yield process


@pytest.fixture
def consumer(stack: RotationStack, tmp_path: Path) -> Iterator[ConsumerProcess]:
    stack.project.up()
    with running_consumer(stack, tmp_path / "consumer-report.json") as process:
        yield process


def moved_to(last6: str) -> Callable[[dict[str, Any]], bool]:
    """The consumer has made at least 20 calls with the key ending in ``last6``."""
    return lambda r: r["keys"][-1]["last6"] == last6 and r["keys"][-1]["calls"] >= 20


@pytest.fixture(params=["secret-output", "sink"])
def delivery(request: pytest.FixtureRequest, stack: RotationStack) -> str:
    """How the key reaches the consumer's file: the key's secret output written
    by a resource of the program, or deliver_to (never in state)."""
    mode: str = request.param
    if mode == "sink":
        stack.project.config("venice-e2e:delivery", "sink")
    return mode


@pytest.mark.parametrize(
    ("trigger", "delivery"),
    [("clock", "secret-output"), ("keepers", "secret-output"), ("keepers", "sink")],
    indirect=["delivery"],
)
def test_rotation_with_a_grace_costs_no_failed_call(
    stack: RotationStack, delivery: str, consumer: ConsumerProcess, admin_key: str, trigger: str
) -> None:
    project = stack.project
    old_secret = stack.delivered()
    if trigger == "clock":
        stack.jump("31d")  # rotate_after 30d: due
    else:
        project.config("venice-e2e:generation", "2")
    project.up()
    new_secret = stack.delivered()
    assert new_secret != old_secret
    consumer.wait_for(moved_to(new_secret[-6:]), "moved to the new key")
    assert ask(stack.emulator.base_url, old_secret)  # still in its grace

    stack.jump("33d1h" if trigger == "clock" else "2d1h")  # the 2-day grace is over
    assert refused(stack.emulator.base_url, old_secret) == (401, "AUTHENTICATION_FAILED")
    calls = consumer.report()["calls"]
    consumer.wait_for(lambda r: r["calls"] >= calls + 20, "went on calling")
    report = consumer.stop()
    assert report["failed"] == 0, report
    assert [k["last6"] for k in report["keys"]] == [old_secret[-6:], new_secret[-6:]]
    if delivery == "sink":  # not even encrypted: the state holds no value at all
        shown = project.pulumi("stack", "export", "--show-secrets", shows_secrets=True).stdout
        assert old_secret not in shown and new_secret not in shown
    project.destroy()
    project.assert_never_shown([old_secret, new_secret, admin_key])


def test_rotation_without_a_grace_fails_the_calls_until_the_consumer_reloads(
    stack: RotationStack, tmp_path: Path
) -> None:
    """The gap the grace closes: the old key is revoked as soon as the new one
    is delivered; a consumer that checks its file every 2 s fails the calls it
    makes with the old key until its next check (and only those)."""
    project = stack.project
    project.config("venice-e2e:retireGrace", "none")
    project.up()
    with running_consumer(stack, tmp_path / "report.json") as consumer:
        old_secret = stack.delivered()
        project.config("venice-e2e:generation", "2")
        project.up()
        new_secret = stack.delivered()
        assert refused(stack.emulator.base_url, old_secret) == (401, "AUTHENTICATION_FAILED")
        consumer.wait_for(moved_to(new_secret[-6:]), "moved to the new key")
        report = consumer.stop()
    old, new = report["keys"]
    assert old["last6"] == old_secret[-6:] and new["last6"] == new_secret[-6:]
    # Every failure is a 401 of the revoked key, before the consumer's next check.
    assert report["failed"] == old["failed"] == report["failures_by_status"].get("401", 0)
    assert new["failed"] == 0
    assert old["failed"] <= 2.0 * RATE + 2
    project.destroy()
