"""A stack as release 0.1.0 made it (see tests/fixtures/legacy_v0_1_0): an
ordinary key with rotation settings, an ADMIN key, and a Web3 key. Uses only
inputs that release had; ``test:suffix`` changes the descriptions (an update)."""

import pulumi

import pulumi_venice as venice

suffix = pulumi.Config("test").get("suffix") or ""
rotating = venice.ApiKey(
    "rotating",
    api_key_type="INFERENCE",
    description="legacy rotating key" + suffix,
    consumption_limit={"usd": 5},
    expires_after="3650d",
    renew_before="7d",
    rotate_after="1000d",
    retire_grace="2d",
    keepers={"version": "1"},
)
admin = venice.ApiKey("admin", api_key_type="ADMIN", description="legacy admin key" + suffix)
wallet = venice.Web3ApiKey(
    "wallet", api_key_type="INFERENCE", description="legacy web3 key" + suffix, rotate_after="1000d"
)
for name, key in (("rotating", rotating), ("admin", admin), ("wallet", wallet)):
    pulumi.export(f"{name}_id", key.id)
    pulumi.export(f"{name}_description", key.description)
    pulumi.export(f"{name}_secret", key.api_key)
