"""Provision a Venice key per tenant with Pulumi's Automation API.

    python examples/pipeline/provision.py TENANTS_FILE --stack NAME
        [--preview] [--secrets-dir DIR] [--project NAME] [--parallel N]

The run converges Venice to the tenants file (see tenants.py): a new tenant
gets a key; changed caps update its key in place (same key, same value); a
tenant removed from the file has its key revoked; a renamed tenant is a new
tenant (a new key, the old name's key revoked). Each tenant's key value goes
to an owner-only file ``DIR/<tenant>.key`` and nowhere else (never printed);
the files of removed tenants are deleted. ``--preview`` prints the plan and
changes nothing at Venice.

Credentials and the backend come from the environment: ``VENICE_API_KEY``,
``VENICE_BASE_URL``, ``PULUMI_BACKEND_URL`` (e.g. ``postgres://…`` shared by
every runner) and ``PULUMI_CONFIG_PASSPHRASE``. Exit status: 0 done, 1 the run
failed, 2 a bad tenants file or command line, 3 another run holds the stack.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi import automation as auto
from tenants import Tenant, TenantsFileError, load_tenants, resource_name

import pulumi_venice as venice

PROJECT = "venice-tenants"
# What a step did to a tenant's key, by the engine's operation.
DONE = {
    "create": "created",
    "update": "updated (same key)",
    "replace": "replaced (new key)",
    "create-replacement": "replaced (new key)",
    "delete-replaced": "replaced (new key)",
    "delete": "revoked",
    "same": "unchanged",
}
PLANNED = {
    "create": "create",
    "update": "update in place",
    "replace": "replace",
    "create-replacement": "replace",
    "delete-replaced": "replace",
    "delete": "revoke",
    "same": "no change",
}
_LOCK_HOLDER = re.compile(r"created by (?P<user>[^@\s]+)@(?P<host>\S+) \(pid (?P<pid>\d+)\)")


class RunFailedError(Exception):
    """The run failed; the message is one line for the operator."""


def program(tenants: list[Tenant]) -> Callable[[], None]:
    """The inline Pulumi program: one ApiKey per tenant."""

    def run() -> None:
        keys: dict[str, Any] = {}
        values: dict[str, Any] = {}
        for tenant in tenants:
            key = venice.ApiKey(resource_name(tenant), **tenant.key_inputs())
            keys[tenant.name] = {"id": key.id, "last6": key.last6_chars}
            values[tenant.name] = key.api_key
        pulumi.export("keys", keys)
        pulumi.export("values", pulumi.Output.secret(values))

    return run


@dataclass
class Progress:
    """Prints each tenant's step as the engine reports it (``acme: create…``,
    then ``acme: created``), and keeps what happened to each tenant."""

    planning: bool
    happened: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: auto.EngineEvent) -> None:
        if event.res_op_failed_event is not None:
            self._note(event.res_op_failed_event.metadata, failed=True)
        elif event.resource_pre_event is not None:
            self._note(event.resource_pre_event.metadata, starting=True)
        elif event.res_outputs_event is not None and not self.planning:
            self._note(event.res_outputs_event.metadata)

    def _note(
        self, step: auto.StepEventMetadata, *, starting: bool = False, failed: bool = False
    ) -> None:
        name = step.urn.rsplit("::", 1)[-1]
        if not name.startswith("tenant-"):
            return
        tenant, op = name.removeprefix("tenant-"), str(step.op.value)
        if failed:
            line, outcome = "FAILED", "FAILED"
        elif self.planning:
            line = outcome = PLANNED.get(op, op)
        elif starting:
            line, outcome = f"{PLANNED.get(op, op)}…", None
        else:
            line = outcome = DONE.get(op, op)
        with self._lock:
            # A replacement is several steps (create-replacement, replace, delete-replaced).
            if outcome and self.happened.get(tenant) not in ("replace", DONE["replace"], "FAILED"):
                self.happened[tenant] = outcome
            if op != "same" or self.planning:
                print(f"  {tenant}: {line}", flush=True)


def _workspace_options(project: str) -> auto.LocalWorkspaceOptions:
    """The project as the Automation API runs it: the inline program runs in
    this process, and the provider's plugin with this same Python
    (``PULUMI_PYTHON_CMD``), so it finds this package."""
    passed = {k: v for k, v in os.environ.items() if k.startswith(("PULUMI_", "VENICE_"))}
    return auto.LocalWorkspaceOptions(
        project_settings=auto.ProjectSettings(
            name=project, runtime=auto.ProjectRuntimeInfo(name="python")
        ),
        env_vars={**passed, "PULUMI_PYTHON_CMD": sys.executable},
    )


def _stale_lock(error: auto.CommandError) -> bool | None:
    """For a lock refusal: whether every holder is a dead process on this host
    (a run that was killed). None: the error is not about a lock."""
    text = str(error)
    if "currently locked" not in text:
        return None
    holders = list(_LOCK_HOLDER.finditer(text))
    host = socket.gethostname()
    return bool(holders) and all(h["host"] == host and not _alive(int(h["pid"])) for h in holders)


def _alive(pid: int) -> bool:
    """Whether a process runs; a zombie (killed, not yet reaped) does not."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:  # no /proc here: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state not in ("Z", "X")


