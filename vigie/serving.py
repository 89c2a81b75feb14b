"""uvicorn's workers, each with a listening socket of its own on the same port.

uvicorn's supervisor binds one socket and every worker accepts from it. Linux then wakes
the workers unevenly (the one that waited last is woken first), and measured under load
one worker did twice the other's work (30 % against 62 % of a core, docs/scaling.md):
the busier one saturates while the other idles. With `SO_REUSEPORT` each worker listens
on its own socket and the kernel spreads new connections over them by a hash of their
addresses, like nginx's `reuseport`.

The supervisor is uvicorn's own (restarts of dead workers, signals, graceful shutdown):
only the socket a worker serves changes. The parent keeps a bound socket that never
listens, so it receives no connection; it holds the port for the workers.

uvicorn also waits for a request's headers as long as the client likes: a connection that
sends half a request line (or half a WebSocket upgrade) and stops stays open for good.
It holds no thread (vigie/handler.py), but it holds a file descriptor, and a few thousand
such connections exhaust a worker's (docs/security.md, « Slow clients »).
`HeaderTimeoutProtocol` closes a connection whose request headers are not all in within
REQUEST_HEADER_TIMEOUT seconds.
"""

import asyncio
import logging
import socket
from typing import Any

from django.conf import settings
from uvicorn import Config, Server
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import multiprocess


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline for each request's headers."""

    _header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # the next request on a kept-alive connection

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(
                settings.REQUEST_HEADER_TIMEOUT, self._headers_too_slow
            )

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def reuseport_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class _OwnSocketServer(Server):
    def run(self, sockets: list[socket.socket] | None = None) -> None:
        # The parent's socket: only its address matters here.
        host, port = (sockets or [])[0].getsockname()[:2]
        for inherited in sockets or []:
            inherited.close()
        super().run(sockets=[reuseport_socket(host, port)])


class _OwnSocketProcess(multiprocess.Process):
    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = _OwnSocketServer(config=self.config)
        return self._server


def run_workers(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """`uvicorn.run(app, workers=N, …)`, with one listening socket per worker."""
    config = Config(app, host=host, port=port, workers=workers, **options)
    parent = reuseport_socket(host, port)
    logging.getLogger("uvicorn.error").info(
        "Uvicorn running on http://%s:%d, one socket per worker (SO_REUSEPORT)", host, port
    )
    # The supervisor makes its workers by this name (at start and to replace a dead one).
    multiprocess.Process = _OwnSocketProcess  # type: ignore[misc]
    try:
        multiprocess.Multiprocess(config, sockets=[parent]).run()
    finally:
        parent.close()
