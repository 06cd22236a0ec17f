"""The package schema of the native provider ``venice``: its resources,
functions and configuration, each property described (these descriptions are
the API docs of every generated SDK).

The resources' properties are derived from the settings models
(:mod:`pulumi_venice.settings.inputs`: which fields exist, which replace, which are
secret), so the schema cannot drift from what the lifecycle core checks; the
functions' results from the wire models (:mod:`pulumi_venice.venice.models`).
"""

from __future__ import annotations

import functools
import json
import types
import typing
from collections.abc import Mapping
from typing import Any, Final, Literal, get_args, get_origin

from pydantic import BaseModel

from .._version import __version__
from ..project import go_import_path, home, plugin_download_url
from ..settings.fields import (
    LIST_OUTPUTS,
    OUTPUT_DOCS,
    OUTPUT_ONLY_FIELDS,
    Role,
    field_doc,
    fields_with,
    secret_fields,
)
from ..settings.inputs import SECRET_OUTPUTS, KeySettings, Web3KeySettings
from ..settings.key_settings import BaseKeySettings, LimitSettings
from ..settings.sinks import DeliverySettings
from ..venice.models import ENUMERATIONS, ApiKeyRecord, RateLimitLogEntry, RateLimits
from .schema_docs import CONFIG_DOCS, ENUM_VALUE_DOCS, RESULT_DOCS
from .values import camel

PACKAGE: Final = "venice"
API_KEY: Final = "venice:index:ApiKey"
WEB3_API_KEY: Final = "venice:index:Web3ApiKey"
GET_API_KEYS: Final = "venice:index:getApiKeys"
GET_API_KEY: Final = "venice:index:getApiKey"
GET_RATE_LIMITS: Final = "venice:index:getRateLimits"
GET_RATE_LIMIT_LOGS: Final = "venice:index:getRateLimitLogs"


def _literal(annotation: Any) -> Any:
    """The annotation without Optional and Annotated around it."""
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return _literal(next(a for a in get_args(annotation) if a is not type(None)))
    if origin is typing.Annotated:
        return _literal(get_args(annotation)[0])
    return annotation


def enum_name(name: str) -> str | None:
    """The enumeration (models.ENUMERATIONS) a settings field takes, if any."""
    annotation = _literal(KeySettings.model_fields[name].annotation)
    return next((n for n, values in ENUMERATIONS.items() if values == annotation), None)


def _enum_fields() -> dict[str, str]:
    """Each enumerated settings field and its enumeration's name."""
    named = {field: enum_name(field) for field in KeySettings.model_fields}
    return {field: enum for field, enum in named.items() if enum is not None}


def _enum_type(name: str) -> dict[str, Any]:
    """The enum type of a settings field whose annotation is a Literal."""
    annotation = _literal(KeySettings.model_fields[name].annotation)
    return {
        "type": "string",
        "description": field_doc(KeySettings, name),
        "enum": [
            {
                "name": "".join(part.capitalize() for part in value.split("_")),
                "value": value,
                "description": ENUM_VALUE_DOCS[value],
            }
            for value in get_args(annotation)
        ],
    }


def _ref(model: type[BaseModel]) -> str:
    return f"#/types/{PACKAGE}:index:{model.__name__}"


def _plain_type(annotation: Any, types_out: dict[str, Any]) -> dict[str, Any]:
    """A schema type for a Python annotation (nested models become shared types)."""
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        return _plain_type(options[0], types_out)
    if origin is typing.Annotated:
        return _plain_type(get_args(annotation)[0], types_out)
    if origin is Literal or annotation is str:
        return {"type": "string"}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation in (float, int):
        return {"type": "number"}
    if origin is list:
        return {"type": "array", "items": _plain_type(get_args(annotation)[0], types_out)}
    if origin is dict:
        return {"type": "object", "additionalProperties": {"type": "string"}}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        _object_type(annotation, types_out)
        return {"$ref": _ref(annotation)}
    return {"type": "string"}


