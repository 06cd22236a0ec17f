"""End to end: the real Pulumi CLI (local file backend, no network) runs
programs that use ApiKey against the emulator."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pulumi_venice import VeniceClient
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.venice.models import UpdateApiKeyRequest

from ..support.cli import REPO
from ..support.keys import managed
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

CONFIGURABLE = REPO / "tests" / "programs" / "configurable"
Factory = Callable[..., PulumiProject]


def test_basic_example_up_shows_the_secret_only_when_asked(
    project_factory: Factory, emulator: EmulatorThread, admin_key: str
) -> None:
    project = project_factory(REPO / "examples" / "basic")
    project.preview()
    project.up()
    masked = project.pulumi("stack", "output", "api_key").stdout.strip()
    assert masked == "[secret]"
    secret = project.pulumi(
        "stack", "output", "api_key", "--show-secrets", shows_secrets=True
    ).stdout.strip()
    assert secret.startswith("VENICE_INFERENCE_KEY_")
    (key,) = managed(emulator)
    assert key.secret == secret
    assert key.consumption_limit == {"usd": 25.0, "diem": 5.0, "vcu": None}
    assert (key.limit_period, key.model_privacy) == ("MONTH", "PRIVATE_ONLY")
    assert project.outputs()["key_id"] == key.id
    project.refresh()
    project.preview()
    project.destroy()
    assert managed(emulator) == []
    project.assert_never_shown([secret, admin_key])


def test_update_in_place_keeps_id_and_secret(
    project_factory: Factory, emulator: EmulatorThread, admin_key: str
) -> None:
    project = project_factory(CONFIGURABLE)
    project.config("test:usd", "5")
    project.up()
    before = project.outputs(show_secrets=True)
    project.config("test:description", "renamed by pulumi")
    project.config("test:usd", "7.5")
    project.config("test:limit_period", "LIFETIME")
    preview = project.preview().stdout
    assert "~ 1 to update" in preview and "to replace" not in preview
    project.up()
    after = project.outputs(show_secrets=True)
    assert after == before
    (key,) = managed(emulator)
    assert key.description == "renamed by pulumi"
    assert key.consumption_limit["usd"] == 7.5 and key.limit_period == "LIFETIME"
    project.destroy()
    project.assert_never_shown([before["key_0_secret"], admin_key])


@pytest.mark.parametrize(("setting", "value"), [("test:type", "ADMIN"), ("test:rotation", "2")])
def test_replacement_creates_before_it_deletes(
    project_factory: Factory, emulator: EmulatorThread, admin_key: str, setting: str, value: str
) -> None:
    project = project_factory(CONFIGURABLE)
    project.up()
    old = project.outputs(show_secrets=True)
    project.config(setting, value)
    assert "+-1 to replace" in project.preview().stdout
    emulator.server.journal.clear()
    project.up()
    new = project.outputs(show_secrets=True)
    assert new["key_0_id"] != old["key_0_id"]
    assert new["key_0_secret"] != old["key_0_secret"]
    calls = [(method, path) for method, path, _ in emulator.server.journal]
    created_at = calls.index(("POST", "/api/v1/api_keys"))
    deleted_at = calls.index(("DELETE", f"/api/v1/api_keys?id={old['key_0_id']}"))
    assert created_at < deleted_at, "the new key must exist before the old one is revoked"
    assert [k.id for k in managed(emulator)] == [new["key_0_id"]]
    project.destroy()
    project.assert_never_shown([old["key_0_secret"], new["key_0_secret"], admin_key])


def test_refresh_drops_key_deleted_outside_and_up_recreates_it(
    project_factory: Factory, emulator: EmulatorThread, client: VeniceClient
) -> None:
    project = project_factory(CONFIGURABLE)
    project.up()
    old_id = project.outputs()["key_0_id"]
    client.delete_key(old_id)
    project.refresh()
    assert project.resources() == []
    project.up()
    new_id = project.outputs()["key_0_id"]
    assert new_id != old_id
    assert [k.id for k in managed(emulator)] == [new_id]
    project.destroy()


def test_description_changed_outside_shows_as_drift_and_is_put_back(
    project_factory: Factory, emulator: EmulatorThread, client: VeniceClient
) -> None:
    project = project_factory(CONFIGURABLE)
    project.up()
    key_id = project.outputs()["key_0_id"]
    client.update_key(UpdateApiKeyRequest(id=key_id, description="edited in the dashboard"))
    refreshed = project.refresh("--diff").stdout
    assert "edited in the dashboard" in refreshed
    (resource,) = project.resources()
    assert resource["outputs"]["description"] == "edited in the dashboard"
    assert "~ 1 to update" in project.preview().stdout
    project.up()
    assert client.get_key(key_id).description == "e2e key 0"
    project.destroy()


def test_bad_input_fails_preview_names_the_field_and_creates_nothing(
    project_factory: Factory, emulator: EmulatorThread
) -> None:
    project = project_factory(CONFIGURABLE)
    project.config("test:limit_period", "FORTNIGHT")
    project.config("test:description", "x" * 80)
    failed = project.preview(check=False)
    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert "limit_period must be one of 'EPOCH', 'MONTH' or 'LIFETIME'" in output
    assert "description is 80 characters long; at most 64 are allowed" in output
    assert project.up(check=False).returncode != 0
    assert [m for m, _, _ in emulator.server.journal if m != "GET"] == []
    assert managed(emulator) == []


def test_wrong_admin_key_fails_clearly_without_showing_it(
    project_factory: Factory, emulator: EmulatorThread
) -> None:
    project = project_factory(CONFIGURABLE)
    wrong = "VENICE_ADMIN_KEY_e2e_wrong_0123456789"
    project.config("venice:apiKey", wrong, secret=True)
    failed = project.up(check=False)
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert "The admin key was refused: check venice:apiKey or VENICE_API_KEY" in output
    assert "Traceback" not in output
    assert managed(emulator) == []
    project.assert_never_shown([wrong])


def test_an_existing_key_is_adopted_with_import_id(
    project_factory: Factory, emulator: EmulatorThread, client: VeniceClient
) -> None:
    from pulumi_venice.venice.models import CreateApiKeyRequest

    existing = client.create_key(
        CreateApiKeyRequest(api_key_type="INFERENCE", description="made by hand")
    )
    project = project_factory(REPO / "tests" / "programs" / "adopt")
    project.config("test:importId", existing.id)
    project.config("test:importApiKey", existing.api_key, secret=True)
    project.up()
    outputs = project.outputs(show_secrets=True)
    assert outputs == {"key_id": existing.id, "api_key": existing.api_key}
    assert client.get_key(existing.id).description == "adopted by pulumi"
    assert "to update" not in project.preview().stdout  # adopted, then steady
    project.destroy()
    assert managed(emulator) == []
    project.assert_never_shown([existing.api_key])
