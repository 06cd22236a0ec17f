"""A test program whose secret inputs are malformed on purpose.

``test:cases`` (plain) lists ``[kind, input]`` pairs; ``test:values`` (a
secret) holds the malformed value of each case, in the same order. Each case
is one resource, so one preview shows every check failure.
"""

import json

import pulumi

import pulumi_venice as venice

config = pulumi.Config("test")
cases: list[list[str]] = json.loads(config.require("cases"))
values = config.require_secret_object("values")


def case_value(index: int) -> pulumi.Output[str]:
    return values.apply(lambda all_values: str(all_values[index]))


for index, (kind, name) in enumerate(cases):
    value = case_value(index)
    description = f"case {index}"
    if kind == "Web3ApiKey" and name == "wallet_private_key":
        venice.Web3ApiKey(
            f"case-{index}",
            api_key_type="INFERENCE",
            description=description,
            wallet_private_key=value,
        )
    elif kind == "Web3ApiKey":
        venice.Web3ApiKey(
            f"case-{index}",
            api_key_type="INFERENCE",
            description=description,
            admin_api_key=value,
        )
    elif name == "import_api_key":
        venice.ApiKey(
            f"case-{index}",
            api_key_type="INFERENCE",
            description=description,
            import_id="2f8d0b8e-0000-4000-8000-000000000000",
            import_api_key=value,
        )
    else:
        venice.ApiKey(
            f"case-{index}",
            api_key_type="INFERENCE",
            description=description,
            admin_api_key=value,
        )
