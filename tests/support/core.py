"""The lifecycle core driven as a door drives it, for the tests that call the
core with no door: plain properties in and out, a key's state translated at
the edge with :class:`~pulumi_venice.keys.state.KeyState` (as both doors do)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_venice.keys.lifecycle import KeyLifecycle
from pulumi_venice.keys.outcomes import Diff
from pulumi_venice.keys.state import KeyState

Failures = list[tuple[str, str]]


@dataclass(frozen=True)
class PlainRead:
    """A refresh's answer with the key's state as plain properties."""

    key_id: str | None
    outputs: dict[str, Any]
    inputs: dict[str, Any]


class PlainCore:
    """A :class:`KeyLifecycle` (or a subclass) with plain properties for state."""

    def __init__(self, lifecycle: KeyLifecycle) -> None:
        self.lifecycle = lifecycle

    def check(self, news: Mapping[str, Any]) -> tuple[dict[str, Any], Failures]:
        return self.lifecycle.check(news)

    def diff(
        self,
        key_id: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        identity: str | None = None,
    ) -> Diff:
        return self.lifecycle.diff(key_id, KeyState.from_props(olds), news, identity)

    def create(
        self, props: Mapping[str, Any], identity: str | None = None, *, stack: str | None = None
    ) -> tuple[str, dict[str, Any]]:
        key_id, state = self.lifecycle.create(props, identity, stack=stack)
        return key_id, state.props()

    def read(self, key_id: str, props: Mapping[str, Any]) -> PlainRead:
        read = self.lifecycle.read(key_id, KeyState.from_props(props))
        return PlainRead(read.key_id, read.outputs.props(), read.inputs)

    def update(
        self, key_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]
    ) -> dict[str, Any]:
        return self.lifecycle.update(key_id, KeyState.from_props(olds), news).props()

    def delete(self, key_id: str, props: Mapping[str, Any]) -> None:
        self.lifecycle.delete(key_id, KeyState.from_props(props))
