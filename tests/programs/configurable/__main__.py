"""A test program whose keys are shaped by stack config (``test:*``)."""

import pulumi

import pulumi_venice as venice

config = pulumi.Config("test")
count = config.get_int("count") or 1
usd = config.get_float("usd")
diem = config.get_float("diem")
caps = {name: cap for name, cap in (("usd", usd), ("diem", diem)) if cap is not None}

for index in range(count):
    key = venice.ApiKey(
        f"key-{index}",
        api_key_type=config.get("type") or "INFERENCE",
        description=config.get("description") or f"e2e key {index}",
        consumption_limit=caps or None,
        limit_period=config.get("limit_period"),
        keepers={"rotation": config.get("rotation") or "1"},
        expires_at=config.get("expires_at"),
        expires_after=config.get("expires_after"),
    )
    pulumi.export(f"key_{index}_id", key.id)
    pulumi.export(f"key_{index}_secret", key.api_key)
