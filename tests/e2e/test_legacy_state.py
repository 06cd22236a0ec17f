"""End to end: stacks that releases 0.1.0 and 0.2.0 made keep working with
this code.

Every resource's state carries the provider pickled by that release, which
names its class by module (``pulumi_venice.provider.ApiKeyProvider``,
``pulumi_venice.web3_provider.Web3ApiKeyProvider``: shims now, see
tests/unit/test_layout.py). Each fixture (tests/fixtures/legacy_v*, made by
its make_fixture.py) is that stack's export and the emulator's keys behind
it; here the real CLI refreshes it, updates it in place and destroys it with
today's code. 0.2.0's stack holds a key in its grace the way that release
kept it (``retiring_key_id``); destroy revokes it too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from pulumi_venice.emulator import start_emulator

from ..support.cli import REPO
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

EMULATOR_ADMIN = "VENICE_ADMIN_KEY_fixtureemulatoradmin"
RELEASES = {"0.1.0": "legacy_stack", "0.2.0": "legacy_stack_v0_2_0"}


@pytest.mark.parametrize("release", sorted(RELEASES))
def test_a_stack_made_by_an_earlier_release_refreshes_updates_and_destroys(
    release: str, pulumi_cli: Path, tmp_path: Path
) -> None:
    fixture_dir = REPO / "tests" / "fixtures" / f"legacy_v{release.replace('.', '_')}"
    fixture: dict[str, Any] = json.loads((fixture_dir / "fixture.json").read_text())
    state = tmp_path / "venice.json"
    shutil.copy(fixture_dir / "emulator-state.json", state)
    export = json.loads((fixture_dir / "stack.json").read_text())
    (provider,) = [
        r for r in export["deployment"]["resources"] if r["type"].startswith("pulumi:providers:")
    ]
    old_url = provider["inputs"]["venice:baseUrl"]
    resources = export["deployment"]["resources"]
    pickled = {r["inputs"]["__provider"] for r in resources if "__provider" in r.get("inputs", {})}
    assert len(pickled) == 2  # one ApiKeyProvider, one Web3ApiKeyProvider, by module name

    with start_emulator([EMULATOR_ADMIN], state_file=state) as emulator:
        workdir = tmp_path / "run"
        workdir.mkdir()
        project = PulumiProject(
            workdir,
            pulumi_cli,
            REPO / "tests" / "programs" / RELEASES[release],
            base_url=emulator.base_url,
            admin_key=fixture["admin_key"],
            stack="legacy",
        )
        project.env["VENICE_WALLET_PRIVATE_KEY"] = fixture["wallet_private_key"]
        # The stack's secrets are encrypted under its own salt; the emulator
        # now listens on another port.
        # (kept as stack-config.yaml: the repository ignores Pulumi.*.yaml files)
        config = (fixture_dir / "stack-config.yaml").read_text()
        (project.dir / "Pulumi.legacy.yaml").write_text(config.replace(old_url, emulator.base_url))
        imported = tmp_path / "stack.json"
        imported.write_text(json.dumps(export).replace(old_url, emulator.base_url))
        project.pulumi("stack", "import", "--file", str(imported))
        before = project.outputs(show_secrets=True)

        def wallet_keys() -> dict[str, str]:
            return {
                k.id: k.description
                for k in emulator.server.backend.all_keys()
                if k.account == fixture["wallet_address"]
            }

        assert {before[f"{n}_id"] for n in ("rotating", "admin", "wallet")} <= set(wallet_keys())
        in_grace = fixture.get("retiring_key_id")
        assert in_grace is None or in_grace in wallet_keys()

        project.refresh()
        assert project.outputs(show_secrets=True) == before

        project.config("test:suffix", " v2")
        project.up()
        after = project.outputs(show_secrets=True)
        for name in ("rotating", "admin", "wallet"):
            assert after[f"{name}_id"] == before[f"{name}_id"]  # updated in place
            assert after[f"{name}_secret"] == before[f"{name}_secret"]
            assert wallet_keys()[after[f"{name}_id"]].endswith(" v2")

        project.destroy()
        assert set(wallet_keys()) == {
            k.id for k in emulator.server.backend.all_keys() if k.description == "wallet admin"
        }
