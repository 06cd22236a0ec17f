"""What users' own tests get: the pytest plugin shipped in the package (the
``venice_emulator`` fixture, by entry point) and the documented example of a
program's unit tests with ``pulumi.runtime.set_mocks``
(examples/unit-testing), run as a user runs them: pytest in that folder."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys

from ..support.cli import REPO

EXAMPLE = REPO / "examples" / "unit-testing"


def test_the_plugin_is_registered_with_pytest() -> None:
    plugins = {e.name: e.value for e in importlib.metadata.entry_points(group="pytest11")}
    assert plugins.get("venice") == "pulumi_venice.tools.testing"


def test_the_unit_testing_example_passes_as_a_user_runs_it() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VENICE_", "PULUMI_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout, done.stdout[-2000:]


def test_a_failing_user_test_fails(tmp_path: object) -> None:
    """The fixture's emulator is real: a wrong expectation about it fails."""
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "pytest.ini").write_text("[pytest]\n")
    (folder / "test_wrong.py").write_text(
        "def test_wrong(venice_emulator):\n"
        "    with venice_emulator.client() as admin:\n"
        "        assert admin.list_keys() == ['not so']\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1 and "1 failed" in done.stdout, done.stdout[-2000:]
