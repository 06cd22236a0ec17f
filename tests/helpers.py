"""Helpers shared by the tests: the emulator as a separate process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import IO

import httpx


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


SHARED = Path(__file__).resolve().parents[2] / "shared"
