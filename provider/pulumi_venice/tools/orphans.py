"""``venice-orphans``: find keys that no stack owns, and revoke those proven to be orphans.

When the ``pulumi`` process dies in the middle of an ``up`` (a killed CI
runner), a create may finish at Venice after the engine is gone: the key
exists, but no state records it, and Venice never shows its value again.

The sweeper must never revoke a key that another stack, or another running
``pulumi up``, may own. So it sorts the account's keys that are in none of
the stack exports it is given:

- **orphan** (revoked by ``--delete``): a key under the provider's creation
  marker (``pulumi-venice pending …``) older than ``--min-age``. A create
  holds its marker only between its two calls (and a key that cannot be given
  its settings is revoked, never stored under its marker), so a marker key
  older than any create can take belongs to no run and to no state. With
  ``--all-stacks`` (the exports given are those of *every* stack that manages
  keys in this account), a key older than ``--min-age`` whose description a
  stack uses is one too, and so is a key in its grace (its description
  ends in `` (retiring)``, the mark its replacement gave it) that no state
  holds: its stack was destroyed or deleted before its grace ended.
- **possible orphan** (listed, never revoked): a key whose description one of
  the stacks uses, or a key in its grace, without ``--all-stacks`` (another stack may own a key of
  the same description, as two stacks of one program do); and any candidate
  younger than ``--min-age`` (a running ``up`` may be about to record it).

The default ``--min-age`` (1h) is far above the time a create holds its
marker (at most about twice ``venice:operationTimeout``, 300 s by default);
raise it if a stack sets a longer operation timeout. ``--min-age 0`` is for
when no ``pulumi`` run can be in progress.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import ValidationError

from ..keys.creation import MARKER_PREFIX
from ..keys.retirement import RETIRING_MARK, retiring_ids
from ..keys.state import KeyState
from ..settings import times
from ..settings.config import CONFIG_BASE_URL, ENV_API_KEY, ENV_BASE_URL, resolve_settings
from ..venice.client import VeniceClient
from ..venice.errors import ConfigurationError, KeyNotFoundError, VeniceError
from ..venice.models import ApiKeyRecord

_KEY_TYPES: Final = ("venice:ApiKey", "venice:Web3ApiKey")
DEFAULT_MIN_AGE: Final = "1h"

Verdict = Literal["orphan", "possible orphan"]


@dataclass
class Managed:
    """What the given stack exports hold: key ids, the descriptions they use, and
    the base URLs their providers were configured with."""

    ids: set[str] = field(default_factory=set)
    descriptions: set[str] = field(default_factory=set)
    base_urls: set[str] = field(default_factory=set)

    def add_export(self, export: dict[str, Any]) -> None:
        deployment = export.get("deployment") or {}
        for resource in deployment.get("resources") or []:
            url = (resource.get("inputs") or {}).get(CONFIG_BASE_URL)
            if str(resource.get("type", "")).startswith("pulumi:providers:") and url:
                self.base_urls.add(str(url))
        for resource in deployment.get("resources") or []:
            if not str(resource.get("type", "")).endswith(_KEY_TYPES):
                continue
            if resource.get("id"):
                self.ids.add(str(resource["id"]))
            self.ids.update(_retiring_ids(resource.get("outputs") or {}))
            for bag in (resource.get("inputs") or {}, resource.get("outputs") or {}):
                if isinstance(bag.get("description"), str):
                    self.descriptions.add(bag["description"])
        for operation in deployment.get("pending_operations") or []:
            inputs = (operation.get("resource") or {}).get("inputs") or {}
            if isinstance(inputs.get("description"), str):
                self.descriptions.add(inputs["description"])


@dataclass(frozen=True)
class Finding:
    key: ApiKeyRecord
    verdict: Verdict
    why: str


def _age(key: ApiKeyRecord, now: datetime) -> timedelta | None:
    try:
        return now - times.parse_expiry(key.created_at) if key.created_at else None
    except ValueError:
        return None


def _retiring(
    key: ApiKeyRecord, all_stacks: bool, age: timedelta | None, min_age: timedelta
) -> Finding:
    """A key in its grace (marked retiring by its replacement) that no given
    state holds: its stack is gone, or was not given."""
    if not all_stacks:
        return Finding(
            key,
            "possible orphan",
            "a key in its grace; another stack may hold it (see --all-stacks)",
        )
    if age is not None and age >= min_age:
        return Finding(key, "orphan", "a key in its grace that no stack's state holds")
    return Finding(key, "possible orphan", "younger than --min-age")


def classify(
    keys: Iterable[ApiKeyRecord],
    managed: Managed,
    *,
    min_age: timedelta,
    all_stacks: bool,
    now: datetime,
) -> list[Finding]:
    """The keys outside every given state that may be orphans, each with its verdict."""
    findings: list[Finding] = []
    for key in keys:
        if key.id in managed.ids:
            continue
        description = key.description or ""
        marked = description.startswith(MARKER_PREFIX)
        if description.endswith(RETIRING_MARK):
            findings.append(_retiring(key, all_stacks, _age(key, now), min_age))
            continue
        if not marked and description not in managed.descriptions:
            continue
        age = _age(key, now)
        old_enough = age is not None and age >= min_age
        if marked and old_enough:
            findings.append(Finding(key, "orphan", "creation marker older than --min-age"))
        elif marked:
            findings.append(
                Finding(key, "possible orphan", "creation marker: a create may be running")
            )
        elif all_stacks and old_enough:
            findings.append(Finding(key, "orphan", "a stack's description, in no stack's state"))
        elif all_stacks:
            findings.append(Finding(key, "possible orphan", "younger than --min-age"))
        else:
            findings.append(
                Finding(
                    key,
                    "possible orphan",
                    "a stack's description; another stack may own it (see --all-stacks)",
                )
            )
    return findings


def _base_url(configured: str, recorded: set[str]) -> str:
    """VENICE_BASE_URL if set, else the one URL the exports' providers used."""
    if os.environ.get(ENV_BASE_URL) or not recorded:
        return configured
    if len(recorded) > 1:
        raise ConfigurationError(
            f"The exports were made against several base URLs ({', '.join(sorted(recorded))}): "
            f"set {ENV_BASE_URL} to the one to sweep."
        )
    return next(iter(recorded))


