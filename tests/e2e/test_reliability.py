"""End to end with the real Pulumi CLI: rate limits, lost answers and 5xx
storms converge, with nothing lost and nothing left behind."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pulumi_venice import VeniceClient
from pulumi_venice.emulator import EmulatorThread, Limits
from pulumi_venice.keys.creation import MARKER_PREFIX

from ..support.cli import REPO
from ..support.keys import managed
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

CONFIGURABLE = REPO / "tests" / "programs" / "configurable"
Factory = Callable[..., PulumiProject]


def assert_state_matches_server(project: PulumiProject, emulator: EmulatorThread, n: int) -> None:
    outputs = project.outputs(show_secrets=True)
    ids = {outputs[f"key_{i}_id"] for i in range(n)}
    keys = managed(emulator)
    assert {k.id for k in keys} == ids and len(keys) == n
    assert not [k for k in keys if k.description.startswith(MARKER_PREFIX)]
    for i in range(n):  # every secret in state works
        with VeniceClient(emulator.base_url, outputs[f"key_{i}_secret"]) as own:
            assert own.rate_limits().access_permitted


def test_fifty_keys_converge_under_the_creation_rate_limit(
    project_factory: Factory, emulator: EmulatorThread
) -> None:
    emulator.server.backend.limits = Limits(20, 3.0, 500)
    project = project_factory(CONFIGURABLE)
    project.config("test:count", "50")
    done = project.up()
    assert "+ 51 created" in done.stdout and "failed" not in done.stdout  # the stack and 50 keys
    assert any(status == 429 for _, _, status in emulator.server.journal)
    assert_state_matches_server(project, emulator, 50)
    project.destroy()
    assert managed(emulator) == []


def test_lost_create_answers_leave_exactly_the_keys_in_state(
    project_factory: Factory, emulator: EmulatorThread
) -> None:
    emulator.server.backend.limits = Limits(1000, 60.0, 500)  # only the lost answers here
    emulator.server.faults.update({"drop_create_every": 3})
    project = project_factory(CONFIGURABLE)
    project.config("test:count", "20")
    project.up()
    assert sum(1 for m, _, status in emulator.server.journal if (m, status) == ("POST", 0)) >= 6
    assert_state_matches_server(project, emulator, 20)
    project.destroy()
    assert managed(emulator) == []


def test_a_5xx_storm_converges_for_up_refresh_and_destroy(
    project_factory: Factory, emulator: EmulatorThread
) -> None:
    emulator.server.backend.limits = Limits(1000, 60.0, 500)  # only the 5xx storm here
    project = project_factory(CONFIGURABLE)
    project.config("test:count", "10")
    emulator.server.faults.update({"error_rate": 0.3, "seed": 5, "latency_ms": 20})
    project.up()
    project.config("test:description", "after the storm")
    project.up()
    project.refresh()
    emulator.server.faults.update({"error_rate": 0.0})
    assert_state_matches_server(project, emulator, 10)
    assert {k.description for k in managed(emulator)} == {"after the storm"}
    emulator.server.faults.update({"error_rate": 0.3})
    project.destroy()
    assert managed(emulator) == []
    assert sum(1 for _, _, status in emulator.server.journal if status >= 500) > 10
