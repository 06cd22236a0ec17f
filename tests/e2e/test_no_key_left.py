"""End to end with the real CLI (issue 30): no key is left alive that no
state holds, what goes wrong reads as our sentence alone, and a preview with
no change shows nothing.

- a wallet's key made with an admin key of another account: ``pulumi up``
  fails, says so truly, and the engine keeps the key (an initialization
  error), through the dynamic provider (Python) and the plugin (YAML); with
  the wallet's own admin key, the next ``up`` finishes it and ``destroy``
  revokes it;
- a key rotated three times with a 2-day grace, then ``pulumi destroy``:
  every generation is revoked.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from eth_account import Account

from pulumi_venice.emulator import EmulatorThread

from ..support.cli import REPO
from ..support.keys import key_works, wallet_admin_key
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

PROGRAMS = REPO / "tests" / "programs"
NATIVE = REPO / "tests" / "native"
Factory = Callable[..., PulumiProject]
SDK_PREFIXES = ("Exception calling application", "Unexpected <class", "Traceback")


def said(done: Any) -> str:
    return f"{done.stdout}{done.stderr}"


def wallet_keys(emulator: EmulatorThread, address: str) -> dict[str, str]:
    """The wallet's working keys (but its admin key): id to value."""
    now = emulator.server.backend.now()
    return {
        k.id: k.secret
        for k in emulator.server.backend.all_keys()
        if k.account == address and not k.expired(now) and k.description != "wallet admin"
    }


def key_resources(project: PulumiProject) -> list[dict[str, Any]]:
    resources = project.export()["deployment"]["resources"]
    return [r for r in resources if str(r["type"]).endswith("Web3ApiKey")]


@pytest.mark.parametrize("door", ["python", "yaml"])
def test_a_wallet_key_made_with_another_accounts_admin_key_is_kept_in_state(
    door: str, project_factory: Factory, emulator: EmulatorThread, admin_key: str
) -> None:
    wallet_key = "0x" + secrets.token_hex(32)
    address = Account.from_key(wallet_key).address
    if door == "python":
        project = project_factory(PROGRAMS / "web3_foreign")
        project.env["VENICE_WALLET_PRIVATE_KEY"] = wallet_key
    else:
        project = project_factory(NATIVE / "yaml_web3_foreign", runtime="yaml")
        project.install_native_plugin()
        project.config("venice-e2e:walletKey", wallet_key, secret=True)
    # venice:apiKey is the emulator's admin key: another account than the wallet's.
    failed = project.up(check=False)
    shown = said(failed)
    assert failed.returncode != 0
    live = wallet_keys(emulator, address)
    assert len(live) == 1, "exactly one key was made"
    ((key_id, value),) = live.items()
    assert key_works(emulator.base_url, value)
    # Our sentence, truly, and nothing of the SDK's or gRPC's framing around it.
    assert "is an admin key of another Venice account" in shown, shown
    assert address in shown and f"The new key {key_id}" in shown
    assert "kept in the stack's state" in shown and "nothing is left behind" not in shown
    assert not [p for p in SDK_PREFIXES if p in shown], shown
    # The engine kept the key, with the error.
    kept = key_resources(project)
    assert [r["id"] for r in kept] == [key_id]
    assert kept[0].get("initErrors"), kept[0]
    # The fix the message names: an admin key of the wallet's account. The
    # next up finishes the key (an update: no new key), destroy revokes it.
    project.config("venice:apiKey", wallet_admin_key(emulator, wallet_key), secret=True)
    project.up()
    assert project.outputs()["key_id"] == key_id
    assert set(wallet_keys(emulator, address)) == {key_id}
    stored = {k.id: k for k in emulator.server.backend.all_keys()}
    assert stored[key_id].consumption_limit["diem"] == 2
    project.destroy()
    assert wallet_keys(emulator, address) == {}
    project.assert_never_shown([value, wallet_key, wallet_key[2:]])


def test_destroy_after_three_rotations_in_their_grace_revokes_every_generation(
    project_factory: Factory, emulator: EmulatorThread, admin_key: str
) -> None:
    project = project_factory(PROGRAMS / "grace_rotation")
    project.up()
    values = [project.outputs(show_secrets=True)["key_secret"]]
    for generation in ("1", "2", "3"):
        project.config("test:generation", generation)
        project.up()
        outputs = project.outputs(show_secrets=True)
        values.append(outputs["key_secret"])
        assert len(outputs["retiring_key_ids"]) == int(generation)
        assert outputs["retiring_key_id"] == outputs["retiring_key_ids"][0]
        # A preview with no change shows nothing: no output turns [unknown].
        preview = project.preview("--diff").stdout
        assert "[unknown]" not in preview and "unchanged" in preview, preview
    assert all(key_works(emulator.base_url, value) for value in values)  # all in grace
    project.destroy()
    assert not [value for value in values if key_works(emulator.base_url, value)]
    project.assert_never_shown([*values, admin_key])
    assert not [v for v in values if v in json.dumps(project.export())]
