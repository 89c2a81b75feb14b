"""How a live event leaves a request (live/events.py, issue 17): handed to the worker's event
loop, the request's thread going on at once; elsewhere, sent before the call returns."""

import asyncio
import threading
import uuid
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from live import events

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
