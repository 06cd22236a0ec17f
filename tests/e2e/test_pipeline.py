"""End to end: examples/pipeline/provision.py (the Automation API) with the
real CLI, its state in a real PostgreSQL (the DIY backend), against the
emulator: a tenant list converges and follows its changes, two stacks run at
once under the creation rate limit, two runs of one stack meet the backend's
lock, and a run killed midway is recovered."""

from __future__ import annotations

import importlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from pulumi import automation as auto

from pulumi_venice.emulator import EmulatorThread, FaultPlan, Limits, start_emulator
from pulumi_venice.keys.creation import MARKER_PREFIX

from ..support.cli import PASSPHRASE, REPO, offline_env
from ..support.keys import key_works, managed
from ..support.pipeline import Pipeline
from ..support.postgres import PostgresServer

pytestmark = pytest.mark.e2e

Tenants = list[dict[str, Any]]


def tenants(names: list[str], usd: float = 5.0) -> Tenants:
    return [{"name": n, "usd": usd, "diem": 0, "limit_period": "MONTH"} for n in names]


def by_tenant(emulator: EmulatorThread) -> dict[str, Any]:
    """The emulator's tenant keys by tenant name (from their descriptions)."""
    return {
        k.description.removeprefix("tenant "): k
        for k in managed(emulator)
        if k.description.startswith("tenant ")
    }


def assert_converged(
    emulator: EmulatorThread, pipeline: Pipeline, stack: str, wanted: Tenants
) -> None:
    """The emulator holds exactly the file's keys, with its caps; each tenant's
    file holds that tenant's working key; no key is left outside (no marker)."""
    keys = by_tenant(emulator)
    assert set(keys) == {t["name"] for t in wanted}
    assert not [k for k in managed(emulator) if k.description.startswith(MARKER_PREFIX)]
    for tenant in wanted:
        key = keys[tenant["name"]]
        assert key.consumption_limit["usd"] == tenant["usd"]
        value = pipeline.key_value(stack, tenant["name"])
        assert value == key.secret
    assert all(
        key_works(emulator.base_url, pipeline.key_value(stack, t["name"])) for t in wanted[:3]
    )
    files = {p.name for p in (pipeline.secrets_dir / stack).glob("*.key")}
    assert files == {f"{t['name']}.key" for t in wanted}
    assert all(
        (pipeline.secrets_dir / stack / name).stat().st_mode & 0o777 == 0o600 for name in files
    )


class Setup(NamedTuple):
    """A pipeline, the emulator it provisions, and its database in PostgreSQL."""

    pipeline: Pipeline
    emulator: EmulatorThread
    database: str


Factory = Callable[..., Setup]


@pytest.fixture
def make_pipeline(
    tmp_path: Path, pulumi_cli: Path, postgres: PostgresServer, admin_key: str
) -> Iterator[Factory]:
    """A pipeline on a database of its own, against an emulator with the given limits."""
    made: list[Setup] = []

    def make(limits: Limits | None = None, faults: FaultPlan | None = None) -> Setup:
        emulator = start_emulator([admin_key], limits=limits, faults=faults)
        database = f"pipeline_{len(made)}_{time.monotonic_ns()}"
        pipeline = Pipeline(
            tmp_path,
            pulumi_cli,
            base_url=emulator.base_url,
            admin_key=admin_key,
            backend_url=postgres.new_database(database),
        )
        made.append(Setup(pipeline, emulator, database))
        return made[-1]

    yield make
    for setup in made:
        setup.pipeline.kill_leftover_processes()
        setup.emulator.stop()


