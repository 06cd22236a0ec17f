"""Wire a Venice key into something that needs it, without ever printing it.

The key's value (a secret output) becomes the content of an owner-only file
written by a second resource. Pulumi keeps it encrypted in state all the way.
"""

import pulumi
from secret_file import SecretFile

import pulumi_venice as venice

config = pulumi.Config()
path = config.get("keyFile") or "venice-api-key.secret"

key = venice.ApiKey(
    "app-key",
    api_key_type="INFERENCE",
    description="App key, delivered to a file (managed by Pulumi)",
    consumption_limit={"usd": 10},
)

key_file = SecretFile("app-key-file", path=path, content=key.api_key)

pulumi.export("key_id", key.id)
pulumi.export("key_file", key_file.path)
pulumi.export("key_file_sha256", key_file.sha256)
