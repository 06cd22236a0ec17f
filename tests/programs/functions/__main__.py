"""A test program: a key, read back with the data functions."""

import pulumi

import pulumi_venice as venice

key = venice.ApiKey("fn-key", api_key_type="INFERENCE", description="read back by a function")
read_back = venice.get_api_key_output(key.id)

pulumi.export("read_description", read_back.apply(lambda k: k.description))
pulumi.export("read_last6", read_back.apply(lambda k: k.last6_chars))
pulumi.export("key_count", venice.get_api_keys_output().apply(lambda r: len(r["keys"])))
pulumi.export("tier", venice.get_rate_limits().api_tier.id)
pulumi.export("models", [m.api_model_id for m in venice.get_rate_limits().rate_limits])
pulumi.export("log_events", len(venice.get_rate_limit_logs().entries))
# Whole results, exported as they are: plain objects with the documented names.
pulumi.export("rate_limits", venice.get_rate_limits_output())
pulumi.export("all_keys", venice.get_api_keys_output())
pulumi.export("read_back", read_back)
