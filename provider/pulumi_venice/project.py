"""Where the project lives, declared once: ``pyproject.toml``'s
``[project.urls] Homepage`` (read at run time from the package's metadata).

Everything that names the project's home derives from it: the Go SDK's
module path (``<home>/sdk``, its package ``<home>/sdk/go/venice``), the
plugin's download URL in the schema and every SDK (the home's GitHub
releases), and the SDKs' repository fields. A fork changes that one line.
"""

from __future__ import annotations

import functools
import importlib.metadata
from typing import Final
from urllib.parse import urlsplit

DISTRIBUTION: Final = "pulumi-venice"


@functools.cache
def home() -> str:
    """The project's home page, as pyproject.toml declares it (``https://github.com/<owner>/<repo>``)."""
    for entry in importlib.metadata.metadata(DISTRIBUTION).get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "homepage":
            return str(url).strip().rstrip("/")
    raise LookupError(
        f"{DISTRIBUTION}'s metadata has no Homepage URL ([project.urls] in pyproject.toml)"
    )


def _host_path() -> str:
    parts = urlsplit(home())
    return f"{parts.netloc}{parts.path}"


def go_module() -> str:
    """The Go module of the SDKs: ``github.com/<owner>/<repo>/sdk``."""
    return f"{_host_path()}/sdk"


def go_import_path() -> str:
    """The Go SDK's package: ``github.com/<owner>/<repo>/sdk/go/venice``."""
    return f"{go_module()}/go/venice"


def plugin_download_url() -> str:
    """Where the engine fetches the plugin from: the home's GitHub releases
    (``github://api.github.com/<owner>/<repo>``, an asset
    ``pulumi-resource-venice-v<version>-<os>-<arch>.tar.gz`` of the release
    ``v<version>``)."""
    parts = urlsplit(home())
    if parts.netloc != "github.com":
        return home() + "/releases/download/v${VERSION}"
    return f"github://api.github.com{parts.path}"
