"""The emulator's rules, over HTTP: auth, error bodies, limits, expiry,
persistence, Web3 sign-in, fault injection, and its command line."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct

from pulumi_venice.emulator import EmulatorThread, Limits, start_emulator

from ..support.processes import EmulatorProcess


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def create(base_url: str, key: str, **body: Any) -> httpx.Response:
    payload = {"apiKeyType": "INFERENCE", "description": "emulator test", **body}
    return httpx.post(f"{base_url}/api_keys", json=payload, headers=auth(key))


def test_create_answer_has_the_secret_once(emulator: EmulatorThread, admin_key: str) -> None:
    answer = create(emulator.base_url, admin_key)
    assert answer.status_code == 200
    data = answer.json()["data"]
    assert data["apiKey"].startswith("VENICE_INFERENCE_KEY_")
    assert answer.json()["success"] is True
    read = httpx.get(f"{emulator.base_url}/api_keys/{data['id']}", headers=auth(admin_key))
    assert "apiKey" not in read.json()["data"]
    assert read.json()["data"]["last6Chars"] == data["apiKey"][-6:]
    listed = httpx.get(f"{emulator.base_url}/api_keys", headers=auth(admin_key)).json()
    assert listed["object"] == "list"
    assert all("apiKey" not in k for k in listed["data"])


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({}, 402, None),
        ({"Authorization": "Bearer VENICE_ADMIN_KEY_unknown"}, 401, "Authentication failed"),
        ({"Authorization": "Basic abc"}, 401, "Authentication failed"),
    ],
)
def test_authentication(
    emulator: EmulatorThread, headers: dict[str, str], status: int, error: str | None
) -> None:
    answer = httpx.get(f"{emulator.base_url}/api_keys", headers=headers)
    assert answer.status_code == status
    assert isinstance(answer.json()["error"], str)
    if error:
        assert answer.json()["error"] == error


def test_inference_keys_get_admin_required(emulator: EmulatorThread, admin_key: str) -> None:
    inference = create(emulator.base_url, admin_key).json()["data"]["apiKey"]
    for method, path in [
        ("GET", "/api_keys"),
        ("POST", "/api_keys"),
        ("PATCH", "/api_keys"),
        ("DELETE", "/api_keys?id=x"),
        ("GET", "/api_keys/rate_limits/log"),
    ]:
        answer = httpx.request(method, emulator.base_url + path, headers=auth(inference), json={})
        assert answer.status_code == 401, (method, path)
        assert answer.json() == {"error": "Admin API key required"}
    limits = httpx.get(f"{emulator.base_url}/api_keys/rate_limits", headers=auth(inference))
    assert limits.status_code == 200


def test_unknown_and_expired_ids_answer_400_not_found(
    emulator: EmulatorThread, admin_key: str
) -> None:
    answer = httpx.get(f"{emulator.base_url}/api_keys/nope", headers=auth(admin_key))
    assert (answer.status_code, answer.json()) == (400, {"error": "API key not found"})
    gone = httpx.delete(
        f"{emulator.base_url}/api_keys", params={"id": "nope"}, headers=auth(admin_key)
    )
    assert gone.status_code == 400 and "could not be found" in gone.json()["error"]
    soon = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 2))
    key = create(emulator.base_url, admin_key, expiresAt=soon).json()["data"]
    time.sleep(2.1)
    expired = httpx.get(f"{emulator.base_url}/api_keys/{key['id']}", headers=auth(admin_key))
    assert expired.status_code == 400
    listed = httpx.get(f"{emulator.base_url}/api_keys", headers=auth(admin_key)).json()["data"]
    assert key["id"] not in {k["id"] for k in listed}
    refused = httpx.get(f"{emulator.base_url}/api_keys/rate_limits", headers=auth(key["apiKey"]))
    assert refused.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "x" * 65}, "description"),
        ({"description": "🔑" * 33}, "description"),
        ({"apiKeyType": "ROOT"}, "apiKeyType"),
        ({"limitPeriod": "WEEK"}, "limitPeriod"),
        ({"consumptionLimit": {"usd": -1}}, "consumptionLimit"),
        ({"expiresAt": "tomorrow"}, "expiresAt"),
        ({"expiresAt": "2001-01-01"}, "expiresAt"),
    ],
)
def test_bad_bodies_get_detailed_errors(
    emulator: EmulatorThread, admin_key: str, body: dict[str, Any], field: str
) -> None:
    answer = create(emulator.base_url, admin_key, **body)
    assert answer.status_code == 400
    assert answer.json()["details"][field]["_errors"]


def test_unknown_fields_are_refused(emulator: EmulatorThread, admin_key: str) -> None:
    answer = create(emulator.base_url, admin_key, ipAllowlist=["10.0.0.0/8"])
    assert answer.status_code == 400
    assert "ipAllowlist" in answer.json()["details"]["_errors"][0]
    key_id = create(emulator.base_url, admin_key).json()["data"]["id"]
    patch = httpx.patch(
        f"{emulator.base_url}/api_keys",
        headers=auth(admin_key),
        json={"id": key_id, "apiKeyType": "ADMIN"},
    )
    assert patch.status_code == 400


def test_malformed_json_is_a_400(emulator: EmulatorThread, admin_key: str) -> None:
    answer = httpx.post(
        f"{emulator.base_url}/api_keys",
        content=b"{oops",
        headers={**auth(admin_key), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400 and answer.json()["error"]


def test_creation_rate_limit_answers_429_with_retry_after(admin_key: str) -> None:
    with start_emulator([admin_key], limits=Limits(3, 2.0, 500)) as emu:
        assert [create(emu.base_url, admin_key).status_code for _ in range(3)] == [200] * 3
        limited = create(emu.base_url, admin_key)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 2
        time.sleep(float(limited.headers["Retry-After"]) + 0.1)
        assert create(emu.base_url, admin_key).status_code == 200


def test_active_key_limit(admin_key: str) -> None:
    with start_emulator([admin_key], limits=Limits(100, 60.0, 3)) as emu:
        # the admin key itself is one of the three active keys
        assert [create(emu.base_url, admin_key).status_code for _ in range(2)] == [200, 200]
        refused = create(emu.base_url, admin_key)
        assert refused.status_code == 400 and "Maximum number" in refused.json()["error"]


def test_state_file_keeps_keys_across_restarts(tmp_path: Path, admin_key: str) -> None:
    state = tmp_path / "venice.json"
    with EmulatorProcess("--admin-key", admin_key, "--state", str(state)) as first:
        made = create(first.base_url, admin_key).json()["data"]
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    with EmulatorProcess("--admin-key", admin_key, "--state", str(state)) as second:
        again = httpx.get(f"{second.base_url}/api_keys/{made['id']}", headers=auth(admin_key))
        assert again.status_code == 200
        works = httpx.get(f"{second.base_url}/api_keys/rate_limits", headers=auth(made["apiKey"]))
        assert works.status_code == 200


def test_command_line_prints_base_url_first(admin_key: str) -> None:
    with EmulatorProcess("--admin-key", admin_key) as emu:
        assert emu.base_url.endswith("/api/v1")
        assert httpx.get(emu.control_url + "/health").json() == {"ok": True}


@pytest.mark.parametrize(
    ("problem", "said"),
    [
        ("port in use", "cannot listen on 127.0.0.1:"),
        ("state not JSON", "is not an emulator state file (JSONDecodeError"),
        ("state of another shape", "holds entries this emulator cannot read"),
        ("state folder missing", "is missing or not writable"),
        ("bad clock offset", "--clock-offset must be a duration"),
    ],
)
def test_start_up_errors_are_one_line_and_a_non_zero_exit(
    tmp_path: Path, admin_key: str, problem: str, said: str
) -> None:
    args = ["--admin-key", admin_key]
    state = tmp_path / "state.json"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        if problem == "port in use":
            args += ["--port", str(taken.getsockname()[1])]
        elif problem == "state not JSON":
            state.write_text("{not json")
            args += ["--state", str(state)]
        elif problem == "state of another shape":
            state.write_text('{"keys": [{"id": "x", "unknown": 1}]}')
            args += ["--state", str(state)]
        elif problem == "state folder missing":
            args += ["--state", str(tmp_path / "nowhere" / "state.json")]
        else:
            args += ["--clock-offset", "soon"]
        done = subprocess.run(
            [sys.executable, "-m", "pulumi_venice.emulator.cli", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 2
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("venice-emulator: ") and said in line, line


def test_fault_fail_next_and_html(emulator: EmulatorThread, admin_key: str) -> None:
    emulator.server.faults.update(
        {"fail": [{"status": 502, "count": 2, "method": "GET"}], "html_errors": True}
    )
    first = httpx.get(f"{emulator.base_url}/api_keys", headers=auth(admin_key))
    assert first.status_code == 502 and first.headers["content-type"].startswith("text/html")
    assert create(emulator.base_url, admin_key).status_code == 200  # POST does not match
    assert httpx.get(f"{emulator.base_url}/api_keys", headers=auth(admin_key)).status_code == 502
    assert httpx.get(f"{emulator.base_url}/api_keys", headers=auth(admin_key)).status_code == 200


def test_fault_drop_create_response_commits_the_key(
    emulator: EmulatorThread, admin_key: str
) -> None:
    emulator.server.faults.update({"drop_create_responses": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        create(emulator.base_url, admin_key, description="lost answer")
    listed = httpx.get(f"{emulator.base_url}/api_keys", headers=auth(admin_key)).json()["data"]
    assert [k["description"] for k in listed].count("lost answer") == 1
    assert create(emulator.base_url, admin_key).status_code == 200


def test_a_fault_aims_at_the_nth_call_of_one_path(emulator: EmulatorThread, admin_key: str) -> None:
    emulator.server.faults.update(
        {"fail": [{"status": 503, "method": "GET", "path": "/api_keys", "skip": 1}]}
    )
    listing = f"{emulator.base_url}/api_keys"
    limits = f"{emulator.base_url}/api_keys/rate_limits"
    assert httpx.get(limits, headers=auth(admin_key)).status_code == 200  # another path
    assert httpx.get(listing, headers=auth(admin_key)).status_code == 200  # the first passes
    assert httpx.get(listing, headers=auth(admin_key)).status_code == 503  # the second fails
    assert httpx.get(listing, headers=auth(admin_key)).status_code == 200  # once


def test_a_dropped_answer_is_carried_out_first(emulator: EmulatorThread, admin_key: str) -> None:
    made = create(emulator.base_url, admin_key, description="to be revoked").json()["data"]
    emulator.server.faults.update({"fail": [{"method": "DELETE", "drop_answer": True}]})
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.delete(f"{emulator.base_url}/api_keys?id={made['id']}", headers=auth(admin_key))
    listed = httpx.get(f"{emulator.base_url}/api_keys", headers=auth(admin_key)).json()["data"]
    assert made["id"] not in [k["id"] for k in listed]  # the DELETE took effect


def test_fault_latency_and_error_rate(admin_key: str) -> None:
    with EmulatorProcess(
        "--admin-key", admin_key, "--latency-ms", "150", "--error-rate", "1.0"
    ) as emu:
        started = time.monotonic()
        answer = httpx.get(f"{emu.base_url}/api_keys", headers=auth(admin_key))
        assert time.monotonic() - started >= 0.15
        assert answer.status_code in (500, 502, 503)
        emu.set_faults(error_rate=0.0, latency_ms=0)
        assert httpx.get(f"{emu.base_url}/api_keys", headers=auth(admin_key)).status_code == 200


def wallet_sign(base_url: str, private_key: str) -> dict[str, str]:
    token = httpx.get(f"{base_url}/api_keys/generate_web3_key").json()["data"]["token"]
    account = Account.from_key(private_key)
    signature = account.sign_message(encode_defunct(text=token)).signature.hex()
    return {
        "address": account.address,
        "token": token,
        "signature": signature if signature.startswith("0x") else "0x" + signature,
    }


def test_web3_key_creation_and_refusals(admin_key: str) -> None:
    staked = "0x" + secrets.token_hex(32)
    other = "0x" + secrets.token_hex(32)
    address = Account.from_key(staked).address
    with start_emulator([admin_key], staked_wallets=[address]) as emu:
        url = f"{emu.base_url}/api_keys/generate_web3_key"
        signed = wallet_sign(emu.base_url, staked)
        made = httpx.post(url, json={**signed, "apiKeyType": "INFERENCE"})
        assert made.status_code == 200, made.text
        assert made.json()["data"]["description"] == "Web3 API Key"
        reused = httpx.post(url, json={**signed, "apiKeyType": "INFERENCE"})
        assert reused.status_code == 400
        unstaked = wallet_sign(emu.base_url, other)
        refused = httpx.post(url, json={**unstaked, "apiKeyType": "INFERENCE"})
        assert refused.json() == {"error": "Wallet has no staked VVV on Base"}
        mismatch = {**wallet_sign(emu.base_url, other), "address": address}
        wrong = httpx.post(url, json={**mismatch, "apiKeyType": "INFERENCE"})
        assert wrong.json() == {"error": "Wallet signature does not match"}
        tampered = wallet_sign(emu.base_url, staked)
        tampered["token"] = tampered["token"][:-2] + "xx"
        assert httpx.post(url, json={**tampered, "apiKeyType": "INFERENCE"}).status_code == 400
        garbage = {**wallet_sign(emu.base_url, staked), "signature": "0x1234"}
        answer = httpx.post(url, json={**garbage, "apiKeyType": "INFERENCE"})
        assert answer.json() == {"error": "Could not verify wallet signature"}
        owned = emu.server.backend.all_keys()
        assert [k.account for k in owned if k.id == made.json()["data"]["id"]] == [address]


def test_web3_token_expires(admin_key: str) -> None:
    from pulumi_venice.emulator import Backend, EmulatorServer, EmulatorThread, FaultInjector

    backend = Backend([admin_key], token_ttl_seconds=1)
    with EmulatorThread(EmulatorServer(0, backend, FaultInjector())) as emu:
        signed = wallet_sign(emu.base_url, "0x" + secrets.token_hex(32))
        time.sleep(1.1)
        answer = httpx.post(
            f"{emu.base_url}/api_keys/generate_web3_key", json={**signed, "apiKeyType": "INFERENCE"}
        )
        assert answer.json() == {"error": "JWT has expired"}


def test_unknown_routes_and_methods(emulator: EmulatorThread, admin_key: str) -> None:
    assert httpx.get(emulator.base_url + "/nothing", headers=auth(admin_key)).status_code == 404
    assert httpx.put(emulator.base_url + "/api_keys", headers=auth(admin_key)).status_code == 405
