"""The guardrails pack as pulumi-policy serves it, driven in process with
the requests the engine sends (its secret envelopes and unknown sentinels):
every policy reaches the violations of both doors' types, a secret wallet key
passes and a plain one does not, a value not known yet is no violation (and
no "can't run policy during preview" diagnostic), config comes from the
engine's Configure, and the schemas are what the engine checks files against."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from pulumi_venice.policy import POLICY_NAMES, pack

SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
PLUGIN = "venice:index:ApiKey"
DYNAMIC = "pulumi-python:dynamic/venice:ApiKey"


@pytest.fixture
def analyzer() -> _PolicyAnalyzerServicer:
    pack.keep_secret_names()
    return _PolicyAnalyzerServicer(
        "venice-guardrails",
        "0.0.1",
        pack.policies(),
        EnforcementLevel.ADVISORY,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
    )


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    json_format.ParseDict(values, message)
    return message


def analyze(
    analyzer: _PolicyAnalyzerServicer, type_: str, name: str, props: dict[str, Any]
) -> dict[str, list[str]]:
    urn = f"urn:pulumi:s::p::{type_}::{name}"
    request = proto.AnalyzeRequest(type=type_, properties=struct(props), urn=urn, name=name)
    found: dict[str, list[str]] = {}
    for diagnostic in analyzer.Analyze(request, None).diagnostics:  # type: ignore[no-untyped-call]
        found.setdefault(diagnostic.policyName, []).append(diagnostic.message)
    return found


def configure(analyzer: _PolicyAnalyzerServicer, config: dict[str, dict[str, Any]]) -> None:
    request = proto.ConfigureAnalyzerRequest()
    for name, settings in config.items():
        level = settings.pop("enforcementLevel", "advisory")
        request.policyConfig[name].CopyFrom(
            proto.PolicyConfig(
                enforcementLevel=getattr(proto, level.upper()), properties=struct(settings)
            )
        )
    analyzer.Configure(request, None)  # type: ignore[no-untyped-call]


def test_a_plugin_key_with_everything_wrong_meets_each_key_policy(
    analyzer: _PolicyAnalyzerServicer,
) -> None:
    found = analyze(analyzer, PLUGIN, "bad", {"apiKeyType": "ADMIN", "description": "x"})
    assert sorted(found) == [
        "venice-admin-key-expires",
        "venice-admin-keys",
        "venice-key-capped",
        "venice-key-delivered",
        "venice-key-ends",
        "venice-model-privacy",
    ]
    assert "has no consumptionLimit" in found["venice-key-capped"][0]


def test_a_dynamic_key_that_complies_meets_none(analyzer: _PolicyAnalyzerServicer) -> None:
    good = {
        "api_key_type": "INFERENCE",
        "consumption_limit": {"usd": 5, "diem": None, "vcu": None},
        "expires_after": "30d",
        "model_privacy": "PRIVATE_ONLY",
        "deliver_to": {"file": {"path": "/run/key"}},
        "api_key": None,
    }
    assert analyze(analyzer, DYNAMIC, "good", good) == {}


def test_unknown_values_are_no_violation_and_no_diagnostic(
    analyzer: _PolicyAnalyzerServicer,
) -> None:
    props = {
        "apiKeyType": UNKNOWN,
        "consumptionLimit": UNKNOWN,
        "expiresAt": UNKNOWN,
        "modelPrivacy": UNKNOWN,
        "deliverTo": UNKNOWN,
    }
    assert analyze(analyzer, PLUGIN, "later", props) == {}


def test_a_wallet_key_is_refused_only_when_it_reaches_the_engine_in_plain_text(
    analyzer: _PolicyAnalyzerServicer,
) -> None:
    wallet = "0x" + "cd" * 32
    base = {"consumptionLimit": {"usd": 1}, "expiresAfter": "1d", "deliverTo": {"file": {}}}
    secret = {**base, "walletPrivateKey": {**SECRET_SIG, "value": wallet}}
    assert "venice-wallet-key-secret" not in analyze(
        analyzer, "venice:index:Web3ApiKey", "w", secret
    )
    plain = {**base, "walletPrivateKey": wallet}
    found = analyze(analyzer, "venice:index:Web3ApiKey", "w", plain)
    [message] = found["venice-wallet-key-secret"]
    assert "walletPrivateKey that is not a secret" in message and "cd" * 32 not in message


def test_the_engines_config_changes_limits_and_levels(analyzer: _PolicyAnalyzerServicer) -> None:
    props = {"consumptionLimit": {"usd": 50}, "expiresAfter": "1d", "modelPrivacy": "ALL"}
    configure(
        analyzer,
        {
            "venice-key-capped": {"enforcementLevel": "mandatory", "maxUsd": {"EPOCH": 10}},
            "venice-model-privacy": {"enforcementLevel": "disabled"},
            "venice-key-delivered": {"enforcementLevel": "advisory", "exemptResources": ["k"]},
        },
    )
    found = analyze(analyzer, PLUGIN, "k", props)
    assert sorted(found) == ["venice-key-capped"]
    assert "at most 10 per EPOCH" in found["venice-key-capped"][0]


def test_the_stack_policies_see_every_key_and_who_depends_on_it(
    analyzer: _PolicyAnalyzerServicer,
) -> None:
    key_urn = f"urn:pulumi:s::p::{PLUGIN}::rotating"
    resources = [
        proto.AnalyzerResource(
            type=PLUGIN,
            urn=key_urn,
            name="rotating",
            properties=struct({"consumptionLimit": {"usd": 60}, "rotateAfter": "30d"}),
        ),
        proto.AnalyzerResource(
            type="command:local:Command",
            urn="urn:pulumi:s::p::command:local:Command::app",
            name="app",
            properties=struct({}),
            dependencies=[key_urn],
        ),
    ]
    configure(
        analyzer,
        {
            "venice-stack-key-count": {"enforcementLevel": "mandatory", "maxKeys": 0},
            "venice-stack-budget": {"enforcementLevel": "mandatory", "usd": {"EPOCH": 50}},
        },
    )
    response = analyzer.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources), None)  # type: ignore[no-untyped-call]
    found = {d.policyName: d.message for d in response.diagnostics}
    assert sorted(found) == [
        "venice-rotation-grace",
        "venice-stack-budget",
        "venice-stack-key-count",
    ]
    assert 'while it is read by "app"' in found["venice-rotation-grace"]
    assert "add up to 60; the budget is 50" in found["venice-stack-budget"]


def test_every_policy_declares_its_schema_with_defaults(analyzer: _PolicyAnalyzerServicer) -> None:
    info = analyzer.GetAnalyzerInfo(None, None)  # type: ignore[no-untyped-call]
    assert [p.name for p in info.policies] == list(POLICY_NAMES)
    for policy in info.policies:
        schema = json_format.MessageToDict(policy.configSchema.properties)
        assert "exemptResources" in schema, policy.name
        assert all("default" in spec for spec in schema.values()), policy.name
        assert policy.description and policy.enforcementLevel in (proto.ADVISORY, proto.MANDATORY)
