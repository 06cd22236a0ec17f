"""A user's own tests of a program that uses ``ApiKey``, two ways:

- unit tests with ``pulumi.runtime.set_mocks``: no engine, no Venice; the
  mocks answer each resource's registration;
- a test of a script against the ``venice_emulator`` fixture, which the
  pulumi-venice package's pytest plugin provides: a real local Venice, with
  fault injection.

Run with ``pytest`` in this folder.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from pulumi_venice.venice.models import ConsumptionLimit, CreateApiKeyRequest


class VeniceMocks(pulumi.runtime.Mocks):
    """What Venice would answer: the inputs as stored, an id, a secret value."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ.endswith("venice:ApiKey"):
            outputs["api_key"] = f"VENICE_INFERENCE_KEY_mock_{args.name}"
            outputs["last6_chars"] = outputs["api_key"][-6:]
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        return {}, []


pulumi.runtime.set_mocks(VeniceMocks(), preview=False)

import infra  # noqa: E402 - the program must be imported after set_mocks


@pulumi.runtime.test  # type: ignore[untyped-decorator]  # (pulumi's is untyped)
def test_every_team_key_is_capped_in_both_currencies() -> Any:
    def check(limits: list[dict[str, Any]]) -> None:
        assert [(cap["usd"], cap["diem"]) for cap in limits] == [(5.0, 0), (20.0, 0)]

    return pulumi.Output.all(*(k.consumption_limit for k in infra.keys.values())).apply(check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]  # (pulumi's is untyped)
def test_keys_say_who_manages_them_and_cap_a_month() -> Any:
    key = infra.keys["search"]

    def check(values: list[Any]) -> None:
        description, limit_period = values
        assert description.endswith("(managed by Pulumi)")
        assert limit_period == "MONTH"

    return pulumi.Output.all(key.description, key.limit_period).apply(check)


def test_the_audit_finds_uncapped_keys(venice_emulator: Any) -> None:
    import audit

    venice_emulator.use()  # VENICE_BASE_URL and VENICE_API_KEY for this test
    with venice_emulator.client() as admin:
        admin.create_key(CreateApiKeyRequest(api_key_type="INFERENCE", description="open"))
        admin.create_key(
            CreateApiKeyRequest(
                api_key_type="INFERENCE",
                description="capped",
                consumption_limit=ConsumptionLimit(usd=1.0),
            )
        )
    venice_emulator.fail(503, count=2, method="GET")  # Venice has a bad moment
    assert audit.uncapped() == ["open"]  # the client retried through it
    assert len(venice_emulator.keys()) == 2


def test_an_outage_longer_than_the_retries_is_an_error(
    venice_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import audit

    venice_emulator.use()
    monkeypatch.setenv("VENICE_MAX_RETRIES", "1")
    venice_emulator.faults(error_rate=1.0)
    with pytest.raises(Exception, match="Venice"):
        audit.uncapped()
