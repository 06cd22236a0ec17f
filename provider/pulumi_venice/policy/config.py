"""Each policy's configuration: a pydantic model per policy, from which the
pack's config schema (what ``pulumi preview --policy-pack-config`` files are
checked against) and its defaults both come, so the two cannot disagree.

Names are camelCase in a config file, as in every Pulumi policy pack
(``maxUsd``, ``exemptResources``); ``enforcementLevel`` sits beside them and
is the engine's to read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from ..venice.models import LimitPeriod, ModelPrivacy

# A cap or a budget per limit period; a period left out has none.
PerPeriod = dict[LimitPeriod, float]


class PolicyConfig(BaseModel):
    """What every policy's config has: the resources it leaves alone."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )

    exempt_resources: tuple[str, ...] = Field(
        default=(),
        description="Resource names (as the program names them) this policy leaves alone.",
    )

    def exempts(self, name: str) -> bool:
        return name in self.exempt_resources


class CappedConfig(PolicyConfig):
    max_usd: PerPeriod = Field(
        default_factory=dict,
        description=(
            "The largest USD cap a key may have, per limit period "
            '(`{"EPOCH": 50, "MONTH": 500}`); a period left out has no maximum.'
        ),
    )
    max_diem: PerPeriod = Field(
        default_factory=dict,
        description="The largest DIEM cap a key may have, per limit period.",
    )
    require_both_currencies: bool = Field(
        default=False,
        description=(
            "Name a key capped in one currency only (Venice charges DIEM first, then USD: "
            "only both caps bound what a key spends)."
        ),
    )


class EndsConfig(PolicyConfig):
    max_days: float = Field(
        default=90,
        gt=0,
        description=(
            "A key must expire (`expiresAt`, `expiresAfter`) or be rotated (`rotateAfter`) "
            "within this many days."
        ),
    )
    accept_keepers: bool = Field(
        default=True,
        description=(
            "Whether `keepers` (rotation on demand, with no clock) count as a rotation; "
            "false asks for an expiry or `rotateAfter`."
        ),
    )


class AdminKeysConfig(PolicyConfig):
    allowed_resources: tuple[str, ...] = Field(
        default=(),
        description="The resource names that may be ADMIN keys; empty: no ADMIN key at all.",
    )


class PrivacyConfig(PolicyConfig):
    minimum: ModelPrivacy = Field(
        default="PRIVATE_TEXT",
        description=(
            "The least private `modelPrivacy` a key may have: `ALL` < `PRIVATE_TEXT` < "
            "`PRIVATE_ONLY`."
        ),
    )


class KeyCountConfig(PolicyConfig):
    max_keys: int = Field(default=100, ge=0, description="The most Venice keys one stack may hold.")


class BudgetConfig(PolicyConfig):
    usd: PerPeriod = Field(
        default_factory=dict,
        description=(
            "The most the USD caps of a stack's keys may add up to, per limit period "
            '(`{"MONTH": 1000}`); a period left out has no budget.'
        ),
    )
    diem: PerPeriod = Field(
        default_factory=dict,
        description="The most the DIEM caps of a stack's keys may add up to, per limit period.",
    )


def _inline(schema: Any, definitions: Mapping[str, Any]) -> Any:
    """A JSON schema without titles and with its ``$ref``s inlined (the engine
    checks each property's schema on its own)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return _inline(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
        return {k: _inline(v, definitions) for k, v in schema.items() if k not in {"title"}}
    if isinstance(schema, list):
        return [_inline(v, definitions) for v in schema]
    return schema


def config_properties(model: type[PolicyConfig]) -> dict[str, Any]:
    """The JSON schema of each of a policy's settings, with its default."""
    schema = model.model_json_schema(by_alias=True)
    properties: dict[str, Any] = _inline(schema["properties"], schema.get("$defs", {}))
    for name, info in model.model_fields.items():
        default = info.get_default(call_default_factory=True)
        properties[info.alias or name]["default"] = (
            list(default) if isinstance(default, tuple) else default
        )
    return properties


def parse_config(model: type[PolicyConfig], given: Mapping[str, Any]) -> PolicyConfig:
    """A policy's settings from the engine's config (less its enforcement level)."""
    return model.model_validate({k: v for k, v in given.items() if k != "enforcementLevel"})
