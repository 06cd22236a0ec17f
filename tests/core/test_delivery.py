"""deliver_to, in process against the emulator (and moto's server for AWS):
the value goes to the sink and nowhere else, bad input fails at check with one
sentence per field, refresh tells when a sink lost the key, a sink that
refuses the value costs no key, and destroy removes only this key's entry."""

from __future__ import annotations

import json
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from pulumi_venice import VeniceClient
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.keys.fingerprint import fingerprint, matches
from pulumi_venice.keys.lifecycle import KeyLifecycle
from pulumi_venice.keys.web3 import Web3KeyLifecycle
from pulumi_venice.plugin.native import stack_salt

from ..support.core import PlainCore
from ..support.keys import key_works, managed, wallet_admin_key

STACK = "proj/dev"
BASE: dict[str, Any] = {"api_key_type": "INFERENCE", "description": "delivered"}


@pytest.fixture
def lifecycle(provider_env: None) -> PlainCore:
    return PlainCore(KeyLifecycle())


def delivery_inputs(lifecycle: PlainCore, deliver_to: Any, **more: Any) -> dict[str, Any]:
    inputs, failures = lifecycle.check({**BASE, "deliver_to": deliver_to, **more})
    assert failures == [], failures
    return inputs


def reasons(lifecycle: PlainCore, deliver_to: Any, **more: Any) -> list[str]:
    _, failures = lifecycle.check({**BASE, "deliver_to": deliver_to, **more})
    return [reason for _, reason in failures]


def no_value_in(outputs: dict[str, Any], value: str) -> None:
    assert value not in json.dumps(outputs)
    assert outputs["api_key"] is None


# -- check ----------------------------------------------------------------------


def test_bad_sinks_fail_at_check_one_sentence_each(lifecycle: PlainCore, tmp_path: Path) -> None:
    path = str(tmp_path / "key")
    cases = {
        "must give exactly one of file, command, aws_secrets_manager (got file and command)": {
            "file": {"path": path},
            "command": {"argv": ["true"]},
        },
        "must give exactly one of file, command, aws_secrets_manager (got none)": {},
        "deliver_to.file.path must be an absolute path (got 'key')": {"file": {"path": "key"}},
        "deliver_to.file.path must be in a folder that exists": {
            "file": {"path": str(tmp_path / "missing" / "key")}
        },
        "deliver_to.file.path must name a file": {"file": {"path": str(tmp_path)}},
        "deliver_to.command.argv must name a program to run": {"command": {"argv": []}},
        "deliver_to.file.mode must not let others read or write the key (got 0644)": {
            "file": {"path": path, "mode": "0644"}
        },
        "deliver_to.file.mode must be an octal file mode such as '0600'": {
            "file": {"path": path, "mode": "rw-------"}
        },
        "deliver_to.command gives remove_argv without read_argv": {
            "command": {"argv": ["store"], "remove_argv": ["forget"]}
        },
        "deliver_to.file.pth is not a known input; the known ones are: path, mode": {
            "file": {"pth": path}
        },
        "deliver_to.aws_secrets_manager.secret_id is required": {"aws_secrets_manager": {}},
    }
    for expected, deliver_to in cases.items():
        found = reasons(lifecycle, deliver_to)
        assert len(found) == 1 and expected in found[0], (deliver_to, found)


def test_a_mode_may_be_a_number_as_programs_write_it(lifecycle: PlainCore, tmp_path: Path) -> None:
    inputs = delivery_inputs(
        lifecycle, {"file": {"path": str(tmp_path / "k"), "mode": float(0o640)}}
    )
    assert inputs["deliver_to"] == {
        "file": {"path": str(tmp_path / "k"), "mode": "0640"},
        "remove_on_destroy": False,
    }
    assert (
        "from 0 to 0o777"
        in reasons(lifecycle, {"file": {"path": str(tmp_path / "k"), "mode": 600.0}})[0]
    )


def test_adopting_a_key_delivers_only_a_value_it_is_given(
    lifecycle: PlainCore, tmp_path: Path
) -> None:
    found = reasons(lifecycle, {"file": {"path": str(tmp_path / "k")}}, import_id="abc")
    assert found == [
        "deliver_to needs import_api_key when import_id adopts a key: Venice never shows an "
        "existing key's value again, so there is nothing to deliver"
    ]


