"""The pipeline's GitHub Actions workflow (examples/pipeline/github-actions.yml):
its shape (the pull-request job needs no secret and changes nothing; the main
branch job takes the admin key and the backend from the repository's secrets),
and the pull-request job's own commands, run here as a runner would run them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from ..support.cli import REPO

pytestmark = pytest.mark.e2e

WORKFLOW = REPO / "examples" / "pipeline" / "github-actions.yml"


def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


def test_the_workflow_previews_pull_requests_and_provisions_main() -> None:
    flow = workflow()
    triggers = flow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push"}
    assert triggers["push"]["branches"] == ["main"]
    preview, provision = flow["jobs"]["preview"], flow["jobs"]["provision"]
    assert "pull_request" in preview["if"] and "push" in provision["if"]
    assert "secrets." not in yaml.safe_dump(preview)  # no Venice access, no secret
    commands = [step.get("run", "") for step in preview["steps"]]
    assert any("--preview" in c for c in commands)
    assert any("venice-emulator" in c for c in commands)
    assert provision["env"]["VENICE_API_KEY"] == "${{ secrets.VENICE_ADMIN_KEY }}"
    assert "secrets.PULUMI_BACKEND_URL" in provision["env"]["PULUMI_BACKEND_URL"]
    runs = [step.get("run", "") for step in provision["steps"]]
    assert any("provision.py" in c and "--preview" not in c for c in runs)
    assert provision["concurrency"]["cancel-in-progress"] is False


@contextlib.contextmanager
def runner(tmp_path: Path, pulumi_cli: Path) -> Iterator[tuple[dict[str, str], list[int]]]:
    """The environment a runner gives each step, and the process groups to end."""
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "PULUMI_"))}
    env = {
        **inherited,
        # setup-python and pulumi/actions put these first on a runner
        "PATH": os.pathsep.join(
            [str(Path(sys.prefix) / "bin"), str(pulumi_cli), inherited.get("PATH", "")]
        ),
        "RUNNER_TEMP": str(temp),
        "GITHUB_WORKSPACE": str(REPO),
        "GITHUB_ENV": str(temp / "github-env"),
        "GITHUB_PATH": str(temp / "github-path"),
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }
    groups: list[int] = []
    try:
        yield env, groups
    finally:
        for group in groups:  # the emulator a step left running in the background
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)


def run_step(command: str, env: dict[str, str], groups: list[int]) -> str:
    """One `run:` step in bash (-e, as GitHub runs it), then what it wrote to
    GITHUB_ENV and GITHUB_PATH applied to the steps after it."""
    step = subprocess.Popen(
        ["bash", "-e", "-c", command],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    groups.append(step.pid)
    output, _ = step.communicate(timeout=600)
    assert step.returncode == 0, f"step failed:\n{command}\n{output[-3000:]}"
    github_env, github_path = Path(env["GITHUB_ENV"]), Path(env["GITHUB_PATH"])
    for line in github_env.read_text().splitlines() if github_env.exists() else []:
        name, _, value = line.partition("=")
        env[name] = value
    if github_path.exists():
        env["PATH"] = os.pathsep.join([*github_path.read_text().split(), env["PATH"]])
    return output


def test_the_pull_request_job_runs_here_offline(tmp_path: Path, pulumi_cli: Path) -> None:
    flow = workflow()
    job = flow["jobs"]["preview"]
    with runner(tmp_path, pulumi_cli) as (env, groups):
        env.update({k: str(v) for k, v in flow.get("env", {}).items()})
        outputs = [run_step(step["run"], env, groups) for step in job["steps"] if "run" in step]
        # The last step printed the plan of every tenant in the file...
        tenants = yaml.safe_load((REPO / env["TENANTS_FILE"]).read_text())["tenants"]
        assert all(f"{t['name']}: create" in outputs[-1] for t in tenants)
        # ...against the emulator the job started, where it created nothing.
        control = env["VENICE_BASE_URL"].removesuffix("/api/v1") + "/_emulator/keys"
        keys = httpx.get(control).json()["data"]
        assert [k for k in keys if k["apiKeyType"] == "INFERENCE"] == []
