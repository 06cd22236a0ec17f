"""The emulator's HTTP layer: routes that parse requests and render answers.

A real HTTP/1.1 server (the standard library's threading server, one thread
per connection) bound to 127.0.0.1. Each route parses its request, asks the
:class:`Backend`, and renders the answer with the shared wire models. Fault
injection wraps the routes. Besides ``/api_keys`` it serves the inference
calls a key's consumer makes (``GET /models``, ``POST /chat/completions``; see
:mod:`.inference`). ``/_emulator/...`` is the control plane (health, faults,
clock, usage, balances, model limits, inspection; :mod:`.control`): test
aids with no counterpart at Venice.

The access log is off by default and, when on, never shows a header.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from ..venice.models import RateLimitLogResponse
from .backend import ApiError, Backend, Limits
from .control import Answer, ControlCall, control, json_body
from .faults import ERROR_TEXTS, FaultInjector, FaultPlan
from .inference import completion_answer, completion_stream

API_PREFIX: Final = "/api/v1"
CONTROL_PREFIX: Final = "/_emulator"
MAX_BODY_BYTES: Final = 1_000_000
_KEY_PATH: Final = re.compile(r"^/api_keys/([^/]+)$")


@dataclass(frozen=True)
class RawBody:
    """An answer body that is not JSON (the event stream of a streamed chat)."""

    content_type: str
    payload: bytes


class EmulatorServer(ThreadingHTTPServer):
    """The listening socket plus the backend and faults its handlers use."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, port: int, backend: Backend, faults: FaultInjector, *, access_log: bool = False
    ) -> None:
        self.backend = backend
        self.faults = faults
        self.access_log = access_log
        self._counter_lock = threading.Lock()
        self.api_requests = 0  # calls to /api/v1, for tests that prove "no HTTP call"
        # (method, path with query, status) of every /api/v1 call, in order;
        # status 0 when the answer was dropped on purpose.
        self.journal: list[tuple[str, str, int]] = []
        super().__init__(("127.0.0.1", port), _Handler)

    def record(self, method: str, path: str, status: int) -> None:
        with self._counter_lock:
            self.journal.append((method, path, status))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{API_PREFIX}"


class _AnswerDroppedError(Exception):
    """Close the connection without answering (a committed create loses its answer)."""


