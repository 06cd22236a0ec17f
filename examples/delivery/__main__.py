"""Keys whose value never enters the state, not even encrypted: each is
delivered by the provider, inside ``create``, straight to the place that
uses it (see docs/guides/keeping-the-key-out-of-state.md).

- ``file-key``: a file only its owner can read (``keyDir``/file.key);
- ``command-key``: a secret store with a command line (``store.py`` stands in
  for ``vault kv put``, ``gh secret set`` and the like), given the value on
  its standard input;
- ``aws-key``: a secret of AWS Secrets Manager, when ``awsEndpoint`` (moto or
  LocalStack) or ``awsRegion`` is set (needs ``pip install 'pulumi-venice[aws]'``).

``pulumi refresh`` tells when a sink no longer holds its key, and the next
``pulumi up`` delivers a new one (and revokes the old). ``pulumi destroy``
revokes the keys and removes their entries (``remove_on_destroy``).
"""

import os
import sys
from pathlib import Path

import pulumi

import pulumi_venice as venice

config = pulumi.Config()
key_dir = Path(config.get("keyDir") or "delivered-keys").absolute()
key_dir.mkdir(parents=True, exist_ok=True)
store = [sys.executable, str(Path(__file__).with_name("store.py").absolute())]
entry = str(key_dir / "store-entry")

file_key = venice.ApiKey(
    "file-key",
    api_key_type="INFERENCE",
    description="Delivered to a file (managed by Pulumi)",
    deliver_to={
        "file": {"path": str(key_dir / "file.key"), "mode": "0600"},
        "remove_on_destroy": True,
    },
)

command_key = venice.ApiKey(
    "command-key",
    api_key_type="INFERENCE",
    description="Delivered to a secret store (managed by Pulumi)",
    deliver_to={
        "command": {
            "argv": [*store, "put", entry],
            "read_argv": [*store, "get", entry],  # lets refresh tell a lost entry
            "remove_argv": [*store, "remove", entry],
        },
        "remove_on_destroy": True,
    },
)
keys = {"file": file_key, "command": command_key}

aws_endpoint, aws_region = config.get("awsEndpoint"), config.get("awsRegion")
if aws_endpoint or aws_region:
    keys["aws"] = venice.ApiKey(
        "aws-key",
        api_key_type="INFERENCE",
        description="Delivered to AWS Secrets Manager (managed by Pulumi)",
        deliver_to={
            "aws_secrets_manager": {
                "secret_id": config.get("awsName") or "venice/aws-key",
                "region": aws_region or os.environ.get("AWS_REGION") or "us-east-1",
                "endpoint_url": aws_endpoint,
            },
            "remove_on_destroy": True,
        },
    )

for sink, key in keys.items():
    pulumi.export(f"{sink}_key_id", key.id)
    pulumi.export(f"{sink}_delivered_to", key.delivered_to)
    pulumi.export(f"{sink}_fingerprint", key.fingerprint)
    pulumi.export(f"{sink}_api_key", key.api_key)  # null: the value is not in state
