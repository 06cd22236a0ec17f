"""The Pulumi resources users write in their programs: ``ApiKey`` and its args.

Follows the shape of Pulumi's own Python SDKs: a resource class with a
matching ``...Args`` class, snake_case inputs, typed outputs. The secret key
value (``api_key``) is marked secret by the resource itself.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from dataclasses import asdict, fields
from datetime import UTC, date, datetime
from typing import Any, Generic, Self, TypeVar

import pulumi
import pulumi.dynamic

from ..keys.outcomes import NULL_CREDENTIAL
from ..settings.config import unknown_settings
from ..settings.fields import OUTPUT_ONLY_FIELDS
from ..settings.inputs import REPLACE_FIELDS, SECRET_INPUTS, SECRET_OUTPUTS, UPDATE_FIELDS
from ..settings.times import format_expiry
from .args import ApiKeyArgs, ConsumptionLimitArgs, KeyOutputs, Web3ApiKeyArgs, Web3KeyOutputs
from .hidden import IDENTITY_KEY, STACK_KEY
from .provider import ApiKeyProvider
from .web3_provider import Web3ApiKeyProvider


def _expiry_text(value: Any) -> Any:
    """A ``datetime``/``date`` (or an Output of one) as the ISO text Venice accepts."""
    if isinstance(value, pulumi.Output):
        return value.apply(_expiry_text)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("expires_at must be a timezone-aware datetime (for example UTC)")
        return format_expiry(value.astimezone(UTC))
    if isinstance(value, date):
        return value.isoformat()
    return value


def _limit_props(value: Any) -> Any:
    if isinstance(value, ConsumptionLimitArgs):
        return {k: v for k, v in asdict(value).items() if v is not None}
    return value


def _not_null(credential: pulumi.Output[Any], resource: str) -> pulumi.Output[Any]:
    """An ``admin_api_key`` that resolves to null is another key's ``api_key``
    with ``deliver_to``: an error naming the resource, not a silent fall back
    to ``venice:apiKey`` (Pulumi would send the provider no input at all)."""

    def checked(value: Any) -> Any:
        if value is None:
            raise pulumi.RunError(f"{resource}: {NULL_CREDENTIAL}")
        return value

    return credential.apply(checked)


def resource_props(args: ApiKeyArgs | Web3ApiKeyArgs) -> dict[str, Any]:
    """The property bag a dynamic resource sends to its provider."""
    props: dict[str, Any] = {f.name: getattr(args, f.name) for f in fields(args)}
    props["expires_at"] = _expiry_text(props["expires_at"])
    props["consumption_limit"] = _limit_props(props["consumption_limit"])
    for name in sorted(SECRET_INPUTS):
        if props.get(name) is not None:
            props[name] = pulumi.Output.secret(props[name])
    props = {k: v for k, v in props.items() if v is not None}
    # Outputs are declared as None so that Pulumi resolves them on the resource.
    props.update(dict.fromkeys(OUTPUT_ONLY_FIELDS))
    if isinstance(args, Web3ApiKeyArgs):
        props.setdefault("address", None)
    for name in REPLACE_FIELDS + UPDATE_FIELDS:  # Venice's view of the key: outputs too
        props.setdefault(name, None)
    return props


def _identity(resource_name: str, opts: pulumi.ResourceOptions | None) -> str:
    """Which resource this is, as its URN says it: its name, after its parent's
    type when it has a parent (a URN names its parents' types, not their
    names). The provider's diff and create of a replacement meet on it."""
    parent = opts.parent if opts is not None else None
    if parent is None:
        return resource_name
    return f"{parent.pulumi_resource_type}::{resource_name}"


def _check_names(kwargs: Mapping[str, Any], args_type: type[Any]) -> None:
    """A misspelled input is a TypeError that names the likely one (the Args
    class, ``ApiKey("k", ApiKeyArgs(...))``, lets an editor or mypy catch it)."""
    known = [f.name for f in fields(args_type)]
    resource = args_type.__name__.removesuffix("Args")
    for name in kwargs:
        if name not in known:
            likely = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {likely[0]}? " if likely else ""
            raise TypeError(
                f"{resource} has no input {name!r} ({hint}the inputs are {', '.join(known)})"
            )


