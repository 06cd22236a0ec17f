"""End to end with the real Pulumi CLI: no secret input is ever printed by a
failed check, the orphan sweeper never revokes a key another stack or run may
own, a wallet's ADMIN key manages its keys without stranding one, and a base
URL where nothing listens fails fast."""

from __future__ import annotations

import json
import secrets
import string
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from pulumi_venice import VeniceClient, orphans
from pulumi_venice.emulator import EmulatorThread, start_emulator
from pulumi_venice.keys.creation import MARKER_PREFIX

from ..support.cli import REPO
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

PROGRAMS = REPO / "tests" / "programs"
PUBLIC_TEXT = ("VENICE_INFERENCE_KEY_", "VENICE_ADMIN_KEY_")


def random_text(length: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(length))


def malformed_secret_inputs() -> list[tuple[str, str, str]]:
    """(resource, secret input, malformed value): too short, too long, not hex,
    empty, not a Venice key, the wrong kind of key."""
    return [
        ("Web3ApiKey", "wallet_private_key", secrets.token_hex(32)[:-1]),
        ("Web3ApiKey", "wallet_private_key", "0x" + secrets.token_hex(32) + "a"),
        ("Web3ApiKey", "wallet_private_key", secrets.token_hex(31) + "zq"),
        ("Web3ApiKey", "wallet_private_key", ""),
        ("ApiKey", "import_api_key", ""),
        ("ApiKey", "import_api_key", "sk-" + random_text(40)),
        ("ApiKey", "import_api_key", "VENICE_INFERENCE_KEY_" + random_text(20) + " x"),
        ("ApiKey", "import_api_key", "VENICE_ADMIN_KEY_" + random_text(40)),
        ("ApiKey", "admin_api_key", ""),
        ("ApiKey", "admin_api_key", "VENICE_INFERENCE_KEY_" + random_text(40)),
        ("ApiKey", "admin_api_key", random_text(12)),
        ("Web3ApiKey", "admin_api_key", secrets.token_hex(40)),
    ]


def runs_of(value: str, length: int = 8) -> set[str]:
    """Every run of ``length`` characters of a secret that is not public text."""
    return {
        value[i : i + length]
        for i in range(len(value) - length + 1)
        if not any(value[i : i + length] in text for text in PUBLIC_TEXT)
    }


def test_a_failed_check_never_prints_a_secret_input(
    project_factory: Callable[..., PulumiProject], emulator: EmulatorThread
) -> None:
    project = project_factory(PROGRAMS / "bad_secrets")
    project.env["VENICE_WALLET_PRIVATE_KEY"] = "0x" + secrets.token_hex(32)
    # The engine stops at the first resource that fails its check: one preview a case.
    for kind, name, value in malformed_secret_inputs():
        project.config("test:cases", json.dumps([[kind, name]]))
        project.config("test:values", json.dumps([value]), secret=True)
        done = project.preview(check=False)
        output = done.stdout + done.stderr
        assert done.returncode != 0, output[-3000:]
        # The user learns which input of which resource is wrong, and why...
        problem = [line for line in output.splitlines() if "'case-0' has a problem" in line]
        assert problem and problem[0].split("has a problem: ")[1].startswith(name), output
        # ...and no part of its value.
        leaked = {run for run in runs_of(value) if run in output}
        assert not leaked, f"{kind}.{name}: part of the value was printed"
    assert emulator.server.api_requests == 0


def two_stacks(
    make: Callable[..., PulumiProject], base_url: str, admin_key: str, dev: int, prod: int
) -> PulumiProject:
    """Stacks dev and prod of one program in one Venice account, with `dev` and
    `prod` keys (the same descriptions in both, as one program gives)."""
    project = make(PROGRAMS / "configurable", stack="dev")
    project.env.update(TEST_BASE_URL=base_url, TEST_ADMIN_KEY=admin_key)
    project.config("test:count", str(dev))
    project.pulumi("stack", "init", "prod")
    project.config("venice:baseUrl", base_url)
    project.config("venice:apiKey", admin_key, secret=True)
    project.config("test:count", str(prod))
    return project


