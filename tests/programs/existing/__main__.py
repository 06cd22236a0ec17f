"""A test program around an existing key (``test:keyId``): ``test:mode`` is
``get`` (read it with ApiKey.get) or ``import`` (ResourceOptions(import_=...),
which fails with a sentence that points to import_id)."""

import pulumi

import pulumi_venice as venice

config = pulumi.Config("test")
key_id = config.require("keyId")
mode = config.require("mode")
if mode == "get":
    existing = venice.ApiKey.get("existing", key_id)
    pulumi.export("description", existing.description)
    pulumi.export("last6", existing.last6_chars)
elif mode == "import":
    venice.ApiKey(
        "adopted",
        api_key_type="INFERENCE",
        description="adopted",
        opts=pulumi.ResourceOptions(import_=key_id),
    )
