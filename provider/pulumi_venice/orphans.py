"""``venice-orphans``: find (and revoke) keys that a stack created but does not own.

When the ``pulumi`` process dies in the middle of an ``up`` (a killed CI
runner), a create may finish at Venice after the engine is gone: the key
exists, but no state records it, and Venice never shows its value again.
Such a key carries either the provider's creation marker
(``pulumi-venice pending …``) or the description of a key the stack manages.
This command compares ``pulumi stack export`` with the account's keys and
lists those candidates; ``--delete`` revokes them. It never touches a key the
stack's state knows, and only looks at descriptions the stack uses.

    pulumi stack export | venice-orphans            # list
    pulumi stack export | venice-orphans --delete   # revoke
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import Any

from .client import VeniceClient
from .config import resolve_settings
from .errors import VeniceError
from .models import ApiKeyRecord
from .provider import MARKER_PREFIX

_KEY_TYPES = ("venice:ApiKey", "venice:Web3ApiKey")


def managed_keys(export: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The ids and descriptions of the Venice keys in a stack export."""
    ids: set[str] = set()
    descriptions: set[str] = set()
    for resource in export.get("deployment", {}).get("resources", []) or []:
        if not str(resource.get("type", "")).endswith(_KEY_TYPES):
            continue
        if resource.get("id"):
            ids.add(str(resource["id"]))
        for bag in (resource.get("inputs") or {}, resource.get("outputs") or {}):
            if isinstance(bag.get("description"), str):
                descriptions.add(bag["description"])
    for operation in export.get("deployment", {}).get("pending_operations", []) or []:
        inputs = (operation.get("resource") or {}).get("inputs") or {}
        if isinstance(inputs.get("description"), str):
            descriptions.add(inputs["description"])
    return ids, descriptions


def find_orphans(
    keys: Iterable[ApiKeyRecord], managed_ids: set[str], descriptions: set[str]
) -> list[ApiKeyRecord]:
    """Keys not in state that carry a creation marker or a managed description."""
    return [
        key
        for key in keys
        if key.id not in managed_ids
        and ((key.description or "").startswith(MARKER_PREFIX) or key.description in descriptions)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="venice-orphans", description=__doc__.split("\n\n")[0])
    parser.add_argument("--delete", action="store_true", help="revoke the keys found")
    args = parser.parse_args(argv)
    try:
        export = json.load(sys.stdin)
        settings = resolve_settings()
        ids, descriptions = managed_keys(export)
        with VeniceClient(settings.base_url, settings.require_api_key()) as client:
            orphans = find_orphans(client.list_keys(), ids, descriptions)
            for key in orphans:
                print(f"{key.id}\t{key.created_at}\t{key.description}")
                if args.delete:
                    client.delete_key(key.id)
    except (VeniceError, json.JSONDecodeError) as error:
        print(f"venice-orphans: {error}", file=sys.stderr)
        return 1
    verb = "revoked" if args.delete else "found"
    print(f"{len(orphans)} orphan key(s) {verb}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
