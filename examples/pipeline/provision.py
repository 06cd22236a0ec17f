"""Provision a Venice key per tenant with Pulumi's Automation API.

    python examples/pipeline/provision.py TENANTS_FILE --stack NAME
        [--preview] [--secrets-dir DIR] [--project NAME] [--parallel N]
        [--guardrails [--policy-pack-config FILE]]

The run converges Venice to the tenants file (see tenants.py): a new tenant
gets a key; changed caps update its key in place (same key, same value); a
tenant removed from the file has its key revoked; a renamed tenant is a new
tenant (a new key, the old name's key revoked). Each tenant's key value goes
to an owner-only file ``DIR/<tenant>.key`` and nowhere else (never printed);
the files of removed tenants are deleted. ``--preview`` prints the plan and
changes nothing at Venice. ``--guardrails`` enforces the Venice policy pack
(docs/guides/guardrails.md; needs pulumi-venice[policy]): a mandatory
violation stops the run before any key changes and names the tenant and the
policy (a preview with the pack runs first, as ``pulumi up`` does); advisory
ones are printed as warnings.

Credentials and the backend come from the environment: ``VENICE_API_KEY``,
``VENICE_BASE_URL``, ``PULUMI_BACKEND_URL`` (e.g. ``postgres://…`` shared by
every runner) and ``PULUMI_CONFIG_PASSPHRASE``. Exit status: 0 done, 1 the run
failed, 2 a bad tenants file or command line, 3 another run holds the stack.

A failed run prints, for each tenant whose key failed, the error the provider
gave (from the engine's diagnostics, masked of anything shaped like a key),
then one line of what was done and what was not. Never a key value.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pulumi
from pulumi import automation as auto
from tenants import RESOURCE_PREFIX as TENANT_PREFIX
from tenants import Tenant, TenantsFileError, load_tenants, resource_name

import pulumi_venice as venice
from pulumi_venice.venice.errors import mask_secrets

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
# The engine's colour directives (``<{%reset%}>``) and terminal escapes, and
# the prefix gRPC puts before a Python provider's exception text.
_MARKUP = re.compile(r"<\{%[^%]*%\}>|\x1b\[[0-9;]*m|Exception calling application: ")
_STREAM_LABEL = re.compile(r"^(?:stdout|stderr): ")
BACKEND = "PULUMI_BACKEND_URL"
_BACKEND_RACE = re.compile(r"failed to create table .*(?:duplicate key value|already exists)")
BACKEND_ATTEMPTS = 5


class RunFailedError(Exception):
    """The run failed; the message is what the operator reads (one line, or
    the failed tenants and a summary)."""


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


def _masked(text: str) -> str:
    """The text without anything shaped like a key, the admin key itself, or
    the backend's password (Pulumi names the database URL in its errors)."""
    hidden = [os.environ.get("VENICE_API_KEY"), urlsplit(os.environ.get(BACKEND, "")).password]
    for secret in filter(None, hidden):
        text = text.replace(secret, "[redacted]")
    return mask_secrets(text)


def _engine_text(message: str) -> str:
    """A diagnostic's text as one plain, masked line."""
    return _masked(" ".join(_MARKUP.sub("", message).split()))


