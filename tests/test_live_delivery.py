"""How a live event leaves a request (live/events.py, issue 17): handed to the worker's event
loop, the request's thread going on at once; elsewhere, sent before the call returns. And how
it reaches a page: forwarded by the consumer on the loop, without a hop to a thread."""

import asyncio
import hashlib
import inspect
import threading
import uuid
from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels import db as channels_db
from channels.consumer import AsyncConsumer
from channels.layers import get_channel_layer

from invigilation.consumers import SessionConsumer
from live import events
from tests.sockets import Socket

EVENT = {"type": "candidate", "op": "answered", "candidate_id": 7, "position": 3}


@pytest.fixture
def worker_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a thread of its own, as the worker's does."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def _on(loop: asyncio.AbstractEventLoop, coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run_coroutine_threadsafe(coroutine, loop).result(5)


def test_it_hands_a_request_s_events_to_the_worker_s_loop_without_waiting_for_it(
    worker_loop: asyncio.AbstractEventLoop,
) -> None:
    layer = get_channel_layer()
    group = f"session-{uuid.uuid4().hex}"
    channel = _on(worker_loop, layer.new_channel())
    _on(worker_loop, layer.group_add(group, channel))
    gate, sent = threading.Event(), threading.Event()

    def request() -> None:
        """A request's synchronous part, on a thread the worker's loop lent it."""
        events.serving_loop.set(worker_loop)
        # The loop is busy (thousands of sockets at 9:00): here, until the gate opens.
        worker_loop.call_soon_threadsafe(gate.wait, 10)
        events._send([group], EVENT)
        sent.set()

    asyncio.run_coroutine_threadsafe(sync_to_async(request)(), worker_loop)
    try:
        # Waiting for the send would have held the thread until the loop was free.
        assert sent.wait(3)
    finally:
        gate.set()
    # And the event does arrive once the loop gets to it.
    message = _on(worker_loop, asyncio.wait_for(layer.receive(channel), 5))
    assert message == {"type": "live.event", "event": EVENT}


def test_it_sends_an_event_before_returning_outside_a_worker_s_requests() -> None:
    """A management command, a test's client: no serving loop, the send is done on return."""
    layer = get_channel_layer()
    group = f"session-{uuid.uuid4().hex}"

    async def scenario() -> dict:
        channel = await layer.new_channel()
        await layer.group_add(group, channel)
        assert events.serving_loop.get() is None
        await sync_to_async(events._send)([group], EVENT)
        return await asyncio.wait_for(layer.receive(channel), 1)

    assert asyncio.run(scenario()) == {"type": "live.event", "event": EVENT}


def test_it_logs_an_event_its_group_refused_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    """A send that fails on the loop cannot fail the request that committed long before."""

    class Broken:
        async def group_send(self, group: str, message: dict) -> None:
            raise ValueError("bad group")

    asyncio.run(events._deliver(Broken(), ["session-3", "session-4"], EVENT))
    assert [r.getMessage() for r in caplog.records] == [
        "live event not delivered to session-3",
        "live event not delivered to session-4",
    ]


# --- The consumer's side: an event forwarded to the page without a hop to a thread -------


@pytest.mark.django_db(transaction=True)
def test_it_forwards_a_session_s_event_to_the_page_without_a_hop_to_a_thread(
    centre_admin, exam_session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Channels' dispatch closes old database connections on a thread before each message
    (one hand-off per event and page); Vigie's consumers do it only around their own
    database calls (live/base.py: LiveConsumer.dispatch)."""
    closed: list[str] = []
    real = channels_db.close_old_connections
    monkeypatch.setattr(
        channels_db,
        "close_old_connections",
        lambda: (closed.append(threading.current_thread().name), real())[1],
    )

    async def scenario() -> tuple[dict, list[str], list[str]]:
        socket = Socket(centre_admin, exam_session)
        assert await socket.connect() == (True, None)
        # The handshake read the rights and listed the watcher, a heartbeat checks them
        # again: through the database's own wrapper, which closes old connections around
        # each call. Once acknowledged, no database call is left running.
        # (The page's own « who is watching » event may come first.)
        await socket.send_json({"type": "heartbeat"})
        while await socket.receive_json() != {"type": "heartbeat", "op": "ack"}:
            pass
        around_connect = list(closed)
        closed.clear()
        await get_channel_layer().group_send(
            events.session_group(exam_session.pk), {"type": "live.event", "event": EVENT}
        )
        # (Through Redis, the page's « who is watching » event may come after the ack.)
        while (received := await socket.receive_json()) != EVENT:
            assert received == {"type": "session", "op": "watchers"}, received
        around_event = list(closed)
        await socket.close()
        return received, around_connect, around_event

    received, around_connect, around_event = async_to_sync(scenario)()
    assert received == EVENT
    assert around_connect  # the check that it still closes them where the database is used
    assert around_event == []


def test_it_refuses_a_message_no_handler_takes_as_channels_does() -> None:
    consumer = SessionConsumer()
    with pytest.raises(ValueError, match=r"No handler for message type live\.unknown"):
        async_to_sync(consumer.dispatch)({"type": "live.unknown"})


def test_it_knows_the_channels_dispatch_live_base_replaces() -> None:
    """LiveConsumer.dispatch is channels' AsyncConsumer.dispatch without its
    `aclose_old_connections()`: if channels changes its own, read it again, carry the change
    over to live/base.py, then update the digest here."""
    source = inspect.getsource(AsyncConsumer.dispatch)
    assert hashlib.sha256(source.encode()).hexdigest()[:16] == "39f34e7d4fb0f655", (
        "channels.consumer.AsyncConsumer.dispatch changed: compare it with live/base.py"
    )
    assert "aclose_old_connections" in source
