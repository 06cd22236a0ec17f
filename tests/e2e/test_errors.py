"""End to end with the real CLI: what a new user trips on says what to do.

A missing admin key fails at preview, with the stdin form of the fix; a
misspelled setting is named with the likely one; a key deleted outside Pulumi
points to refresh; a base URL without /api/v1 points to the setting; a data
function fails with its sentence and no traceback; ``import_`` points to
``import_id``; and ``ApiKey.get`` reads an existing key into a program.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pulumi_venice import VeniceClient
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.venice.models import CreateApiKeyRequest

from ..support.cli import REPO
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

PROGRAMS = REPO / "tests" / "programs"
Factory = Callable[..., PulumiProject]


def output_of(done: object) -> str:
    return f"{getattr(done, 'stdout', '')}{getattr(done, 'stderr', '')}"


def test_a_missing_admin_key_fails_at_preview_and_a_misspelled_one_is_named(
    project_factory: Factory, emulator: EmulatorThread, admin_key: str
) -> None:
    project = project_factory(PROGRAMS / "configurable")
    project.pulumi("config", "rm", "venice:apiKey")
    project.config("venice:apikey", admin_key, secret=True)  # a typo: lower-case k
    done = project.preview(check=False)
    shown = output_of(done)
    assert done.returncode != 0
    assert "No Venice admin API key is configured" in shown
    assert "`pulumi config set --secret venice:apiKey` and paste the key" in shown
    assert "venice:apikey is not a setting of pulumi-venice" in shown
    assert "did you mean venice:apiKey?" in shown
    assert emulator.server.api_requests == 0
    project.assert_never_shown([admin_key])


def test_a_key_deleted_outside_then_up_says_to_refresh(
    project_factory: Factory, client: VeniceClient
) -> None:
    project = project_factory(PROGRAMS / "configurable")
    project.up()
    client.delete_key(project.outputs()["key_0_id"])
    project.config("test:description", "renamed")
    shown = output_of(project.up(check=False))
    assert "API key not found" in shown
    assert "run `pulumi refresh` (or `pulumi up --refresh`)" in shown
    project.refresh()
    project.up()  # a new key
    project.destroy()


def test_a_base_url_without_api_v1_says_which_setting_to_check(
    project_factory: Factory, emulator: EmulatorThread
) -> None:
    project = project_factory(PROGRAMS / "configurable")
    project.config("venice:baseUrl", emulator.base_url.removesuffix("/api/v1"))
    shown = output_of(project.up(check=False))
    assert "Venice answered 404" in shown
    assert "Check venice:baseUrl or VENICE_BASE_URL: Venice's API is under /api/v1" in shown


def test_a_data_function_fails_with_its_sentence_and_no_traceback(
    project_factory: Factory,
) -> None:
    project = project_factory(PROGRAMS / "functions")
    project.config("venice:apiKey", "VENICE_ADMIN_KEY_notthekey", secret=True)
    done = project.preview(check=False)
    shown = output_of(done)
    assert done.returncode != 0
    assert "The admin key was refused: check venice:apiKey or VENICE_API_KEY" in shown
    assert "Traceback" not in shown and "tenacity" not in shown


def test_get_reads_an_existing_key_and_import_option_points_to_import_id(
    project_factory: Factory, client: VeniceClient, emulator: EmulatorThread
) -> None:
    existing = client.create_key(
        CreateApiKeyRequest(api_key_type="INFERENCE", description="made elsewhere")
    )
    project = project_factory(PROGRAMS / "existing")
    project.config("test:keyId", existing.id)
    project.config("test:mode", "get")
    project.up()
    outputs = project.outputs()
    assert outputs["description"] == "made elsewhere"
    assert outputs["last6"] == existing.api_key[-6:]
    project.destroy()  # a key read with get is not the stack's: it stays
    assert existing.id in {k.id for k in emulator.server.backend.all_keys()}

    project.config("test:mode", "import")
    done = project.preview(check=False)
    shown = output_of(done)
    assert done.returncode != 0
    assert f"Adopt it with import_id='{existing.id}'" in shown
    assert "Traceback" not in shown