@dataclass
class Progress:
    """Prints each tenant's step as the engine reports it (``acme: create…``,
    then ``acme: created``), and keeps what happened to each tenant and the
    errors the engine reported, by tenant (``errors``) or for the run."""

    planning: bool
    happened: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    run_errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: auto.EngineEvent) -> None:
        if event.policy_event is not None:
            self._policy(event.policy_event)
        elif event.diagnostic_event is not None:
            self._diagnostic(event.diagnostic_event)
        elif event.res_op_failed_event is not None:
            self._note(event.res_op_failed_event.metadata, failed=True)
        elif event.resource_pre_event is not None:
            self._note(event.resource_pre_event.metadata, starting=True)
        elif event.res_outputs_event is not None and not self.planning:
            self._note(event.res_outputs_event.metadata)

    def _diagnostic(self, event: auto.DiagnosticEvent) -> None:
        if event.severity != "error":
            return
        text = _engine_text(event.message)
        name = (event.urn or "").rsplit("::", 1)[-1]
        with self._lock:
            if name.startswith(TENANT_PREFIX):
                self.errors.setdefault(name.removeprefix(TENANT_PREFIX), []).append(text)
            elif text:
                self.run_errors.append(text)

    def _policy(self, event: auto.PolicyEvent) -> None:
        """A guardrail's report: a mandatory one fails the tenant (or the run),
        an advisory one is printed as a warning."""
        # The engine's message is the policy's description, then its report.
        report = (event.message.strip().splitlines() or [""])[-1]
        text = f"policy {event.policy_name}: {_engine_text(report)}"
        name = (event.resource_urn or "").rsplit("::", 1)[-1]
        tenant = name.removeprefix(TENANT_PREFIX) if name.startswith(TENANT_PREFIX) else None
        if event.enforcement_level != "mandatory":
            print(f"  {tenant or 'stack'}: warning: {text}", flush=True)
            return
        with self._lock:
            if tenant is not None:
                self.errors.setdefault(tenant, []).append(text)
            else:
                self.run_errors.append(text)

    def failure_report(self, tenants: list[Tenant]) -> str:
        """What the operator reads when the run failed: each failed tenant with
        its resource and the provider's error, the run's own errors, then one
        line of what was done and what was not."""
        failed = sorted({*self.errors, *(t for t, o in self.happened.items() if o == "FAILED")})
        lines = [f"{len(failed)} tenant(s) failed" if failed else "the engine stopped"]
        for tenant in failed:
            for message in self.errors.get(tenant, ["(the engine gave no reason)"]):
                lines.append(f"  tenant {tenant} ({TENANT_PREFIX}{tenant}): {message}")
        # The stack's own "update failed" only repeats that resources failed.
        lines += [f"  {m}" for m in self.run_errors if not (failed and "update failed" in m)]
        if self.planning:
            return "\n".join([*lines, "provision: the preview changed nothing at Venice."])
        done = Counter(
            outcome
            for tenant, outcome in self.happened.items()
            if tenant not in failed and outcome != DONE["same"]
        )
        reached = {*self.happened, *failed}
        unreached = [t.name for t in tenants if t.name not in reached]
        parts = [f"{count} {outcome}" for outcome, count in sorted(done.items())]
        summary = f"provision: done before the failure: {', '.join(parts) or 'nothing'}"
        summary += f"; failed: {', '.join(failed) or 'none'}"
        if unreached:
            summary += f"; not reached: {len(unreached)} tenant(s)"
        summary += (
            ". What was done is in the state and no key file was written by this run; "
            "running it again goes on from there."
        )
        return "\n".join([*lines, summary])

    def _note(
        self, step: auto.StepEventMetadata, *, starting: bool = False, failed: bool = False
    ) -> None:
        name = step.urn.rsplit("::", 1)[-1]
        if not name.startswith(TENANT_PREFIX):
            return
        tenant, op = name.removeprefix(TENANT_PREFIX), str(step.op.value)
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


