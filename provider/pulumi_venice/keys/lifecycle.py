"""The lifecycle of a Venice key: check, diff, create, read, update, delete, rotate.

This is the one core both front doors sit on (the dynamic providers of
:mod:`pulumi_venice.dynamic` and the native plugin of
:mod:`pulumi_venice.plugin`). It knows nothing of Pulumi's transports: it
takes a key's inputs as plain values and its state as a
:class:`~pulumi_venice.keys.state.KeyState`, and returns the state so. A
front door unwraps secrets once where a call enters, gives a value not yet known at preview as
:data:`~pulumi_venice.settings.fields.UNKNOWN`, and marks the outputs named
in :data:`~pulumi_venice.settings.inputs.SECRET_OUTPUTS` secret on the way out.

:class:`KeyLifecycle` makes ordinary keys with an admin key; what differs for
other kinds (a wallet's key: :mod:`pulumi_venice.keys.web3`) is how a key
is minted and which key manages it afterwards. One instance serves a provider
process, called from several threads. What it is made of, each its own
module: the process's settings and clients (:mod:`~pulumi_venice.keys.context`),
the wire mapping (:mod:`~pulumi_venice.keys.records`), making a key exactly once
(:mod:`~pulumi_venice.keys.creation`), adopting one (:mod:`~pulumi_venice.keys.importing`)
and retiring a replaced one (:mod:`~pulumi_venice.keys.retirement`).

No message raised here contains a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..settings import times
from ..settings.checking import changed_fields
from ..settings.config import MISSING_API_KEY_MESSAGE
from ..settings.fields import contains_unknown
from ..settings.inputs import POLICY_FIELDS, KeySettings
from ..venice.client import VeniceClient
from ..venice.errors import (
    AuthenticationError,
    KeyNotFoundError,
    PartialCreateError,
    VeniceApiError,
)
from ..venice.models import ApiKeyRecord
from . import delivery, rotation
from .context import ProviderContext
from .creation import KeptKeyError, deliver_created, finish_create
from .importing import adopt
from .kinds import CREDENTIAL, AdminKeys, Failures, KeyKind
from .outcomes import NULL_CREDENTIAL, Diff, Made, Read, explained
from .records import (
    inputs_from,
    kept_expiry,
    outputs_from,
    record_from_created,
    update_request,
)
from .retirement import (
    PendingReplacements,
    Replacement,
    Retiring,
    inherited,
    is_retiring,
    resource_identity,
    retire_replaced,
    retiring_keys,
    retiring_outputs,
)
from .revocation import confirm_gone, own_value, take_back
from .state import KeyState


class KeyLifecycle:
    """The lifecycle of one kind of Venice key (ordinary keys unless another
    :class:`~pulumi_venice.keys.kinds.KeyKind` is given), on one provider context."""

    def __init__(self, context: ProviderContext | None = None, kind: KeyKind | None = None) -> None:
        self.context = context or ProviderContext()
        self.kind: KeyKind = kind or AdminKeys(self.context)
        self._replacements = PendingReplacements()

    # -- the lifecycle ----------------------------------------------------

    def check(self, news: Mapping[str, Any]) -> tuple[dict[str, Any], Failures]:
        """The inputs to store, and one ``(input, reason)`` per bad input; a key
        with no admin key to make it fails here, at preview, not at ``up``."""
        inputs, failures = self.kind.validate(news)
        if CREDENTIAL in news and news[CREDENTIAL] is None:
            # Given, and null: the output of a key whose value is not an output.
            # Falling back to venice:apiKey would manage this key with another.
            failures.append((CREDENTIAL, NULL_CREDENTIAL))
        admin = news.get(CREDENTIAL) or self.context.settings().api_key
        if not failures and self.kind.needs_admin_to_create and not admin:
            failures.append(("", MISSING_API_KEY_MESSAGE))
        return inputs, failures

    def diff(
        self,
        key_id: str,
        state: KeyState,
        news: Mapping[str, Any],
        identity: str | None = None,
    ) -> Diff:
        """What changes; ``identity`` (the resource's URN) ties a replacement
        to the create that makes it (see :mod:`pulumi_venice.keys.retirement`)."""
        olds = state.props()
        changed, replaces = changed_fields(olds, news, self.kind.replace_fields)
        known = {k: v for k, v in news.items() if not contains_unknown(v)}
        due = rotation.rotation_reason(olds, known, times.now())
        if due is not None and due not in replaces:
            replaces.append(due)
        if due is not None and due not in changed:
            changed.append(due)
        if delivery.lost_by_sink(state, news) and "deliver_to" not in replaces:
            replaces.append("deliver_to")  # its sink lost it: a new key, delivered
            changed.append("deliver_to")
        if replaces:
            grace = news.get("retire_grace")
            self._replacements.note(
                resource_identity(identity, news),
                Replacement(
                    key_id,
                    state,
                    times.parse_duration(grace) if isinstance(grace, str) else None,
                ),
            )
        return Diff(changes=bool(changed), replaces=replaces, changed=changed)

    @explained
    def create(
        self, props: Mapping[str, Any], identity: str | None = None, *, stack: str | None = None
    ) -> tuple[str, KeyState]:
        """Make the key (exactly once); its id and state. With ``deliver_to``
        its value goes to the sink (``stack``, ``<project>/<stack>``, salts
        the fingerprint) before anything else changes; when it replaces a key
        with ``retire_grace``, that key is then retired, at Venice.

        Once Venice has made the key, any failure either revokes it,
        verifiably, or raises :class:`PartialCreateError` with its id and
        outputs, for the state to keep: a key is never left that no state holds.
        """
        settings = self.kind.settings_from(props)
        if isinstance(settings, KeySettings) and settings.import_id:
            return self._adopt(settings, stack)
        self.context.changing_keys()
        replacement = self._replacements.take(resource_identity(identity, props))
        expires_at = settings.expiry_at_creation(times.now())
        described = KeyState.from_props(props)
        created, manager, extra = self.kind.mint(settings, described, expires_at)
        made = Made(created, settings, expires_at, replacement, described.with_fields(**extra))
        try:
            return created.id, self._finish(made, manager, stack)
        except KeptKeyError as kept:
            outputs = self._outputs(made, kept.record, kept.delivered)
            raise PartialCreateError(str(kept), created.id, outputs.props()) from None

    def _finish(
        self,
        made: Made,
        manager: VeniceClient | None,
        stack: str | None,
    ) -> KeyState:
        """What follows the making of a key: its settings, its sink, the
        retirement of the key it replaces; its state."""
        created, settings = made.created, made.settings
        out_of_reach = self.kind.out_of_reach(made.state)
        record = (
            finish_create(manager, self.context, created, settings, made.expires_at, out_of_reach)
            if manager is not None
            else record_from_created(created)  # made with its real settings: nothing to finish
        )
        delivered = deliver_created(
            self.context, manager, created, made.settings.deliver_to, record, stack
        )
        retired = made.replacement is not None and retire_replaced(
            made.replacement,
            created,
            self.kind.manager,
            lambda: take_back(manager, self.context, created),
            lambda old_id, old: self._confirm_gone(
                old_id, own_value(old), old, f"retire API key {old_id}"
            ),
            undo=not delivered,
        )
        if retired and made.replacement is not None:
            self._replacements.mark_retired(made.replacement.old_id)
        return self._outputs(made, record, delivered, retired=retired)

    def _outputs(
        self,
        made: Made,
        record: ApiKeyRecord,
        delivered: dict[str, Any],
        *,
        retired: bool = False,
    ) -> KeyState:
        """A new key's state: Venice's record of it, the settings it carries
        (with its kind's own: ``made.props`` holds what minting added), the
        keys in their grace it inherits, and its delivery. Each field comes
        from one of them."""
        recorded = outputs_from(
            record,
            api_key=made.created.api_key,
            keepers=made.settings.keepers,
            expires_as=made.expires_at,
        )
        return recorded.with_fields(
            **self._carried(made.state),
            **retiring_outputs(inherited(made.replacement, retired)),
            **delivered,
        )

    @explained
    def read(self, key_id: str, state: KeyState) -> Read:
        try:
            record = self._read_key(key_id, state)
        except (KeyNotFoundError, AuthenticationError) as error:
            if isinstance(error, AuthenticationError) and not self.kind.manages_itself(state):
                raise
            # Gone (deleted or expired outside Pulumi; a key that manages itself
            # learns it as its own value being refused): refresh drops it, once
            # its own value confirms it (the manager may be of another account).
            self._confirm_gone(key_id, own_value(state), state, f"refresh API key {key_id}")
            return Read(None, KeyState(), {})
        keepers = state.keepers or {}
        carried = self._carried(state)
        recorded = outputs_from(
            record, api_key=state.api_key, keepers=keepers, expires_as=state.expires_at
        )
        outputs = recorded.with_fields(
            **carried,
            **retiring_outputs(self._still_retiring(state)),
            **delivery.refreshed(state),
        )
        inputs = inputs_from(record, keepers, state.props())
        return Read(key_id, outputs, {**inputs, **carried})

    def _still_retiring(self, state: KeyState) -> list[Retiring]:
        """The keys of this key's grace list that are not gone: those Venice
        still has (one list call serves them all), and any it does not find
        whose own value still works (an admin key of another account)."""
        held = retiring_keys(state)
        if not held:
            return []
        manager = self.kind.manager("refresh API keys in their grace", state)
        kept: list[Retiring] = []
        for old_id, value in held:
            try:
                self.context.read_record(manager, old_id)
            except KeyNotFoundError:
                if not self.context.still_works(value):
                    continue
            kept.append((old_id, value))
        return kept

    def _confirm_gone(self, key_id: str, secret: str | None, state: KeyState, doing: str) -> None:
        """Raise unless a key that its manager did not find is really gone:
        asked with its value ``secret`` (``state`` names its manager)."""
        confirm_gone(
            self.context,
            key_id,
            secret,
            doing=doing,
            out_of_reach=self.kind.out_of_reach(state),
        )

    def _read_key(self, key_id: str, state: KeyState) -> ApiKeyRecord:
        """The key as Venice has it; an error names the key being refreshed (a
        failed list call serves many reads)."""
        try:
            return self.context.read_record(
                self.kind.manager(f"refresh API key {key_id}", state), key_id
            )
        except (KeyNotFoundError, AuthenticationError):
            raise
        except VeniceApiError as error:
            if error.key_id == key_id:
                raise
            raise error.restated(
                f"refresh API key {key_id}",
                f"Could not refresh API key {key_id}: {error}",
                key_id=key_id,
            ) from None

    @explained
    def update(self, key_id: str, state: KeyState, news: Mapping[str, Any]) -> KeyState:
        settings = self.kind.settings_from(news)
        # The credential the key is managed with now (it may have changed too).
        managed_now = state.with_fields(admin_api_key=news.get(CREDENTIAL))
        client = self.kind.manager(f"update API key {key_id}", managed_now)
        self.context.changing_keys()
        expires_at = kept_expiry(settings, state.props())
        # The PATCH answers with the key as stored: no read-back needed.
        try:
            record = client.update_key(update_request(key_id, settings, expires_at))
        except KeyNotFoundError as error:
            self._confirm_gone(key_id, own_value(state), state, f"update API key {key_id}")
            raise error.with_suffix(
                "It was deleted (or expired) outside Pulumi: run `pulumi refresh` (or "
                "`pulumi up --refresh`) to drop it from the state, and `pulumi up` makes a new one."
            ) from None
        recorded = outputs_from(
            record, api_key=state.api_key, keepers=settings.keepers, expires_as=expires_at
        )
        return recorded.with_fields(
            **self._carried(KeyState.from_props(news)),
            **retiring_outputs(retiring_keys(state)),
            **delivery.recorded(state),
        )

    @explained
    def delete(self, key_id: str, state: KeyState) -> None:
        """Revoke the key, unless Venice shows it retiring (its replacement
        gave it a grace period). Destroying a key also revokes every key it
        replaced that is still in its grace period, and with
        ``remove_on_destroy`` removes its sink's entry if that holds this key.

        "Not found" is taken as gone only when the key's own value confirms
        it: a manager of another account gets the same answer for a live key.
        """
        client = self.kind.manager(f"delete API key {key_id}", state)
        self.context.changing_keys()
        # A key that manages itself and whose own value is refused is gone.
        refused: tuple[type[VeniceApiError], ...] = (
            (AuthenticationError,) if self.kind.manages_itself(state) else ()
        )
        if self._is_retiring(client, key_id, state, (KeyNotFoundError, *refused)):
            return
        try:
            client.delete_key(key_id)
        except KeyNotFoundError:
            self._confirm_gone(key_id, own_value(state), state, f"delete API key {key_id}")
        except refused:
            pass
        for old_id, value in retiring_keys(state):
            try:
                client.delete_key(old_id)
            except KeyNotFoundError:
                self._confirm_gone(old_id, value, state, f"delete API key {old_id}")
            except refused:
                pass
        delivery.remove_if_held(state)

    def _carried(self, state: KeyState) -> dict[str, Any]:
        """Outputs carried from the inputs or the state: the rotation policy, the
        sink, the managing key, and the kind's own."""
        given = state.model_fields_set
        names = (*POLICY_FIELDS, "deliver_to")
        carried = {name: getattr(state, name) for name in names if name in given}
        if state.admin_api_key is not None:  # for read and delete, which see only the state
            carried[CREDENTIAL] = state.admin_api_key
        return {**carried, **self.kind.carried(state)}

    # -- helpers ------------------------------------------------------------

    def _adopt(self, settings: KeySettings, stack: str | None) -> tuple[str, KeyState]:
        """Adopt the existing key ``import_id`` instead of creating one (and
        deliver the value given as ``import_api_key``, with ``deliver_to``)."""
        described = KeyState.from_props(settings.to_inputs())
        key_id, outputs = adopt(
            settings, self.kind.manager(f"import API key {settings.import_id}", described)
        )
        delivered: dict[str, Any] = {}
        if settings.deliver_to is not None and settings.import_api_key is not None:
            delivered = delivery.deliver(settings.deliver_to, settings.import_api_key, stack)
        return key_id, outputs.with_fields(**self._carried(described), **delivered)

    def _is_retiring(
        self,
        client: VeniceClient,
        key_id: str,
        state: KeyState,
        gone: tuple[type[VeniceApiError], ...],
    ) -> bool:
        """Whether the key was retired by its replacement: known here, or (for
        a key with a ``retire_grace`` policy, in any later process) shown so
        by Venice. A key with no such policy is revoked with no extra call."""
        if self._replacements.retired_here(key_id):
            return True
        if not state.retire_grace:
            return False
        try:
            return is_retiring(client.get_key(key_id))
        except gone:
            return False