def _exports(paths: Sequence[str]) -> list[dict[str, Any]]:
    if paths:
        return [json.loads(Path(path).read_text(encoding="utf-8")) for path in paths]
    if sys.stdin.isatty():
        raise VeniceError(
            "No stack export given: pipe one in (`pulumi stack export | venice-orphans`) "
            "or name files with --export."
        )
    return [json.load(sys.stdin)]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="venice-orphans",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "List the Venice keys that no given stack owns, and revoke the proven orphans.\n\n"
            "Reads `pulumi stack export` JSON from standard input, or from --export files.\n"
            "Credentials: VENICE_API_KEY (an ADMIN key of the account); the URL:\n"
            "VENICE_BASE_URL, else the one the exports' stacks were configured with.\n\n"
            "  pulumi stack export | venice-orphans                  list\n"
            "  pulumi stack export | venice-orphans --delete         revoke proven orphans\n"
            "  venice-orphans --export dev.json --export prod.json --all-stacks --delete"
        ),
        epilog=(
            "An orphan is a key under a creation marker older than --min-age or, with\n"
            "--all-stacks, a key older than --min-age with a description some stack uses\n"
            "but in no stack's state. Everything else is listed as a possible orphan and\n"
            "left alone."
        ),
    )
    parser.add_argument("--delete", action="store_true", help="revoke the orphans found")
    parser.add_argument(
        "--export",
        action="append",
        default=[],
        metavar="FILE",
        help="a `pulumi stack export` file (repeat for several stacks); default: stdin",
    )
    parser.add_argument(
        "--all-stacks",
        action="store_true",
        help="the exports given are those of every stack that manages keys in this account",
    )
    parser.add_argument(
        "--min-age",
        default=DEFAULT_MIN_AGE,
        metavar="DURATION",
        help=f"how old a key must be to be an orphan (30m, 2h, 0; default {DEFAULT_MIN_AGE})",
    )
    return parser


def _retiring_ids(outputs: Mapping[str, Any]) -> list[str]:
    """The ids of the keys in their grace an exported key's outputs name (its
    values are encrypted in an export: only the ids are read)."""
    names = ("retiring_key_ids", "retiring_key_id")
    try:
        return retiring_ids(KeyState.from_props({n: outputs[n] for n in names if n in outputs}))
    except ValidationError:
        return []


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        min_age = times.parse_duration(args.min_age if args.min_age != "0" else "0s")
    except ValueError:
        parser.error(f"--min-age {times.DURATION_RULE}")
    try:
        managed = Managed()
        for export in _exports(args.export):
            managed.add_export(export)
        settings = resolve_settings()
        if not settings.api_key:
            raise ConfigurationError(
                f"venice-orphans needs an ADMIN key of the account in {ENV_API_KEY}."
            )
        base_url = _base_url(settings.base_url, managed.base_urls)
        hint = f"The admin key was refused: check {ENV_API_KEY} (it must be an ADMIN key)."
        with VeniceClient(base_url, settings.api_key, refused_hint=hint) as client:
            findings = classify(
                client.list_keys(),
                managed,
                min_age=min_age,
                all_stacks=args.all_stacks,
                now=times.now(),
            )
            revoked = 0
            for finding in findings:
                key = finding.key
                print(
                    f"{key.id}\t{key.created_at}\t{finding.verdict}\t{key.description}"
                    f"\t({finding.why})"
                )
                if args.delete and finding.verdict == "orphan":
                    try:
                        client.delete_key(key.id)
                    except KeyNotFoundError:
                        continue
                    revoked += 1
    except (VeniceError, OSError, json.JSONDecodeError) as error:
        print(f"venice-orphans: {error}", file=sys.stderr)
        return 1
    orphans = sum(1 for f in findings if f.verdict == "orphan")
    possible = len(findings) - orphans
    done = f", {revoked} revoked" if args.delete else ""
    print(
        f"{orphans} orphan key(s){done}; {possible} possible orphan(s) left alone",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
