"""A script of the kind a platform team keeps beside its stacks: the account's
keys that could spend without a cap. Reads the provider's environment
(VENICE_API_KEY, VENICE_BASE_URL, VENICE_MAX_RETRIES, ...).

    python audit.py
"""

from __future__ import annotations

from pulumi_venice.keys.context import settings_client
from pulumi_venice.settings.config import resolve_settings


def uncapped() -> list[str]:
    """Descriptions of the keys with no USD cap."""
    settings = resolve_settings({})
    with settings_client(settings, settings.api_key) as client:
        return sorted(
            key.description or key.id
            for key in client.list_keys()
            if key.api_key_type == "INFERENCE"
            and (key.consumption_limits is None or key.consumption_limits.usd is None)
        )


if __name__ == "__main__":
    for description in uncapped():
        print(description)