def test_an_admin_wallet_key_delivered_needs_an_admin_key_to_be_managed(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorThread, tmp_path: Path
) -> None:
    monkeypatch.delenv("VENICE_API_KEY", raising=False)
    monkeypatch.setenv("VENICE_BASE_URL", emulator.base_url)
    _, failures = Web3KeyLifecycle().check(
        {
            "api_key_type": "ADMIN",
            "wallet_private_key": "0x" + "11" * 32,
            "deliver_to": {"file": {"path": str(tmp_path / "k")}},
        }
    )
    assert [field for field, _ in failures] == ["deliver_to"]
    assert "needs admin_api_key (or venice:apiKey)" in failures[0][1]


# -- the fingerprint ---------------------------------------------------------------


def test_the_fingerprint_is_keyed_by_the_stack_and_recognises_only_its_key() -> None:
    value = "VENICE_INFERENCE_KEY_" + "a" * 40
    recorded = fingerprint(value, STACK)
    assert recorded.startswith("hmac-sha256:proj/dev:") and value not in recorded
    assert matches(recorded, value)
    assert not matches(recorded, value + "b")
    assert fingerprint(value, "proj/prod") != recorded  # another stack, another print
    assert stack_salt("urn:pulumi:dev::proj::venice:index:ApiKey::k") == STACK


# -- the file sink -------------------------------------------------------------------


def test_a_file_sink_gets_the_value_and_the_state_does_not(
    lifecycle: PlainCore, emulator: EmulatorThread, tmp_path: Path
) -> None:
    target = tmp_path / "venice.key"
    inputs = delivery_inputs(lifecycle, {"file": {"path": str(target)}})
    key_id, outputs = lifecycle.create(inputs, "k", stack=STACK)
    value = target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert key_works(emulator.base_url, value)
    no_value_in(outputs, value)
    assert outputs["delivered_to"] == f"file {target} (mode 0600)"
    assert matches(outputs["fingerprint"], value)
    assert outputs["last6_chars"] == value[-6:]
    assert [p.name for p in tmp_path.iterdir()] == ["venice.key"]  # no temporary file left

    state = {**inputs, **outputs}
    read = lifecycle.read(key_id, state)
    assert read.outputs["delivered_to"] == outputs["delivered_to"]
    assert lifecycle.diff(key_id, read.outputs, inputs).replaces == []


@pytest.mark.parametrize("loss", ["deleted", "overwritten"])
def test_refresh_sees_a_sink_that_lost_the_key_and_up_delivers_a_new_one(
    lifecycle: PlainCore, emulator: EmulatorThread, tmp_path: Path, loss: str
) -> None:
    target = tmp_path / "venice.key"
    inputs = delivery_inputs(lifecycle, {"file": {"path": str(target)}})
    key_id, outputs = lifecycle.create(inputs, "k", stack=STACK)
    old_value = target.read_text()
    if loss == "deleted":
        target.unlink()
    else:
        target.write_text("VENICE_INFERENCE_KEY_someone_elses")

    read = lifecycle.read(key_id, {**inputs, **outputs})
    assert read.outputs["delivered_to"] is None
    diff = lifecycle.diff(key_id, read.outputs, inputs, identity="k")
    assert diff.replaces == ["deliver_to"]
    new_id, new_outputs = lifecycle.create(inputs, "k", stack=STACK)
    lifecycle.delete(key_id, read.outputs)  # the engine deletes the replaced key
    assert key_works(emulator.base_url, target.read_text())
    assert not key_works(emulator.base_url, old_value)
    assert [k.id for k in managed(emulator)] == [new_id]
    assert new_outputs["delivered_to"] is not None


