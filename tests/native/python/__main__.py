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

# Wired to the first key: its description is unknown until that key exists.
linked = venice.ApiKey(
    "linked",
    api_key_type="INFERENCE",
    description=key.last6_chars.apply(lambda last6: f"linked to {last6}"),
)

pulumi.export("key_id", key.id)
pulumi.export("key_secret", key.api_key)
pulumi.export("last6", key.last6_chars)
pulumi.export("linked_id", linked.id)
