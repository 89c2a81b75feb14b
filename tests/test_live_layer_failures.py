"""A Redis outage as redis-py really reports it (lib/outage.py, live/base.py).

redis-py wraps a lost socket in its own RedisError, but not always: while an outage tears
down the connection the pubsub layer shares between its reader and every subscribe, a task
can meet it half closed, and redis-py raises what that gives (an AttributeError on the
writer it has just dropped). CI met it on 2026-12-06: a push link's handshake at the start
of an outage answered 500 with a traceback instead of being closed with 4503.

Personas: an invigilator's page opening its push link, the worker's probe, a request's
live event, the worker's log; and faults of ours, which must not pass for an outage."""

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio
from asgiref.sync import async_to_sync
from channels import consumer as channels_consumer
from channels_redis.pubsub import RedisPubSubChannelLayer
from redis.exceptions import ConnectionError as RedisConnectionError

from invigilation.models import InvigilatorAccess
from lib.outage import channel_layer_failed
from live import base, events
from tests.sockets import Socket
from vigie.logs import QuietPubSubOutage

EVENT = {"type": "candidate", "op": "answered", "candidate_id": 7, "position": 3}


async def _write_on_a_torn_connection() -> None:
    """What a task meets when it writes on a connection another task has just torn down:
    redis-py's writer is gone."""
    await redis.asyncio.Connection()._send_packed_command([b"PING\r\n"])


def _half_closed() -> Exception:
    try:
        asyncio.run(_write_on_a_torn_connection())
    except AttributeError as error:
        return error
    raise AssertionError("redis-py wrote on a connection without a writer: find its new fault")


def _ours() -> Exception:
    try:
        None.writelines([])  # type: ignore[attr-defined]
    except AttributeError as error:
        return error
    raise AssertionError


@pytest.fixture(autouse=True)
def no_outage() -> Iterator[None]:
    """Each test starts and ends with the worker's layer answering."""
    base.channel_layer.since, base.channel_layer.failures = None, 0
    yield
    base.channel_layer.since, base.channel_layer.failures = None, 0


class TornLayer:
    """The pubsub layer during an outage's first moments: every call meets the torn
    connection."""

    async def new_channel(self, prefix: str = "specific.") -> str:
        await _write_on_a_torn_connection()
        raise AssertionError

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await _write_on_a_torn_connection()

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await _write_on_a_torn_connection()


# --- What counts as the layer failing ------------------------------------------------------


def test_it_counts_redis_py_s_own_errors_as_the_layer_failing() -> None:
    assert channel_layer_failed(RedisConnectionError("Connection refused"))


def test_it_counts_any_error_raised_inside_redis_py_as_the_layer_failing() -> None:
    error = _half_closed()
    assert isinstance(error, AttributeError)
    assert channel_layer_failed(error)


def test_it_does_not_count_a_fault_of_ours_or_a_page_gone_as_the_layer_failing() -> None:
    assert not channel_layer_failed(_ours())
    assert not channel_layer_failed(OSError("the page has gone"))  # uvicorn's ClientDisconnected
    assert not channel_layer_failed(asyncio.CancelledError())


def test_it_does_not_count_an_event_the_layer_cannot_serialize() -> None:
    """Raised in channels-redis before redis-py is called: our fault, not Redis's."""
    layer = RedisPubSubChannelLayer(hosts=["redis://127.0.0.1:1"])
    with pytest.raises(TypeError) as raised:
        layer.serialize({"type": "live.event", "event": object()})
    assert not channel_layer_failed(raised.value)


# --- What the worker does with it ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_closes_a_push_link_with_4503_when_its_handshake_meets_a_torn_connection(
    exam_session, invigilator, monkeypatch
) -> None:
    """The invigilator's page is accepted and closed with 4503 (live.js polls and tries
    later); before, the exception went up to uvicorn, which answered 500."""
    InvigilatorAccess.objects.create(
        session=exam_session, user=invigilator, via=InvigilatorAccess.Via.PASSWORD
    )
    monkeypatch.setattr(channels_consumer, "get_channel_layer", lambda alias: TornLayer())

    async def run() -> list[dict[str, Any]]:
        socket = Socket(invigilator, exam_session)
        await socket.send_input({"type": "websocket.connect"})
        first = await socket.receive_output(timeout=5)
        second = await socket.receive_output(timeout=5)
        return [first, second]

    accepted, closed = async_to_sync(run)()
    assert accepted["type"] == "websocket.accept"
    assert (closed["type"], closed.get("code")) == ("websocket.close", base.UNAVAILABLE)
    assert base.channel_layer.ongoing


def test_it_closes_the_links_when_the_probe_meets_a_torn_connection(monkeypatch) -> None:
    monkeypatch.setattr(base, "PROBE_EVERY_S", 0.01)

    class Page:
        closed = False

        async def _close_unavailable(self) -> None:
            self.closed = True

    page = Page()

    async def scenario() -> None:
        base._open.add(page)  # type: ignore[arg-type]
        task = asyncio.ensure_future(base._probe_forever(TornLayer()))
        try:
            for _ in range(100):
                if page.closed:
                    break
                await asyncio.sleep(0.01)
        finally:
            task.cancel()
            base._open.discard(page)  # type: ignore[arg-type]

    asyncio.run(scenario())
    assert page.closed


def test_it_logs_a_request_s_undelivered_event_as_the_outage_once(caplog) -> None:
    """The write is committed; the event is best effort. One line for the outage, no
    traceback per event."""
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            asyncio.run(events._deliver(TornLayer(), ["session-3", "candidate-4"], EVENT))
    messages = [(r.getMessage(), r.exc_info) for r in caplog.records]
    assert len(messages) == 1, messages
    assert messages[0][0].startswith("channel layer unavailable (AttributeError")
    assert messages[0][1] is None
    assert base.channel_layer.failures == 3


def test_it_keeps_the_pubsub_reader_s_torn_connection_out_of_the_log() -> None:
    """channels-redis logs each failed read of its subscription with a traceback, every
    second of an outage; a fault of ours in the same place stays in the log."""

    def record(error: Exception) -> logging.LogRecord:
        return logging.LogRecord(
            "channels_redis.pubsub",
            logging.ERROR,
            __file__,
            1,
            "Unexpected exception in receive task",
            (),
            (type(error), error, error.__traceback__),
        )

    quiet = QuietPubSubOutage()
    assert not quiet.filter(record(_half_closed()))
    assert quiet.filter(record(_ours()))