def test_a_replacement_into_the_same_file_is_written_before_the_old_key_retires(
    lifecycle: PlainCore, emulator: EmulatorThread, client: VeniceClient, tmp_path: Path
) -> None:
    target = tmp_path / "venice.key"
    deliver_to = {"file": {"path": str(target)}, "remove_on_destroy": True}
    inputs = delivery_inputs(lifecycle, deliver_to, retire_grace="2d", keepers={"g": "1"})
    old_id, old_outputs = lifecycle.create(inputs, "k", stack=STACK)
    old_value = target.read_text()

    news = delivery_inputs(lifecycle, deliver_to, retire_grace="2d", keepers={"g": "2"})
    old_state = {**inputs, **old_outputs}
    assert lifecycle.diff(old_id, old_state, news, identity="k").replaces == ["keepers"]
    new_id, new_outputs = lifecycle.create(news, "k", stack=STACK)
    new_value = target.read_text()
    assert new_value != old_value and matches(new_outputs["fingerprint"], new_value)
    assert (client.get_key(old_id).description or "").endswith("(retiring)")
    lifecycle.delete(old_id, old_state)  # retiring: kept; and the file holds the new key
    assert key_works(emulator.base_url, old_value) and target.read_text() == new_value

    lifecycle.delete(new_id, {**news, **new_outputs})  # destroy: revoked, file removed
    assert not target.exists()
    assert not key_works(emulator.base_url, new_value)
    assert not key_works(emulator.base_url, old_value)  # its grace ended with the destroy


def test_destroy_keeps_a_file_that_holds_another_key(lifecycle: PlainCore, tmp_path: Path) -> None:
    target = tmp_path / "venice.key"
    inputs = delivery_inputs(lifecycle, {"file": {"path": str(target)}, "remove_on_destroy": True})
    key_id, outputs = lifecycle.create(inputs, "k", stack=STACK)
    target.write_text("VENICE_INFERENCE_KEY_another")
    lifecycle.delete(key_id, {**inputs, **outputs})
    assert target.read_text() == "VENICE_INFERENCE_KEY_another"


def test_an_update_in_place_keeps_the_delivery(lifecycle: PlainCore, tmp_path: Path) -> None:
    target = tmp_path / "venice.key"
    inputs = delivery_inputs(lifecycle, {"file": {"path": str(target)}})
    key_id, outputs = lifecycle.create(inputs, "k", stack=STACK)
    news = delivery_inputs(lifecycle, {"file": {"path": str(target)}}, description="renamed")
    assert lifecycle.diff(key_id, {**inputs, **outputs}, news).replaces == []
    updated = lifecycle.update(key_id, {**inputs, **outputs}, news)
    assert updated["description"] == "renamed" and updated["api_key"] is None
    assert updated["fingerprint"] == outputs["fingerprint"]
    assert updated["delivered_to"] == outputs["delivered_to"]


# -- the command sink -----------------------------------------------------------------

STORE = """
import json, os, sys
value = sys.stdin.read()
seen = {"argv": sys.argv, "environ": dict(os.environ)}
open(sys.argv[1], "w").write(value)
open(sys.argv[1] + ".seen", "w").write(json.dumps(seen))
"""
READ = "import sys, os; p = sys.argv[1]; print(open(p).read() if os.path.exists(p) else '')"
FORGET = "import sys, os; os.remove(sys.argv[1])"
REFUSE = (
    "import sys; value = sys.stdin.read(); print('refused ' + value, file=sys.stderr); sys.exit(3)"
)


def test_a_command_gets_the_value_on_stdin_only(
    lifecycle: PlainCore, emulator: EmulatorThread, tmp_path: Path
) -> None:
    store = str(tmp_path / "store")
    command = {
        "argv": [sys.executable, "-c", STORE, store],
        "read_argv": [sys.executable, "-c", READ, store],
        "remove_argv": [sys.executable, "-c", FORGET, store],
    }
    inputs = delivery_inputs(lifecycle, {"command": command, "remove_on_destroy": True})
    key_id, outputs = lifecycle.create(inputs, "k", stack=STACK)
    value = Path(store).read_text()
    assert key_works(emulator.base_url, value)
    assert value not in Path(store + ".seen").read_text()  # not in argv, not in the environment
    no_value_in(outputs, value)
    assert outputs["delivered_to"].startswith("command ")

    assert lifecycle.read(key_id, {**inputs, **outputs}).outputs["delivered_to"]
    Path(store).write_text("")
    assert lifecycle.read(key_id, {**inputs, **outputs}).outputs["delivered_to"] is None
    Path(store).write_text(value)
    lifecycle.delete(key_id, {**inputs, **outputs})
    assert not Path(store).exists()
    assert not key_works(emulator.base_url, value)


