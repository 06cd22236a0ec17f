"""Issue 30's first reproduction: a wallet's key, with whatever admin key the
stack configures (``venice:apiKey``), which may be of another account."""

import pulumi

import pulumi_venice as venice

key = venice.Web3ApiKey(
    "key",
    api_key_type="INFERENCE",
    consumption_limit={"diem": 2},
)
pulumi.export("key_id", key.id)
