"""End to end with the real Pulumi CLI: the emulator restarting in the middle
of an `up`, and the `pulumi` process itself killed in the middle of one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..support.cli import REPO, free_port
from ..support.processes import EmulatorProcess
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

CONFIGURABLE = REPO / "tests" / "programs" / "configurable"


class RestartableEmulator:
    """The emulator as a process on a fixed port, with a state file."""

    def __init__(self, tmp_path: Path, admin_key: str, *extra: str) -> None:
        self.port = free_port()
        self.args = [
            "--admin-key",
            admin_key,
            "--state",
            str(tmp_path / "venice.json"),
            "--port",
            str(self.port),
            *extra,
        ]
        self.process = EmulatorProcess(*self.args)
        self.process.args.remove("0")  # EmulatorProcess asks for port 0 by default
        self.process.args.remove("--port")

    def start(self) -> str:
        self.process.start()
        return self.process.base_url

    def stop(self) -> None:
        self.process.stop()

    def live_keys(self) -> list[dict[str, Any]]:
        return [k for k in self.process.all_keys() if k["description"] != "Emulator admin key"]


@pytest.fixture
def restartable(tmp_path: Path, admin_key: str) -> Iterator[RestartableEmulator]:
    emulator = RestartableEmulator(tmp_path, admin_key, "--latency-ms", "150")
    yield emulator
    emulator.stop()


@pytest.fixture
def project(
    tmp_path: Path, pulumi_cli: Path, admin_key: str, restartable: RestartableEmulator
) -> Iterator[PulumiProject]:
    """A 12-key stack on the restartable emulator (started); afterwards, stops
    any process its engines left running."""
    workdir = tmp_path / "run"
    workdir.mkdir()
    made = PulumiProject(
        workdir, pulumi_cli, CONFIGURABLE, base_url=restartable.start(), admin_key=admin_key
    )
    made.config("test:count", "12")
    yield made
    made.kill_leftover_processes()


def start_up(project: PulumiProject) -> subprocess.Popen[str]:
    """`pulumi up` in a process group of its own (with its language host and
    provider processes), so that the whole tree can be killed at once."""
    return subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive"],
        cwd=project.dir,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for_keys(emulator: RestartableEmulator, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(emulator.live_keys()) < count:
        assert time.monotonic() < deadline, "the up never got going"
        time.sleep(0.1)


def settled_keys(restartable: RestartableEmulator) -> set[str]:
    """The keys on the server once it has finished the calls the dead
    processes had sent (a request that reached it still completes): the
    same set twice, a second apart."""
    seen = {k["id"] for k in restartable.live_keys()}
    for _ in range(30):
        time.sleep(1)
        now = {k["id"] for k in restartable.live_keys()}
        if now == seen:
            return now
        seen = now
    return seen


def test_up_converges_when_the_emulator_restarts_midway(
    project: PulumiProject, restartable: RestartableEmulator
) -> None:
    up = start_up(project)
    wait_for_keys(restartable, 3)
    restartable.stop()  # Venice goes away in the middle of the up...
    time.sleep(2)
    restartable.start()  # ...and comes back, with its keys, on the same address
    output, _ = up.communicate(timeout=300)
    assert up.returncode == 0, output[-3000:]
    outputs = project.outputs()
    assert {k["id"] for k in restartable.live_keys()} == {outputs[f"key_{i}_id"] for i in range(12)}
    project.destroy()
    assert restartable.live_keys() == []


def test_pulumi_killed_midway_then_refresh_and_up_recover(
    project: PulumiProject, restartable: RestartableEmulator, admin_key: str
) -> None:
    up = start_up(project)
    wait_for_keys(restartable, 3)
    os.killpg(up.pid, signal.SIGKILL)  # the CI runner dies mid-up...
    up.wait(timeout=30)
    project.kill_leftover_processes()  # ...and so do the plugins it started in groups of their own
    on_server_after_kill = settled_keys(restartable)

    # Recovery, as documented: drop the dead process's lock, refresh (clearing
    # the creates that were in flight when pulumi died), then up.
    project.pulumi("cancel", "--yes")
    project.refresh("--clear-pending-creates")
    project.up()
    outputs = project.outputs()
    in_state = {outputs[f"key_{i}_id"] for i in range(12)}
    on_server = {k["id"] for k in restartable.live_keys()}
    leftovers = on_server - in_state
    # Creates that finished at Venice after pulumi died are the only leftovers...
    assert leftovers <= on_server_after_kill
    assert in_state <= on_server
    print(
        f"after the kill: {len(on_server_after_kill)} keys on the server, "
        f"{len(leftovers)} left outside the state"
    )

    # ...and venice-orphans finds exactly those and, told that this is the only
    # stack of the account and that no run is in progress, revokes them.
    export = project.pulumi("stack", "export").stdout
    env = {
        **project.env,
        "VENICE_API_KEY": admin_key,
        "VENICE_BASE_URL": restartable.process.base_url,
    }
    found = subprocess.run(
        [
            sys.executable,
            "-m",
            "pulumi_venice.tools.orphans",
            "--all-stacks",
            "--min-age",
            "0",
            "--delete",
        ],
        input=export,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    verdicts = {line.split("\t")[0]: line.split("\t")[2] for line in found.stdout.splitlines()}
    assert verdicts == dict.fromkeys(leftovers, "orphan")
    assert {k["id"] for k in restartable.live_keys()} == in_state
    project.destroy()
    assert restartable.live_keys() == []
