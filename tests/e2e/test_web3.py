"""End to end: a Web3ApiKey stack with the real Pulumi CLI; the wallet is made
by the test and its private key is never shown or stored."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest
from eth_account import Account

from pulumi_venice.emulator import EmulatorThread

from ..support.cli import REPO
from ..support.keys import wallet_admin_key
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e


def test_web3_example_up_and_destroy(
    project_factory: Callable[..., PulumiProject], emulator: EmulatorThread
) -> None:
    private_key = "0x" + secrets.token_hex(32)
    wallet = Account.from_key(private_key)
    wallet_admin = wallet_admin_key(emulator, private_key)  # the wallet's own admin key
    project = project_factory(REPO / "examples" / "web3")
    project.config("venice:apiKey", wallet_admin, secret=True)
    project.env["VENICE_WALLET_PRIVATE_KEY"] = private_key
    project.preview()
    project.up()
    outputs = project.outputs(show_secrets=True)
    assert outputs["address"] == wallet.address
    assert outputs["api_key"].startswith("VENICE_INFERENCE_KEY_")
    owners = {k.id: k.account for k in emulator.server.backend.all_keys()}
    assert owners[outputs["key_id"]] == wallet.address
    project.refresh()
    project.destroy()
    assert outputs["key_id"] not in {k.id for k in emulator.server.backend.all_keys()}
    project.assert_never_shown([private_key, private_key[2:], outputs["api_key"], wallet_admin])
