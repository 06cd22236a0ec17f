"""The HTTP client: against the emulator, and (isolated with mock transports)
against answers the emulator would never give."""

from __future__ import annotations

import httpx
import pytest
from pytest_mock import MockerFixture

from pulumi_venice import (
    AuthenticationError,
    InvalidRequestError,
    KeyNotFoundError,
    RateLimitedError,
    ServerError,
    TransportError,
    VeniceClient,
)
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.emulator.backend import AUTH_FAILED as AUTH
from pulumi_venice.venice.models import ConsumptionLimit, CreateApiKeyRequest, UpdateApiKeyRequest
from pulumi_venice.venice.retry import NO_RETRIES, RetryPolicy


def new_key(client: VeniceClient, **fields: object) -> str:
    request = CreateApiKeyRequest.model_validate(
        {"api_key_type": "INFERENCE", "description": "client test", **fields}
    )
    return client.create_key(request).id


def test_create_read_update_list_delete(client: VeniceClient) -> None:
    created = client.create_key(
        CreateApiKeyRequest(
            api_key_type="INFERENCE",
            description="client test",
            consumption_limit=ConsumptionLimit(usd=5, diem=None, vcu=None),
            limit_period="MONTH",
        )
    )
    assert created.api_key.startswith("VENICE_INFERENCE_KEY_")
    record = client.get_key(created.id)
    assert record.last6_chars == created.api_key[-6:]
    assert record.consumption_limits.usd == 5
    assert record.limit_period == "MONTH"
    updated = client.update_key(UpdateApiKeyRequest(id=created.id, description="renamed"))
    assert updated.description == "renamed"
    assert created.id in {k.id for k in client.list_keys()}
    client.delete_key(created.id)
    with pytest.raises(KeyNotFoundError):
        client.get_key(created.id)


def test_secret_is_not_in_repr(client: VeniceClient) -> None:
    created = client.create_key(CreateApiKeyRequest(api_key_type="ADMIN", description="repr test"))
    assert created.api_key.startswith("VENICE_ADMIN_KEY_")
    assert created.api_key not in repr(created)
    assert "api_key=" not in repr(created)


def test_update_can_clear_expiry(client: VeniceClient) -> None:
    key_id = new_key(client, expires_at="2099-01-01")
    assert client.get_key(key_id).expires_at == "2099-01-01T00:00:00.000Z"
    client.update_key(UpdateApiKeyRequest(id=key_id, expires_at=None))
    assert client.get_key(key_id).expires_at is None


def test_missing_key_maps_to_not_found(client: VeniceClient) -> None:
    with pytest.raises(KeyNotFoundError) as raised:
        client.get_key("00000000-0000-0000-0000-000000000000")
    assert raised.value.status == 400
    assert "read API key 00000000-0000-0000-0000-000000000000" in str(raised.value)
    with pytest.raises(KeyNotFoundError):
        client.delete_key("00000000-0000-0000-0000-000000000000")


def test_wrong_key_is_an_authentication_error_without_the_key(
    emulator: EmulatorThread,
) -> None:
    wrong = "VENICE_ADMIN_KEY_wrongwrongwrong"
    with (
        VeniceClient(emulator.base_url, wrong) as bad,
        pytest.raises(AuthenticationError) as raised,
    ):
        bad.list_keys()
    assert raised.value.status == 401
    assert wrong not in str(raised.value)
    # The client speaks in its own terms: no Pulumi setting for a script's key.
    assert str(raised.value).endswith(
        "The API key it was called with was refused, or may not make this call."
    )
    assert "venice:" not in str(raised.value) and "VENICE_API_KEY" not in str(raised.value)


def test_the_caller_says_what_to_check_when_its_key_is_refused(
    emulator: EmulatorThread,
) -> None:
    hint = "Check the key in ~/.venice (it must be an ADMIN key)."
    with (
        VeniceClient(emulator.base_url, "VENICE_ADMIN_KEY_wrong", refused_hint=hint) as bad,
        pytest.raises(AuthenticationError) as raised,
    ):
        bad.list_keys()
    assert str(raised.value) == f"Could not list API keys: Venice answered 401: {AUTH}. {hint}"


def test_no_key_at_all_answers_402(emulator: EmulatorThread) -> None:
    with (
        VeniceClient(emulator.base_url, None) as anonymous,
        pytest.raises(AuthenticationError) as raised,
    ):
        anonymous.list_keys()
    assert raised.value.status == 402


