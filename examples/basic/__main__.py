"""A Venice inference key for CI, with spending caps; its value is a secret output."""

import pulumi

import pulumi_venice as venice

key = venice.ApiKey(
    "ci-inference-key",
    venice.ApiKeyArgs(
        api_key_type="INFERENCE",
        description="CI inference key (managed by Pulumi)",
        consumption_limit=venice.ConsumptionLimitArgs(usd=25, diem=5),
        limit_period="MONTH",
        model_privacy="PRIVATE_ONLY",
    ),
)

pulumi.export("key_id", key.id)
pulumi.export("last6_chars", key.last6_chars)
pulumi.export("consumption_limit", key.consumption_limit)
pulumi.export("api_key", key.api_key)  # a secret: shown as [secret] unless asked
