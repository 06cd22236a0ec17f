"""The docs are followed, not just read: a TypeScript user, in a new folder,
runs every step of docs/_index.md's TypeScript first stack as written (the
emulator standing in for Venice, as the page offers) with the release's npm
tarball and the real CLI, the engine downloading the plugin by itself from the
release served on 127.0.0.1, and gets a key up, its value, and the key
revoked."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pulumi_venice._version import __version__
from pulumi_venice.project import plugin_download_url

from ..support.cli import REPO, free_port, offline_env

pytestmark = pytest.mark.e2e

PAGE = REPO / "docs" / "_index.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
FILE_LINE = re.compile(r"^(?://|#) file: (\S+)\n")


def section(text: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of its level or
    above (a ``#`` line inside a code block is no heading)."""
    level = len(heading.split(" ")[0])
    lines = text.splitlines(keepends=True)
    start = lines.index(heading + "\n") + 1
    fenced = False
    for index in range(start, len(lines)):
        line = lines[index]
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and re.match(rf"#{{1,{level}}} ", line):
            return "".join(lines[start:index])
    return "".join(lines[start:])


def script_of(markdown: str, substitutions: dict[str, str]) -> str:
    """A bash script of the blocks, in order: each console line run, each
    file block written (its first line names the file)."""
    lines = ["set -euo pipefail", "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT"]
    for kind, body in BLOCK.findall(markdown):
        for old, new in substitutions.items():
            body = body.replace(old, new)
        named = FILE_LINE.match(body)
        if kind == "console":
            commands = [line[2:] for line in body.splitlines() if line.startswith("$ ")]
            lines += commands
            if any(c.endswith("&") for c in commands):
                lines.append("sleep 2  # the emulator starts")
        elif named is not None:
            lines += [
                f"cat > {named.group(1)} <<'VENICE_DOC_EOF'",
                body.rstrip("\n"),
                "VENICE_DOC_EOF",
            ]
    return "\n".join(lines) + "\n"


def test_a_typescript_user_follows_the_docs_to_a_key(
    pulumi_cli: Path, tmp_path: Path, dist: Path, release_site: str
) -> None:
    text = PAGE.read_text(encoding="utf-8")
    port = str(free_port())
    tarball = dist / f"pulumi-venice-venice-{__version__}.tgz"
    substitutions = {
        f"/path/to/pulumi-venice-venice-{__version__}.tgz": str(tarball),
        "/path/to/pulumi-venice": str(REPO),
        "8787": port,
    }
    first_stack = section(text, "## A first stack")
    script = script_of(first_stack[: first_stack.index("\n### ")], substitutions)
    script += script_of(section(text, "### TypeScript"), substitutions)
    assert "npm install @pulumi/pulumi" in script and "pulumi up --yes" in script
    # The backend the page logs in to is in the new folder: the CLI finds a
    # home of its own from the system's user database, not from HOME, so a
    # `--local` login would use (and leave behind) the real home's.
    assert 'pulumi login "file://$(pwd)"' in script
    assert "pulumi_venice.plugin --install" not in script  # no Python package, no copied folder
    env = offline_env(pulumi_cli, tmp_path / "pulumi-home", HOME=str(tmp_path), NO_COLOR="1")
    # The engine downloads the plugin by itself, from the release served here.
    del env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"]
    env["PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES"] = f"^{plugin_download_url()}={release_site}"
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, f"{script}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    values = re.findall(r"^VENICE_INFERENCE_KEY_\S+$", done.stdout, re.MULTILINE)
    assert len(values) == 1, done.stdout[-3000:]
    assert "Resources:\n    + 2 created" in done.stdout
    assert "- 2 deleted" in done.stdout  # destroy revoked it