def test_inference_key_cannot_manage_keys(client: VeniceClient, emulator: EmulatorThread) -> None:
    inference = client.create_key(
        CreateApiKeyRequest(api_key_type="INFERENCE", description="not admin")
    )
    with VeniceClient(emulator.base_url, inference.api_key) as weak:
        with pytest.raises(AuthenticationError) as raised:
            weak.list_keys()
        assert raised.value.server_message == "Admin API key required"
        assert weak.rate_limits().access_permitted is True


def test_server_validation_names_the_fields(client: VeniceClient) -> None:
    request = CreateApiKeyRequest.model_construct(api_key_type="INFERENCE", description="x" * 65)
    with pytest.raises(InvalidRequestError) as raised:
        client.create_key(request)
    assert "description" in str(raised.value)


def mock_client(handler: httpx.MockTransport, retry: RetryPolicy = NO_RETRIES) -> VeniceClient:
    return VeniceClient(
        "https://venice.test/api/v1", "VENICE_ADMIN_KEY_mock", transport=handler, retry=retry
    )


@pytest.mark.parametrize(
    ("response", "error", "phrase"),
    [
        (
            httpx.Response(
                502,
                text="<html><body>Bad Gateway</body></html>",
                headers={"content-type": "text/html"},
            ),
            ServerError,
            "text/html answer",
        ),
        (httpx.Response(500, content=b""), ServerError, "empty answer"),
        (
            httpx.Response(200, text="{not json", headers={"content-type": "application/json"}),
            ServerError,
            "not JSON",
        ),
        (httpx.Response(200, json={"data": {"unexpected": True}}), ServerError, "expected shape"),
        (httpx.Response(200, json=[1, 2]), ServerError, "expected shape"),
        (
            httpx.Response(200, text="ok", headers={"content-type": "text/plain"}),
            ServerError,
            "text/plain",
        ),
        (
            httpx.Response(429, json={"error": "slow down"}, headers={"retry-after": "7"}),
            RateLimitedError,
            "Retry after 7 s",
        ),
        (httpx.Response(404, json={"error": "nope"}), KeyNotFoundError, "404"),
    ],
)
def test_bad_answers_give_clear_errors(
    response: httpx.Response, error: type[Exception], phrase: str
) -> None:
    transport = httpx.MockTransport(lambda request: response)
    with mock_client(transport) as venice, pytest.raises(error) as raised:
        venice.get_key("abc")
    message = str(raised.value)
    assert phrase in message
    assert "read API key abc" in message
    assert "<html>" not in message


def test_rate_limit_carries_retry_after() -> None:
    answer = httpx.Response(429, json={"error": "slow down"}, headers={"retry-after": "3"})
    transport = httpx.MockTransport(lambda request: answer)
    with mock_client(transport) as venice, pytest.raises(RateLimitedError) as raised:
        venice.list_keys()
    assert raised.value.retry_after == 3.0


def test_server_text_with_a_secret_is_scrubbed() -> None:
    leaked = "VENICE_ADMIN_KEY_leakedleakedleaked"
    answer = httpx.Response(400, json={"error": f"bad key {leaked}"})
    transport = httpx.MockTransport(lambda request: answer)
    with mock_client(transport) as venice, pytest.raises(InvalidRequestError) as raised:
        venice.list_keys()
    assert leaked not in str(raised.value)
    assert "[redacted]" in str(raised.value)


def test_connection_failures_become_transport_errors(mocker: MockerFixture) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = httpx.MockTransport(refuse)
    with mock_client(transport) as venice, pytest.raises(TransportError) as raised:
        venice.delete_key("k1")
    assert "delete API key k1" in str(raised.value)
    assert raised.value.key_id == "k1"


def test_timeouts_become_transport_errors(mocker: MockerFixture) -> None:
    venice = mock_client(httpx.MockTransport(lambda request: httpx.Response(200)))
    mocker.patch.object(venice._http, "request", side_effect=httpx.ReadTimeout("timed out"))
    with pytest.raises(TransportError, match="did not answer in time"):
        venice.list_keys()


def test_bearer_header_only_on_authenticated_calls() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": {"token": "t"}, "success": True})

    with mock_client(httpx.MockTransport(record)) as venice:
        venice.web3_token()
    assert "authorization" not in seen[0].headers


def test_a_client_without_a_key_calls_the_public_endpoints(emulator: EmulatorThread) -> None:
    with VeniceClient(emulator.base_url) as public:
        assert public.web3_token()
