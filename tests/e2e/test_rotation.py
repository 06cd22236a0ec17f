"""End to end: examples/rotation with the real CLI, across simulated clock
jumps (VENICE_TEST_CLOCK_OFFSET for the provider, the emulator's own offset):
rotation by age, renewal before expiry, the grace period, destroy during it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pulumi_venice.emulator import EmulatorThread

from ..support.cli import REPO
from ..support.pipeline import RotationStack
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(
    project_factory: Callable[..., PulumiProject], emulator: EmulatorThread, tmp_path: Path
) -> RotationStack:
    project = project_factory(REPO / "examples" / "rotation")
    return RotationStack(project, emulator, tmp_path / "consumer" / "venice.key")


def test_rotation_by_age_with_a_grace_period(stack: RotationStack, admin_key: str) -> None:
    project = stack.project
    project.up()
    first_id, first_secret = project.outputs()["key_id"], stack.delivered()
    assert stack.works(first_secret)

    stack.jump("29d")
    assert "replace" not in project.preview().stdout  # not due yet

    stack.jump("31d")
    preview = project.preview().stdout
    assert "+-" in preview and "rotating-key" in preview  # the preview shows the replacement
    project.up()
    outputs = project.outputs()
    second_secret = stack.delivered()
    assert outputs["key_id"] != first_id
    assert outputs["retiring_key_id"] == first_id
    assert second_secret != first_secret and stack.works(second_secret)
    assert stack.works(first_secret)  # the grace period: the old key still works

    stack.jump("32d")
    project.up()  # nothing due: nothing changes
    assert project.outputs()["key_id"] == outputs["key_id"]
    assert stack.works(first_secret)

    stack.jump("33d1h")  # past the 2-day grace: Venice let the old key expire
    assert not stack.works(first_secret)
    assert stack.works(second_secret)
    project.refresh()
    project.destroy()
    assert not stack.works(second_secret)
    project.assert_never_shown([first_secret, second_secret, admin_key])


def test_a_run_cut_short_before_the_old_key_is_deleted_keeps_its_grace(
    stack: RotationStack, emulator: EmulatorThread
) -> None:
    """The engine deletes a replaced key last. When the run fails before that
    (here the consumer's file cannot be written), the old key stays in the
    state to be deleted, and the next `pulumi up`, a new provider process,
    deletes it first: from its state alone it must still leave it its grace."""
    project = stack.project
    project.up()
    first_id, first_secret = project.outputs()["key_id"], stack.delivered()
    stack.jump("31d")
    stack.key_file.unlink()
    stack.key_file.mkdir()  # the consumer's file cannot be written: the run fails
    failed = project.up(check=False)
    assert failed.returncode != 0
    pending = [r for r in project.resources() if r.get("delete")]
    assert [r["id"] for r in pending] == [first_id]  # left for the next run to delete
    assert stack.works(first_secret)
    stack.key_file.rmdir()
    project.up()
    assert [r for r in project.resources() if r.get("delete")] == []
    assert project.outputs()["retiring_key_id"] == first_id
    assert stack.works(first_secret) and stack.works(stack.delivered())
    old = {k.id: k for k in emulator.server.backend.all_keys()}[first_id]
    assert old.description.endswith(" (retiring)")
    stack.jump("33d1h")  # the 2-day grace is over: Venice let it expire
    assert not stack.works(first_secret)
    project.destroy()


def test_renewal_before_expiry(stack: RotationStack) -> None:
    project = stack.project
    project.config("venice-e2e:rotateAfter", "365d")  # only the renewal window applies
    project.up()
    first_id = project.outputs()["key_id"]
    stack.jump("82d")
    project.up()
    assert project.outputs()["key_id"] == first_id
    stack.jump("84d")  # expires at 90d, renewed 7 days ahead
    project.up()
    assert project.outputs()["key_id"] != first_id
    project.destroy()


def test_destroy_during_the_grace_period_revokes_both_keys(
    stack: RotationStack, emulator: EmulatorThread
) -> None:
    project = stack.project
    project.up()
    first_secret = stack.delivered()
    stack.jump("31d")
    project.up()
    second_secret = stack.delivered()
    assert stack.works(first_secret) and stack.works(second_secret)
    project.destroy()
    assert not stack.works(first_secret)
    assert not stack.works(second_secret)
    assert [k for k in emulator.server.backend.all_keys() if k.api_key_type == "INFERENCE"] == []


def test_an_expired_key_is_dropped_by_refresh_and_made_again_by_up(stack: RotationStack) -> None:
    project = stack.project
    project.config("venice-e2e:rotateAfter", "365d")
    project.up()
    first_id = project.outputs()["key_id"]
    stack.jump("91d")  # expired at 90d: Venice has deleted it
    assert not stack.works(stack.delivered())
    project.refresh()
    assert project.resources() == []  # refresh dropped the expired key from state
    project.up()
    assert project.outputs()["key_id"] != first_id
    assert stack.works(stack.delivered())  # the consumer has the new key
    project.destroy()
