"""How both doors hand the engine an error: our sentence alone (no gRPC or
SDK prefix such as ``Exception calling application:``), and, for a create
that made a key and then failed, the key itself, as Pulumi's
``ErrorResourceInitFailed`` (the engine keeps the resource in the state,
with the error, and the next ``up`` updates it).

Only the doors import this module; the core raises
:class:`~pulumi_venice.venice.errors.PartialCreateError` and knows nothing of gRPC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import grpc
from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2, status_pb2

# The status our errors leave with: the engine shows only its details.
ERROR_CODE: Final = grpc.StatusCode.UNKNOWN


@dataclass(frozen=True)
class _Status:
    """A gRPC status to abort a call with (what grpc.Status, an interface, names)."""

    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, bytes], ...] = ()


def init_failed_status(message: str, key_id: str, properties: struct_pb2.Struct) -> grpc.Status:
    """The status of a create that made ``key_id`` and failed: the engine
    records the key with ``properties`` as its outputs, and the message."""
    detail = provider_pb2.ErrorResourceInitFailed(
        id=key_id, properties=properties, reasons=[message]
    )
    status = status_pb2.Status(code=ERROR_CODE.value[0], message=message)
    status.details.add().Pack(detail)
    return _Status(ERROR_CODE, message, (("grpc-status-details-bin", status.SerializeToString()),))
