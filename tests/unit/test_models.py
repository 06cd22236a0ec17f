"""Wire models and settings resolution: unit tests, no I/O."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from pulumi_venice.settings.config import DEFAULT_BASE_URL, resolve_settings
from pulumi_venice.venice.errors import ConfigurationError, scrub
from pulumi_venice.venice.models import (
    ApiKeyRecord,
    ConsumptionLimit,
    CreateApiKeyRequest,
    CreatedApiKey,
    ErrorResponse,
    UpdateApiKeyRequest,
)


def test_requests_are_camel_case_and_skip_unset_fields() -> None:
    request = CreateApiKeyRequest(
        api_key_type="INFERENCE",
        description="d",
        consumption_limit=ConsumptionLimit(usd=1, diem=None, vcu=None),
    )
    assert request.to_wire() == {
        "apiKeyType": "INFERENCE",
        "description": "d",
        "consumptionLimit": {"usd": 1.0, "diem": None, "vcu": None},
    }


def test_update_sends_an_explicit_null_to_clear_expiry() -> None:
    assert UpdateApiKeyRequest(id="k", expires_at=None).to_wire() == {"id": "k", "expiresAt": None}
    assert UpdateApiKeyRequest(id="k").to_wire() == {"id": "k"}


@pytest.mark.parametrize(
    "fields",
    [
        {"description": "x" * 65},
        {"description": "é" * 64 + "🔑"},
        {"api_key_type": "ROOT"},
        {"expires_at": "31/12/2030"},
        {"unknown": 1},
    ],
)
def test_requests_refuse_what_venice_refuses(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CreateApiKeyRequest.model_validate({"api_key_type": "ADMIN", "description": "d", **fields})


def test_responses_ignore_new_fields_and_hide_the_secret() -> None:
    created = CreatedApiKey.model_validate(
        {
            "apiKey": "VENICE_INFERENCE_KEY_hidden",
            "apiKeyType": "INFERENCE",
            "consumptionLimit": {"usd": None, "diem": None, "vcu": None},
            "limitPeriod": "EPOCH",
            "modelPrivacy": "ALL",
            "expiresAt": None,
            "id": "k",
            "brandNewField": True,
        }
    )
    assert "hidden" not in repr(created)


def test_record_renders_without_null_usage_blocks() -> None:
    record = ApiKeyRecord(
        api_key_type="ADMIN",
        consumption_limits=ConsumptionLimit(),
        limit_period="EPOCH",
        model_privacy="ALL",
        created_at=None,
        expires_at=None,
        id="k",
        last6Chars="abcdef",
        last_used_at=None,
    )
    wire = record.to_wire()
    assert wire["last6Chars"] == "abcdef"
    assert "usage" not in wire and "currentPeriodUsage" not in wire
    assert wire["expiresAt"] is None


def test_error_body_omits_missing_details() -> None:
    assert ErrorResponse(error="nope").to_wire() == {"error": "nope"}


def test_scrub_masks_secret_shapes() -> None:
    text = "VENICE_ADMIN_KEY_abc Bearer xyz 0x" + "ab" * 32
    assert scrub(text) == "[redacted] [redacted] [redacted]"
    assert len(scrub("x" * 1000)) == 300


def test_settings_prefer_stack_config_over_environment() -> None:
    env = {"VENICE_API_KEY": "from-env", "VENICE_BASE_URL": "http://env.test/api/v1"}
    settings = resolve_settings({"venice:apiKey": "from-config"}, env)
    assert settings.api_key == "from-config"
    assert settings.base_url == "http://env.test/api/v1"
    assert "from-config" not in repr(settings)
    assert resolve_settings({}, {}).base_url == DEFAULT_BASE_URL


@pytest.mark.parametrize(
    ("config", "phrase"),
    [
        ({"venice:baseUrl": "ftp://x"}, "venice:baseUrl"),
        ({"venice:requestTimeout": "-1"}, "venice:requestTimeout"),
        ({"venice:requestTimeout": "soon"}, "VENICE_REQUEST_TIMEOUT"),
    ],
)
def test_bad_settings_name_the_config_key(config: dict[str, str], phrase: str) -> None:
    with pytest.raises(ConfigurationError, match=phrase):
        resolve_settings(config, {})


def test_missing_api_key_names_config_and_environment() -> None:
    with pytest.raises(ConfigurationError) as raised:
        resolve_settings({}, {}).require_api_key()
    assert "venice:apiKey" in str(raised.value) and "VENICE_API_KEY" in str(raised.value)
