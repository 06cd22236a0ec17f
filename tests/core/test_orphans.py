"""venice-orphans: it revokes only what it can prove is an orphan (a creation
marker older than --min-age, or, given every stack's export, a stack's
description in no state), and lists the rest without touching it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

from pulumi_venice import VeniceClient
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.keys.creation import new_marker
from pulumi_venice.settings.times import now
from pulumi_venice.tools.orphans import Managed, classify
from pulumi_venice.venice.models import CreateApiKeyRequest


def export_of(*keys: tuple[str, str]) -> dict[str, Any]:
    """A minimal `pulumi stack export` holding keys as (id, description)."""
    resources = [
        {"type": "pulumi-python:dynamic:Resource", "id": "x"},  # not a Venice key
        *(
            {
                "type": "pulumi-python:dynamic/venice:ApiKey",
                "id": key_id,
                "inputs": {"description": description},
                "outputs": {"description": description},
            }
            for key_id, description in keys
        ),
    ]
    return {"version": 3, "deployment": {"resources": resources}}


def make(client: VeniceClient, description: str) -> str:
    request = CreateApiKeyRequest(api_key_type="INFERENCE", description=description)
    return client.create_key(request).id


def sweep(
    emulator: EmulatorThread, admin_key: str, export: dict[str, Any], *args: str, offset: str = ""
) -> tuple[dict[str, str], str]:
    """Run venice-orphans as users do; the verdict of each key it listed, and stderr."""
    env = {
        **os.environ,
        "VENICE_API_KEY": admin_key,
        "VENICE_BASE_URL": emulator.base_url,
        "VENICE_TEST_CLOCK_OFFSET": offset,
    }
    done = subprocess.run(
        [sys.executable, "-m", "pulumi_venice.tools.orphans", *args],
        input=json.dumps(export),
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    verdicts = {line.split("\t")[0]: line.split("\t")[2] for line in done.stdout.splitlines()}
    return verdicts, done.stderr


def test_classify_sorts_keys_into_orphans_and_possible_orphans(
    client: VeniceClient,
) -> None:
    ours = make(client, "app key")
    twin = make(client, "app key")  # same description, another stack's
    marker = make(client, new_marker())
    unrelated = make(client, "someone else's key")
    managed = Managed({ours}, {"app key"})
    keys = client.list_keys()

    def verdicts(*, age: timedelta, all_stacks: bool) -> dict[str, str]:
        found = classify(
            keys, managed, min_age=timedelta(hours=1), all_stacks=all_stacks, now=now() + age
        )
        return {f.key.id: f.verdict for f in found}

    assert verdicts(age=timedelta(0), all_stacks=False) == {
        twin: "possible orphan",
        marker: "possible orphan",
    }
    assert verdicts(age=timedelta(hours=2), all_stacks=False) == {
        twin: "possible orphan",
        marker: "orphan",
    }
    assert verdicts(age=timedelta(hours=2), all_stacks=True) == {twin: "orphan", marker: "orphan"}
    assert verdicts(age=timedelta(0), all_stacks=True) == {
        twin: "possible orphan",
        marker: "possible orphan",
    }
    assert unrelated not in verdicts(age=timedelta(hours=2), all_stacks=True)


def test_delete_revokes_only_old_marker_keys_by_default(
    emulator: EmulatorThread, client: VeniceClient, admin_key: str
) -> None:
    ours = make(client, "app key")
    twin = make(client, "app key")
    marker = make(client, new_marker())
    export = export_of((ours, "app key"))

    verdicts, said = sweep(emulator, admin_key, export, "--delete")
    assert verdicts == {twin: "possible orphan", marker: "possible orphan"}
    assert "0 orphan key(s), 0 revoked; 2 possible orphan(s) left alone" in said

    verdicts, _ = sweep(emulator, admin_key, export, "--delete", offset="2h")
    assert verdicts == {twin: "possible orphan", marker: "orphan"}
    assert {k.id for k in client.list_keys()} >= {ours, twin}
    assert marker not in {k.id for k in client.list_keys()}


def test_all_stacks_revokes_a_description_in_no_state(
    emulator: EmulatorThread, client: VeniceClient, admin_key: str
) -> None:
    ours = make(client, "app key")
    leftover = make(client, "app key")
    export = export_of((ours, "app key"))
    verdicts, _ = sweep(emulator, admin_key, export, "--all-stacks", "--delete")
    assert verdicts == {leftover: "possible orphan"}  # younger than --min-age
    verdicts, _ = sweep(emulator, admin_key, export, "--all-stacks", "--min-age", "0", "--delete")
    assert verdicts == {leftover: "orphan"}
    assert ours in {k.id for k in client.list_keys()}
    assert leftover not in {k.id for k in client.list_keys()}


def test_exports_of_several_stacks_protect_each_others_keys(
    emulator: EmulatorThread, client: VeniceClient, admin_key: str, tmp_path: Any
) -> None:
    dev = make(client, "app key")
    prod = make(client, "app key")
    files = []
    for name, key in (("dev", dev), ("prod", prod)):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(export_of((key, "app key"))), encoding="utf-8")
        files += ["--export", str(path)]
    verdicts, _ = sweep(
        emulator, admin_key, {}, *files, "--all-stacks", "--min-age", "0", "--delete"
    )
    assert verdicts == {}
    assert {dev, prod} <= {k.id for k in client.list_keys()}


def test_help_says_where_the_export_comes_from() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pulumi_venice.tools.orphans", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "pulumi stack export | venice-orphans" in done.stdout
    assert "standard input" in done.stdout and "--all-stacks" in done.stdout
    assert "``" not in done.stdout


def test_the_base_url_comes_from_the_export_and_the_key_from_the_environment(
    emulator: EmulatorThread, client: VeniceClient, admin_key: str
) -> None:
    marker = make(client, new_marker())
    export = export_of()
    export["deployment"]["resources"].append(
        {
            "type": "pulumi:providers:pulumi-python",
            "id": "p",
            "inputs": {"venice:baseUrl": emulator.base_url},
        }
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENICE_")}

    def run(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pulumi_venice.tools.orphans"],
            input=json.dumps(export),
            env={**env, **extra},
            capture_output=True,
            text=True,
            check=False,
        )

    found = run({"VENICE_API_KEY": admin_key})  # no VENICE_BASE_URL: the export's
    assert found.returncode == 0, found.stderr
    assert marker in found.stdout
    missing = run({})
    assert missing.returncode == 1
    assert missing.stderr.strip() == (
        "venice-orphans: venice-orphans needs an ADMIN key of the account in VENICE_API_KEY."
    )
    refused = run({"VENICE_API_KEY": "VENICE_ADMIN_KEY_wrong"})
    assert "The admin key was refused: check VENICE_API_KEY" in refused.stderr
    assert "venice:apiKey" not in refused.stderr + missing.stderr
