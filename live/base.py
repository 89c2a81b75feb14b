"""What every Vigie WebSocket consumer shares: joining its audience's group, and refusing
cleanly when the channel layer (Redis) or the database is down.

During a Redis outage a handshake used to end in an exception: uvicorn answered 500 and
logged a full traceback, for every reconnect of every page (37 in a 21-second outage with
6 pages open). A consumer deriving from `LiveConsumer` instead accepts the handshake and
closes it at once with `UNAVAILABLE` (4503), which `static/vigie/live.js` understands:
the page polls and tries the push link again later, spaced out, instead of reconnecting
in a loop. The same happens to an open link when the layer fails under it, and when the
database cannot be reached (the handshake reads the session, the user and the rights);
`OutageGuard` does it for what fails before the consumer runs. Each outage is logged once
per worker when it starts and once when it ends (`lib/outage.py`).
"""

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Iterator
from typing import Any

from channels.consumer import get_handler_name
from channels.db import aclose_old_connections
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels_redis.pubsub import RedisPubSubChannelLayer

from lib import outage

logger = logging.getLogger(__name__)

# A private-use close code (4000-4999): 4403 refuses (not allowed), 4503 means « come back
# later ». Both read like the HTTP statuses they mirror.
FORBIDDEN = 4403
UNAVAILABLE = 4503

channel_layer = outage.Outage(
    "channel layer", f"WebSockets closed with code {UNAVAILABLE}, pages poll"
)
# What the layer raises when Redis cannot be reached: RedisError, or anything raised inside
# redis-py while a connection is torn down (lib/outage.py).
layer_failed = outage.channel_layer_failed


@contextlib.contextmanager
def ignoring_layer_failures() -> Iterator[None]:
    """`contextlib.suppress` for the layer's failures (`layer_failed`), whatever their class."""
    try:
        yield
    except Exception as error:
        if not layer_failed(error):
            raise


def _outage_of(error: BaseException) -> outage.Outage | None:
    if layer_failed(error):
        return channel_layer
    if outage.database_unavailable(error):
        return outage.database
    return None


async def _close_unavailable(send: Any, accepted: bool) -> None:
    """Close with UNAVAILABLE: a browser sees the close code of an accepted socket only (a
    refused handshake is a bare 1006), so accept first if need be."""
    try:
        if not accepted:
            await send({"type": "websocket.accept"})
        await send({"type": "websocket.close", "code": UNAVAILABLE})
    except OSError:
        pass  # the page has gone already (uvicorn's ClientDisconnected)


class OutageGuard:
    """ASGI middleware around the WebSocket stack: what fails before a consumer runs (the
    session and user are read from the database by Channels' AuthMiddleware) is refused
    the same way as in a consumer."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        accepted = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal accepted
            await send(message)
            accepted = accepted or message["type"] == "websocket.accept"

        try:
            await self.inner(scope, receive, tracking_send)
        except Exception as error:
            failing = _outage_of(error)
            if failing is None or scope["type"] != "websocket":
                raise
            failing.failed(error)
            await _close_unavailable(send, accepted)


# --- The pubsub layer's outages (issue 17) ------------------------------------------------
#
# With the core layer a Redis outage fails under each open link (its consumer reads Redis),
# and the link is closed with UNAVAILABLE. With the pubsub layer a worker reads every event
# from one subscription and each consumer waits on a queue in the worker: nothing fails
# under it, and its page would miss events without knowing. So each worker probes the
# layer while it holds links — an event to itself and back, every PROBE_EVERY_S — and on a
# failure closes them all with UNAVAILABLE, as the core layer's failures did (their pages
# poll, then come back). The layer's own receive task reconnects and subscribes again when
# Redis returns.
PROBE_EVERY_S = 2.0
PROBE_TIMEOUT_S = 2.0
# A probe that only times out may be a busy worker rather than a lost Redis: its event loop
# serves thousands of links and requests, and the round trip waits for its turns. Closing
# every link on one timeout did that under load (a 2,000-candidate burst with 20 threads per
# worker: every link closed with 4503, « available again after 0.0 s »). So a timeout counts
# only when it repeats; an error from the layer (refused, reset) still closes them at once.
PROBE_TIMEOUTS_TO_CLOSE = 3
_open: "weakref.WeakSet[LiveConsumer]" = weakref.WeakSet()
_probes: dict[asyncio.AbstractEventLoop, asyncio.Task[None]] = {}


async def probe_once(layer: Any, channel: str) -> None:
    """An event to `channel` and back: a real round trip through Redis (also /readyz's)."""
    await layer.send(channel, {"type": "probe"})
    await layer.receive(channel)


async def end_channel(layer: Any, channel: str) -> None:
    """The pubsub layer keeps a channel subscribed, in the worker and in Redis, until a
    receive on it is cancelled (that is how a consumer's channel ends): a channel of our
    own ends the same way."""
    closing = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)
    closing.cancel()
    with contextlib.suppress(asyncio.CancelledError), ignoring_layer_failures():
        await closing


