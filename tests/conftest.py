"""Shared fixtures: a real emulator on 127.0.0.1, clients and providers pointed at it."""

from __future__ import annotations

import functools
import http.server
import os
import secrets
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pulumi_venice import ApiKeyProvider, VeniceClient, Web3ApiKeyProvider
from pulumi_venice.emulator import EmulatorThread
from pulumi_venice.tools.testing import emulator_for_test

if TYPE_CHECKING:
    from .support.postgres import PostgresServer
    from .support.project import PulumiProject


@pytest.fixture
def admin_key() -> str:
    """A fresh, obviously fake admin key for one test."""
    return "VENICE_ADMIN_KEY_test" + secrets.token_hex(12)


@pytest.fixture
def emulator(admin_key: str) -> Iterator[EmulatorThread]:
    """An emulator that knows only that admin key (started as users' tests start one)."""
    with emulator_for_test(admin_key) as venice:
        yield venice.thread


@pytest.fixture
def wallet() -> tuple[str, str]:
    """A new wallet: its private key and its checksummed address."""
    from eth_account import Account

    private_key = "0x" + secrets.token_hex(32)
    return private_key, Account.from_key(private_key).address


@pytest.fixture
def wallet_emulator(admin_key: str, wallet: tuple[str, str]) -> Iterator[EmulatorThread]:
    """An emulator on which only that wallet holds staked VVV."""
    with emulator_for_test(admin_key, staked_wallets=[wallet[1]]) as venice:
        yield venice.thread


@pytest.fixture
def web3_provider(
    monkeypatch: pytest.MonkeyPatch, wallet_emulator: EmulatorThread, wallet: tuple[str, str]
) -> Web3ApiKeyProvider:
    """A Web3 provider with the wallet, and an admin key of the wallet's own account."""
    from .support.keys import wallet_admin_key

    monkeypatch.setenv("VENICE_BASE_URL", wallet_emulator.base_url)
    monkeypatch.setenv("VENICE_WALLET_PRIVATE_KEY", wallet[0])
    monkeypatch.setenv("VENICE_API_KEY", wallet_admin_key(wallet_emulator, wallet[0]))
    return Web3ApiKeyProvider()


@pytest.fixture
def client(emulator: EmulatorThread, admin_key: str) -> Iterator[VeniceClient]:
    with VeniceClient(emulator.base_url, admin_key) as venice:
        yield venice


@pytest.fixture
def provider_env(monkeypatch: pytest.MonkeyPatch, emulator: EmulatorThread, admin_key: str) -> None:
    """Point a provider at the emulator through the environment."""
    monkeypatch.setenv("VENICE_API_KEY", admin_key)
    monkeypatch.setenv("VENICE_BASE_URL", emulator.base_url)


@pytest.fixture
def provider(provider_env: None) -> ApiKeyProvider:
    return ApiKeyProvider()


@pytest.fixture(scope="session")
def pulumi_cli() -> Path:
    """The real Pulumi CLI's directory; a failure to get one fails the e2e tests."""
    from .support.cli import ensure_cli

    return ensure_cli()


@pytest.fixture
def project_factory(
    tmp_path: Path, pulumi_cli: Path, emulator: EmulatorThread, admin_key: str
) -> Callable[..., PulumiProject]:
    """Makes a Pulumi project from a program folder, pointed at the test's emulator."""
    from .support.project import PulumiProject

    def make(program: Path, **options: Any) -> PulumiProject:
        workdir = tmp_path / f"run-{len(list(tmp_path.iterdir()))}"
        workdir.mkdir()
        return PulumiProject(
            workdir, pulumi_cli, program, base_url=emulator.base_url, admin_key=admin_key, **options
        )

    return make


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server on 127.0.0.1 for the whole session (the pipeline
    tests' shared backend). scripts/test installs its programs when missing."""
    from .support.postgres import PostgresServer, server_programs

    programs = server_programs()
    if programs is None:
        reason = "PostgreSQL's server programs are missing (scripts/test installs them)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    server = PostgresServer(programs).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    """moto's server mode: AWS Secrets Manager's API served by a real HTTP server
    on 127.0.0.1 (never AWS). Its fake credentials are set for the session, and
    the instance-metadata lookup (a host other than loopback) is off."""
    from moto.server import ThreadedMotoServer

    from .support.cli import free_port

    fake = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    saved = {name: os.environ.get(name) for name in fake}
    os.environ.update(fake)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``scripts/release`` run as a user runs it, into a folder of its own."""
    from .support.cli import REPO

    out = tmp_path_factory.mktemp("release") / "dist"
    done = subprocess.run(
        [str(REPO / "scripts" / "release"), "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def release_site(dist: Path) -> Iterator[str]:
    """``dist/`` served on 127.0.0.1: what the engine downloads the plugin from."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(dist))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
