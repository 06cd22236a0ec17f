"""A key rotated on a schedule, delivered to a consumer without downtime.

Every 30 days (``rotate_after``) the next ``pulumi up`` makes a new key,
writes its value into the consumer's file, and only then retires the old key:
with ``retire_grace`` it stays valid 2 more days, so a consumer that picks up
the new secret late keeps working. ``expires_after``/``renew_before`` also
renew a key a week before Venice would expire it. ``consumer.py`` is an
application that uses the key from that file (see docs/guides/api-key.md, "Rotation
without downtime").

With ``delivery: sink`` the provider writes the file itself (``deliver_to``)
and the key's value is never in the state; by default it is the key's secret
output, written by the ``SecretFile`` resource.
"""

from pathlib import Path

import pulumi
from secret_file import SecretFile

import pulumi_venice as venice

config = pulumi.Config()
# "none" retires the old key at once (to see the gap the grace closes).
grace = config.get("retireGrace") or "2d"
key_file = Path(config.get("keyFile") or "rotating-key.secret").absolute()
to_sink = config.get("delivery") == "sink"
if to_sink:
    key_file.parent.mkdir(parents=True, exist_ok=True)

key = venice.ApiKey(
    "rotating-key",
    api_key_type="INFERENCE",
    description="Rotated every 30 days (managed by Pulumi)",
    rotate_after=config.get("rotateAfter") or "30d",
    expires_after="90d",
    renew_before="7d",
    retire_grace=None if grace == "none" else grace,
    # Change the generation to rotate now (a leaked key, say).
    keepers={"generation": config.get("generation") or "1"},
    deliver_to={"file": {"path": str(key_file)}} if to_sink else None,
)

pulumi.export("key_id", key.id)
pulumi.export("retiring_key_id", key.retiring_key_id)
if to_sink:
    pulumi.export("key_file", key.delivered_to)
else:
    consumer = SecretFile("consumer-key-file", path=str(key_file), content=key.api_key)
    pulumi.export("key_file", consumer.path)
    pulumi.export("key_file_sha256", consumer.sha256)
