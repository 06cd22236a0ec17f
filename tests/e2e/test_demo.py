"""End to end: the README's main command, scripts/demo, as a user runs it."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.cli import REPO

pytestmark = pytest.mark.e2e


@pytest.fixture
def demo_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    stack = "demo-test-" + secrets.token_hex(4)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "PULUMI_"))}
    env.update(VENICE_DEMO_DIR=str(tmp_path / "demo"), VENICE_DEMO_STACK=stack)
    yield env
    (REPO / f"Pulumi.{stack}.yaml").unlink(missing_ok=True)


def demo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(REPO / "scripts" / "demo"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def readme_demo_commands() -> list[list[str]]:
    """The `scripts/demo …` lines of the README's console block, as written."""
    block = (REPO / "README.md").read_text(encoding="utf-8").split("```console\n", 1)[1]
    lines = block.split("```", 1)[0].splitlines()
    return [line[2:].split("#")[0].split() for line in lines if line.startswith("$ scripts/demo")]


def test_every_demo_command_of_the_readme_runs_as_written(demo_env: dict[str, str]) -> None:
    commands = readme_demo_commands()
    assert [c[1:2] for c in commands] == [
        [],
        ["stack"],
        ["preview"],
        ["refresh"],
        ["up"],
        ["destroy"],
    ], commands
    for command in commands:
        demo(demo_env, *command[1:])  # each exits 0


def test_demo_up_shows_masked_outputs_and_destroy_revokes(demo_env: dict[str, str]) -> None:
    shown = demo(demo_env).stdout
    assert "api_key            [secret]" in shown
    assert "scripts/demo destroy" in shown
    secret = demo(demo_env, "stack", "output", "api_key", "--show-secrets").stdout.strip()
    assert secret.startswith("VENICE_INFERENCE_KEY_")
    assert secret not in shown
    state = Path(demo_env["VENICE_DEMO_DIR"]) / "emulator-state.json"
    stored = json.loads(state.read_text(encoding="utf-8"))["keys"]
    assert secret in {key["secret"] for key in stored}
    again = demo(demo_env, "preview").stdout  # a second run changes nothing
    assert "unchanged" in again and "to create" not in again and "to update" not in again
    demo(demo_env, "destroy")
    stored = json.loads(state.read_text(encoding="utf-8"))["keys"]
    assert [key["description"] for key in stored] == ["Emulator admin key"]