def test_a_command_that_fails_revokes_the_new_key_and_shows_no_value(
    lifecycle: PlainCore, emulator: EmulatorThread
) -> None:
    inputs = delivery_inputs(lifecycle, {"command": {"argv": [sys.executable, "-c", REFUSE]}})
    with pytest.raises(Exception) as caught:
        lifecycle.create(inputs, "k", stack=STACK)
    message = str(caught.value)
    assert "exited with status 3: refused [redacted]" in message
    assert "was revoked again, so nothing is left behind" in message
    assert "VENICE_INFERENCE_KEY_" not in message
    assert managed(emulator) == []


def test_a_program_that_cannot_be_found_is_named(
    lifecycle: PlainCore, emulator: EmulatorThread
) -> None:
    inputs = delivery_inputs(lifecycle, {"command": {"argv": ["/nonexistent/store-it"]}})
    with pytest.raises(Exception, match="/nonexistent/store-it was not found"):
        lifecycle.create(inputs, "k", stack=STACK)
    assert managed(emulator) == []


# -- AWS Secrets Manager (moto's server) ------------------------------------------------


@pytest.fixture
def secrets_manager(aws_endpoint: str) -> Iterator[Any]:
    yield boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=aws_endpoint)


def test_aws_secrets_manager_gets_the_value_and_gives_it_back(
    lifecycle: PlainCore, emulator: EmulatorThread, aws_endpoint: str, secrets_manager: Any
) -> None:
    name = "venice/test-" + str(id(lifecycle))
    deliver_to = {
        "aws_secrets_manager": {
            "secret_id": name,
            "region": "us-east-1",
            "endpoint_url": aws_endpoint,
        },
        "remove_on_destroy": True,
    }
    inputs = delivery_inputs(lifecycle, deliver_to)
    key_id, outputs = lifecycle.create(inputs, "k", stack=STACK)
    value = secrets_manager.get_secret_value(SecretId=name)["SecretString"]
    assert key_works(emulator.base_url, value)
    no_value_in(outputs, value)
    assert (
        outputs["delivered_to"]
        == f"AWS Secrets Manager secret {name} in us-east-1 at {aws_endpoint}"
    )

    secrets_manager.put_secret_value(SecretId=name, SecretString="VENICE_INFERENCE_KEY_other")
    assert lifecycle.read(key_id, {**inputs, **outputs}).outputs["delivered_to"] is None
    secrets_manager.put_secret_value(SecretId=name, SecretString=value)
    assert lifecycle.read(key_id, {**inputs, **outputs}).outputs["delivered_to"]

    lifecycle.delete(key_id, {**inputs, **outputs})
    assert not key_works(emulator.base_url, value)
    with pytest.raises(secrets_manager.exceptions.InvalidRequestException):
        secrets_manager.get_secret_value(SecretId=name)  # scheduled for deletion

    # A new stack delivering to the same name: the deleted secret is restored.
    key_id, outputs = lifecycle.create(inputs, "k2", stack=STACK)
    assert key_works(
        emulator.base_url, secrets_manager.get_secret_value(SecretId=name)["SecretString"]
    )


# -- the plugin's door ------------------------------------------------------------------


