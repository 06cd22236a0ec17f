"""Processes the tests run beside the CLI: ``venice-emulator`` as users run it,
and a consumer that keeps calling Venice with a key's current value.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx

from .cli import REPO


class EmulatorProcess:
    """``venice-emulator`` run as its own process, as users run it."""

    def __init__(self, *args: str) -> None:
        self.args = [sys.executable, "-m", "pulumi_venice.emulator.cli", "--port", "0", *args]
        self.process: subprocess.Popen[str] | None = None
        self.base_url = ""

    def start(self) -> EmulatorProcess:
        self.process = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        stdout: IO[str] | None = self.process.stdout
        assert stdout is not None
        self.base_url = stdout.readline().strip()
        if not self.base_url.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the emulator did not start: {self.base_url!r}")
        return self

    @property
    def control_url(self) -> str:
        return self.base_url.removesuffix("/api/v1") + "/_emulator"

    def all_keys(self) -> list[dict[str, object]]:
        """Every key the emulator holds (no secrets), from its control plane."""
        data: list[dict[str, object]] = httpx.get(self.control_url + "/keys").json()["data"]
        return data

    def set_faults(self, **faults: object) -> None:
        httpx.post(self.control_url + "/faults", json=faults).raise_for_status()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class ConsumerProcess:
    """``examples/rotation/consumer.py`` as its own process: an application that
    calls the emulator with the openai client, using the key from a file."""

    def __init__(
        self, key_file: Path, base_url: str, report: Path, *, rate: float, reload_every: float
    ) -> None:
        self.report_file = report
        self.args = [
            sys.executable,
            str(REPO / "examples" / "rotation" / "consumer.py"),
            *("--key-file", str(key_file), "--base-url", base_url, "--report", str(report)),
            *("--rate", str(rate), "--reload-every", str(reload_every)),
        ]
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> ConsumerProcess:
        self.process = subprocess.Popen(
            self.args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        return self

    def report(self) -> dict[str, Any]:
        """The consumer's latest report (rewritten every second), or {} before the first."""
        try:
            report: dict[str, Any] = json.loads(self.report_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return report

    def wait_for(
        self, condition: Callable[[dict[str, Any]], bool], what: str, timeout: float = 60
    ) -> dict[str, Any]:
        """Wait until the report meets ``condition``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, "consumer died"
            report = self.report()
            if report and condition(report):
                return report
            time.sleep(0.2)
        raise AssertionError(f"the consumer never {what}: {self.report()}")

    def stop(self) -> dict[str, Any]:
        """Stop it (SIGTERM) and return its final report."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
            _, stderr = self.process.communicate(timeout=20)
            assert self.process.returncode == 0, stderr[-2000:]
        return self.report()

    def __enter__(self) -> ConsumerProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
