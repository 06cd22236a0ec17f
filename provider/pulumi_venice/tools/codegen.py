"""Writes what is derived from the settings models of :mod:`pulumi_venice.settings.inputs`
(the one declaration of each input): :mod:`pulumi_venice.dynamic.args` (the dynamic
provider's typed Args and outputs, what Python programs write) and, in a
checkout of the repository, the reference docs in ``docs/`` (from the
plugin's schema, itself made from the same models).

``python -m pulumi_venice.tools.codegen`` rewrites them; ``--check`` says whether
they are current (the tests run that). The plugin's schema is written too
(``schema.json``), from which ``scripts/gen-sdks`` makes the SDKs in ``sdk/``.
"""

from __future__ import annotations

import re
import sys
import types
import typing
from pathlib import Path
from typing import Any, Final, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..plugin.values import snake
from ..settings.fields import (
    LIST_OUTPUTS,
    OPTIONAL_OUTPUTS,
    OUTPUT_DOCS,
    Role,
    field_meta,
    fields_with,
    is_duration,
)
from ..settings.inputs import KeySettings, Web3KeySettings
from ..settings.key_settings import BaseKeySettings, LimitSettings

TARGET: Final = Path(__file__).parents[1] / "dynamic" / "args.py"
# docs/ of the repository this package is checked out in (none in a wheel).
REPOSITORY: Final = Path(__file__).resolve().parents[3]
DOCS: Final = REPOSITORY / "docs"

# Each Args class: its name, settings model and what it says of itself.
ARGS_CLASSES: Final[tuple[tuple[str, type[BaseKeySettings], str], ...]] = (
    (
        "ApiKeyArgs",
        KeySettings,
        "The inputs of an :class:`~pulumi_venice.ApiKey`.\n\n"
        "``api_key_type`` and ``keepers`` force a new key when they change; the\n"
        "other settings are updated in place. ``import_id`` adopts an existing key\n"
        "instead of creating one (only when the resource is created); give its\n"
        "secret as ``import_api_key`` if you have it.",
    ),
    (
        "Web3ApiKeyArgs",
        Web3KeySettings,
        "The inputs of a :class:`~pulumi_venice.Web3ApiKey`.\n\n"
        "The wallet signs for the key: give its private key as ``wallet_private_key``\n"
        "(kept as a secret) or, so that it never enters state, in the environment\n"
        "variable ``VENICE_WALLET_PRIVATE_KEY``. ``address``, if given, must be the\n"
        "wallet's. The other settings work as for :class:`ApiKeyArgs`; changing the\n"
        "wallet, ``api_key_type`` or ``keepers`` creates a new key.",
    ),
)
_CAMEL_IN_TICKS: Final = re.compile(r"`([a-z]+(?:[A-Z][a-z0-9]*)+)`")


def _snake_docs(text: str) -> str:
    """A schema description as a Python docstring: ``expiresAt`` -> ``expires_at``."""

    snaked = _CAMEL_IN_TICKS.sub(lambda match: f"``{snake(match[1])}``", text)
    return snaked.replace("`", "``").replace("````", "``")


def _plain(annotation: Any) -> tuple[Any, bool]:
    """The annotation without None, and whether None was allowed."""
    if get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return options[0], len(options) < len(get_args(annotation))
    return annotation, False


def program_type(info: FieldInfo) -> str:
    """What a Python program may pass for a setting."""
    declared = field_meta(info).get("program_type")
    if isinstance(declared, str):
        return declared
    annotation, optional = _plain(info.annotation)
    if is_duration(info):
        text = "pulumi.Input[str] | float"  # a duration, or a number of days
        optional = True
    elif annotation is LimitSettings:
        text = "ConsumptionLimitArgs | pulumi.Input[Mapping[str, Any]]"
        optional = True
    elif get_origin(annotation) is dict:
        text = "pulumi.Input[Mapping[str, pulumi.Input[str]]]"
        optional = True
    else:
        text = "pulumi.Input[str]"
    return f"{text} | None" if optional or not info.is_required() else text


def output_type(info: FieldInfo) -> str:
    """The type of a setting as an output of the resource."""
    declared = field_meta(info).get("output_type")
    if isinstance(declared, str):
        return declared
    annotation, optional = _plain(info.annotation)
    if annotation is LimitSettings:
        return "pulumi.Output[dict[str, float | None]]"
    if get_origin(annotation) is dict:
        return "pulumi.Output[dict[str, str]]"
    return "pulumi.Output[str | None]" if optional else "pulumi.Output[str]"


