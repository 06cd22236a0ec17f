"""End to end: the data functions in a real Pulumi program, with the real CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ..support.project import PulumiProject

pytestmark = pytest.mark.e2e

PROGRAM = Path(__file__).parents[1] / "programs" / "functions"


def test_data_functions_read_the_account_from_a_stack(
    project_factory: Callable[..., PulumiProject], admin_key: str
) -> None:
    project = project_factory(PROGRAM)
    project.preview()  # the key's id is unknown here: get_api_key_output waits
    project.up()
    outputs = project.outputs(show_secrets=True)
    assert outputs["read_description"] == "read back by a function"
    assert len(outputs["read_last6"]) == 6
    assert outputs["key_count"] >= 1
    assert outputs["tier"] == "paid"
    assert "zai-org-glm-5-1" in outputs["models"]
    assert outputs["log_events"] == 0
    # Whole results export as objects with the documented snake_case names.
    assert outputs["rate_limits"]["api_tier"]["id"] == "paid"
    assert outputs["rate_limits"]["access_permitted"] is True
    assert {"api_model_id", "rate_limits"} <= set(outputs["rate_limits"]["rate_limits"][0])
    assert outputs["read_back"]["description"] == "read back by a function"
    assert outputs["read_back"]["consumption_limits"] == {"usd": None, "diem": None, "vcu": None}
    assert {"id", "description", "last6_chars"} <= set(outputs["all_keys"]["keys"][0])
    project.destroy()
    project.assert_never_shown([admin_key])
