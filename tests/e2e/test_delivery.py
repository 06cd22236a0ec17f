"""End to end with the real CLI: keys delivered to a file, a command and AWS
Secrets Manager (moto's server on loopback), through the dynamic provider
(examples/delivery) and the native plugin (a Pulumi YAML program). Not one
byte of a key's value in ``pulumi stack export --show-secrets``, the
backend's files, or the CLI's output at ``--logtostderr -v=9``; a sink that
lost its key is seen by refresh and mended by ``up``; destroy revokes the
keys and removes the entries."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.keys.fingerprint import matches

from ..support.cli import REPO
from ..support.keys import key_works, managed
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

Factory = Callable[..., PulumiProject]
SECRET_ID = "venice/e2e-delivered"


def never_in_state(project: PulumiProject, values: list[str]) -> None:
    """No value anywhere the CLI writes or shows, decrypted or not."""
    shown = project.pulumi("stack", "export", "--show-secrets", shows_secrets=True).stdout
    for value in values:
        assert value not in shown, "a delivered key's value is in the state"
    project.assert_never_shown(values)


def test_keys_delivered_to_three_sinks_never_reach_the_state_or_the_logs(
    project_factory: Factory,
    emulator: EmulatorThread,
    admin_key: str,
    aws_endpoint: str,
    tmp_path: Path,
) -> None:
    project = project_factory(REPO / "examples" / "delivery")
    keys = tmp_path / "keys"
    project.config("venice-e2e:keyDir", str(keys))
    project.config("venice-e2e:awsEndpoint", aws_endpoint)
    project.config("venice-e2e:awsName", SECRET_ID)
    secrets = boto3.client("secretsmanager", region_name="us-east-1", endpoint_url=aws_endpoint)

    def values() -> dict[str, str]:
        return {
            "file": (keys / "file.key").read_text(),
            "command": (keys / "store-entry").read_text(),
            "aws": secrets.get_secret_value(SecretId=SECRET_ID)["SecretString"],
        }

    project.up("--logtostderr", "-v=9")  # the engine's every RPC, in the transcript
    first = values()
    outputs = project.outputs(show_secrets=True)
    for sink, value in first.items():
        assert key_works(emulator.base_url, value), sink
        assert outputs.get(f"{sink}_api_key") is None  # null (an output of null is left out)
        assert matches(outputs[f"{sink}_fingerprint"], value)
        assert outputs[f"{sink}_fingerprint"].startswith("hmac-sha256:venice-e2e/e2e:")
    assert outputs["file_delivered_to"] == f"file {keys / 'file.key'} (mode 0600)"
    assert (keys / "file.key").stat().st_mode & 0o777 == 0o600
    never_in_state(project, list(first.values()))

    # The sinks lose their keys (a file deleted, an entry emptied, a secret
    # overwritten): refresh sees it, and up delivers new keys, revoking the old.
    (keys / "file.key").unlink()
    (keys / "store-entry").write_text("")
    secrets.put_secret_value(SecretId=SECRET_ID, SecretString="VENICE_INFERENCE_KEY_other")
    project.refresh("--logtostderr", "-v=9")
    refreshed = project.resources()  # refresh updates the state, not the stack's outputs
    assert [r["outputs"].get("delivered_to") for r in refreshed] == [None, None, None]
    preview = project.preview().stdout
    assert preview.count("+-") >= 3, preview
    project.up("--logtostderr", "-v=9")
    second = values()
    for sink, value in second.items():
        assert value != first[sink] and key_works(emulator.base_url, value), sink
        assert not key_works(emulator.base_url, first[sink]), sink
    assert len(managed(emulator)) == 3
    never_in_state(project, [*first.values(), *second.values()])

    project.destroy("--logtostderr", "-v=9")
    assert managed(emulator) == []
    assert not (keys / "file.key").exists() and not (keys / "store-entry").exists()
    with pytest.raises(secrets.exceptions.InvalidRequestException):
        secrets.get_secret_value(SecretId=SECRET_ID)  # scheduled for deletion
    never_in_state(project, [*first.values(), *second.values()])
    # Pulumi's engine itself prints the stack's secret config at -v=9 (the
    # dynamic provider's Configure inputs): the admin key is in that output
    # (docs/guides/keeping-the-key-out-of-state.md says so), but never in the
    # state or the backend.
    assert admin_key not in json.dumps(project.export()) + project.backend_text()


def test_the_native_plugin_delivers_from_a_yaml_program(
    project_factory: Factory, emulator: EmulatorThread, admin_key: str, tmp_path: Path
) -> None:
    project = project_factory(REPO / "tests" / "native" / "yaml_delivery", runtime="yaml")
    project.install_native_plugin()
    key_file = tmp_path / "venice.key"
    project.config("keyFile", str(key_file))
    project.up("--logtostderr", "-v=9")
    value = key_file.read_text()
    outputs = project.outputs(show_secrets=True)
    assert key_works(emulator.base_url, value) and outputs.get("api_key") is None
    assert matches(outputs["fingerprint"], value)
    state = project.resources("venice:index:ApiKey")[0]
    assert state["outputs"]["deliverTo"] == {
        "file": {"path": str(key_file), "mode": "0600"},
        "removeOnDestroy": True,
    }
    assert "apiKey" not in json.dumps(state["outputs"].get("apiKey") or {})
    never_in_state(project, [value])

    key_file.write_text("VENICE_INFERENCE_KEY_someone_elses")
    project.up("--refresh")  # refresh sees the loss; the same run mends it
    mended = key_file.read_text()
    assert mended != value and key_works(emulator.base_url, mended)
    assert not key_works(emulator.base_url, value)
    project.destroy()
    assert not key_file.exists() and managed(emulator) == []
    never_in_state(project, [value, mended])
    assert admin_key not in json.dumps(project.export()) + project.backend_text()


def test_a_key_managed_with_a_delivered_keys_null_output_fails_clearly(
    project_factory: Factory, emulator: EmulatorThread, tmp_path: Path
) -> None:
    """A delivered ADMIN key has no api_key output: a key given it as
    admin_api_key fails its check (rather than being managed with venice:apiKey),
    and the ADMIN key that was made stays in the state."""
    project = project_factory(REPO / "tests" / "programs" / "delivered_admin")
    project.config("venice-e2e:keyFile", str(tmp_path / "admin.key"))
    failed = project.up(check=False)
    assert failed.returncode != 0, failed.stdout
    assert "ApiKey 'managed-by-it': admin_api_key is null" in failed.stdout + failed.stderr
    assert "that key has deliver_to" in failed.stdout + failed.stderr
    assert [k.description for k in managed(emulator)] == ["delivered admin"]
    assert [r["outputs"]["description"] for r in project.resources()] == ["delivered admin"]
    project.destroy()
    assert managed(emulator) == []