def _object_type(model: type[BaseModel], types_out: dict[str, Any]) -> None:
    """A wire model as a shared object type (named by its wire field names)."""
    token = f"{PACKAGE}:index:{model.__name__}"
    if token in types_out:
        return
    types_out[token] = {}  # reserved first: models may nest
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, info in model.model_fields.items():
        wire_name = info.alias or camel(name)
        spec = _plain_type(info.annotation, types_out)
        spec["description"] = RESULT_DOCS.get(wire_name, f"`{wire_name}` as Venice reports it.")
        properties[wire_name] = spec
        if info.is_required():
            required.append(wire_name)
    types_out[token] = {
        "type": "object",
        "description": (model.__doc__ or model.__name__).strip().splitlines()[0],
        "properties": properties,
        "required": required,
    }


def _resource(
    settings: type[BaseKeySettings], description: str, output_only: tuple[str, ...]
) -> dict[str, Any]:
    """A resource's inputs (the settings' fields) and outputs (those plus its own)."""
    replaces = set(fields_with(settings, Role.REPLACE))
    secrets = secret_fields(settings) | set(SECRET_OUTPUTS)
    inputs: dict[str, Any] = {}
    required_inputs: list[str] = []
    for name, info in settings.model_fields.items():
        spec = _input_type(name, info.annotation)
        spec["description"] = field_doc(settings, name)
        if name in secrets:
            spec["secret"] = True
        if name in replaces:
            spec["replaceOnChanges"] = True
        inputs[camel(name)] = spec
        if info.is_required():
            required_inputs.append(camel(name))
    # What matters only at creation (a wallet's private key, an import's id
    # and value) is never an output: the provider does not keep it.
    create_only = {camel(name) for name in fields_with(settings, Role.CREATE_ONLY)}
    outputs = {k: dict(v) for k, v in inputs.items() if k not in create_only}
    for name in output_only:
        spec = {"type": "string", "description": OUTPUT_DOCS[name]}
        if name in LIST_OUTPUTS:
            spec = {"type": "array", "items": {"type": "string"}, "description": OUTPUT_DOCS[name]}
        if name in secrets:
            spec["secret"] = True
        outputs[camel(name)] = spec
    stable = ["apiKeyType", "description", "consumptionLimit", "limitPeriod", "modelPrivacy"]
    return {
        "description": description,
        "inputProperties": inputs,
        "requiredInputs": required_inputs,
        "properties": outputs,
        "required": [*stable, "last6Chars", "createdAt", "keepers"],
    }


def _input_type(name: str, annotation: Any) -> dict[str, Any]:
    enum = enum_name(name) if name in KeySettings.model_fields else None
    if enum is not None:
        return {"$ref": f"#/types/{PACKAGE}:index:{enum}"}
    if name == "consumption_limit":
        return {"$ref": f"#/types/{PACKAGE}:index:ConsumptionLimit"}
    if name == "deliver_to":
        return {"$ref": f"#/types/{PACKAGE}:index:Delivery"}
    if name == "keepers":
        return {"type": "object", "additionalProperties": {"type": "string"}}
    return _plain_type(annotation, {})


# The input object types of the settings (named as the schema names them).
SETTINGS_TYPES: Final[Mapping[str, type[BaseModel]]] = {"Delivery": DeliverySettings}


