"""The guardrails policy pack with the real CLI, as docs/guides/guardrails.md
runs it: ``python -m pulumi_venice.policy --path`` gives the folder, and
``pulumi preview|up --policy-pack DIR [--policy-pack-config FILE]`` enforces
it, on a Python program (the dynamic provider) and a Pulumi YAML program
(the native plugin). A mandatory violation stops preview and up, naming the
resource, and nothing is created; advisory ones warn and let it through; a
config file changes the limits and the levels."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pulumi_venice.emulator import EmulatorThread

from ..support.cli import REPO
from ..support.keys import managed
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e
Factory = Callable[..., PulumiProject]
PROGRAM = REPO / "tests" / "programs" / "guardrails"
NATIVE = REPO / "tests" / "native"
# The engine names a stack policy's report by the stack's own resource.
STACK = "venice-e2e-e2e"
# "- [mandatory]  venice-key-capped  (venice:index:ApiKey: uncapped)"
REPORTED = re.compile(r"- \[(mandatory|advisory)\]\s+(venice-[a-z-]+)(?:\s+\((\S+): ([^)]+)\))?")
# What each program breaks, on keys, with the pack's defaults: (policy, resource).
KEY_VIOLATIONS = {
    ("venice-key-capped", "uncapped"),
    ("venice-key-capped", "frozen"),
    ("venice-key-ends", "forever"),
    ("venice-admin-keys", "root"),
    ("venice-admin-key-expires", "root"),
}


def pack_folder() -> str:
    """The guide's command for the pack's folder."""
    done = subprocess.run(
        [sys.executable, "-m", "pulumi_venice.policy", "--path"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def reported(output: str) -> dict[str, set[tuple[str, str]]]:
    """The policies' reports: per level, (policy, resource name)."""
    found: dict[str, set[tuple[str, str]]] = {"mandatory": set(), "advisory": set()}
    for level, policy, _type, name in REPORTED.findall(output):
        found[level].add((policy, name))
    return found


def with_pack(project: PulumiProject, command: str, *args: str, config: Path | None = None) -> Any:
    extra = ["--policy-pack-config", str(config)] if config else []
    yes = ["--yes"] if command == "up" else []
    return project.pulumi(command, *yes, "--policy-pack", pack_folder(), *extra, *args, check=False)


def config_file(project: PulumiProject, config: dict[str, Any]) -> Path:
    path = project.dir.parent / f"policy-config-{len(list(project.dir.parent.iterdir()))}.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def assert_stopped(done: Any, expected: set[tuple[str, str]], good: set[str]) -> None:
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    found = reported(output)
    assert expected <= found["mandatory"], output[-6000:]
    named = {name for _, name in found["mandatory"]}
    assert not named & good, f"a compliant key was named: {named & good}"


def test_python_mandatory_violations_stop_preview_and_up_and_create_nothing(
    project_factory: Factory, emulator: EmulatorThread
) -> None:
    project = project_factory(PROGRAM)
    project.config("guardrails:violations", "true")
    wallet = "0x" + secrets.token_hex(32)
    project.config("guardrails:wallet", "0x" + secrets.token_hex(32), secret=True)
    project.config("guardrails:plainWallet", wallet)
    expected = KEY_VIOLATIONS | {("venice-wallet-key-secret", "wallet-plain")}
    good = {"good", "wallet-class", "open"}

    preview = with_pack(project, "preview")
    assert_stopped(preview, expected, good)
    output = preview.stdout + preview.stderr
    assert 'ApiKey "uncapped" has no consumption_limit: it can spend without bound' in output
    assert wallet[2:] not in output  # the refused wallet key is never shown
    advised = reported(output)["advisory"]
    assert ("venice-rotation-grace", "rotating") in advised
    assert {("venice-key-delivered", "open"), ("venice-model-privacy", "open")} <= advised
    assert not {n for p, n in advised if p == "venice-rotation-grace"} & good

    up = with_pack(project, "up")
    assert_stopped(up, expected, good)
    assert managed(emulator) == []
    assert project.resources() == []