def test_a_tenant_list_converges_and_follows_its_changes(
    make_pipeline: Factory,
    postgres: PostgresServer,
    admin_key: str,
) -> None:
    pipeline, emulator, database = make_pipeline()
    names = [f"t{i:02d}" for i in range(30)]
    first = tenants(names)
    pipeline.run(first, "prod")
    assert_converged(emulator, pipeline, "prod", first)
    ids = {name: key.id for name, key in by_tenant(emulator).items()}

    second = [dict(t) for t in first if t["name"] not in names[:5]]  # 5 removed
    for tenant in second[:5]:
        tenant["usd"] = 9.5  # 5 with new caps
    second += tenants([f"new{i}" for i in range(5)])  # 5 added
    summary = pipeline.run(second, "prod").stdout
    assert_converged(emulator, pipeline, "prod", second)
    after = {name: key.id for name, key in by_tenant(emulator).items()}
    kept = [t["name"] for t in second if t["name"] in ids]
    assert all(after[name] == ids[name] for name in kept)  # changed caps: same key
    assert summary.count("updated (same key)") == 5 * 2  # progress line and table row
    assert summary.count("revoked") == 5 * 2
    assert "created" in summary and "replaced" not in summary

    # The state lives in PostgreSQL, and no key value is there, nor in any output.
    stacks = postgres.sql(database, "SELECT key FROM pulumi_state WHERE key LIKE '%prod%'")
    assert "venice-tenants/prod" in stacks
    stored = postgres.sql(database, "SELECT data::text FROM pulumi_state")
    values = [k.secret for k in managed(emulator)]
    assert not [v for v in [*values, admin_key] if v in stored]
    assert not [v for v in [*values, admin_key] if any(v in out for out in pipeline.transcript)]


def test_preview_and_a_bad_file_change_nothing(
    make_pipeline: Factory,
) -> None:
    pipeline, emulator, _ = make_pipeline()
    plan = pipeline.run(tenants(["acme", "globex"]), "prod", "--preview").stdout
    assert "acme: create" in plan and "globex: create" in plan
    assert by_tenant(emulator) == {}
    bad = pipeline.run(
        [{"name": "acme", "usd": "lots"}, {"name": "acme", "tier": "gold"}], "prod", check=False
    )
    assert bad.returncode == 2
    assert "usd: Input should be a valid number" in bad.stderr
    assert "name: duplicate" in bad.stderr and "unknown field 'tier'" in bad.stderr
    assert "(line " in bad.stderr and "nothing was changed" in bad.stderr
    assert by_tenant(emulator) == {}


def test_a_failed_run_names_each_failed_tenant_its_reason_and_what_was_done(
    make_pipeline: Factory, admin_key: str
) -> None:
    # Room for the admin key and three more: two of the five tenants cannot get one.
    pipeline, emulator, _ = make_pipeline(limits=Limits(20, 60.0, 4))
    wanted = tenants([f"t{i}" for i in range(5)])
    failed = pipeline.run(wanted, "prod", check=False)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    made = set(by_tenant(emulator))
    refused = sorted({t["name"] for t in wanted} - made)
    assert len(made) == 3 and len(refused) == 2
    report = failed.stderr
    assert f"provision: update failed: {len(refused)} tenant(s) failed" in report
    for name in refused:  # the tenant, its resource and the provider's sentence
        assert re.search(
            rf"^  tenant {name} \(tenant-{name}\): .*"
            r"Maximum number of active API keys reached \(4\)",
            report,
            re.MULTILINE,
        ), report
    assert (
        f"provision: done before the failure: 3 created; failed: {', '.join(refused)}." in report
    ), report
    assert "running it again goes on from there" in report
    assert "code: 1" not in report
    # Nothing orphaned: every key Venice made is in the state, none under a marker.
    in_state = {
        r["id"]
        for r in json.loads(pipeline.export("prod"))["deployment"]["resources"]
        if "ApiKey" in r["type"]
    }
    assert in_state == {k.id for k in managed(emulator)}
    secrets = [k.secret for k in managed(emulator)] + [admin_key]
    assert not [v for v in secrets if any(v in out for out in pipeline.transcript)]
    # The next run, with the tenants that fit, goes on from there.
    fitting = [t for t in wanted if t["name"] in made]
    again = pipeline.run(fitting, "prod").stdout
    assert again.count("unchanged") == 3
    assert_converged(emulator, pipeline, "prod", fitting)


