"""One version, the package's (pulumi_venice/_version.py), in every place a
user reads one: the package's metadata, the plugin's schema, schema.json,
every checked-in SDK, and the CHANGELOG's newest release."""

from __future__ import annotations

import importlib.metadata
import json
import re

from pulumi_venice._version import __version__
from pulumi_venice.plugin.schema import schema

from ..support.cli import REPO


def test_one_version_flows_everywhere() -> None:
    assert importlib.metadata.version("pulumi-venice") == __version__
    assert schema()["version"] == __version__
    assert json.loads((REPO / "schema.json").read_text())["version"] == __version__
    sdk = REPO / "sdk"
    package = json.loads((sdk / "nodejs" / "package.json").read_text())
    assert package["version"] == __version__ and package["pulumi"]["version"] == __version__
    go_plugin = json.loads((sdk / "go" / "venice" / "pulumi-plugin.json").read_text())
    assert go_plugin["version"] == __version__  # what the Go host asks the engine for
    setup = (sdk / "python" / "setup.py").read_text()
    assert f'VERSION = "{__version__}"' in setup
    changelog = (REPO / "CHANGELOG.md").read_text()
    newest = re.search(r"^## \[?(\d+\.\d+\.\d+)", changelog, re.MULTILINE)
    assert newest is not None and newest.group(1) == __version__


def test_the_readme_is_a_landing_page_whose_links_all_resolve() -> None:
    readme = REPO / "README.md"
    assert len(readme.read_bytes()) < 15_000
    pages = [readme, *sorted((REPO / "docs").rglob("*.md"))]
    dead = []
    for page in pages:
        text = re.sub(r"(?ms)^```.*?^```", "", page.read_text(encoding="utf-8"))
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://", "#")):
                continue
            if not (page.parent / target.split("#")[0]).exists():
                dead.append(f"{page.relative_to(REPO)}: {target}")
    assert dead == []
