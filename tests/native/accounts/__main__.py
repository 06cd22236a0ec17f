"""Two Venice accounts in one stack: two explicit providers, each with its own
admin key, each managing its own keys and seeing only its own."""

import pulumi
import pulumi_venice_sdk as venice

config = pulumi.Config("test")
base_url = config.require("baseUrl")

accounts = {
    name: venice.Provider(
        f"account-{name}",
        api_key=config.require_secret(f"adminKey{name.upper()}"),
        base_url=base_url,
    )
    for name in ("a", "b")
}
for name, provider in accounts.items():
    key = venice.ApiKey(
        f"key-{name}",
        api_key_type="INFERENCE",
        description=f"account {name} key",
        opts=pulumi.ResourceOptions(provider=provider),
    )
    listed = venice.get_api_keys_output(
        opts=pulumi.InvokeOutputOptions(provider=provider, depends_on=[key])  # after the key
    )
    pulumi.export(f"key_{name}_id", key.id)
    pulumi.export(f"seen_by_{name}", listed.keys.apply(lambda keys: sorted(k.id for k in keys)))
