"""The ApiKey resource class, under Pulumi's mocks (no engine, no HTTP)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pulumi
import pytest

from pulumi_venice import ApiKey, ApiKeyArgs, ConsumptionLimitArgs, Web3ApiKeyArgs
from pulumi_venice.dynamic.resources import resource_props, secret_options
from pulumi_venice.settings.inputs import KeySettings, Web3KeySettings


class Mocks(pulumi.runtime.Mocks):
    """Records each registration and answers with the inputs as outputs."""

    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args)
        outputs = dict(args.inputs)
        outputs["api_key"] = "VENICE_INFERENCE_KEY_mocked_value"
        return "key-id-1", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        return {}, []


@pytest.fixture
def mocks() -> Iterator[Mocks]:
    # Pulumi's test runtime needs a current event loop; other tests may have
    # closed the default one (asyncio.run does).
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    recorder = Mocks()
    pulumi.runtime.set_mocks(recorder, preview=False)
    yield recorder
    asyncio.set_event_loop(None)
    loop.close()


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_keyword_arguments_and_args_class_are_equivalent(mocks: Mocks) -> Any:
    by_kwargs = ApiKey(
        "a", api_key_type="INFERENCE", description="same", consumption_limit={"usd": 5}
    )
    by_args = ApiKey(
        "b",
        ApiKeyArgs(
            api_key_type="INFERENCE",
            description="same",
            consumption_limit=ConsumptionLimitArgs(usd=5),
        ),
    )

    def check(values: list[Any]) -> None:
        first, second = (
            {k: v for k, v in r.inputs.items() if k not in ("__provider", "__identity")}
            for r in mocks.registered
        )
        assert first == second
        assert sorted(r.inputs["__identity"] for r in mocks.registered) == ["a", "b"]
        assert first["consumption_limit"] == {"usd": 5}
        assert mocks.registered[0].typ == "pulumi-python:dynamic/venice:ApiKey"

    return pulumi.Output.all(by_kwargs.id, by_args.id).apply(check)


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_a_key_under_a_parent_names_itself_under_the_parents_type(mocks: Mocks) -> Any:
    """Two keys of one name under components of two types are two resources to
    the provider too (a replacement's diff and create meet on this identity)."""
    keys: list[ApiKey] = []
    for team in ("Red", "Blue"):
        parent = pulumi.ComponentResource(f"test:index:{team}", team.lower())
        keys.append(
            ApiKey(
                "k",
                api_key_type="INFERENCE",
                description="d",
                opts=pulumi.ResourceOptions(parent=parent),
            )
        )

    def check(_: Any) -> None:
        identities = [r.inputs["__identity"] for r in mocks.registered if r.typ.endswith("ApiKey")]
        assert sorted(identities) == ["test:index:Blue::k", "test:index:Red::k"]

    return pulumi.Output.all(*(key.id for key in keys)).apply(check)


def test_resource_asks_the_engine_to_keep_api_key_secret() -> None:
    """The engine applies this option (mocks do not: the e2e tests prove the effect)."""
    merged = secret_options(pulumi.ResourceOptions(protect=True))
    assert merged.additional_secret_outputs == ["api_key", "admin_api_key", "retiring_key_values"]
    assert merged.protect is True


def test_both_args_and_keywords_is_an_error() -> None:
    with pytest.raises(TypeError, match="not both"):
        ApiKey("k", ApiKeyArgs(api_key_type="ADMIN", description="d"), description="x")


def test_datetimes_become_iso_text() -> None:
    later = datetime(2031, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    props = resource_props(ApiKeyArgs("INFERENCE", "d", expires_at=later))
    assert props["expires_at"] == "2031-05-01T12:30:00.000Z"
    props = resource_props(ApiKeyArgs("INFERENCE", "d", expires_at=date(2031, 5, 1)))
    assert props["expires_at"] == "2031-05-01"
    with pytest.raises(ValueError, match="timezone-aware"):
        resource_props(ApiKeyArgs("INFERENCE", "d", expires_at=datetime(2031, 5, 1)))
    assert datetime.now(UTC) < later


def test_outputs_are_declared_for_pulumi_to_resolve() -> None:
    props = resource_props(ApiKeyArgs("INFERENCE", "d"))
    for name in ("api_key", "last6_chars", "created_at", "limit_period", "model_privacy"):
        assert name in props and props[name] is None


def test_args_classes_declare_exactly_the_inputs_of_the_settings() -> None:
    """An input is declared on the settings model (its role, secrecy) and typed on
    the Args class: adding one to either alone fails here."""
    assert {f.name for f in fields(ApiKeyArgs)} == set(KeySettings.model_fields)
    assert {f.name for f in fields(Web3ApiKeyArgs)} == set(Web3KeySettings.model_fields)


def test_a_misspelled_input_names_the_likely_one() -> None:
    with pytest.raises(
        TypeError, match="ApiKey has no input 'descripton' \\(did you mean description\\?"
    ):
        ApiKey("k", api_key_type="INFERENCE", descripton="typo")


def test_the_args_module_is_generated_from_the_settings_models() -> None:
    """args.py is what ``python -m pulumi_venice.tools.codegen`` writes from the
    settings models: a setting added there is an argument, typed and documented,
    once that command is run (and this test fails until it is)."""
    from pulumi_venice.dynamic import args
    from pulumi_venice.tools import codegen

    assert Path(args.__file__).read_text(encoding="utf-8") == codegen.render()
    assert codegen.main(["--check"]) == 0


def test_every_optional_argument_is_a_keyword() -> None:
    with pytest.raises(TypeError):
        ApiKeyArgs("INFERENCE", "d", "2031-01-01")  # type: ignore[call-arg]
    assert Web3ApiKeyArgs("ADMIN", wallet_private_key="0x" + "1" * 64).api_key_type == "ADMIN"


def test_the_reference_docs_are_rendered_from_the_schema() -> None:
    """docs/ is what the codegen renders from the plugin's schema, page for page."""
    from pulumi_venice.tools.docs import render_docs

    docs = Path(__file__).resolve().parents[2] / "docs"
    pages = render_docs()
    written_by_hand = {"_index.md"}  # and guides/
    assert {p.name for p in docs.glob("*.md")} == set(pages) | written_by_hand
    for name, text in pages.items():
        assert (docs / name).read_text(encoding="utf-8") == text, f"docs/{name} is stale"
    assert "| `walletPrivateKey` | `wallet_private_key` |" in pages["web3-api-key.md"]
