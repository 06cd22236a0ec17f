"""A Python program on the native plugin, through the SDK generated from its
schema (`pulumi package gen-sdk venice --language python`)."""

import pulumi
import pulumi_venice_sdk as venice

config = pulumi.Config()  # the project's: usd, rotation, description

key = venice.ApiKey(
    "key",
    api_key_type="INFERENCE",
    description=config.get("description") or "native python key",
    consumption_limit=venice.ConsumptionLimitArgs(usd=config.get_float("usd") or 5.0, diem=0),
    limit_period="MONTH",
    keepers={"rotation": config.get("rotation") or "1"},
)

pulumi.export("key_id", key.id)
pulumi.export("key_secret", key.api_key)
pulumi.export("last6", key.last6_chars)