async def _probe_forever(layer: Any) -> None:
    channel: str | None = None
    timeouts = 0
    while True:
        await asyncio.sleep(PROBE_EVERY_S)
        if not _open:
            timeouts = 0
            continue
        try:
            channel = channel or await layer.new_channel("probe.")
            await asyncio.wait_for(probe_once(layer, channel), PROBE_TIMEOUT_S)
        except Exception as error:
            if not (layer_failed(error) or isinstance(error, TimeoutError)):
                raise
            if channel is not None:  # a new one next time
                await end_channel(layer, channel)
                channel = None
            timeouts = timeouts + 1 if isinstance(error, TimeoutError) else 0
            if 0 < timeouts < PROBE_TIMEOUTS_TO_CLOSE:
                continue
            timeouts = 0
            channel_layer.failed(error)
            for consumer in list(_open):
                _open.discard(consumer)
                try:
                    await consumer._close_unavailable()
                except Exception:
                    logger.warning("could not close a push link", exc_info=True)
        else:
            timeouts = 0
            channel_layer.succeeded()


def _watch(consumer: "LiveConsumer") -> None:
    """Called on each link's accept: one probe per worker (per event loop)."""
    layer = consumer.channel_layer
    if not isinstance(layer, RedisPubSubChannelLayer):
        return
    _open.add(consumer)
    loop = asyncio.get_running_loop()
    if loop not in _probes or _probes[loop].done():
        _probes[loop] = loop.create_task(_probe_forever(layer))


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Base of the consumers: `connect` authorizes, then `join`s its group; `disconnect`
    cleans up what the consumer itself added (the groups are left here)."""

    accepted = False
    groups: list[str]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except Exception as error:
            failing = _outage_of(error)
            if failing is None:
                raise  # a fault of ours: uvicorn logs it with its traceback
            failing.failed(error)
            # `send`: with the pubsub layer the consumer's own channel is subscribed before
            # Channels keeps `send` on it (`base_send`), and that can be what failed.
            await self._close_unavailable(send)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' own, without the hop to a thread before each message: since channels
        4.2, `AsyncConsumer.dispatch` awaits `aclose_old_connections()`, a `sync_to_async`
        call run on the one thread every thread-sensitive call of the worker shares. Each
        event pushed to each page and each heartbeat paid a hand-off to that thread and
        back, queued behind the others (docs/scaling.md, « One hop less per event »).
        Vigie's consumers touch the database only through `database_sync_to_async`, which
        closes old connections itself before and after, in the thread that uses them; the
        handlers in between (an event forwarded to the page) use none. Guarded by
        tests/test_live_delivery.py (no hop on an event; channels' dispatch as it was read)."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol, headers)
        self.accepted = True
        _watch(self)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups.append(group)
        channel_layer.succeeded()

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        _open.discard(self)
        await self._leave()
        await self.disconnect(message["code"])
        await aclose_old_connections()
        raise StopConsumer()

    async def _leave(self) -> None:
        for group in self.groups:
            # Redis down: channels-redis forgets the membership by itself (group_expiry).
            with ignoring_layer_failures():
                await self.channel_layer.group_discard(group, self.channel_name)
        self.groups = []

    async def _close_unavailable(self, send: Any = None) -> None:
        if self.accepted:
            # Its own clean-up (« who is watching »), which may need the other service.
            await self._leave()
            try:
                await self.disconnect(UNAVAILABLE)
            except Exception as error:
                failing = _outage_of(error)
                if failing is None:
                    raise
                failing.failed(error)
        await _close_unavailable(send or self.base_send, self.accepted)
