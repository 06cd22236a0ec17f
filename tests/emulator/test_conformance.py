"""Conformance: the emulator's answers and the client's requests, judged by
Venice's own OpenAPI document (read from ../shared, never copied here) with
openapi-core."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from eth_account import Account
from eth_account.messages import encode_defunct
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from pulumi_venice import VeniceClient
from pulumi_venice.emulator import EmulatorThread, Limits, start_emulator
from pulumi_venice.venice.models import (
    ConsumptionLimit,
    CreateApiKeyRequest,
    UpdateApiKeyRequest,
    Web3CreateApiKeyRequest,
)

from ..support.cli import SHARED

# Venice's OpenAPI document is not part of this repository: CI has it in
# ../shared; anyone else points VENICE_OPENAPI_DOCUMENT at a copy, or these
# tests skip (and in CI, where it must be present, a skip fails the run).
DOCUMENT_ENV = "VENICE_OPENAPI_DOCUMENT"
SPEC_PATH = Path(os.environ.get(DOCUMENT_ENV) or SHARED / "venice-openapi-api-keys.yaml")


def openapi_document() -> dict[str, Any]:
    """The document, or a skip (a failure under CI) that says how to provide it."""
    if not SPEC_PATH.is_file():
        reason = f"Venice's OpenAPI document is not at {SPEC_PATH}: set {DOCUMENT_ENV} to it"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI must run the conformance tests)")
        pytest.skip(reason)
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return document


class _Request:
    """An httpx request seen through openapi-core's Request protocol."""

    def __init__(self, request: httpx.Request) -> None:
        url = request.url
        self.host_url = f"{url.scheme}://{url.netloc.decode()}"
        self.path = url.path
        self.method = request.method.lower()
        self.body: bytes | None = request.content or None
        self.content_type = request.headers.get("content-type", "")
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(url.params.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
            path={},
        )


class _Response:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.content_type = response.headers.get("content-type", "")
        self.headers = Headers(list(response.headers.items()))
        self.data: bytes | None = response.content


@dataclass
class Judge:
    """Validates every exchange that passes through its transport."""

    openapi: OpenAPI
    judged: list[tuple[str, str, int]] = field(default_factory=list)

    def transport(self) -> httpx.BaseTransport:
        inner = httpx.HTTPTransport()
        judge = self

        class Judging(httpx.BaseTransport):
            def handle_request(self, request: httpx.Request) -> httpx.Response:
                judge.openapi.validate_request(_Request(request))
                response = inner.handle_request(request)
                response.read()
                judge.openapi.validate_response(_Request(request), _Response(response))
                judge.judged.append((request.method, request.url.path, response.status_code))
                return response

        return Judging()


@pytest.fixture
def judged_emulator(admin_key: str) -> Iterator[tuple[EmulatorThread, Judge]]:
    spec = openapi_document()
    with start_emulator([admin_key], limits=Limits(4, 60.0, 500)) as emu:
        spec["servers"] = [{"url": emu.base_url}]
        yield emu, Judge(OpenAPI.from_dict(spec))


def test_every_operation_conforms(
    judged_emulator: tuple[EmulatorThread, Judge], admin_key: str
) -> None:
    emu, judge = judged_emulator
    with VeniceClient(emu.base_url, admin_key) as client:
        client._http._transport = judge.transport()  # judge the real client's own requests
        created = client.create_key(
            CreateApiKeyRequest(
                api_key_type="INFERENCE",
                description="conformance",
                expires_at="2099-01-01T00:00:00.000Z",
                consumption_limit=ConsumptionLimit(usd=10, diem=None, vcu=None),
                limit_period="MONTH",
                model_privacy="PRIVATE_TEXT",
            )
        )
        # The key spends (a consumer's chat), so its usage blocks are judged non-zero.
        spent = httpx.post(
            f"{emu.base_url}/chat/completions",
            json={"model": "llama-3.3-70b", "messages": [{"role": "user", "content": "x" * 4000}]},
            headers={"Authorization": f"Bearer {created.api_key}"},
        )
        assert spent.status_code == 200
        usage = client.get_key(created.id).current_period_usage
        assert usage is not None and float(usage.diem) > 0
        client.list_keys()
        client.update_key(
            UpdateApiKeyRequest(
                id=created.id,
                description="renamed",
                expires_at=None,
                consumption_limit=ConsumptionLimit(usd=None, diem=3, vcu=None),
            )
        )
        client.rate_limits()
        token = client.web3_token()
        wallet = Account.from_key("0x" + secrets.token_hex(32))
        signature = wallet.sign_message(encode_defunct(text=token)).signature.hex()
        client.create_web3_key(
            Web3CreateApiKeyRequest(
                address=wallet.address,
                token=token,
                api_key_type="INFERENCE",
                signature=signature if signature.startswith("0x") else "0x" + signature,
            )
        )
        emu.server.backend.record_rate_limit_event(created.id, "zai-org-glm-5-1", "RPM")
        assert len(client.rate_limit_log()) == 1  # a log with an entry, judged too
        client.delete_key(created.id)
    operations = {(method, path.split("/api/v1")[1]) for method, path, _ in judge.judged}
    assert operations >= {
        ("POST", "/api_keys"),
        ("GET", f"/api_keys/{created.id}"),
        ("GET", "/api_keys"),
        ("PATCH", "/api_keys"),
        ("DELETE", "/api_keys"),
        ("GET", "/api_keys/rate_limits"),
        ("GET", "/api_keys/rate_limits/log"),
        ("GET", "/api_keys/generate_web3_key"),
        ("POST", "/api_keys/generate_web3_key"),
    }
    assert all(status == 200 for _, _, status in judge.judged)


def test_error_answers_conform(
    judged_emulator: tuple[EmulatorThread, Judge], admin_key: str
) -> None:
    emu, judge = judged_emulator
    bearer = {"Authorization": f"Bearer {admin_key}"}
    with httpx.Client(transport=judge.transport(), base_url=emu.base_url + "/") as raw:
        raw.get("api_keys", headers={"Authorization": "Bearer VENICE_ADMIN_KEY_nobody"})
        raw.delete("api_keys", params={"id": "missing"}, headers=bearer)
        too_long = {"apiKeyType": "INFERENCE", "description": "d" * 64}
        for _ in range(4):
            raw.post("api_keys", json=too_long, headers=bearer)
        raw.post("api_keys", json=too_long, headers=bearer)  # the fifth: rate limited
    statuses = [status for _, _, status in judge.judged]
    assert statuses == [401, 400, 200, 200, 200, 200, 429]
