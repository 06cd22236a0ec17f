"""Keys for the guardrails pack (tests/e2e/test_guardrails.py): one that
meets every policy, and, with ``guardrails:violations`` true, one that
breaks each policy on keys (the pack must stop these before any exists)."""

import os

import pulumi
from pulumi.dynamic import Resource

import pulumi_venice as venice
from pulumi_venice import Web3ApiKeyProvider

config = pulumi.Config("guardrails")


def sink(name: str) -> dict[str, dict[str, str]]:
    """A file sink in the project's folder."""
    return {"file": {"path": os.path.abspath(name)}}


delivered = sink("delivered-key.txt")

# Meets every policy: capped, ends, delivered, private, rotates with a grace.
good = venice.ApiKey(
    "good",
    api_key_type="INFERENCE",
    description="meets every policy",
    consumption_limit={"usd": 5, "diem": 1},
    limit_period="MONTH",
    model_privacy="PRIVATE_ONLY",
    expires_after="30d",
    renew_before="7d",
    retire_grace="1d",
    deliver_to=delivered,
)
# Meets the mandatory policies; only advised: no deliver_to, default privacy.
venice.ApiKey(
    "open",
    api_key_type="INFERENCE",
    description="advisories only",
    consumption_limit={"usd": 2},
    expires_after="30d",
    opts=pulumi.ResourceOptions(depends_on=[good]),
)
if config.get_bool("admin"):  # allowed by the config file's allowlist, and expiring
    venice.ApiKey(
        "ops",
        api_key_type="ADMIN",
        description="allowed admin key",
        consumption_limit={"usd": 0, "diem": 0},
        expires_after="30d",
        model_privacy="PRIVATE_ONLY",
        deliver_to=sink("ops-key.txt"),
    )

if config.get_bool("violations"):
    venice.ApiKey("uncapped", api_key_type="INFERENCE", description="no cap", expires_after="30d")
    venice.ApiKey(
        "frozen",
        api_key_type="INFERENCE",
        description="both caps zero",
        consumption_limit={"usd": 0, "diem": 0},
        expires_after="30d",
    )
    venice.ApiKey(
        "forever",
        api_key_type="INFERENCE",
        description="never ends",
        consumption_limit={"usd": 1},
    )
    venice.ApiKey(
        "root",
        api_key_type="ADMIN",
        description="admin, never expires",
        consumption_limit={"usd": 1},
        keepers={"v": "1"},
    )
    venice.ApiKey(
        "rotating",
        api_key_type="INFERENCE",
        description="rotates with no grace",
        consumption_limit={"usd": 1},
        rotate_after="30d",
        deliver_to=sink("rotating-key.txt"),
    )
    wallet = config.require_secret("wallet")
    # Through the resource class, a wallet key is always a secret: this passes.
    venice.Web3ApiKey(
        "wallet-class",
        api_key_type="INFERENCE",
        wallet_private_key=wallet,
        consumption_limit={"usd": 1},
        expires_after="30d",
    )

    # Registered by hand with the wallet key in plain text: refused.
    class HandRegistered(Resource, module="venice", name="Web3ApiKey"):
        pass

    HandRegistered(
        Web3ApiKeyProvider(),
        "wallet-plain",
        {
            "api_key_type": "INFERENCE",
            "wallet_private_key": config.require("plainWallet"),
            "consumption_limit": {"usd": 1},
            "expires_after": "30d",
        },
    )