def test_python_advisories_let_up_through_and_a_config_file_changes_limits_and_levels(
    project_factory: Factory, emulator: EmulatorThread
) -> None:
    project = project_factory(PROGRAM)
    project.config("guardrails:admin", "true")
    # ADMIN key "ops" allowed; a budget the caps keep to (good 5 per MONTH; open
    # 2 and ops 0 per EPOCH, the default period).
    allowed = {
        "venice-admin-keys": {"allowedResources": ["ops"]},
        "venice-stack-budget": {"usd": {"EPOCH": 2, "MONTH": 5}},
    }

    up = with_pack(project, "up", config=config_file(project, allowed))
    output = up.stdout + up.stderr
    assert up.returncode == 0, output[-4000:]
    found = reported(output)
    assert found["mandatory"] == set()
    assert {("venice-key-delivered", "open"), ("venice-model-privacy", "open")} <= found["advisory"]
    assert {n for _, n in found["advisory"]}.isdisjoint({"good", "ops"})
    assert len(managed(emulator)) == 3

    # Tighter limits: a smaller cap, fewer keys, a budget; ADMIN keys no longer allowed.
    limits: dict[str, dict[str, Any]] = {
        "venice-key-capped": {"maxUsd": {"MONTH": 3}},
        "venice-stack-key-count": {"maxKeys": 2},
        "venice-stack-budget": {"usd": {"EPOCH": 1, "MONTH": 4}},
    }
    preview = with_pack(project, "preview", config=config_file(project, limits))
    output = preview.stdout + preview.stderr
    assert_stopped(
        preview,
        {
            ("venice-key-capped", "good"),
            ("venice-admin-keys", "ops"),
            ("venice-stack-key-count", STACK),
            ("venice-stack-budget", STACK),
        },
        set(),
    )
    assert "consumption_limit.usd 5 per MONTH; this stack allows at most 3 per MONTH" in output
    assert "This stack holds 3 Venice keys; it may hold at most 2" in output
    assert "USD caps of this stack's keys with limit period MONTH add up to 5" in output
    assert "The USD caps of this stack's keys with limit period EPOCH" in output  # open: 2 > 1

    # The same limits as advisories: reported, and the preview goes through.
    levels = {
        name: {**settings, "enforcementLevel": "advisory"} for name, settings in limits.items()
    }
    levels["venice-admin-keys"] = {"enforcementLevel": "disabled"}
    preview = with_pack(project, "preview", config=config_file(project, levels))
    output = preview.stdout + preview.stderr
    assert preview.returncode == 0, output[-4000:]
    found = reported(output)
    assert found["mandatory"] == set()
    assert ("venice-key-capped", "good") in found["advisory"]
    assert ("venice-stack-key-count", STACK) in found["advisory"]
    assert "venice-admin-keys" not in output.split("Policies:")[-1]
    project.destroy()
    assert managed(emulator) == []


def test_yaml_mandatory_violations_stop_preview_and_up_and_create_nothing(
    project_factory: Factory, emulator: EmulatorThread
) -> None:
    project = project_factory(NATIVE / "yaml_guardrails_violations", runtime="yaml")
    project.install_native_plugin()
    wallet = "0x" + secrets.token_hex(32)
    project.config("venice-e2e:walletKey", wallet)  # plain: the plugin marks it secret
    good = {"good", "wallet", "reader"}

    preview = with_pack(project, "preview")
    assert_stopped(preview, KEY_VIOLATIONS, good)
    output = preview.stdout + preview.stderr
    assert 'ApiKey "uncapped" has no consumptionLimit: it can spend without bound' in output
    assert "Set expiresAfter (for example 90d" in output
    assert wallet[2:] not in output
    advised = reported(output)["advisory"]
    assert ("venice-rotation-grace", "rotating") in advised
    assert 'while it is read by "reader"' in output
    assert ("venice-model-privacy", "uncapped") in advised

    up = with_pack(project, "up")
    assert_stopped(up, KEY_VIOLATIONS, good)
    assert managed(emulator) == []


def test_yaml_advisories_let_up_through_and_a_config_file_makes_them_mandatory(
    project_factory: Factory, emulator: EmulatorThread
) -> None:
    project = project_factory(NATIVE / "yaml_guardrails", runtime="yaml")
    project.install_native_plugin()
    # "later"'s keepers are not known at this preview: no report, no "can't
    # run policy" diagnostic; up checks them again once they are known.
    clock = config_file(
        project, {"venice-key-ends": {"enforcementLevel": "advisory", "acceptKeepers": False}}
    )
    preview = with_pack(project, "preview", config=clock)
    output = preview.stdout + preview.stderr
    assert preview.returncode == 0, output[-4000:]
    assert ("venice-key-ends", "later") not in reported(output)["advisory"], output[-4000:]
    assert "can't run policy" not in output
    up = with_pack(project, "up", "--skip-preview", config=clock)
    output = up.stdout + up.stderr
    assert up.returncode == 0, output[-4000:]
    advised = reported(output)["advisory"]
    assert {("venice-key-delivered", "open"), ("venice-model-privacy", "open")} <= advised
    assert ("venice-key-ends", "later") in advised
    assert 'ApiKey "later" never ends: it has no expiry and no rotation (its keepers' in output
    assert "has no deliverTo: its value is kept in the stack's state" in output
    assert len(managed(emulator)) == 3

    stricter = {
        "venice-key-delivered": {"enforcementLevel": "mandatory"},
        "venice-model-privacy": {"enforcementLevel": "mandatory", "minimum": "PRIVATE_ONLY"},
    }
    preview = with_pack(project, "preview", config=config_file(project, stricter))
    assert_stopped(
        preview,
        {("venice-key-delivered", "open"), ("venice-model-privacy", "open")},
        {"good"},
    )
    project.destroy()
    assert managed(emulator) == []
