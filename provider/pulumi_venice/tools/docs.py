"""The reference docs (``docs/``), rendered from the plugin's schema, which is
rendered from the settings models: one page per resource and per function,
the installation and every provider setting, the types, and the index.
``python -m pulumi_venice.tools.codegen`` writes them; a test fails while they are
stale. The pages written by hand (``_index.md``, ``guides/``) sit beside them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..plugin.schema import schema
from ..plugin.values import snake
from ..project import go_module, plugin_download_url

# Each page: its file, and the schema's resource it documents (None: others).
RESOURCE_PAGES: Final = {
    "api-key.md": "venice:index:ApiKey",
    "web3-api-key.md": "venice:index:Web3ApiKey",
}
_EXAMPLES: Final[Mapping[str, str]] = {
    "venice:index:ApiKey": """```yaml
# Pulumi YAML, on the plugin (python -m pulumi_venice.plugin --install)
resources:
  appKey:
    type: venice:ApiKey
    properties:
      apiKeyType: INFERENCE
      description: App key (managed by Pulumi)
      consumptionLimit: {usd: 25, diem: 5}
      rotateAfter: 30d
      retireGrace: 2d
outputs:
  appKeyValue: ${appKey.apiKey}   # a secret
```

```python
# Python, with the dynamic provider (pip install pulumi-venice)
import pulumi_venice as venice

key = venice.ApiKey(
    "app-key",
    api_key_type="INFERENCE",
    description="App key",
    consumption_limit=venice.ConsumptionLimitArgs(usd=25, diem=5),
)
```""",
    "venice:index:Web3ApiKey": """```yaml
resources:
  agentKey:
    type: venice:Web3ApiKey
    properties:
      apiKeyType: INFERENCE
      walletPrivateKey: ${walletKey}   # a secret config value
      adminApiKey: ${walletAdmin.apiKey}
```""",
}


def _type(spec: Mapping[str, Any]) -> str:
    if "$ref" in spec:
        token = str(spec["$ref"]).rsplit(":", 1)[1]
        return f"[{token}](types.md#{token.lower()})"
    kind = str(spec.get("type", "string"))
    if kind == "array":
        return f"list of {_type(spec.get('items', {}))}"
    if kind == "object" and "additionalProperties" in spec:
        return "map of string"
    return kind


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _properties(
    properties: Mapping[str, Any], required: list[str], *, inputs: bool, changes: bool = False
) -> list[str]:
    """A table of properties; ``changes``: say what changing each input does."""
    header = "| name | Python | type | notes | description |"
    lines = [header, "|---|---|---|---|---|"]
    for name, spec in properties.items():
        notes = []
        if name in required:
            notes.append("required" if inputs else "always set")
        if spec.get("secret"):
            notes.append("secret")
        if spec.get("replaceOnChanges"):
            notes.append("a change replaces the key")
        elif changes:
            notes.append("a change updates it in place")
        default = spec.get("defaultInfo", {}).get("environment")
        if default:
            notes.append("env " + ", ".join(f"`{v}`" for v in default))
        lines.append(
            f"| `{name}` | `{snake(name)}` | {_type(spec)} | {', '.join(notes)} "
            f"| {_cell(str(spec.get('description', '')))} |"
        )
    return lines


def _resource_page(token: str, resource: Mapping[str, Any]) -> str:
    name = token.rsplit(":", 1)[1]
    lines = [f"# {name}", "", f"`{token}`: {resource['description']}", ""]
    if token in _EXAMPLES:
        lines += ["## Example", "", _EXAMPLES[token], ""]
    lines += ["## Inputs", ""]
    lines += _properties(
        resource["inputProperties"], resource.get("requiredInputs", []), inputs=True, changes=True
    )
    lines += ["", "## Outputs", ""]
    lines += _properties(resource["properties"], resource.get("required", []), inputs=False)
    return "\n".join(lines) + "\n"


INSTALL: Final = """## Install

A release (`scripts/release` makes one; every file of it is listed in its
`SHA256SUMS`) is installed as any Pulumi provider is: the SDK of your
language, and nothing else. The SDKs name the plugin `venice`, its version
and its release site ({server}): the engine downloads the plugin by itself
the first time a program needs it, and installs what the plugin needs (its
own virtualenv) with it.

