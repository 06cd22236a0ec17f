"""The fault sweep (issue 30): for every Venice call each operation makes,
and every way that call can fail, through both doors and both kinds of key,
three promises hold:

1. every key the provider made that still works is in the state the engine
   would keep (a resource's key, or one in its grace);
2. the error tells truly what was done: no "nothing is left behind" while a
   key made works, and a key handed to the state is named, with the
   command that removes it;
3. no key value (nor the wallet's key) appears in any message.

The table in docs/guides/reliability.md is what this sweep runs (a test
checks it): operations by the Venice calls they make.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..support.sweep import (
    CALL_FAILURES,
    DOORS,
    OPERATIONS,
    SINK,
    Call,
    Fault,
    Operation,
    run_scenario,
    sweep_clients,
)

REPO = Path(__file__).resolve().parents[2]
GUIDE = REPO / "docs" / "guides" / "reliability.md"
TABLE_START = "<!-- fault sweep table: tests/core/test_fault_sweep.py writes it; do not edit -->"
TABLE_END = "<!-- end of the fault sweep table -->"


@pytest.fixture(autouse=True)
def clients_the_sweep_can_refuse(aws_endpoint: str) -> Iterator[None]:
    os.environ["SWEEP_AWS_ENDPOINT"] = aws_endpoint
    with sweep_clients():
        yield
    os.environ.pop("SWEEP_AWS_ENDPOINT", None)


def cases() -> list[tuple[str, Operation, str]]:
    return [
        (door, operation, kind)
        for operation in OPERATIONS
        for kind in operation.kinds
        for door in DOORS
    ]


def failure_points(operation: Operation, calls: list[Call]) -> list[Fault]:
    points: list[Fault] = [
        (calls, index, failure) for index in range(len(calls)) for failure in CALL_FAILURES
    ]
    if operation.sink is not None:
        points.append((calls, None, SINK))
    return points


@pytest.mark.parametrize(
    ("door", "operation", "kind"),
    cases(),
    ids=[f"{d}-{o.name.replace(' ', '_')}-{k}" for d, o, k in cases()],
)
def test_no_failure_leaves_a_key_nobody_holds_or_tells_an_untruth(
    door: str, operation: Operation, kind: str, tmp_path: Path
) -> None:
    clean, calls = run_scenario(door, operation, kind, tmp_path / "clean", None)
    assert clean.error is None, f"{operation} failed with no fault: {clean.error}"
    assert clean.broken == []
    assert calls, f"{operation} made no Venice call"
    broken: list[str] = []
    for number, fault in enumerate(failure_points(operation, calls)):
        _, index, failure = fault
        outcome, _ = run_scenario(door, operation, kind, tmp_path / str(number), fault)
        where = "the sink" if index is None else str(calls[index])
        broken += [f"{where} {failure.name}: {b}" for b in outcome.broken]
    assert broken == [], "\n".join(broken)


def render_table() -> str:
    """The guide's table: each operation, the Venice calls it makes, and the
    failures tried at each (run through both doors)."""
    rows = [
        "| operation | key | Venice calls, in order (each failed in every way) | scenarios |",
        "|---|---|---|---|",
    ]
    for operation in OPERATIONS:
        for kind in operation.kinds:
            outcome, calls = run_scenario(
                "dynamic", operation, kind, Path(os.environ["SWEEP_TMP"]) / operation.name, None
            )
            assert outcome.error is None
            listed = ", ".join(f"`{c}`" for c in calls)
            if operation.sink is not None:
                listed += ", and the sink"
            count = len(failure_points(operation, calls)) * len(DOORS)
            rows.append(f"| {operation.name} | `{kind}` | {listed} | {count} |")
    return "\n".join(rows)


def test_the_reliability_guide_shows_the_sweep_as_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWEEP_TMP", str(tmp_path))
    text = GUIDE.read_text(encoding="utf-8")
    expected = f"{TABLE_START}\n{render_table()}\n{TABLE_END}"
    if os.environ.get("VENICE_WRITE_SWEEP_TABLE"):
        start, end = text.index(TABLE_START), text.index(TABLE_END) + len(TABLE_END)
        GUIDE.write_text(text[:start] + expected + text[end:], encoding="utf-8")
        text = GUIDE.read_text(encoding="utf-8")
    assert expected in text, (
        "docs/guides/reliability.md's fault sweep table is stale; run "
        "VENICE_WRITE_SWEEP_TABLE=1 pytest tests/core/test_fault_sweep.py -k guide"
    )
