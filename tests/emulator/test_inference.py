"""The emulator's inference side, proved with the official ``openai`` client
(a consumer no one here wrote) over real HTTP: models, chat (plain and
streamed), authentication, model privacy, spending caps per limit period,
account balances, per-model rate limits and the control endpoints."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import openai
import pytest

from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.emulator.inference import (
    CATALOGUE,
    ChatRequest,
    Currency,
    count_tokens,
    reply_to,
)
from pulumi_venice.emulator.spending import choose_payment

CHEAP_MODEL = "llama-3.2-3b"
ANONYMIZED_MODEL = "claude-opus-4-5"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def new_key(emulator: EmulatorThread, admin_key: str, **settings: Any) -> tuple[str, str]:
    """A fresh INFERENCE key: (id, secret)."""
    body = {"apiKeyType": "INFERENCE", "description": "inference test", **settings}
    answer = httpx.post(f"{emulator.base_url}/api_keys", json=body, headers=auth(admin_key))
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    return data["id"], data["apiKey"]


def consumer(emulator: EmulatorThread, secret: str) -> openai.OpenAI:
    """The openai client as a user points it at Venice (no retries: every answer counts)."""
    return openai.OpenAI(api_key=secret, base_url=emulator.base_url, max_retries=0)


def ask(client: openai.OpenAI, model: str = CHEAP_MODEL, text: str = "Hello") -> str:
    answer = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": text}]
    )
    return answer.choices[0].message.content or ""


def refusal(call: Any) -> tuple[int, dict[str, Any]]:
    """The status and body of the error a call raises."""
    with pytest.raises(openai.APIStatusError) as caught:
        call()
    return caught.value.status_code, caught.value.response.json()


def read_key(emulator: EmulatorThread, admin_key: str, key_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{emulator.base_url}/api_keys/{key_id}", headers=auth(admin_key))
    data: dict[str, Any] = answer.json()["data"]
    return data


def test_models_are_public_and_cover_the_rate_limited_ones(
    emulator: EmulatorThread, admin_key: str
) -> None:
    listed = openai.OpenAI(api_key="anything", base_url=emulator.base_url).models.list()
    text_ids = {m.id for m in listed.data}
    assert CHEAP_MODEL in text_ids and ANONYMIZED_MODEL in text_ids
    every = httpx.get(f"{emulator.base_url}/models", params={"type": "all"}).json()["data"]
    privacies = {m["model_spec"]["privacy"] for m in every}
    assert privacies == {"private", "anonymized"}
    assert all(m["model_spec"]["pricing"]["input"]["usd"] >= 0 for m in every)
    limits = httpx.get(f"{emulator.base_url}/api_keys/rate_limits", headers=auth(admin_key))
    limited = {entry["apiModelId"] for entry in limits.json()["data"]["rateLimits"]}
    assert limited <= {m["id"] for m in every}


def test_a_chat_answers_deterministically_with_usage(
    emulator: EmulatorThread, admin_key: str
) -> None:
    key_id, secret = new_key(emulator, admin_key)
    client = consumer(emulator, secret)
    first = client.chat.completions.create(
        model=CHEAP_MODEL, messages=[{"role": "user", "content": "What is Venice?"}]
    )
    again = client.chat.completions.create(
        model=CHEAP_MODEL, messages=[{"role": "user", "content": "What is Venice?"}]
    )
    assert first.choices[0].message.content == again.choices[0].message.content
    assert "What is Venice?" in (first.choices[0].message.content or "")
    assert first.usage is not None
    assert first.usage.prompt_tokens == count_tokens("What is Venice?")
    assert first.usage.total_tokens == first.usage.prompt_tokens + first.usage.completion_tokens
    # The spending shows in the key's read answer, shaped as the API document says
    # (decimal strings with four places: a costlier model makes it visible).
    ask(client, ANONYMIZED_MODEL)
    week = read_key(emulator, admin_key, key_id)["usage"]["trailingSevenDays"]
    assert float(week["diem"]) > 0 or float(week["usd"]) > 0
    assert read_key(emulator, admin_key, key_id)["lastUsedAt"] is not None


def test_streamed_chat_with_usage(emulator: EmulatorThread, admin_key: str) -> None:
    _, secret = new_key(emulator, admin_key)
    stream = consumer(emulator, secret).chat.completions.create(
        model=CHEAP_MODEL,
        messages=[{"role": "user", "content": "stream please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == ask(consumer(emulator, secret), text="stream please")
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_max_tokens_cuts_the_reply(emulator: EmulatorThread, admin_key: str) -> None:
    _, secret = new_key(emulator, admin_key)
    answer = consumer(emulator, secret).chat.completions.create(
        model=CHEAP_MODEL, messages=[{"role": "user", "content": "a long answer"}], max_tokens=3
    )
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage is not None and answer.usage.completion_tokens == 3


@pytest.mark.parametrize("how", ["revoked", "expired", "unknown", "none"])
def test_a_key_that_does_not_work_gets_401_authentication_failed(
    emulator: EmulatorThread, admin_key: str, how: str
) -> None:
    key_id, secret = new_key(emulator, admin_key, expiresAt="2099-01-01")
    if how == "revoked":
        httpx.delete(
            f"{emulator.base_url}/api_keys", params={"id": key_id}, headers=auth(admin_key)
        )
    elif how == "expired":
        emulator.server.backend.set_clock_offset(timedelta(days=365 * 80))
    elif how == "unknown":
        secret = "VENICE_INFERENCE_KEY_" + "x" * 42
    if how == "none":
        answer = httpx.post(
            f"{emulator.base_url}/chat/completions",
            json={"model": CHEAP_MODEL, "messages": [{"role": "user", "content": "hi"}]},
        )
        status, body = answer.status_code, answer.json()
    else:
        status, body = refusal(lambda: ask(consumer(emulator, secret)))
    assert status == 401
    assert body == {"error": "Authentication failed", "code": "AUTHENTICATION_FAILED"}


@pytest.mark.parametrize("privacy", ["PRIVATE_ONLY", "PRIVATE_TEXT"])
def test_model_privacy_restricts_anonymized_text_models(
    emulator: EmulatorThread, admin_key: str, privacy: str
) -> None:
    _, secret = new_key(emulator, admin_key, modelPrivacy=privacy)
    client = consumer(emulator, secret)
    assert ask(client, CHEAP_MODEL)  # a private model
    status, body = refusal(lambda: ask(client, ANONYMIZED_MODEL))
    assert status == 403 and body["code"] == "MODEL_PRIVACY_RESTRICTED"
    assert privacy in body["error"] and ANONYMIZED_MODEL in body["error"]
    _, open_secret = new_key(emulator, admin_key, modelPrivacy="ALL")
    assert ask(consumer(emulator, open_secret), ANONYMIZED_MODEL)


def test_unknown_and_non_text_models(emulator: EmulatorThread, admin_key: str) -> None:
    client = consumer(emulator, new_key(emulator, admin_key)[1])
    status, body = refusal(lambda: ask(client, "no-such-model"))
    assert (status, body["code"]) == (404, "MODEL_NOT_FOUND")
    status, body = refusal(lambda: ask(client, "venice-sd35"))
    assert (status, body["code"]) == (400, "INVALID_MODEL")
    answer = httpx.post(
        f"{emulator.base_url}/chat/completions",
        json={"model": CHEAP_MODEL, "messages": []},
        headers=auth(new_key(emulator, admin_key)[1]),
    )
    assert answer.status_code == 400 and "messages" in answer.json()["details"]


def spend_until_refused(client: openai.OpenAI, limit: int = 500) -> tuple[int, int, dict[str, Any]]:
    """Calls until one is refused: (calls that worked, status, body of the refusal)."""
    for worked in range(limit):
        try:
            ask(client)
        except openai.APIStatusError as refused:
            return worked, refused.status_code, refused.response.json()
    raise AssertionError(f"{limit} calls and no refusal")


def test_usd_cap_bites_then_raising_it_lets_calls_through(
    emulator: EmulatorThread, admin_key: str
) -> None:
    # DIEM capped at 0: the key pays in USD only (the account pays DIEM first).
    key_id, secret = new_key(emulator, admin_key, consumptionLimit={"usd": 0.0001, "diem": 0})
    client = consumer(emulator, secret)
    worked, status, body = spend_until_refused(client)
    model = {m.id: m for m in CATALOGUE}[CHEAP_MODEL]
    reply = reply_to(
        ChatRequest.model_validate(
            {"model": CHEAP_MODEL, "messages": [{"role": "user", "content": "Hello"}]}
        )
    )
    per_call = model.cost(reply.prompt_tokens, reply.completion_tokens, "usd")
    assert worked == -(-0.0001 // per_call)  # calls until the spending reached the cap
    assert status == 402 and body["code"] == "API_KEY_USD_SPEND_LIMIT_EXCEEDED"
    period = read_key(emulator, admin_key, key_id)["currentPeriodUsage"]
    assert float(period["usd"]) >= 0.0001 and period["diem"] == "0.0000"
    patched = httpx.patch(
        f"{emulator.base_url}/api_keys",
        json={"id": key_id, "consumptionLimit": {"usd": 1, "diem": 0}},
        headers=auth(admin_key),
    )
    assert patched.status_code == 200
    assert ask(client)


def test_diem_cap_bites_when_usd_is_capped_at_zero(
    emulator: EmulatorThread, admin_key: str
) -> None:
    _, secret = new_key(emulator, admin_key, consumptionLimit={"usd": 0, "diem": 0.0001})
    worked, status, body = spend_until_refused(consumer(emulator, secret))
    assert worked > 0
    assert status == 402 and body["code"] == "API_KEY_DIEM_SPEND_LIMIT_EXCEEDED"


def test_a_key_capped_at_zero_in_both_can_spend_nothing(
    emulator: EmulatorThread, admin_key: str
) -> None:
    _, secret = new_key(emulator, admin_key, consumptionLimit={"usd": 0, "diem": 0})
    status, body = refusal(lambda: ask(consumer(emulator, secret)))
    assert status == 402 and body["code"] == "API_KEY_USD_SPEND_LIMIT_EXCEEDED"


def test_the_account_pays_diem_first_then_usd_then_is_refused(
    emulator: EmulatorThread, admin_key: str
) -> None:
    control = emulator.base_url.replace("/api/v1", "/_emulator")
    key_id, secret = new_key(emulator, admin_key)
    client = consumer(emulator, secret)
    ask(client)
    usage = httpx.get(f"{control}/usage", params={"keyId": key_id}).json()["data"][0]
    assert usage["lifetime"]["diem"] > 0 and usage["lifetime"]["usd"] == 0
    httpx.post(f"{control}/balances", json={"diem": 0})
    ask(client)
    usage = httpx.get(f"{control}/usage", params={"keyId": key_id}).json()["data"][0]
    assert usage["lifetime"]["usd"] > 0
    httpx.post(f"{control}/balances", json={"usd": 0, "diem": 0})
    status, body = refusal(lambda: ask(client))
    assert status == 402 and body["code"] == "INSUFFICIENT_BALANCE"
    balances = httpx.get(f"{emulator.base_url}/api_keys/rate_limits", headers=auth(secret))
    assert balances.json()["data"]["balances"] == {"USD": 0, "DIEM": 0}
    # Resetting usage restores the default balances and forgets the spending.
    reset = httpx.delete(f"{control}/usage").json()["data"]
    assert all(entry["lifetime"] == {"usd": 0, "diem": 0} for entry in reset)
    assert ask(client)


@pytest.mark.parametrize(
    ("period", "jump", "resets"),
    [
        ("EPOCH", timedelta(days=1), True),
        ("MONTH", timedelta(days=1), False),
        ("MONTH", timedelta(days=32), True),
        ("LIFETIME", timedelta(days=400), False),
    ],
)
def test_caps_count_per_limit_period(
    emulator: EmulatorThread, admin_key: str, period: str, jump: timedelta, resets: bool
) -> None:
    backend = emulator.server.backend
    backend.set_clock_offset(-timedelta(hours=backend.now().hour, minutes=1))  # early in a day
    backend.set_clock_offset(
        backend.clock_offset - timedelta(days=backend.now().day - 1)
    )  # ... on the 1st of a month
    _, secret = new_key(
        emulator, admin_key, consumptionLimit={"usd": 0.00001, "diem": 0}, limitPeriod=period
    )
    client = consumer(emulator, secret)
    spend_until_refused(client)
    backend.set_clock_offset(backend.clock_offset + jump)
    if resets:
        assert ask(client)
    else:
        status, body = refusal(lambda: ask(client))
        assert body["code"] == "API_KEY_USD_SPEND_LIMIT_EXCEEDED" and status == 402


def test_a_model_rate_limit_answers_429_and_lands_in_the_log(
    emulator: EmulatorThread, admin_key: str
) -> None:
    control = emulator.base_url.replace("/api/v1", "/_emulator")
    assert httpx.post(f"{control}/model-limits", json={"model": CHEAP_MODEL, "RPM": 3}).is_success
    key_id, secret = new_key(emulator, admin_key)
    client = consumer(emulator, secret)
    answered = client.chat.completions.with_raw_response.create(
        model=CHEAP_MODEL, messages=[{"role": "user", "content": "hi"}]
    )
    assert answered.headers["x-ratelimit-limit-requests"] == "3"
    assert answered.headers["x-ratelimit-remaining-requests"] == "2"
    ask(client)
    ask(client)
    status, body = refusal(lambda: ask(client))
    assert status == 429 and body["code"] == "RATE_LIMIT_EXCEEDED"
    log = httpx.get(f"{emulator.base_url}/api_keys/rate_limits/log", headers=auth(admin_key))
    event = log.json()["data"][0]
    assert (event["apiKeyId"], event["modelId"], event["rateLimitType"]) == (
        key_id,
        CHEAP_MODEL,
        "RPM",
    )
    assert ask(client, "venice-uncensored")  # the limit is per model
    limits = httpx.get(f"{emulator.base_url}/api_keys/rate_limits", headers=auth(secret))
    reported = {e["apiModelId"]: e["rateLimits"] for e in limits.json()["data"]["rateLimits"]}
    assert reported[CHEAP_MODEL] == [{"amount": 3, "type": "RPM"}]


def test_the_openai_client_retries_a_429_and_succeeds(
    emulator: EmulatorThread, admin_key: str
) -> None:
    """Retry-After on the 429 is honoured by a client no one here wrote."""
    emulator.server.faults.update({"fail": [{"status": 429, "count": 1, "path_prefix": "/chat"}]})
    _, secret = new_key(emulator, admin_key)
    retrying = openai.OpenAI(api_key=secret, base_url=emulator.base_url, max_retries=2)
    assert ask(retrying)


def test_payment_rules() -> None:
    rich: dict[Currency, float] = {"usd": 10.0, "diem": 10.0}
    assert choose_payment({"usd": None, "diem": None}, {"usd": 0, "diem": 0}, rich).currency == (
        "diem"
    )
    assert choose_payment({"usd": None, "diem": 1.0}, {"usd": 0, "diem": 1.0}, rich).currency == (
        "usd"
    )
    refused = choose_payment({"usd": 1.0, "diem": 2.0}, {"usd": 1.0, "diem": 2.0}, rich)
    assert refused.refusal == "API_KEY_DIEM_SPEND_LIMIT_EXCEEDED"  # the larger budget
    broke = choose_payment(
        {"usd": None, "diem": None}, {"usd": 0, "diem": 0}, {"usd": 0, "diem": 0}
    )
    assert broke.refusal == "INSUFFICIENT_BALANCE"