| language | install | then |
|---|---|---|
| TypeScript | `npm install ./pulumi-venice-venice-<version>.tgz` (the release's npm tarball; `npm install @pulumi-venice/venice` once it is published) | `import * as venice from "@pulumi-venice/venice"` |
| Python, on the plugin | `pip install ./pulumi_venice_sdk-<version>-py3-none-any.whl` | `import pulumi_venice_sdk as venice` |
| Python, the dynamic provider | `pip install ./pulumi_venice-<version>-py3-none-any.whl` into the program's virtualenv (no plugin at all) | `import pulumi_venice as venice` |
| Go | `go get {go_module}/go/venice@v<version>`, then `go mod tidy` | `import "{go_module}/go/venice"` |
| YAML | nothing: name the version and the release site in the resource's options (`options: {{version: <version>, pluginDownloadURL: {server}}}`) | `type: venice:index:ApiKey` |

Where you want the plugin installed ahead of time (an image, an offline
runner): `pulumi plugin install resource venice <version> --server {server}`.
Or let the CLI generate the SDK into your project: `pulumi package add
venice` (a Pulumi YAML or TypeScript project; the CLI and its language hosts
must be of one release, see the
[native plugin guide](guides/native-plugin.md)).
`tests/e2e/test_release_site.py` runs these steps for TypeScript, YAML and Go
with an empty `PULUMI_HOME`, the release served on 127.0.0.1 in place of the
release site (`PULUMI_PLUGIN_DOWNLOAD_URL_OVERRIDES`).

### From a checkout of the repository

```console
$ pip install /path/to/pulumi-venice            # a clone of the repository
$ python -m pulumi_venice.plugin --install       # the plugin `venice` into Pulumi's plugin cache
```

The plugin installed this way runs on the Python that installed it; run the
second command again after upgrading. Then use the SDK of your language,
checked in under `sdk/` of the repository:

| language | SDK | how |
|---|---|---|
| Python | `pulumi_venice` (dynamic provider) or `sdk/python` (`pulumi_venice_sdk`, on the plugin) | nothing more, or `pip install /path/to/pulumi-venice/sdk/python` |
| TypeScript | `sdk/nodejs` (`@pulumi-venice/venice`) | build it once with `npm install && npm run build`, copy its `package.json` into `bin/`, and `npm install` that folder (see [the first stack](_index.md#typescript)) |
| Go | `sdk/go/venice` (module `{go_module}`) | `go mod edit -require={go_module}@v0.0.0 -replace={go_module}=/path/to/pulumi-venice/sdk`, then `go mod tidy` |
| YAML | none needed | `type: venice:index:ApiKey` |

Nothing is downloaded by Pulumi then: the plugin is in its cache.
"""


def _installation_page(package: Mapping[str, Any]) -> str:
    provider = package["provider"]
    lines = [
        "# Installation and configuration",
        "",
        INSTALL.format(go_module=go_module(), server=plugin_download_url()),
        "## Configuration",
        "",
        str(provider["description"]),
        "",
        "Set each as stack config (`pulumi config set venice:baseUrl ...`, with "
        "`--secret` for `apiKey`), as the inputs of an explicit `venice.Provider`, "
        "or in the environment variable named; stack config wins over the environment.",
        "",
    ]
    lines += _properties(provider["inputProperties"], [], inputs=True)
    return "\n".join(lines) + "\n"


def _function_page(token: str, function: Mapping[str, Any]) -> str:
    name = token.rsplit(":", 1)[1]
    lines = [f"# {name}", "", f"`{token}`: {function['description']}", ""]
    inputs = function.get("inputs", {}).get("properties", {})
    if inputs:
        lines += ["## Inputs", ""]
        lines += _properties(inputs, function["inputs"].get("required", []), inputs=True)
        lines.append("")
    outputs = function["outputs"].get("properties", {})
    lines += ["## Outputs", ""]
    lines += _properties(outputs, function["outputs"].get("required", []), inputs=False)
    return "\n".join(lines) + "\n"


def function_page_name(token: str) -> str:
    """``venice:index:getApiKeys`` -> ``get-api-keys.md``."""
    return snake(token.rsplit(":", 1)[1]).replace("_", "-") + ".md"


def _types_page(package: Mapping[str, Any]) -> str:
    lines = ["# Types", ""]
    for token, spec in package["types"].items():
        name = token.rsplit(":", 1)[1]
        lines += [f"## {name}", "", str(spec.get("description", "")), ""]
        if "enum" in spec:
            lines += ["| value | name in SDKs | meaning |", "|---|---|---|"]
            for value in spec["enum"]:
                lines.append(f"| `{value['value']}` | `{value['name']}` | {value['description']} |")
        else:
            lines += _properties(spec.get("properties", {}), spec.get("required", []), inputs=False)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _landing(package: Mapping[str, Any]) -> str:
    functions = [
        f"  - [{token.rsplit(':', 1)[1]}]({function_page_name(token)}): {f['description']}"
        for token, f in package["functions"].items()
    ]
    return "\n".join(
        [
            f"# {package['displayName']} for Pulumi",
            "",
            str(package["description"]),
            "",
            "- [What it is, and a first stack](_index.md) in YAML, TypeScript, Python and Go",
            "- [Installation and configuration](installation-configuration.md): install, "
            "and every provider setting with its environment variable",
            "- Guides: [the guides' index](guides/README.md)",
            "- Reference, generated from the provider's schema (version "
            f"{package['version']}) by `python -m pulumi_venice.tools.codegen` (do not edit):",
            "  - [ApiKey](api-key.md): a key made with the account's ADMIN key",
            "  - [Web3ApiKey](web3-api-key.md): a key made by a wallet's signature",
            *functions,
            "  - [Types](types.md): spending caps, deliveries, enums and Venice's records",
            "",
        ]
    )


def render_docs() -> dict[str, str]:
    """Every generated page of docs/, by file name."""
    package = schema()
    pages = {
        page: _resource_page(token, package["resources"][token])
        for page, token in RESOURCE_PAGES.items()
    }
    for token, function in package["functions"].items():
        pages[function_page_name(token)] = _function_page(token, function)
    pages["installation-configuration.md"] = _installation_page(package)
    pages["types.md"] = _types_page(package)
    pages["README.md"] = _landing(package)
    return pages
