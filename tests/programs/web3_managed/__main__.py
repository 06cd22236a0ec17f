"""An agent's wallet makes an ADMIN key, and that key manages the agent's
inference key: no admin key is configured for the stack at all.

``admin_api_key=admin.api_key`` tells Pulumi that the inference key depends on
the admin key, so it is created after it and revoked before it.
"""

import pulumi

import pulumi_venice as venice

admin = venice.Web3ApiKey(
    "wallet-admin",
    api_key_type="ADMIN",
    description="wallet admin (manages the agent's keys)",
)
inference = venice.Web3ApiKey(
    "agent-key",
    api_key_type="INFERENCE",
    description="agent inference key",
    consumption_limit={"diem": 1},
    admin_api_key=admin.api_key,
)
ordinary = venice.ApiKey(
    "agent-helper",
    api_key_type="INFERENCE",
    description="made with the wallet's admin key",
    admin_api_key=admin.api_key,
)

pulumi.export("admin_id", admin.id)
pulumi.export("inference_id", inference.id)
pulumi.export("helper_id", ordinary.id)
pulumi.export("inference_api_key", inference.api_key)