def _workspace(project: str, run: Callable[[], None]) -> auto.LocalWorkspace:
    """The project as the Automation API runs it: the inline program runs in
    this process, and the provider's plugin with this same Python
    (``PULUMI_PYTHON_CMD``), so it finds this package."""
    passed = {k: v for k, v in os.environ.items() if k.startswith(("PULUMI_", "VENICE_"))}
    return auto.LocalWorkspace(
        program=run,
        project_settings=auto.ProjectSettings(
            name=project, runtime=auto.ProjectRuntimeInfo(name="python"), main=os.getcwd()
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
    """The CLI's own error line, masked, without the command's noise. The
    error's text is ``code: N``, then ``stdout: …`` and ``stderr: …``, each
    label on the first line of what it labels."""
    lines = [_STREAM_LABEL.sub("", line.strip()) for line in str(error).splitlines()]
    found = [line for line in lines if line.startswith("error:")]
    text = (
        found[-1] if found else next((ln for ln in lines if ln and not ln.startswith("code:")), "")
    )
    return _masked(text or str(error).strip())[:500]


def _open_stack(name: str, workspace: auto.LocalWorkspace) -> auto.Stack:
    """Create or select the stack. Pulumi's PostgreSQL backend runs ``CREATE
    TABLE IF NOT EXISTS`` each time a command opens it, and two commands at
    once on a database that lacks the table race in PostgreSQL's catalog: one
    fails (``failed to create table pulumi_state: ... duplicate key value
    violates unique constraint``) having done nothing, so it is run again.
    Once one command has opened the backend the table exists, and the rest
    of the run cannot meet the race."""
    for attempt in range(1, BACKEND_ATTEMPTS + 1):
        try:
            return auto.Stack.create_or_select(name, workspace)
        except auto.CommandError as error:
            if attempt == BACKEND_ATTEMPTS or not _BACKEND_RACE.search(str(error)):
                raise
            time.sleep(0.2 * attempt)
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Guardrails:
    """The policy packs to enforce, each with its config file (or none)."""

    packs: list[str] = field(default_factory=list)
    configs: list[str] = field(default_factory=list)


def guardrails(enabled: bool, config: Path | None) -> Guardrails:
    """The Venice guardrails pack (its folder written for this Python), or none."""
    if not enabled:
        return Guardrails()
    from pulumi_venice.policy import pack_path

    return Guardrails([str(pack_path())], [str(config.resolve())] if config else [])


def converge(
    stack: auto.Stack, preview: bool, tenants: list[Tenant], policy: Guardrails | None = None
) -> dict[str, str]:
    """Preview or run the update; a lock left by a killed run on this host is
    cleared (cancel, then a refresh that drops its in-flight creates) first.
    A failed run raises RunFailedError with the engine's diagnostics."""
    policy = policy or Guardrails()
    packs, configs = policy.packs or None, policy.configs or None
    for attempt in (1, 2):
        progress = Progress(planning=preview)
        try:
            if preview:
                stack.preview(on_event=progress, policy_packs=packs, policy_pack_configs=configs)
            else:
                stack.up(on_event=progress, policy_packs=packs, policy_pack_configs=configs)
            return progress.happened
        except auto.CommandError as error:
            stale = _stale_lock(error)
            if stale is None:
                if progress.errors or progress.run_errors:
                    raise RunFailedError(progress.failure_report(tenants)) from None
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
    parser.add_argument("--guardrails", action="store_true", help="enforce the Venice policy pack")
    parser.add_argument(
        "--policy-pack-config", type=Path, help="with --guardrails: the pack's config file"
    )
    args = parser.parse_args(argv)
    if args.policy_pack_config is not None and not args.guardrails:
        parser.error("--policy-pack-config goes with --guardrails")
    try:
        tenants = load_tenants(args.tenants_file)
    except TenantsFileError as error:
        print(f"provision: {error}", file=sys.stderr)
        return 2
    what = "preview" if args.preview else "update"
    print(f"provision: {what} of stack {args.stack}: {len(tenants)} tenant(s)", flush=True)
    try:
        stack = _open_stack(args.stack, _workspace(args.project, program(tenants)))
        before = stack.outputs()  # the keys as they are, for the preview's table
        policy = guardrails(args.guardrails, args.policy_pack_config)
        if policy.packs and not args.preview:
            # As `pulumi up` previews first: the stack-wide policies run at the end
            # of an update, so only a preview stops their violations before any key.
            print("provision: the guardrails' preview", flush=True)
            converge(stack, True, tenants, policy)
        happened = converge(stack, args.preview, tenants, policy)
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
