"""End to end: after a refresh with no drift, preview shows no change, and a
real change shows only itself (expiries are compared as instants, and the
inputs a refresh records keep the form the program gave)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ..support.cli import REPO
from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

CONFIGURABLE = REPO / "tests" / "programs" / "configurable"


@pytest.mark.parametrize(
    "expiry",
    [{"expires_at": "2099-06-30"}, {"expires_after": "90d"}, {}],
    ids=["fixed date", "expires_after", "no expiry"],
)
def test_refresh_without_drift_leaves_nothing_to_change(
    project_factory: Callable[..., PulumiProject], expiry: dict[str, str]
) -> None:
    project = project_factory(CONFIGURABLE)
    for key, value in expiry.items():
        project.config(f"test:{key}", value)
    project.config("test:usd", "5")
    project.up()
    project.refresh()
    project.preview("--expect-no-changes")
    project.pulumi("preview", "--refresh", "--expect-no-changes")
    # A real change previews as itself alone.
    project.config("test:description", "renamed")
    shown = project.preview().stdout
    changed = [
        line.strip() for line in shown.splitlines() if line.strip().startswith(("~", "-", "+"))
    ]
    assert any("description" in line for line in changed), shown
    assert not any("expires_at" in line for line in changed), shown
    project.up()
    project.refresh()
    project.preview("--expect-no-changes")
    project.destroy()