def _first_error(error: auto.CommandError) -> str:
    """The engine's own error line, without the command's noise."""
    lines = [line.strip() for line in str(error).splitlines()]
    found = [line for line in lines if line.startswith("error:")]
    return (found[-1] if found else next((line for line in lines if line), str(error)))[:500]


def converge(stack: auto.Stack, preview: bool) -> dict[str, str]:
    """Preview or run the update; a lock left by a killed run on this host is
    cleared (cancel, then a refresh that drops its in-flight creates) first."""
    for attempt in (1, 2):
        progress = Progress(planning=preview)
        try:
            if preview:
                stack.preview(on_event=progress)
            else:
                stack.up(on_event=progress)
            return progress.happened
        except auto.CommandError as error:
            stale = _stale_lock(error)
            if stale is None:
                raise RunFailedError(_first_error(error)) from None
            if not stale or attempt == 2:
                holder = _LOCK_HOLDER.search(str(error))
                raise RunFailedError(
                    f"stack {stack.name} is locked by another run "
                    f"({holder[0] if holder else 'holder unknown'}): wait for it to end and "
                    "run again; if no run is active, `pulumi cancel` clears the lock"
                ) from None
            print(f"  the lock of stack {stack.name} was left by a killed run: clearing it")
            stack.cancel()
            stack.refresh(clear_pending_creates=True)
    raise AssertionError("unreachable")


def write_secrets(directory: Path, tenants: list[Tenant], values: dict[str, str]) -> None:
    """Each tenant's key to ``DIR/<name>.key`` (0600, written atomically); the
    files of tenants no longer in the file are removed."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    names = {t.name for t in tenants}
    for name in names:
        temporary = directory / f".{name}.key.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(values[name])
        temporary.replace(directory / f"{name}.key")
    for stale in directory.glob("*.key"):
        if stale.name.removesuffix(".key") not in names:
            stale.unlink()


def print_summary(
    tenants: list[Tenant], happened: dict[str, str], keys: dict[str, dict[str, str]]
) -> None:
    rows = [("tenant", "key id", "last 6", "caps", "what happened")]
    for tenant in tenants:
        key = keys.get(tenant.name, {})
        rows.append(
            (
                tenant.name,
                key.get("id", "-"),
                key.get("last6", "-"),
                tenant.caps_text(),
                happened.get(tenant.name, "unchanged"),
            )
        )
    listed = {t.name for t in tenants}
    rows += [
        (name, "-", "-", "-", what) for name, what in sorted(happened.items()) if name not in listed
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("tenants_file", type=Path, metavar="TENANTS_FILE")
    parser.add_argument("--stack", required=True, help="the stack (one per tenant list)")
    parser.add_argument("--preview", action="store_true", help="print the plan, change nothing")
    parser.add_argument("--secrets-dir", type=Path, default=Path("tenant-keys"))
    parser.add_argument("--project", default=PROJECT, help=f"the project name (default {PROJECT})")
    args = parser.parse_args(argv)
    try:
        tenants = load_tenants(args.tenants_file)
    except TenantsFileError as error:
        print(f"provision: {error}", file=sys.stderr)
        return 2
    options = _workspace_options(args.project)
    what = "preview" if args.preview else "update"
    print(f"provision: {what} of stack {args.stack}: {len(tenants)} tenant(s)", flush=True)
    try:
        stack = auto.create_or_select_stack(
            stack_name=args.stack, project_name=args.project, program=program(tenants), opts=options
        )
        before = stack.outputs()  # the keys as they are, for the preview's table
        happened = converge(stack, args.preview)
        if args.preview:
            print_summary(tenants, happened, before["keys"].value if "keys" in before else {})
            return 0
        outputs = stack.outputs()
    except RunFailedError as failure:
        print(f"provision: {what} failed: {failure}", file=sys.stderr)
        return 3 if "locked by another run" in str(failure) else 1
    except auto.CommandError as error:
        print(f"provision: {what} failed: {_first_error(error)}", file=sys.stderr)
        return 1
    write_secrets(args.secrets_dir, tenants, outputs["values"].value)
    print_summary(tenants, happened, outputs["keys"].value)
    print(f"provision: key values written to {args.secrets_dir}/<tenant>.key (mode 0600)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
