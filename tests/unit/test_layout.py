"""The package's folders are its layers (docs/guides/layout.md), and this
test holds them: imports only go down, only the two doors import Pulumi, no
hand-written module grows past 400 lines, and the paths that live in users'
stacks and installs stay importable as shims of a few lines."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from typing import Final

import pytest

PACKAGE: Final = Path(importlib.import_module("pulumi_venice").__file__ or "").parent
# The layers, lowest first: a module may import its own layer and those below.
LAYERS: Final = ("venice", "settings", "keys", "dynamic", "plugin", "policy", "tools")
# Package metadata any layer may read (they import nothing of the package).
METADATA: Final = frozenset({"pulumi_venice._version", "pulumi_venice.project"})
# The emulator stands apart: it speaks the wire models and reads the clock.
EMULATOR_MAY_IMPORT: Final = frozenset(
    {"pulumi_venice.venice.models", "pulumi_venice.settings.times"}
)
DOORS: Final = ("dynamic", "plugin")
# Paths that live in users' stacks and installs, kept as shims: the pickled
# dynamic providers, the plugin command, the console script, the pytest plugin.
SHIMS: Final = {
    "pulumi_venice.provider": "ApiKeyProvider",
    "pulumi_venice.web3_provider": "Web3ApiKeyProvider",
    "pulumi_venice.orphans": "main",
    "pulumi_venice.testing": "venice_emulator",
    "pulumi_venice.plugin.__main__": None,
}
GENERATED: Final = frozenset({"pulumi_venice.dynamic.args"})
MAX_LINES: Final = 400
SHIM_LINES: Final = 15


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: Final = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path) -> set[str]:
    """The package's modules (or packages) that ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("pulumi_venice")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif (node.module or "").startswith("pulumi_venice"):
                target = node.module or ""
            else:
                continue
            for alias in node.names:  # `from . import times` imports a module
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return found


def layer_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in (*LAYERS, "emulator") else None


def below_or_beside(layer: str, other: str | None) -> bool:
    """May a module of ``layer`` import one of ``other``? (Only tools use the emulator.)"""
    if other == "emulator":
        return layer == "tools"
    return other is not None and LAYERS.index(other) <= LAYERS.index(layer)


def test_every_module_belongs_to_a_layer_or_is_metadata_or_a_shim() -> None:
    loose = [
        n
        for n in MODULES
        if layer_of(n) is None and n not in METADATA and n not in SHIMS and n != "pulumi_venice"
    ]
    assert loose == [], f"modules outside the layers: {loose}"


def test_imports_only_go_down() -> None:
    upward = []
    for name, path in MODULES.items():
        layer = layer_of(name)
        if layer is None or name in SHIMS:
            continue
        for target in sorted(imports_of(name, path)):
            if target in METADATA or target == name:
                continue
            if layer == "emulator":
                if layer_of(target) != "emulator" and target not in EMULATOR_MAY_IMPORT:
                    upward.append(f"{name} -> {target}")
                continue
            if not below_or_beside(layer, layer_of(target)):
                upward.append(f"{name} -> {target}")
    assert upward == [], "imports that run up a layer:\n" + "\n".join(upward)


def test_only_the_doors_import_pulumi() -> None:
    outside = []
    for name, path in MODULES.items():
        if layer_of(name) in DOORS or name in SHIMS or name == "pulumi_venice":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            outside += [f"{name}: {n}" for n in names if n == "pulumi" or n.startswith("pulumi.")]
    assert outside == [], f"Pulumi imported outside the doors: {outside}"


def test_no_hand_written_module_is_over_400_lines() -> None:
    long = {
        name: lines
        for name, path in MODULES.items()
        if name not in GENERATED
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these by concern: {long}"


def test_an_init_only_re_exports() -> None:
    doing = []
    for name, path in MODULES.items():
        if path.name != "__init__.py" or name == "pulumi_venice":
            continue  # the package's face re-exports lazily (see its docstring)
        body = ast.parse(path.read_text(encoding="utf-8")).body
        kinds = (ast.Import, ast.ImportFrom, ast.Expr, ast.Assign, ast.AnnAssign)
        if any(not isinstance(node, kinds) for node in body):
            doing.append(name)
    assert doing == [], f"__init__.py with code of its own: {doing}"


@pytest.mark.parametrize("shim", sorted(SHIMS))
def test_paths_users_hold_stay_importable_as_short_shims(shim: str) -> None:
    path = MODULES[shim]
    assert len(path.read_text(encoding="utf-8").splitlines()) <= SHIM_LINES
    if shim.endswith("__main__"):
        return  # running it runs the command (tests/doors/test_plugin.py does)
    attribute = SHIMS[shim]
    assert attribute is not None
    assert callable(getattr(importlib.import_module(shim), attribute))


def test_the_tests_guide_lists_every_test_file() -> None:
    """docs/guides/tests.md says what each test file proves, every one of them."""
    repository = Path(__file__).resolve().parents[2]
    guide = (repository / "docs" / "guides" / "tests.md").read_text(encoding="utf-8")
    files = sorted(p.relative_to(repository) for p in (repository / "tests").rglob("test_*.py"))
    unlisted = [str(f) for f in files if f"`{f}`" not in guide]
    assert unlisted == [], f"say in docs/guides/tests.md what these prove: {unlisted}"
