"""A consumer of the rotating key: an application that calls Venice with the
official ``openai`` client in a steady loop, reading its key from the file
this stack writes.

Like an application that watches a mounted secret, it checks the file every
``--reload-every`` seconds and switches to the key it finds there when the
file changed; it never re-reads the file because a call failed. So it picks
up a new key late, which is what ``retire_grace`` is for: the old key keeps
working until the consumer has moved on.

    python consumer.py --key-file rotating-key.secret --base-url URL \\
        [--rate 20] [--reload-every 5] [--model llama-3.2-3b] [--report FILE]

Runs until interrupted (SIGINT/SIGTERM) or ``--duration`` seconds. The report
(JSON, written every second and at exit to ``--report``, else printed at
exit) counts calls and failures per key; a key is named by its last six
characters only (as Venice shows it), never printed whole.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType

import openai


@dataclass
class KeyStats:
    """The calls made with one key."""

    last6: str
    calls: int = 0
    failed: int = 0
    first_call: float = 0.0
    last_call: float = 0.0


@dataclass
class Report:
    """What the consumer saw: calls, failures by status, and the keys it used."""

    calls: int = 0
    failed: int = 0
    failures_by_status: dict[str, int] = field(default_factory=dict)
    keys: list[KeyStats] = field(default_factory=list)
    reloads: int = 0

    def note(self, last6: str, status: int | None, at: float) -> None:
        if not self.keys or self.keys[-1].last6 != last6:
            self.keys.append(KeyStats(last6, first_call=at))
        stats = self.keys[-1]
        stats.calls += 1
        stats.last_call = at
        self.calls += 1
        if status is not None:
            stats.failed += 1
            self.failed += 1
            self.failures_by_status[str(status)] = self.failures_by_status.get(str(status), 0) + 1

    def write(self, path: Path | None) -> None:
        text = json.dumps(asdict(self), indent=1)
        if path is None:
            print(text)
            return
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)


class KeyFile:
    """The key file, re-read only when it changed and only every ``every`` seconds."""

    def __init__(self, path: Path, every: float) -> None:
        self.path = path
        self.every = every
        self._seen: tuple[int, int] | None = None
        self._checked = 0.0
        self.key = ""

    def current(self, now: float) -> tuple[str, bool]:
        """The key to use, and whether it was just reloaded."""
        if self.key and now - self._checked < self.every:
            return self.key, False
        self._checked = now
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return self.key, False
        if (stat.st_mtime_ns, stat.st_size) == self._seen:
            return self.key, False
        text = self.path.read_text(encoding="utf-8").strip()
        if not text:
            return self.key, False
        self._seen = (stat.st_mtime_ns, stat.st_size)
        changed = text != self.key
        self.key = text
        return self.key, changed


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--key-file", type=Path, required=True)
    parser.add_argument(
        "--base-url", default=os.environ.get("VENICE_BASE_URL", "https://api.venice.ai/api/v1")
    )
    parser.add_argument("--rate", type=float, default=20.0, help="calls a second (default 20)")
    parser.add_argument(
        "--reload-every", type=float, default=5.0, help="seconds between key-file checks"
    )
    parser.add_argument("--model", default="llama-3.2-3b")
    parser.add_argument("--report", type=Path, help="JSON report, rewritten every second")
    parser.add_argument("--duration", type=float, help="stop after this many seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    stopping = False

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    key_file = KeyFile(args.key_file, args.reload_every)
    report = Report()
    started = time.monotonic()
    last_report = started
    client: openai.OpenAI | None = None
    calls = 0
    while not stopping and (args.duration is None or time.monotonic() - started < args.duration):
        now = time.monotonic()
        key, reloaded = key_file.current(now)
        if not key:
            time.sleep(0.05)  # no key delivered yet
            continue
        if reloaded or client is None:
            report.reloads += int(reloaded)
            client = openai.OpenAI(api_key=key, base_url=args.base_url, max_retries=0, timeout=5.0)
        status: int | None = None
        try:
            client.chat.completions.create(
                model=args.model, messages=[{"role": "user", "content": "ping"}], max_tokens=8
            )
        except openai.APIStatusError as error:
            status = error.status_code
        except openai.APIConnectionError:
            status = 0
        report.note(key[-6:], status, time.time())
        calls += 1
        if now - last_report >= 1.0:
            report.write(args.report)
            last_report = now
        pause = started + calls / args.rate - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    report.write(args.report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
