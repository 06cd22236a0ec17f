"""An ADMIN key delivered to a file, and a key managed with its api_key
output, which is null: the second must fail its check, naming why."""

import pulumi

import pulumi_venice as venice

config = pulumi.Config()
admin = venice.ApiKey(
    "delivered-admin",
    api_key_type="ADMIN",
    description="delivered admin",
    deliver_to={"file": {"path": config.require("keyFile")}},
)
venice.ApiKey(
    "managed-by-it",
    api_key_type="INFERENCE",
    description="managed by the delivered admin key",
    admin_api_key=admin.api_key,
)
