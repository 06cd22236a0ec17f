"""A stand-in secret store with a command line, as ``vault kv``, ``gh secret``
or ``kubectl create secret`` are: ``put`` reads the value on standard input,
``get`` prints it (nothing if there is none), ``remove`` forgets it. It keeps
each entry as a file only its owner can read.

    python store.py put|get|remove ENTRY_FILE
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(action: str, entry: Path) -> int:
    if action == "put":
        value = sys.stdin.read()
        if not value:
            print("store: nothing on standard input", file=sys.stderr)
            return 2
        descriptor = os.open(entry, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(value)
        return 0
    if action == "get":
        if entry.exists():
            print(entry.read_text(encoding="utf-8"))
        return 0
    if action == "remove":
        entry.unlink(missing_ok=True)
        return 0
    print(f"store: unknown action {action!r} (put, get or remove)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2])))