def sweep(project: PulumiProject, stack: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`pulumi stack export --stack STACK | venice-orphans ARGS`."""
    export = project.pulumi("stack", "export", "--stack", stack).stdout
    env = {
        **project.env,
        "VENICE_API_KEY": project.env["TEST_ADMIN_KEY"],
        "VENICE_BASE_URL": project.env["TEST_BASE_URL"],
    }
    return subprocess.run(
        [sys.executable, "-m", "pulumi_venice.tools.orphans", *args],
        input=export,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def key_secrets(project: PulumiProject, stack: str, count: int) -> dict[str, str]:
    done = project.pulumi(
        "stack", "output", "--json", "--show-secrets", "--stack", stack, shows_secrets=True
    )
    outputs: dict[str, Any] = json.loads(done.stdout)
    return {outputs[f"key_{i}_id"]: outputs[f"key_{i}_secret"] for i in range(count)}


def assert_keys_work(base_url: str, keys: dict[str, str]) -> None:
    for secret in keys.values():
        with VeniceClient(base_url, secret) as own:
            own.rate_limits()  # a key's own value can always read its limits


def test_sweeping_one_stack_never_revokes_another_stacks_keys(
    project_factory: Callable[..., PulumiProject], emulator: EmulatorThread, admin_key: str
) -> None:
    project = two_stacks(project_factory, emulator.base_url, admin_key, 3, 3)
    project.up("--stack", "dev")
    project.up("--stack", "prod")
    prod = key_secrets(project, "prod", 3)

    # The sweep of dev sees prod's keys (same descriptions, not in dev's state)
    # as possible orphans, and leaves them alone, even when they are old.
    swept = sweep(project, "dev", "--delete")
    verdicts = {line.split("\t")[0]: line.split("\t")[2] for line in swept.stdout.splitlines()}
    assert verdicts == dict.fromkeys(prod, "possible orphan")
    project.env["VENICE_TEST_CLOCK_OFFSET"] = "30d"
    sweep(project, "dev", "--delete")
    del project.env["VENICE_TEST_CLOCK_OFFSET"]

    assert_keys_work(emulator.base_url, prod)
    refreshed = project.pulumi("refresh", "--yes", "--skip-preview", "--stack", "prod", "--json")
    assert '"delete"' not in refreshed.stdout
    assert key_secrets(project, "prod", 3) == prod
    project.destroy("--stack", "dev")
    project.destroy("--stack", "prod")


def test_a_sweep_while_another_stack_is_creating_keys_loses_nothing(
    project_factory: Callable[..., PulumiProject],
    emulator: EmulatorThread,
    admin_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    project = two_stacks(project_factory, emulator.base_url, admin_key, 1, 16)
    project.up("--stack", "dev")
    dev_export = tmp_path / "dev.json"
    dev_export.write_text(project.pulumi("stack", "export", "--stack", "dev").stdout)
    monkeypatch.setenv("VENICE_API_KEY", admin_key)
    monkeypatch.setenv("VENICE_BASE_URL", emulator.base_url)
    emulator.server.faults.update({"latency_ms": 500})  # keeps creates under their markers
    up = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--stack", "prod"],
        cwd=project.dir,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # venice-orphans --delete over and over (in this process, to sweep often)
    # for as long as prod's up runs.
    sweeps = markers_seen = 0
    while up.poll() is None:
        assert orphans.main(["--delete", "--export", str(dev_export)]) == 0
        sweeps += 1
        markers_seen += capsys.readouterr().out.count(MARKER_PREFIX)
    output = up.communicate()[0]
    assert up.returncode == 0, output[-3000:]
    assert markers_seen >= 1, (sweeps, markers_seen)  # it did meet keys being made
    emulator.server.faults.update({"latency_ms": 0})
    prod = key_secrets(project, "prod", 16)
    assert_keys_work(emulator.base_url, prod)
    assert set(prod) <= {k.id for k in emulator.server.backend.all_keys()}
    project.pulumi("refresh", "--yes", "--skip-preview", "--expect-no-changes", "--stack", "prod")
    project.destroy("--stack", "prod")
    project.destroy("--stack", "dev")


def test_a_wallets_admin_key_manages_its_keys_without_stranding_one(
    project_factory: Callable[..., PulumiProject], emulator: EmulatorThread
) -> None:
    private_key = "0x" + secrets.token_hex(32)
    wallet = Account.from_key(private_key).address
    project = project_factory(PROGRAMS / "web3_managed")
    project.pulumi("config", "rm", "venice:apiKey")  # no admin key configured at all
    project.env["VENICE_WALLET_PRIVATE_KEY"] = private_key

    def wallet_keys() -> list[Any]:
        return [k for k in emulator.server.backend.all_keys() if k.account == wallet]

    project.preview()
    project.up()
    outputs = project.outputs()
    assert {k.id for k in wallet_keys()} == {
        outputs["admin_id"],
        outputs["inference_id"],
        outputs["helper_id"],
    }
    project.refresh()
    project.pulumi("refresh", "--yes", "--skip-preview", "--expect-no-changes")
    inference_key = project.outputs(show_secrets=True)["inference_api_key"]
    project.destroy()
    assert wallet_keys() == []
    project.assert_never_shown([private_key, private_key[2:], inference_key])


def test_a_base_url_where_nothing_listens_fails_the_create_fast(
    project_factory: Callable[..., PulumiProject], admin_key: str
) -> None:
    with start_emulator([admin_key]) as gone:  # a port that was just freed
        dead_url = gone.base_url
    project = project_factory(PROGRAMS / "configurable")
    project.config("venice:baseUrl", dead_url)
    started = time.monotonic()
    done = project.up(check=False)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"Could not create API key: could not connect to {dead_url}" in output
    assert "Check venice:baseUrl or VENICE_BASE_URL." in output
    # One retry loop of the default policy (9 attempts), not two nested ones,
    # and no look for a half-made key: nothing was sent.
    # (the CLI repeats an error in its progress and in its summary: each once)
    assert "Gave up after 9 attempts" in output
    assert all(line.count("Gave up after") <= 1 for line in output.splitlines()), output
    assert "list API keys" not in output
    print(f"up against a dead URL failed after {time.monotonic() - started:.1f} s")
