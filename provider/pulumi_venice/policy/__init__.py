"""The Venice guardrails policy pack (docs/guides/guardrails.md): the policies
on each key (:mod:`.rules`) and on a stack's keys together (:mod:`.stack`),
listed once in :mod:`.catalog`, configured by :mod:`.config`, served to the
engine through pulumi-policy by :mod:`.pack` (the only module that needs the
``policy`` extra). ``python -m pulumi_venice.policy --path`` prints the pack's
folder."""

from .catalog import KEY_POLICIES, PACK_NAME, POLICY_NAMES, STACK_POLICIES
from .location import pack_path

__all__ = ["KEY_POLICIES", "PACK_NAME", "POLICY_NAMES", "STACK_POLICIES", "pack_path"]
