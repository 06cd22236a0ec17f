"""The native plugin's folder: one executable that serves the provider with
this interpreter (what the engine runs, checked here without the CLI)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import grpc
import pytest
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from pulumi_venice.tools.installer import LAUNCHER, InstallError, generate_sdk, plugin_dir

from ..support.cli import served_plugin


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return plugin_dir()


def test_the_folder_holds_one_executable_naming_this_interpreter(folder: Path) -> None:
    launcher = folder / LAUNCHER
    assert [item.name for item in folder.iterdir()] == [LAUNCHER]
    assert os.access(launcher, os.X_OK)
    text = launcher.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n")
    assert f"exec {sys.executable} -m pulumi_venice.plugin.serve" in text


def test_a_folder_of_the_earlier_form_is_mended(folder: Path) -> None:
    (folder / "PulumiPlugin.yaml").write_text("runtime: python\n", encoding="utf-8")
    (folder / "__main__.py").write_text("", encoding="utf-8")
    (folder / LAUNCHER).chmod(0o644)
    assert plugin_dir() == folder
    assert [item.name for item in folder.iterdir()] == [LAUNCHER]
    assert os.access(folder / LAUNCHER, os.X_OK)


def test_the_launcher_serves_the_provider_over_grpc(folder: Path) -> None:
    """Started as the engine starts it (engine address as the argument), it
    prints its port and answers GetSchema with the venice schema."""
    with (
        served_plugin() as (_, port),
        grpc.insecure_channel(f"127.0.0.1:{port}") as channel,
    ):
        stub = provider_pb2_grpc.ResourceProviderStub(channel)
        answer = stub.GetSchema(provider_pb2.GetSchemaRequest(), timeout=30)
    schema = json.loads(answer.schema)
    assert schema["name"] == "venice"
    assert "venice:index:ApiKey" in schema["resources"]


def test_an_sdk_is_generated_only_for_a_language_with_a_host_here(tmp_path: Path) -> None:
    with pytest.raises(InstallError, match=r"no SDK for 'ruby': choose one of nodejs, python, go"):
        generate_sdk("ruby", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_schemas_enums_are_the_wire_models_enumerations() -> None:
    """Each enum type is named after, and holds the values of, an enumeration
    of models.py: a new value there is a new value in every SDK."""
    from typing import get_args

    from pulumi_venice.plugin.schema import schema
    from pulumi_venice.venice.models import ENUMERATIONS

    types = schema()["types"]
    enums = {
        t.rsplit(":", 1)[1]: [v["value"] for v in s["enum"]]
        for t, s in types.items()
        if "enum" in s
    }
    assert enums == {name: list(get_args(values)) for name, values in ENUMERATIONS.items()}
    api_key = schema()["resources"]["venice:index:ApiKey"]["inputProperties"]
    assert api_key["apiKeyType"]["$ref"] == "#/types/venice:index:ApiKeyType"
