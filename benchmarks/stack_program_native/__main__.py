"""The benchmark's stack on the native plugin (the generated Python SDK): the
same ``bench:count`` keys as stack_program, ``bench:usd`` their USD cap."""

import pulumi
import pulumi_venice_sdk as venice

config = pulumi.Config("bench")
count = config.get_int("count") or 0
usd = config.get_float("usd")

for index in range(count):
    venice.ApiKey(
        f"key-{index}",
        api_key_type="INFERENCE",
        description=f"benchmark key {index}",
        consumption_limit=venice.ConsumptionLimitArgs(usd=usd) if usd is not None else None,
    )

pulumi.export("count", count)