def test_runs_that_open_a_new_backend_at_once_each_get_their_stack(
    pulumi_cli: Path, postgres: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pulumi's PostgreSQL backend creates its table each time a command opens
    # it; commands that do so at once on a new database race in PostgreSQL's
    # catalog, and one fails having done nothing. The pipeline runs it again.
    monkeypatch.syspath_prepend(str(REPO / "examples" / "pipeline"))
    provision = importlib.import_module("provision")
    env = offline_env(pulumi_cli, tmp_path / "home", PULUMI_CONFIG_PASSPHRASE=PASSPHRASE)
    runs, rounds = 6, 4
    for round_ in range(rounds):
        database = f"opening_{round_}_{time.monotonic_ns()}"
        env["PULUMI_BACKEND_URL"] = postgres.new_database(database)
        with ThreadPoolExecutor(runs) as pool:
            workspaces = list(pool.map(lambda _: workspace(env), range(runs)))
        together = threading.Barrier(runs)

        def open_stack(index: int, together: Any = together, workspaces: Any = workspaces) -> str:
            together.wait()  # each run's first command on the backend, at once
            return str(provision._open_stack(f"s{index}", workspaces[index]).name)

        with ThreadPoolExecutor(runs) as pool:
            assert list(pool.map(open_stack, range(runs))) == [f"s{i}" for i in range(runs)]
        stacks = postgres.sql(database, "SELECT key FROM pulumi_state")
        assert all(f"opening/s{i}" in stacks for i in range(runs))


def workspace(env: dict[str, str]) -> auto.LocalWorkspace:
    """A workspace of an empty inline program, its CLI run in ``env``."""
    return auto.LocalWorkspace(
        program=lambda: None,
        project_settings=auto.ProjectSettings(
            name="opening", runtime=auto.ProjectRuntimeInfo(name="python")
        ),
        env_vars=dict(env),
    )


def test_two_stacks_at_once_under_the_creation_rate_limit(
    make_pipeline: Factory,
) -> None:
    pipeline, emulator, _ = make_pipeline(limits=Limits(20, 10.0, 500))
    files = {
        "team-a": tenants([f"a{i:02d}" for i in range(25)]),
        "team-b": tenants([f"b{i:02d}" for i in range(25)]),
    }
    runs = {stack: pipeline.start(wanted, stack) for stack, wanted in files.items()}
    for stack, run in runs.items():
        output, _ = run.communicate(timeout=600)
        assert run.returncode == 0, f"{stack}:\n{output[-3000:]}"
    assert any(status == 429 for _, _, status in emulator.server.journal)  # the limit bit
    for stack, wanted in files.items():
        keys = by_tenant(emulator)
        assert {t["name"] for t in wanted} <= set(keys)
        assert all(pipeline.key_value(stack, t["name"]) == keys[t["name"]].secret for t in wanted)
    assert len(by_tenant(emulator)) == 50  # and nothing else: no orphan, no marker
    assert len(managed(emulator)) == 50


def test_two_runs_of_one_stack_meet_the_lock_and_a_rerun_converges(
    make_pipeline: Factory,
) -> None:
    # Slow calls (1 s each) keep the first run busy long after the second starts.
    pipeline, emulator, _ = make_pipeline(faults=FaultPlan(latency_ms=1000))
    wanted = tenants([f"t{i:02d}" for i in range(20)])
    first = pipeline.start(wanted, "prod")
    deadline = time.monotonic() + 120
    while not by_tenant(emulator):  # the first run holds the lock and is creating keys
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.1)
    second = pipeline.run(wanted, "prod", check=False)
    assert second.returncode == 3, second.stdout + second.stderr
    refusal = second.stderr.strip().splitlines()[-1]
    assert "locked by another run" in refusal and "pulumi cancel" in refusal
    output, _ = first.communicate(timeout=600)
    assert first.returncode == 0, output[-3000:]
    assert_converged(emulator, pipeline, "prod", wanted)
    again = pipeline.run(wanted, "prod").stdout
    assert again.count("unchanged") == 20
    assert_converged(emulator, pipeline, "prod", wanted)


