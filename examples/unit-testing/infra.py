"""The program under test: a capped key per team (what a real stack's
``__main__.py`` would import from)."""

import pulumi

import pulumi_venice as venice

TEAMS = {"search": 5.0, "support": 20.0}

keys = {
    team: venice.ApiKey(
        f"{team}-key",
        api_key_type="INFERENCE",
        description=f"{team} (managed by Pulumi)",
        consumption_limit={"usd": cap, "diem": 0},
        limit_period="MONTH",
        rotate_after="30d",
    )
    for team, cap in TEAMS.items()
}
pulumi.export("key_ids", {team: key.id for team, key in keys.items()})
