"""Serve the native provider over gRPC: the engine runs this module through
the plugin folder's ``pulumi-resource-venice``; the first line printed is
the port.

This is the SDK's ``pulumi.provider.experimental.server.main`` with two
mends:

- :class:`PlainErrors`: the SDK's asyncio server reports whatever a provider
  raises as ``Unexpected <class '...'>: <message>``; our errors leave as our
  sentence alone, and a create that made a key and then failed hands the
  engine that key (an initialization error, see
  :mod:`pulumi_venice.dynamic.engine_errors`);
- :class:`VeniceServicer`: the SDK's ``DiffConfig`` puts the provider's
  ``changes`` (a bool) where the protocol wants an enum, so that a changed
  configuration (a new ``venice:apiKey``) read as "no change" and the engine
  kept configuring the provider with the old one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import grpc.aio
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime import proto
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc

from .._version import __version__
from ..dynamic.engine_errors import ERROR_CODE, init_failed_status
from ..venice.errors import VeniceError
from .native import InitFailedError, VeniceProvider

Behavior = Callable[[Any, grpc.aio.ServicerContext], Awaitable[Any]]


def _plain(behavior: Behavior) -> Behavior:
    async def wrapped(request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await behavior(request, context)
        except InitFailedError as failure:
            status = init_failed_status(str(failure), failure.key_id, failure.properties)
            await context.abort_with_status(status)
        except VeniceError as error:
            await context.abort(ERROR_CODE, str(error))

    return wrapped


class PlainErrors(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Every unary call's errors of ours leave as our sentence alone."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        return grpc.unary_unary_rpc_method_handler(
            _plain(handler.unary_unary),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class VeniceServicer(ProviderServicer):
    """The SDK's servicer, with ``DiffConfig``'s answer in the protocol's terms."""

    async def DiffConfig(self, request: Any, context: grpc.aio.ServicerContext) -> Any:  # noqa: N802
        response = await super().DiffConfig(request, context)  # type: ignore[no-untyped-call]
        # The SDK sent our bool as the enum: True arrived as 1 (DIFF_NONE).
        changed = response.changes == 1
        response.changes = proto.DiffResponse.DIFF_SOME if changed else proto.DiffResponse.DIFF_NONE
        return response


def serve(args: list[str] | None = None) -> None:
    argv = sys.argv[1:] if args is None else args
    parser = argparse.ArgumentParser(description="The Pulumi provider plugin venice (gRPC)")
    parser.add_argument("engine", help="the Pulumi engine's address")
    known, _ = parser.parse_known_args(argv)

    async def run() -> None:
        server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS, interceptors=[PlainErrors()])
        servicer = VeniceServicer(argv, __version__, VeniceProvider(), engine_address=known.engine)
        provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
        port = server.add_insecure_port(address="127.0.0.1:0")
        await server.start()
        sys.stdout.buffer.write(f"{port}\n".encode())
        sys.stdout.buffer.flush()
        await server.wait_for_termination()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    serve()
