"""The SDKs checked in under ``sdk/``, generated from the checked-in
``schema.json`` by the real CLI's code generators (``scripts/gen-sdks`` runs
``python -m pulumi_venice.tools.sdks``), never edited by hand and never by
the tests (scripts/ensure-pulumi's hosts carry the one upstream fix they need).

- ``sdk/nodejs``: the TypeScript SDK (``npm install && npm run build``);
- ``sdk/python``: the Python SDK (``pip install ./sdk/python``), the package
  ``pulumi_venice_sdk``;
- ``sdk/go/venice``: the Go SDK, a package of the Go module ``<home>/sdk``
  (:func:`~pulumi_venice.project.go_module`; ``sdk/go.mod`` and
  ``sdk/go.sum``, by ``go mod tidy``), as the bridged providers lay it out.

``--check`` regenerates into a scratch folder and names every file that
differs from ``sdk/``, as pulumi-command's "worktree clean" check does.
"""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Final

from ..project import go_module
from .codegen import REPOSITORY
from .installer import SDK_LANGUAGES, InstallError, generate_sdk

SCHEMA: Final = REPOSITORY / "schema.json"
SDK: Final = REPOSITORY / "sdk"
GO_MODULE: Final = go_module()
# The Go SDK's dependency: the release of the Go language host the module
# proxy serves here (docs/guides/pulumi-cli-offline.md).
GO_PULUMI: Final = "github.com/pulumi/pulumi/sdk/v3 v3.192.0"
# What generation writes (compared by --check); go.mod and go.sum are the
# module's, written once by `go mod tidy`.
GENERATED: Final = {"nodejs": "nodejs", "python": "python", "go": "go/venice"}


def generate(out: Path, schema: Path = SCHEMA) -> list[Path]:
    """Every SDK from ``schema`` into ``out`` (each language's folder replaced)."""
    made = []
    for language in SDK_LANGUAGES:
        shutil.rmtree(out / GENERATED[language], ignore_errors=True)
        made.append(generate_sdk(language, out, schema))
    return made


def write_go_module(sdk: Path) -> None:
    """``sdk/go.mod`` for the Go SDK's module, and ``go.sum`` (``go mod tidy``:
    it asks the Go module proxy once)."""
    (sdk / "go.mod").write_text(f"module {GO_MODULE}\n\ngo 1.25\n\nrequire {GO_PULUMI}\n")
    done = subprocess.run(
        ["go", "mod", "tidy"],  # noqa: S607 (the Go toolchain on PATH)
        cwd=sdk,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise InstallError(f"go mod tidy failed in {sdk}: {done.stderr.strip()[-500:]}")


def differences(expected: Path, actual: Path) -> list[str]:
    """Files (relative) that are missing, extra or different under ``actual``."""

    def walk(comparison: filecmp.dircmp[str], prefix: str) -> list[str]:
        found = [f"{prefix}{name}" for name in comparison.left_only + comparison.right_only]
        found += [f"{prefix}{name}" for name in comparison.diff_files]
        for name, sub in comparison.subdirs.items():
            found += walk(sub, f"{prefix}{name}/")
        return found

    return sorted(walk(filecmp.dircmp(expected, actual, ignore=["__pycache__"]), ""))


def stale(schema: Path = SCHEMA, sdk: Path = SDK) -> list[str]:
    """What in ``sdk`` differs from the SDKs ``schema`` generates."""
    with tempfile.TemporaryDirectory(prefix="venice-sdks-") as scratch:
        generate(Path(scratch), schema)
        return [
            f"{GENERATED[language]}/{name}"
            for language in SDK_LANGUAGES
            for name in differences(Path(scratch) / GENERATED[language], sdk / GENERATED[language])
        ]


def main(argv: list[str]) -> int:
    try:
        if "--check" in argv:
            found = stale()
            for name in found:
                print(f"sdk/{name} differs from what schema.json generates", file=sys.stderr)
            if found:
                print("run scripts/gen-sdks", file=sys.stderr)
            return 1 if found else 0
        for folder in generate(SDK):
            print(f"wrote {folder}")
        write_go_module(SDK)
        print(f"wrote {SDK / 'go.mod'} and go.sum")
    except InstallError as error:
        print(f"pulumi_venice.tools.sdks: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