@pytest.mark.usefixtures("provider_env")
def test_the_plugin_delivers_with_its_camel_case_names(
    emulator: EmulatorThread, tmp_path: Path
) -> None:
    """``deliverTo`` as a TypeScript or YAML program writes it, through check,
    create, read and delete; the fingerprint is salted with the URN's stack."""
    import asyncio

    from pulumi.provider.experimental.provider import (
        CheckRequest,
        CreateRequest,
        DeleteRequest,
        ReadRequest,
    )

    from pulumi_venice.plugin.native import VeniceProvider
    from pulumi_venice.plugin.schema import API_KEY
    from pulumi_venice.plugin.values import plain_value

    from ..doors.test_native_provider import props

    plugin = VeniceProvider()
    urn = f"urn:pulumi:dev::proj::{API_KEY}::key"
    target = tmp_path / "venice.key"
    given: dict[str, Any] = {"apiKeyType": "INFERENCE", "description": "native"}
    given["deliverTo"] = {"file": {"path": str(target)}, "removeOnDestroy": True}

    async def run() -> None:
        bad = await plugin.check(
            CheckRequest(urn, {}, props({**given, "deliverTo": {"file": {"path": "k"}}}), b"")
        )
        assert [(f.property, f.reason) for f in bad.failures or []] == [
            ("deliverTo", "deliverTo.file.path must be an absolute path (got 'k')")
        ]
        checked = await plugin.check(CheckRequest(urn, {}, props(given), b""))
        assert checked.failures == [] and checked.inputs is not None
        assert plain_value(checked.inputs["deliverTo"]) == {
            "file": {"path": str(target), "mode": "0600"},
            "removeOnDestroy": True,
        }
        made = await plugin.create(CreateRequest(urn, checked.inputs, 60, False))
        state = made.properties
        assert made.resource_id is not None and state["apiKey"].value is None
        value = target.read_text()
        assert key_works(emulator.base_url, value)
        assert value not in json.dumps({k: plain_value(v) for k, v in state.items()})
        assert matches(str(state["fingerprint"].value), value)
        assert str(state["fingerprint"].value).startswith("hmac-sha256:proj/dev:")
        read = await plugin.read(ReadRequest(urn, made.resource_id, state, checked.inputs))
        assert read.properties is not None and read.properties["deliveredTo"].value
        await plugin.delete(DeleteRequest(urn, made.resource_id, state, 60))
        assert not target.exists() and not key_works(emulator.base_url, value)

    asyncio.run(run())


def test_a_null_admin_key_from_a_delivered_key_fails_check(lifecycle: PlainCore) -> None:
    """The api_key output of a delivered ADMIN key is null: a key managed with
    it must fail at check, not fall back to the provider's admin key."""
    _, failures = lifecycle.check({**BASE, "admin_api_key": None})
    assert [field for field, _ in failures] == ["admin_api_key"]
    assert "that key has deliver_to" in failures[0][1]
    assert lifecycle.check(BASE)[1] == []  # not given at all: the provider's admin key


def test_an_adopted_key_is_delivered_when_its_value_is_given(
    lifecycle: PlainCore, emulator: EmulatorThread, client: VeniceClient, tmp_path: Path
) -> None:
    from pulumi_venice.venice.models import CreateApiKeyRequest

    existing = client.create_key(
        CreateApiKeyRequest(api_key_type="INFERENCE", description="made outside")
    )
    target = tmp_path / "adopted.key"
    inputs = delivery_inputs(
        lifecycle,
        {"file": {"path": str(target)}},
        import_id=existing.id,
        import_api_key=existing.api_key,
    )
    key_id, outputs = lifecycle.create(inputs, "k", stack=STACK)
    assert key_id == existing.id and target.read_text() == existing.api_key
    no_value_in(outputs, existing.api_key)
    assert matches(outputs["fingerprint"], existing.api_key)


def test_a_wallet_key_is_delivered_and_managed_with_the_admin_key(
    provider_env: None, emulator: EmulatorThread, tmp_path: Path
) -> None:
    wallet = PlainCore(Web3KeyLifecycle())
    target = tmp_path / "wallet.key"
    private_key = "0x" + "2e" * 32
    inputs, failures = wallet.check(
        {
            "api_key_type": "INFERENCE",
            "wallet_private_key": private_key,
            "admin_api_key": wallet_admin_key(emulator, private_key),
            "deliver_to": {"file": {"path": str(target)}, "remove_on_destroy": True},
        }
    )
    assert failures == []
    key_id, outputs = wallet.create(inputs, "w", stack=STACK)
    value = target.read_text()
    assert key_works(emulator.base_url, value)
    no_value_in(outputs, value)
    assert wallet.read(key_id, {**inputs, **outputs}).outputs["delivered_to"]
    wallet.delete(key_id, {**inputs, **outputs})
    assert not target.exists() and not key_works(emulator.base_url, value)


