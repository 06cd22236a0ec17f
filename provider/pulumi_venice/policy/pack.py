"""The policy pack served to the engine: :mod:`.catalog`'s policies as
pulumi-policy's ``ResourceValidationPolicy`` and ``StackValidationPolicy``.
The only module that imports pulumi-policy; the ``__main__.py`` of the
folder ``python -m pulumi_venice.policy --path`` writes (:mod:`.location`)
calls :func:`serve`.

pulumi-policy hands a policy the properties with the engine's secret marks
removed and with a proxy that raises on a value not known yet. We read the
proxies' values as they are (a not-yet-known value is no violation: the
engine asks again at ``up``) and keep the names of the top-level properties
that arrived secret (:func:`_keep_secret_names`), which the wallet policy needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import pulumi_policy
from pulumi_policy import policy as _policy_module
from pulumi_policy.deserialize import SPECIAL_SECRET_SIG, SPECIAL_SIG_KEY
from pulumi_policy.deserialize import deserialize_properties as _original_deserialize
from pulumi_policy.proxy import _DictProxy, _ListProxy

from .._version import __version__
from .catalog import KEY_POLICIES, PACK_NAME, STACK_POLICIES, KeyPolicy, StackPolicy
from .config import config_properties, parse_config
from .keys import VeniceKey, venice_key

# Where the secret names ride along with the properties (the engine sends no
# name starting with "__" to a resource policy, and none of ours).
SECRET_NAMES: Final = "__veniceSecretProperties"  # noqa: S105 (a property name)


def _keep_secret_names(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
    """pulumi-policy's deserialization, plus the names of the secret properties."""
    result: dict[str, Any] = _original_deserialize(props, proxy_secrets)
    secret = [
        name
        for name, value in props.items()
        if isinstance(value, dict) and value.get(SPECIAL_SIG_KEY) == SPECIAL_SECRET_SIG
    ]
    if isinstance(result, dict):
        result[SECRET_NAMES] = secret
    return result


def plain(value: Any) -> Any:
    """A property read through pulumi-policy's proxies, unknowns left as they are."""
    if isinstance(value, _DictProxy):
        return {k: plain(v) for k, v in value["__target"].items()}
    if isinstance(value, _ListProxy):
        return [plain(v) for v in value["__target"]]
    return value


def key_of(resource_type: str, name: str, urn: str, props: Any) -> VeniceKey | None:
    """The Venice key a resource is (None for any other resource)."""
    values = plain(props)
    values = values if isinstance(values, dict) else {}
    secrets = frozenset(values.pop(SECRET_NAMES, None) or ())
    return venice_key(resource_type, name, urn, values, secrets)


def _level(name: str) -> pulumi_policy.EnforcementLevel:
    return pulumi_policy.EnforcementLevel(name)


def _schema(policy: KeyPolicy | StackPolicy) -> pulumi_policy.PolicyConfigSchema:
    return pulumi_policy.PolicyConfigSchema(properties=config_properties(policy.config))


def resource_policy(policy: KeyPolicy) -> pulumi_policy.ResourceValidationPolicy:
    def validate(
        args: pulumi_policy.ResourceValidationArgs, report: pulumi_policy.ReportViolation
    ) -> None:
        key = key_of(args.resource_type, args.name, args.urn, args.props)
        if key is None:
            return
        config = parse_config(policy.config, args.get_config())
        if config.exempts(key.name):
            return
        for message in policy.check(key, config):
            report(message, args.urn)

    return pulumi_policy.ResourceValidationPolicy(
        name=policy.name,
        description=policy.description,
        validate=validate,
        enforcement_level=_level(policy.level),
        config_schema=_schema(policy),
    )


def consumers_of(resources: Sequence[pulumi_policy.PolicyResource]) -> dict[str, list[str]]:
    """Per URN, the names of the resources that depend on it."""
    found: dict[str, list[str]] = {}
    for resource in resources:
        depends = {d.urn for d in resource.dependencies}
        for deps in resource.property_dependencies.values():
            depends |= {d.urn for d in deps}
        for urn in sorted(depends):
            found.setdefault(urn, []).append(f'"{resource.name}"')
    return found


def stack_policy(policy: StackPolicy) -> pulumi_policy.StackValidationPolicy:
    def validate(
        args: pulumi_policy.StackValidationArgs, report: pulumi_policy.ReportViolation
    ) -> None:
        keys = [
            key
            for r in args.resources
            if (key := key_of(r.resource_type, r.name, r.urn, r.props)) is not None
        ]
        config = parse_config(policy.config, args.get_config())
        for key, message in policy.check(keys, config, consumers_of(args.resources)):
            report(message, key.urn if key is not None else None)

    return pulumi_policy.StackValidationPolicy(
        name=policy.name,
        description=policy.description,
        validate=validate,
        enforcement_level=_level(policy.level),
        config_schema=_schema(policy),
    )


def policies() -> list[pulumi_policy.Policy]:
    return [
        *(resource_policy(p) for p in KEY_POLICIES),
        *(stack_policy(p) for p in STACK_POLICIES),
    ]


def keep_secret_names() -> None:
    """Have pulumi-policy keep the names of the secret properties (its Analyze
    and AnalyzeStack call this name of its policy module)."""
    vars(_policy_module)["deserialize_properties"] = _keep_secret_names


def serve(initial_config: Mapping[str, Any] | None = None) -> None:
    """Serve the pack to the engine (blocks; the engine stops it)."""
    keep_secret_names()
    pulumi_policy.PolicyPack(
        name=PACK_NAME,
        policies=policies(),
        enforcement_level=pulumi_policy.EnforcementLevel.ADVISORY,
        initial_config=dict(initial_config) if initial_config else None,
        description=f"Guardrails for Venice API keys (pulumi-venice {__version__}).",
    )