def _docstring(text: str | None, indent: str = "    ") -> list[str]:
    words = _snake_docs(text or "").split()
    lines: list[str] = []
    line = indent + '"""'
    for word in words:
        if len(line) + len(word) + 1 > 88 and line.strip() != '"""':
            lines.append(line.rstrip())
            line = indent + word
        else:
            line += word if line.endswith('"""') else " " + word
    return [*lines, line + '"""']


def _args_class(name: str, settings: type[BaseModel], doc: str) -> list[str]:
    fields = settings.model_fields
    required = [n for n, info in fields.items() if info.is_required()]
    optional = [n for n in fields if n not in required]
    body = [f"    {line}".rstrip() for line in doc.splitlines()]
    lines = ["", "", "@dataclass", f"class {name}:", '    """' + body[0].lstrip(), *body[1:]]
    lines += ['    """', ""]
    for field_name in required:
        lines.append(f"    {field_name}: {program_type(fields[field_name])}")
        lines += _docstring(fields[field_name].description)
    lines.append("    _: KW_ONLY  # every setting but the required ones is a keyword")
    for field_name in optional:
        lines.append(f"    {field_name}: {program_type(fields[field_name])} = None")
        lines += _docstring(fields[field_name].description)
    return lines


def _outputs_class(name: str, base: str | None, names: list[str], doc: str) -> list[str]:
    lines = ["", "", f"class {name}{f'({base})' if base else ''}:", f'    """{doc}"""', ""]
    for field_name in names:
        info = Web3KeySettings.model_fields.get(field_name) or KeySettings.model_fields.get(
            field_name
        )
        if info is None:  # an output of its own
            optional = field_name in OPTIONAL_OUTPUTS
            kind = "pulumi.Output[str | None]" if optional else "pulumi.Output[str]"
            if field_name in LIST_OUTPUTS:
                kind = "pulumi.Output[list[str]]"
            lines.append(f"    {field_name}: {kind}")
            lines += _docstring(OUTPUT_DOCS[field_name])
        else:
            lines.append(f"    {field_name}: {output_type(info)}")
            lines += _docstring(info.description)
    return lines


def render() -> str:
    """The text of args.py."""
    kept = set(fields_with(BaseKeySettings, Role.REPLACE, Role.UPDATE))
    shared = ["api_key", "last6_chars", "created_at"]
    shared += [n for n in BaseKeySettings.model_fields if n in kept]
    shared += [n for n in OUTPUT_DOCS if n not in shared]
    own = [
        n
        for n in fields_with(Web3KeySettings, Role.REPLACE, Role.UPDATE)
        if n not in BaseKeySettings.model_fields
    ]
    lines = [
        '"""The typed inputs and outputs of ApiKey and Web3ApiKey, as Python programs',
        "write them. Generated by ``python -m pulumi_venice.tools.codegen`` from the settings",
        'models of pulumi_venice.settings.inputs: edit those, not this file."""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Mapping",
        "from dataclasses import KW_ONLY, dataclass",
        "from datetime import date, datetime",
        "from typing import Any",
        "",
        "import pulumi",
        "",
        "",
        "@dataclass",
        "class ConsumptionLimitArgs:",
        '    """Spending caps of a key; leave one out for no cap in that currency."""',
        "",
    ]
    for field_name, info in LimitSettings.model_fields.items():
        lines.append(f"    {field_name}: pulumi.Input[float] | None = None")
        lines += _docstring(info.description)
    for name, settings, doc in ARGS_CLASSES:
        lines += _args_class(name, settings, doc)
    lines += _outputs_class(
        "KeyOutputs", None, shared, "The outputs every Venice key resource has (annotations only)."
    )
    lines += _outputs_class(
        "Web3KeyOutputs", "KeyOutputs", own, "The outputs of a key made by a wallet."
    )
    return "\n".join(lines) + "\n"


def outputs() -> dict[Path, str]:
    """Each derived file and its text (the docs only in a checkout)."""
    derived = {TARGET: render()}
    if (REPOSITORY / "pyproject.toml").is_file():
        from ..plugin.schema import schema_json
        from .docs import render_docs

        derived |= {DOCS / name: text for name, text in render_docs().items()}
        derived[REPOSITORY / "schema.json"] = schema_json() + "\n"
    return derived


def main(argv: list[str]) -> int:
    derived = outputs()
    if "--check" in argv:
        stale = [
            p for p, text in derived.items() if not p.is_file() or p.read_text("utf-8") != text
        ]
        for path in stale:
            print(f"{path} is stale: run python -m pulumi_venice.tools.codegen", file=sys.stderr)
        return 1 if stale else 0
    for path, text in derived.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