def test_the_plugin_names_every_nested_field_in_camel_case() -> None:
    from pulumi.provider.experimental.property_value import PropertyValue

    from pulumi_venice.plugin.values import plain, plain_value, wire

    def props(values: dict[str, Any]) -> dict[str, PropertyValue]:
        def one(value: Any) -> PropertyValue:
            if isinstance(value, dict):
                return PropertyValue({k: one(v) for k, v in value.items()})
            if isinstance(value, list):
                return PropertyValue([one(v) for v in value])
            return PropertyValue(value)

        return {k: one(v) for k, v in values.items()}

    given = {
        "deliverTo": {
            "awsSecretsManager": {"secretId": "s", "endpointUrl": "http://127.0.0.1:1"},
            "removeOnDestroy": True,
        },
        "keepers": {"myKeeper": "1"},  # a map's keys are the user's: never renamed
    }
    core = plain(props(given))
    assert core == {
        "deliver_to": {
            "aws_secrets_manager": {"secret_id": "s", "endpoint_url": "http://127.0.0.1:1"},
            "remove_on_destroy": True,
        },
        "keepers": {"myKeeper": "1"},
    }
    assert {k: plain_value(v) for k, v in wire(core).items()} == given
    command = {"command": {"argv": ["a"], "readArgv": ["b"], "removeArgv": ["c"]}}
    assert plain(props({"deliverTo": command}))["deliver_to"]["command"] == {
        "argv": ["a"],
        "read_argv": ["b"],
        "remove_argv": ["c"],
    }


def test_a_refused_retirement_keeps_a_delivered_replacement(
    lifecycle: PlainCore,
    emulator: EmulatorThread,
    tmp_path: Path,
    mocker: Any,
) -> None:
    """Once the new value is in the sink, revoking the new key would leave the
    sink holding a dead key: a retirement Venice refuses keeps the new key,
    and the old one's delete revokes that at once (no grace)."""
    from pulumi_venice.venice.errors import ServerError
    from pulumi_venice.venice.models import UpdateApiKeyRequest

    target = tmp_path / "venice.key"
    inputs = delivery_inputs(
        lifecycle, {"file": {"path": str(target)}}, retire_grace="2d", keepers={"g": "1"}
    )
    old_id, old_outputs = lifecycle.create(inputs, "k", stack=STACK)
    old_value = target.read_text()
    news = delivery_inputs(
        lifecycle, {"file": {"path": str(target)}}, retire_grace="2d", keepers={"g": "2"}
    )
    old_state = {**inputs, **old_outputs}
    assert lifecycle.diff(old_id, old_state, news, identity="k").replaces == ["keepers"]
    real_update = VeniceClient.update_key

    def refuse_the_old_key(self: VeniceClient, request: UpdateApiKeyRequest) -> Any:
        if request.id == old_id:
            raise ServerError("update API key", "Venice answered 500", status=500)
        return real_update(self, request)

    mocker.patch.object(VeniceClient, "update_key", refuse_the_old_key)
    new_id, _ = lifecycle.create(news, "k", stack=STACK)
    mocker.stopall()
    new_value = target.read_text()
    assert new_value != old_value and key_works(emulator.base_url, new_value)
    lifecycle.delete(old_id, old_state)  # not retiring at Venice: revoked at once
    assert not key_works(emulator.base_url, old_value)
    assert [k.id for k in managed(emulator)] == [new_id]


def test_a_read_command_that_fails_shows_nothing_it_printed(
    lifecycle: PlainCore, tmp_path: Path
) -> None:
    """A read_argv that prints the value and then fails (saying it on
    standard error too) fails the refresh, with neither shown."""
    store = str(tmp_path / "store")
    noisy = (
        "import sys; v = open(sys.argv[1]).read(); print(v); "
        "print('had ' + v, file=sys.stderr); sys.exit(4)"
    )
    command = {
        "argv": [sys.executable, "-c", STORE, store],
        "read_argv": [sys.executable, "-c", noisy, store],
    }
    inputs = delivery_inputs(lifecycle, {"command": command})
    key_id, outputs = lifecycle.create(inputs, "k", stack=STACK)
    value = Path(store).read_text()
    with pytest.raises(Exception, match="exited with status 4: had") as caught:
        lifecycle.read(key_id, {**inputs, **outputs})
    assert value not in str(caught.value)
