"""A small dynamic resource for the example: writes a secret into a local file
that only its owner can read (mode 0600), and removes it on destroy.

Stands in for whatever consumes the key in a real stack (a Kubernetes Secret,
a secrets manager entry, a CI secret). It never returns the content as an
output, so the secret stays only where it was asked to go.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.runtime.rpc import unwrap_rpc_secret


def _write(path: Path, content: str) -> str:
    """Write atomically (a temporary file renamed over the old one), so a
    consumer reading the file never sees it empty or half written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.chmod(temporary, 0o600)  # also when a leftover temporary file had other modes
    temporary.replace(path)
    return hashlib.sha256(content.encode()).hexdigest()


class SecretFileProvider(pulumi.dynamic.ResourceProvider):
    serialize_as_secret_always = False

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        path = Path(props["path"])
        digest = _write(path, unwrap_rpc_secret(props["content"]))
        return pulumi.dynamic.CreateResult(str(path), {"path": str(path), "sha256": digest})

    def diff(
        self, _id: str, olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.DiffResult:
        content = unwrap_rpc_secret(news["content"])
        digest = hashlib.sha256(str(content).encode()).hexdigest()
        changed = olds.get("sha256") != digest or olds.get("path") != news["path"]
        replaces = ["path"] if olds.get("path") != news["path"] else []
        return pulumi.dynamic.DiffResult(changes=changed, replaces=replaces)

    def update(
        self, _id: str, _olds: dict[str, Any], news: dict[str, Any]
    ) -> pulumi.dynamic.UpdateResult:
        digest = _write(Path(news["path"]), unwrap_rpc_secret(news["content"]))
        return pulumi.dynamic.UpdateResult({"path": news["path"], "sha256": digest})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        Path(id_).unlink(missing_ok=True)


class SecretFile(pulumi.dynamic.Resource, module="example", name="SecretFile"):
    path: pulumi.Output[str]
    sha256: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        path: pulumi.Input[str],
        content: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"path": path, "content": pulumi.Output.secret(content), "sha256": None}
        super().__init__(SecretFileProvider(), name, props, opts)