def _settings_type(token_name: str, model: type[BaseModel], types_out: dict[str, Any]) -> None:
    """A settings model as an input object type: camelCase fields, each with
    its declared description; nested models become types of their own."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, info in model.model_fields.items():
        nested = _literal(info.annotation)
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            _settings_type(nested.__name__, nested, types_out)
            spec: dict[str, Any] = {"$ref": f"#/types/{PACKAGE}:index:{nested.__name__}"}
        else:
            spec = _plain_type(info.annotation, types_out)
        spec["description"] = info.description or ""
        properties[camel(name)] = spec
        if info.is_required():
            required.append(camel(name))
    types_out[f"{PACKAGE}:index:{token_name}"] = {
        "type": "object",
        "description": (model.__doc__ or token_name).strip().splitlines()[0],
        "properties": properties,
        **({"required": required} if required else {}),
    }


def _limit_type() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "A key's spending caps; each optional.",
        "properties": {
            name: {"type": "number", "description": info.description}
            for name, info in LimitSettings.model_fields.items()
        },
    }


# The settings' schema types (the rest are strings): typed, so that a
# TypeScript or Go program gives `maxRetries: 3`, not `"3"`.
CONFIG_TYPES: Final[Mapping[str, str]] = {
    "requestTimeout": "number",
    "maxRetries": "integer",
    "operationTimeout": "number",
    "rateLimitTimeout": "number",
}


def _config() -> dict[str, Any]:
    variables: dict[str, Any] = {}
    for name, (environment, doc) in CONFIG_DOCS.items():
        spec: dict[str, Any] = {
            "type": CONFIG_TYPES.get(name, "string"),
            "description": doc,
            "defaultInfo": {"environment": [environment]},
        }
        if name == "apiKey":
            spec["secret"] = True
        variables[name] = spec
    return variables


def _function(
    description: str, outputs: dict[str, Any], inputs: dict[str, Any] | None = None
) -> dict[str, Any]:
    function: dict[str, Any] = {"description": description, "outputs": outputs}
    if inputs is not None:
        function["inputs"] = inputs
    return function


@functools.cache
def schema() -> dict[str, Any]:
    """The package schema (built once per process)."""
    shared: dict[str, Any] = {f"{PACKAGE}:index:ConsumptionLimit": _limit_type()}
    shared |= {f"{PACKAGE}:index:{enum}": _enum_type(name) for name, enum in _enum_fields().items()}
    for model in (ApiKeyRecord, RateLimits, RateLimitLogEntry):
        _object_type(model, shared)
    for token_name, settings_model in SETTINGS_TYPES.items():
        _settings_type(token_name, settings_model, shared)
    record = dict(shared[f"{PACKAGE}:index:ApiKeyRecord"])
    config = _config()
    return {
        "name": PACKAGE,
        "displayName": "Venice AI",
        "version": __version__,
        "description": "Venice AI API keys as code: ordinary and wallet-made keys, their caps, "
        "rotation, and the account's keys and limits.",
        "keywords": ["pulumi", "venice", "ai", "api-keys", "category/utility"],
        "license": "Apache-2.0",
        "publisher": "pulumi-venice",
        "homepage": home(),
        "repository": home(),
        "pluginDownloadURL": plugin_download_url(),
        "config": {"variables": config},
        "provider": {
            "description": "A Venice account: its admin key and API. An explicit provider "
            "manages another account's keys in the same stack.",
            "inputProperties": config,
            "properties": {"baseUrl": config["baseUrl"]},
        },
        "types": shared,
        "resources": {
            API_KEY: _resource(
                KeySettings,
                "A Venice API key, made with the account's ADMIN key. Its value is a secret "
                "output; caps and policies change in place; the type and keepers replace it "
                "(the new key first, then the old one is retired).",
                OUTPUT_ONLY_FIELDS,
            ),
            WEB3_API_KEY: _resource(
                Web3KeySettings,
                "A Venice API key made with a wallet's signature (no admin key needed to "
                "create it).",
                OUTPUT_ONLY_FIELDS,
            ),
        },
        "functions": {
            GET_API_KEYS: _function(
                "Every active key of the account (never a key's value).",
                {
                    "type": "object",
                    "properties": {
                        "keys": {
                            "type": "array",
                            "items": {"$ref": _ref(ApiKeyRecord)},
                            "description": "The keys.",
                        }
                    },
                    "required": ["keys"],
                },
            ),
            GET_API_KEY: _function(
                "One key of the account by its id.",
                {key: value for key, value in record.items() if key != "description"},
                {
                    "type": "object",
                    "properties": {"id": {"type": "string", "description": "The key's id."}},
                    "required": ["id"],
                },
            ),
            GET_RATE_LIMITS: _function(
                "The admin key's tier, balances and per-model rate limits.",
                {
                    k: v
                    for k, v in shared[f"{PACKAGE}:index:RateLimits"].items()
                    if k != "description"
                },
            ),
            GET_RATE_LIMIT_LOGS: _function(
                "The account's last 50 rate-limit events, newest first.",
                {
                    "type": "object",
                    "properties": {
                        "entries": {
                            "type": "array",
                            "items": {"$ref": _ref(RateLimitLogEntry)},
                            "description": "The events.",
                        }
                    },
                    "required": ["entries"],
                },
            ),
        },
        "language": {
            "python": {"packageName": "pulumi_venice_sdk", "respectSchemaVersion": True},
            "nodejs": {"packageName": "@pulumi-venice/venice", "respectSchemaVersion": True},
            "go": {
                "importBasePath": go_import_path(),
                "respectSchemaVersion": True,
            },
        },
    }


def schema_json() -> str:
    return json.dumps(schema(), indent=1)
