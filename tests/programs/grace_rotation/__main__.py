"""A key rotated by ``keepers`` with a 2-day grace (``test:generation``)."""

import pulumi

import pulumi_venice as venice

config = pulumi.Config("test")
key = venice.ApiKey(
    "graceful-key",
    api_key_type="INFERENCE",
    description="rotated with a grace",
    keepers={"generation": config.get("generation") or "0"},
    retire_grace="2d",
)
pulumi.export("key_id", key.id)
pulumi.export("key_secret", key.api_key)
pulumi.export("retiring_key_ids", key.retiring_key_ids)
pulumi.export("retiring_key_id", key.retiring_key_id)  # as programs written for 0.2.0 do
