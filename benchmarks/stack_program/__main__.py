"""The benchmark's stack: ``bench:count`` ordinary keys, nothing else
(``bench:usd`` sets every key's USD cap: changing it updates them all)."""

import pulumi

import pulumi_venice as venice

config = pulumi.Config("bench")
count = config.get_int("count") or 0
usd = config.get_float("usd")

for index in range(count):
    venice.ApiKey(
        f"key-{index}",
        api_key_type="INFERENCE",
        description=f"benchmark key {index}",
        consumption_limit={"usd": usd} if usd is not None else None,
    )

pulumi.export("count", count)
