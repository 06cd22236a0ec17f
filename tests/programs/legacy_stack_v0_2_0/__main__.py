"""A stack as release 0.2.0 made it (see tests/fixtures/legacy_v0_2_0): an
ordinary key replaced once with a grace (so its state names the key in its
grace the way 0.2.0 did, ``retiring_key_id``), an ADMIN key, and a Web3 key.
Uses only inputs that release had; ``test:generation`` replaces the rotating
key, ``test:suffix`` changes the descriptions (an update)."""

import pulumi

import pulumi_venice as venice

config = pulumi.Config("test")
suffix = config.get("suffix") or ""
rotating = venice.ApiKey(
    "rotating",
    api_key_type="INFERENCE",
    description="legacy rotating key" + suffix,
    consumption_limit={"usd": 5, "diem": 0},
    limit_period="MONTH",
    retire_grace="3650d",
    keepers={"generation": config.get("generation") or "1"},
)
admin = venice.ApiKey("admin", api_key_type="ADMIN", description="legacy admin key" + suffix)
wallet = venice.Web3ApiKey(
    "wallet", api_key_type="INFERENCE", description="legacy web3 key" + suffix, rotate_after="1000d"
)
for name, key in (("rotating", rotating), ("admin", admin), ("wallet", wallet)):
    pulumi.export(f"{name}_id", key.id)
    pulumi.export(f"{name}_description", key.description)
    pulumi.export(f"{name}_secret", key.api_key)