def _resolve_args(args: Any, kwargs: dict[str, Any], args_type: type[Any]) -> Any:
    if args is not None and kwargs:
        raise TypeError("pass either an args object or keyword arguments, not both")
    if args is None:
        _check_names(kwargs, args_type)
        return args_type(**kwargs)
    if not isinstance(args, args_type):
        raise TypeError(f"args must be a {args_type.__name__}")
    return args


def secret_options(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """The user's options, plus the secret marking of ``api_key``."""
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_OUTPUTS))
    )


ArgsT = TypeVar("ArgsT", ApiKeyArgs, Web3ApiKeyArgs)


@functools.cache
def _warn_about_unknown_settings() -> None:
    """Once per program: a misspelled ``venice:*`` setting would be ignored."""
    keys = set(pulumi.runtime.get_config_env()) | set(pulumi.runtime.config.CONFIG.get())
    for warning in unknown_settings(keys):
        pulumi.log.warn(warning)


class _KeyResource(pulumi.dynamic.Resource, KeyOutputs, Generic[ArgsT]):
    """What both key resources do: take an args object or keyword arguments, and
    register with their provider, ``api_key`` marked secret."""

    _args_type: type[ArgsT]
    _provider_type: type[ApiKeyProvider]

    @property
    def retiring_key_id(self) -> pulumi.Output[str | None]:
        """The key this one replaced while it is in its grace (the newest of
        ``retiring_key_ids``; kept for programs written for 0.2.0)."""
        return self.retiring_key_ids.apply(lambda ids: ids[0] if ids else None)

    def __init__(
        self,
        resource_name: str,
        args: ArgsT | None = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None:
        _warn_about_unknown_settings()
        if opts is not None and opts.import_ is not None:
            raise pulumi.RunError(
                f"{type(self).__name__} {resource_name!r}: ResourceOptions(import_=...) cannot "
                "adopt a key: Pulumi cannot import the resources of a dynamic provider "
                f"(pulumi/pulumi#16175). Adopt it with import_id={opts.import_!r} (and "
                "import_api_key, if you have its value) instead; to only read it, use "
                f"{type(self).__name__}.get(name, id)."
            )
        resolved = _resolve_args(args, kwargs, self._args_type)
        props = resource_props(resolved)
        props[IDENTITY_KEY] = _identity(resource_name, opts)
        if isinstance(props.get("admin_api_key"), pulumi.Output):
            props["admin_api_key"] = _not_null(
                props["admin_api_key"], f"{type(self).__name__} {resource_name!r}"
            )
        if resolved.deliver_to is not None:  # the salt of its fingerprint
            props[STACK_KEY] = f"{pulumi.get_project()}/{pulumi.get_stack()}"
        super().__init__(self._provider_type(), resource_name, props, secret_options(opts))

    @classmethod
    def get(
        cls, resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> Self:
        """Read an existing key into the program by its id, without managing it:
        its outputs as Venice has them (``api_key`` is None: Venice shows a key's
        value only when it is created). Uses the same credentials as the resources."""
        resource = cls.__new__(cls)
        props: dict[str, Any] = dict.fromkeys(
            (*OUTPUT_ONLY_FIELDS, *REPLACE_FIELDS, *UPDATE_FIELDS)
        )
        if cls._args_type is Web3ApiKeyArgs:
            props["address"] = None
        options = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=id))
        pulumi.dynamic.Resource.__init__(
            resource, cls._provider_type(), resource_name, props, secret_options(options)
        )
        return resource


class ApiKey(_KeyResource[ApiKeyArgs], module="venice", name="ApiKey"):
    """A Venice API key, created with the admin key from ``venice:apiKey`` (or
    its ``admin_api_key``).

    ``ApiKey("name", ApiKeyArgs(...))`` and ``ApiKey("name", api_key_type=..., ...)``
    are equivalent. The resource id is the Venice key id; ``api_key`` is the
    secret value, always a Pulumi secret.
    """

    _args_type = ApiKeyArgs
    _provider_type = ApiKeyProvider


class Web3ApiKey(_KeyResource[Web3ApiKeyArgs], Web3KeyOutputs, module="venice", name="Web3ApiKey"):
    """A Venice API key created by a wallet's signature (no admin key needed).

    Outputs as for :class:`ApiKey`, plus ``address``, the wallet's checksummed
    address. Refresh, update and destroy need an admin key of the wallet's
    account (``admin_api_key`` or ``venice:apiKey``), unless the key is itself
    an ADMIN key.
    """

    _args_type = Web3ApiKeyArgs
    _provider_type = Web3ApiKeyProvider
