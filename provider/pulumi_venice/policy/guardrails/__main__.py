"""The Venice guardrails policy pack, as the engine runs it (the folder that
``python -m pulumi_venice.policy --path`` prints)."""

from pulumi_venice.policy.pack import serve

serve()
