"""A test program that adopts an existing key (``test:importId``)."""

import pulumi

import pulumi_venice as venice

config = pulumi.Config("test")
key = venice.ApiKey(
    "adopted",
    api_key_type="INFERENCE",
    description="adopted by pulumi",
    import_id=config.require("importId"),
    import_api_key=config.require_secret("importApiKey"),
)
pulumi.export("key_id", key.id)
pulumi.export("api_key", key.api_key)
