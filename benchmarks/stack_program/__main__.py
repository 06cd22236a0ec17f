"""The benchmark's stack: ``bench:count`` ordinary keys, nothing else."""

import pulumi

import pulumi_venice as venice

count = pulumi.Config("bench").get_int("count") or 0

for index in range(count):
    venice.ApiKey(f"key-{index}", api_key_type="INFERENCE", description=f"benchmark key {index}")

pulumi.export("count", count)
