"""The tenants file of the pipeline: parsed and checked before anything runs.

A YAML or JSON file, either a list of tenants or ``{"tenants": [...]}``; each
tenant has a ``name`` and optional caps and policies. Every problem is found
at once and reported with the tenant's name (or position), its line in the
file and the field, so a bad file changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pulumi_venice.settings.checking import check_inputs
from pulumi_venice.venice.models import ApiKeyType, LimitPeriod, ModelPrivacy

# A tenant's name becomes a resource name and a file name: keep it plain.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"


class Tenant(BaseModel):
    """One tenant: a Venice key with its own caps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN)
    usd: float | None = Field(default=None, ge=0, strict=True)
    diem: float | None = Field(default=None, ge=0, strict=True)
    limit_period: LimitPeriod | None = None
    model_privacy: ModelPrivacy | None = None
    api_key_type: ApiKeyType = "INFERENCE"
    expires_after: str | None = None
    rotate_after: str | None = None
    retire_grace: str | None = None

    def key_inputs(self) -> dict[str, Any]:
        """The ApiKey inputs of this tenant's key (snake_case, as the resource takes them)."""
        caps = {name: getattr(self, name) for name in ("usd", "diem")}
        inputs: dict[str, Any] = {
            "api_key_type": self.api_key_type,
            "description": f"tenant {self.name}"[:64],
            "consumption_limit": caps if any(v is not None for v in caps.values()) else None,
            "limit_period": self.limit_period,
            "model_privacy": self.model_privacy,
            "expires_after": self.expires_after,
            "rotate_after": self.rotate_after,
            "retire_grace": self.retire_grace,
        }
        return {k: v for k, v in inputs.items() if v is not None}

    def caps_text(self) -> str:
        """The caps as the summary shows them: ``usd 5, diem 1 per MONTH``."""
        caps = [
            f"{name} {value:g}"
            for name, value in (("usd", self.usd), ("diem", self.diem))
            if value is not None
        ]
        if not caps:
            return "no caps"
        return ", ".join(caps) + f" per {self.limit_period or 'EPOCH'}"


class TenantsFileError(Exception):
    """The tenants file cannot be used; the message lists every problem."""


@dataclass(frozen=True)
class _Entry:
    raw: Any
    line: int | None


def _entries(path: Path) -> list[_Entry]:
    """The raw tenant entries, each with the line it starts on (YAML and JSON alike)."""
    try:
        text = path.read_text(encoding="utf-8")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as error:
        raise TenantsFileError(f"{path}: cannot read it ({error.strerror})") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise TenantsFileError(f"{path}:{where} not valid YAML or JSON") from None
    items = node
    if isinstance(data, dict) and isinstance(node, yaml.MappingNode):
        if set(data) != {"tenants"}:
            raise TenantsFileError(f"{path}: expected a list of tenants or {{tenants: [...]}}")
        data = data["tenants"]
        items = next(v for k, v in node.value if k.value == "tenants")
    if not isinstance(data, list) or not isinstance(items, yaml.SequenceNode):
        raise TenantsFileError(f"{path}: expected a list of tenants or {{tenants: [...]}}")
    return [
        _Entry(raw, item.start_mark.line + 1) for raw, item in zip(data, items.value, strict=True)
    ]


def _label(entry: _Entry, index: int) -> str:
    name = entry.raw.get("name") if isinstance(entry.raw, dict) else None
    who = f"tenant {name!r}" if isinstance(name, str) else f"tenant #{index + 1}"
    return f"{who} (line {entry.line})" if entry.line else who


def _field_errors(error: ValidationError) -> list[str]:
    problems = []
    for detail in error.errors():
        field = ".".join(str(part) for part in detail["loc"]) or "(entry)"
        if detail["type"] == "extra_forbidden":
            allowed = ", ".join(Tenant.model_fields)
            problems.append(f"unknown field {field!r} (allowed: {allowed})")
        elif detail["type"] == "string_pattern_mismatch":
            problems.append(
                f"{field}: 1 to 63 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        else:
            problems.append(f"{field}: {detail['msg']}")
    return problems


def load_tenants(path: Path) -> list[Tenant]:
    """The tenants of the file, or a TenantsFileError naming every problem."""
    problems: list[str] = []
    tenants: list[Tenant] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(_entries(path)):
        label = _label(entry, index)
        name = entry.raw.get("name") if isinstance(entry.raw, dict) else None
        if isinstance(name, str):
            if name.lower() in seen:  # names are compared as file names are on some systems
                problems.append(f"{label}: name: duplicate (also {seen[name.lower()]})")
            seen.setdefault(name.lower(), label)
        try:
            tenant = Tenant.model_validate(entry.raw)
        except ValidationError as error:
            problems += [f"{label}: {problem}" for problem in _field_errors(error)]
            continue
        _, failures = check_inputs(tenant.key_inputs())  # the provider's own rules
        problems += [f"{label}: {reason}" for _, reason in failures]
        tenants.append(tenant)
    if problems:
        listed = "".join(f"\n  {problem}" for problem in problems)
        raise TenantsFileError(f"{path}: {len(problems)} problem(s), nothing was changed:{listed}")
    return tenants


RESOURCE_PREFIX = "tenant-"


def resource_name(tenant: Tenant) -> str:
    """The Pulumi resource name of a tenant's key: a renamed tenant is a new key."""
    return f"{RESOURCE_PREFIX}{tenant.name}"
