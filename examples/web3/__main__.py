"""An agent's inference key, created by its wallet's signature (no admin key).

The wallet's private key comes from VENICE_WALLET_PRIVATE_KEY, so it never
enters the stack's state. Refresh and destroy use venice:apiKey, an admin key
of the same wallet's account.
"""

import pulumi

import pulumi_venice as venice

key = venice.Web3ApiKey(
    "agent-key",
    api_key_type="INFERENCE",
    description="Agent inference key (created by its wallet)",
    consumption_limit={"diem": 2},
    limit_period="EPOCH",
)

pulumi.export("key_id", key.id)
pulumi.export("address", key.address)
pulumi.export("api_key", key.api_key)