def test_a_run_killed_midway_is_recovered_by_the_next(
    make_pipeline: Factory, admin_key: str
) -> None:
    pipeline, emulator, _ = make_pipeline(faults=FaultPlan(latency_ms=200))
    wanted = tenants([f"t{i:02d}" for i in range(30)])
    run = pipeline.start(wanted, "prod")
    deadline = time.monotonic() + 120
    while len(managed(emulator)) < 5:
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGKILL)  # the CI runner dies mid-run
    run.wait(timeout=30)
    pipeline.kill_leftover_processes()  # and so do the plugins it started

    rerun = pipeline.run(wanted, "prod")
    assert "left by a killed run: clearing it" in rerun.stdout
    export = pipeline.export("prod")
    in_state = {
        r["id"] for r in json.loads(export)["deployment"]["resources"] if "ApiKey" in r["type"]
    }
    leftovers = {k.id for k in managed(emulator)} - in_state
    found = subprocess.run(
        [
            *(sys.executable, "-m", "pulumi_venice.tools.orphans"),
            *("--all-stacks", "--min-age", "0", "--delete"),
        ],
        input=export,
        env={**pipeline.env, "VENICE_API_KEY": admin_key, "VENICE_BASE_URL": emulator.base_url},
        capture_output=True,
        text=True,
        check=True,
    )
    verdicts = {line.split("\t")[0]: line.split("\t")[2] for line in found.stdout.splitlines()}
    assert verdicts == dict.fromkeys(leftovers, "orphan")  # exactly what the kill left
    assert_converged(emulator, pipeline, "prod", wanted)


def test_guardrails_stop_a_tenant_that_breaks_a_policy_and_let_a_compliant_list_through(
    make_pipeline: Factory, tmp_path: Path
) -> None:
    """``--guardrails`` (docs/guides/guardrails.md): the run stops before any
    key exists, naming the tenant and the policy; advisories are warnings; a
    config file (``--policy-pack-config``) sets a budget."""
    pipeline, emulator, _ = make_pipeline()
    forever = [{"name": "acme", "usd": 5, "diem": 1, "limit_period": "MONTH"}]
    stopped = pipeline.run(forever, "prod", "--guardrails", check=False)
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert (
        'tenant acme (tenant-acme): policy venice-key-ends: ApiKey "tenant-acme" never ends'
        in stopped.stderr
    )
    assert "Every Venice key" not in stopped.stderr  # the report, not the description
    assert by_tenant(emulator) == {}

    ending = [{**forever[0], "expires_after": "30d", "model_privacy": "PRIVATE_TEXT"}]
    done = pipeline.run(ending, "prod", "--guardrails")
    assert "acme: warning: policy venice-key-delivered: ApiKey" in done.stdout
    assert_converged(emulator, pipeline, "prod", ending)

    config = tmp_path / "guardrails.json"
    config.write_text(json.dumps({"venice-stack-budget": {"usd": {"MONTH": 4}}}), encoding="utf-8")
    more = [*ending, {**ending[0], "name": "globex"}]
    args = ("--guardrails", "--policy-pack-config", str(config))
    over = pipeline.run(more, "prod", *args, check=False)
    assert over.returncode == 1, over.stdout + over.stderr
    assert "policy venice-stack-budget: The USD caps" in over.stderr
    assert "the preview changed nothing at Venice" in over.stderr
    assert set(by_tenant(emulator)) == {"acme"}

    # The example's own tenant list meets the pack's defaults.
    example = yaml.safe_load((REPO / "examples" / "pipeline" / "tenants.yaml").read_text())
    pipeline.run(example["tenants"], "example", "--guardrails", "--preview")