class _Handler(BaseHTTPRequestHandler):
    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    server_version = "venice-emulator"
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle's
    # algorithm and the client's delayed ACK add ~40 ms to every answer.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.access_log:
            super().log_message(format, *args)

    # -- dispatch ----------------------------------------------------------------

    def _handle(self, method: str) -> None:
        url = urlsplit(self.path)
        is_api = not url.path.startswith(CONTROL_PREFIX)
        try:
            raw_body = self._read_body()
            if url.path.startswith(CONTROL_PREFIX):
                call = ControlCall(
                    self.server.backend,
                    self.server.faults,
                    self.server.api_requests,
                    url.query,
                    raw_body,
                )
                status, body, headers = control(method, url.path[len(CONTROL_PREFIX) :], call)
            elif url.path == API_PREFIX or url.path.startswith(API_PREFIX + "/"):
                status, body, headers = self._api(
                    method, url.path[len(API_PREFIX) :], url.query, raw_body
                )
            else:
                raise ApiError(404, "Not found")
        except ApiError as error:
            status, body, headers = error.status, error.body.to_wire(), error.headers
        except _AnswerDroppedError:
            self.server.record(method, self.path, 0)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if is_api:
            self.server.record(method, self.path, status)
        if isinstance(body, RawBody):
            self._send(status, body.payload, body.content_type, headers)
        elif isinstance(body, str):
            self._send(status, body.encode(), "text/html; charset=utf-8", headers)
        else:
            self._send(
                status, json.dumps(body).encode(), "application/json; charset=utf-8", headers
            )

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise ApiError(413, "Request body too large")
        return self.rfile.read(length) if length else b""

    def _send(
        self, status: int, payload: bytes, content_type: str, headers: dict[str, str]
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    # -- the Venice API -------------------------------------------------------------

    def _api(self, method: str, path: str, query: str, raw_body: bytes) -> Answer:
        with self.server._counter_lock:
            self.server.api_requests += 1
        faults = self.server.faults
        delay = faults.latency_seconds()
        if delay:
            time.sleep(delay)
        injection = faults.before(method, path, self.headers.get("Authorization"))
        if injection.status is not None:
            return _injected(injection.status, injection.html, injection.error)
        route = self._route(method, path)
        body = json_body(raw_body) if method in ("POST", "PATCH") else None
        status, answer, headers = route(body, parse_qs(query))
        if injection.drop_answer or (
            route in (self._create, self._web3_create) and faults.drop_this_create()
        ):
            raise _AnswerDroppedError
        return status, answer, headers

    def _route(self, method: str, path: str) -> Callable[[Any, dict[str, list[str]]], Answer]:
        routes: dict[tuple[str, str], Callable[[Any, dict[str, list[str]]], Answer]] = {
            ("GET", "/api_keys"): self._list,
            ("POST", "/api_keys"): self._create,
            ("PATCH", "/api_keys"): self._update,
            ("DELETE", "/api_keys"): self._delete,
            ("GET", "/api_keys/rate_limits"): self._rate_limits,
            ("GET", "/api_keys/rate_limits/log"): self._rate_limit_log,
            ("GET", "/api_keys/generate_web3_key"): self._web3_token,
            ("POST", "/api_keys/generate_web3_key"): self._web3_create,
            ("GET", "/models"): self._models,
            ("POST", "/chat/completions"): self._chat,
        }
        if (method, path) in routes:
            return routes[(method, path)]
        if any(known == path for _, known in routes):
            raise ApiError(405, f"Method {method} not allowed")
        match = _KEY_PATH.match(path)
        if match and method == "GET":
            key_id = match.group(1)
            return lambda _body, _query: self._get(key_id)
        raise ApiError(404, "Not found")

    def _caller(self, *, admin: bool = True) -> Any:
        return self.server.backend.authenticate(self.headers.get("Authorization"), admin=admin)

    def _list(self, _body: Any, _query: dict[str, list[str]]) -> Answer:
        records = self.server.backend.list_keys(self._caller())
        return 200, {"data": [r.to_wire() for r in records], "object": "list"}, {}

    def _get(self, key_id: str) -> Answer:
        record = self.server.backend.get_key(self._caller(), key_id)
        return 200, {"data": record.to_wire()}, {}

    def _create(self, body: Any, _query: dict[str, list[str]]) -> Answer:
        created = self.server.backend.create_key(self._caller(), body)
        data = created.to_wire()
        if self.server.faults.wrong_create_echo():
            data["consumptionLimit"] = {"usd": None, "diem": None, "vcu": None}
        return 200, {"data": data, "success": True}, {}

    def _update(self, body: Any, _query: dict[str, list[str]]) -> Answer:
        record = self.server.backend.update_key(self._caller(), body)
        wire = record.to_wire(exclude={"usage", "current_period_usage"})
        return 200, {"data": wire, "success": True}, {}

    def _delete(self, _body: Any, query: dict[str, list[str]]) -> Answer:
        self.server.backend.delete_key(self._caller(), next(iter(query.get("id", [])), None))
        return 200, {"success": True}, {}

    def _rate_limits(self, _body: Any, _query: dict[str, list[str]]) -> Answer:
        limits = self.server.backend.rate_limits(self._caller(admin=False))
        return 200, {"data": limits.to_wire()}, {}

    def _rate_limit_log(self, _body: Any, _query: dict[str, list[str]]) -> Answer:
        entries = self.server.backend.rate_limit_log(self._caller())
        return 200, RateLimitLogResponse(data=entries).to_wire(), {}

    def _web3_token(self, _body: Any, _query: dict[str, list[str]]) -> Answer:
        token = self.server.backend.web3_token()
        return 200, {"data": {"token": token}, "success": True}, {}

    def _web3_create(self, body: Any, _query: dict[str, list[str]]) -> Answer:
        created = self.server.backend.create_web3_key(body)
        return 200, {"data": created.to_wire(), "success": True}, {}

    # -- the inference side (OpenAI-compatible) ---------------------------------

    def _models(self, _body: Any, query: dict[str, list[str]]) -> Answer:
        # Public, as at Venice. ``type`` filters (text, image; "all": every model).
        kind = next(iter(query.get("type", [])), "text")
        created = int(self.server.backend.now().timestamp())
        models = [
            m.to_wire(created)
            for m in self.server.backend.models()
            if kind == "all" or m.kind == kind
        ]
        return 200, {"object": "list", "type": kind, "data": models}, {}

    def _chat(self, body: Any, _query: dict[str, list[str]]) -> Answer:
        backend = self.server.backend
        request, reply, headers = backend.chat(self.headers.get("Authorization"), body)
        created = int(backend.now().timestamp())
        if not request.stream:
            return 200, completion_answer(request, reply, created), headers
        events = completion_stream(request, reply, created)
        lines = [f"data: {json.dumps(event)}\n\n" for event in events] + ["data: [DONE]\n\n"]
        return 200, RawBody("text/event-stream", "".join(lines).encode()), headers


def _injected(status: int, html: bool, error: str | None = None) -> Answer:
    text = error or ERROR_TEXTS.get(status, "Injected fault")
    headers = {"Retry-After": "1"} if status == 429 else {}
    if html:
        page = f"<html><head><title>{status}</title></head><body><h1>{text}</h1></body></html>"
        return status, page, headers
    return status, {"error": text}, headers


class EmulatorThread:
    """An emulator serving from a background thread (for tests and embedding)."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="venice-emulator", daemon=True
        )

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def start(self) -> EmulatorThread:
        if not self._thread.is_alive():
            self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> EmulatorThread:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def start_emulator(
    admin_keys: list[str],
    *,
    port: int = 0,
    limits: Limits | None = None,
    state_file: Path | None = None,
    faults: FaultPlan | None = None,
    staked_wallets: list[str] | None = None,
) -> EmulatorThread:
    """Start an emulator on 127.0.0.1 in a background thread; stop it with ``stop()``."""
    backend = Backend(
        admin_keys, limits=limits, state_file=state_file, staked_wallets=staked_wallets
    )
    return EmulatorThread(EmulatorServer(port, backend, FaultInjector(faults))).start()
