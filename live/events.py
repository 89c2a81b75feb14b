"""Live events: built by actions, sent to browsers after the transaction commits.

Events are JSON-safe dicts with a `type` and an `op`; a group is an audience
(`candidate-<id>`: that candidate's pages; `session-<id>`: the session's invigilators).
Browsers re-read their state when an event arrives, so an event carries ids, not data —
except that a relay (`set_session_relay`: invigilation/push.py) may take over a session
group's events about one candidate's row and send the rendered row instead, after commit
and off the request, so the invigilators' pages need not fetch it (issue 17).
"""

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from live.base import channel_layer as outage
from live.base import layer_failed

logger = logging.getLogger(__name__)
_captures: list[list[tuple[str, dict[str, Any]]]] = []
# (group, event) -> True when the relay takes the event over (it sends it later, with the row).
SessionRelay = Callable[[str, dict[str, Any]], bool]
_relay: SessionRelay | None = None
# The worker's event loop, for the requests its ASGI handler serves (vigie/handler.py). Their
# events are handed to it and the request's thread goes on: waiting for each group_send held
# a request thread (and its database connection) for as long as the busy event loop took to
# give the send its Redis round trips — during the 9:00 burst, seconds (issue 17,
# docs/scaling.md « The push path »). Elsewhere (commands, tests' clients) they are sent
# before `_send` returns, as before.
serving_loop: ContextVar[asyncio.AbstractEventLoop | None] = ContextVar(
    "serving_loop", default=None
)


def set_session_relay(relay: SessionRelay | None) -> None:
    """Registered by a layer above (live cannot import what renders rows): the events sent to
    a session's group go through `relay` first."""
    global _relay
    _relay = relay


def candidate_group(candidate_id: int) -> str:
    return f"candidate-{candidate_id}"


def session_group(session_id: int) -> str:
    return f"session-{session_id}"


def publish_on_commit(groups: list[str], event: dict[str, Any]) -> None:
    # Serialize now so a bad value fails at the call site, not in an after-commit callback.
    json.dumps(event)
    transaction.on_commit(lambda: _send(groups, event))


def _send(groups: list[str], event: dict[str, Any]) -> None:
    for capture in _captures:
        capture.extend((group, event) for group in groups)
    layer = get_channel_layer()
    if layer is None:
        return
    targets = [
        group
        for group in groups
        if not (_relay is not None and group.startswith("session-") and _relayed(group, event))
    ]
    if not targets:
        return
    loop = serving_loop.get()
    if loop is not None and loop.is_running():
        # Started in the order they are handed (the pubsub layer publishes them in that order).
        asyncio.run_coroutine_threadsafe(_deliver(layer, targets, event), loop)
    else:
        try:
            async_to_sync(_deliver)(layer, targets, event)
        except RuntimeError:
            # Called from a thread running an event loop of its own (a test driving a
            # browser): nothing can wait here, and the pages resynchronize.
            logger.warning("live event not delivered to %s", ", ".join(targets), exc_info=True)


async def _deliver(layer: Any, groups: list[str], event: dict[str, Any]) -> None:
    for group in groups:
        try:
            await layer.group_send(group, {"type": "live.event", "event": event})
        except Exception as error:
            if not layer_failed(error):
                logger.warning("live event not delivered to %s", group, exc_info=True)
                continue
            # The push link is best effort: pages fall back to polling and resynchronize,
            # and the write itself is already committed. An outage is logged once, not
            # once per event (live/base.py).
            outage.failed(error)
            return
        else:
            outage.succeeded()


def _relayed(group: str, event: dict[str, Any]) -> bool:
    assert _relay is not None
    try:
        return _relay(group, event)
    except Exception:
        # The event itself still goes: the pages fetch what it names.
        logger.warning("live relay failed for %s", group, exc_info=True)
        return False


@contextmanager
def capture_events() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Record the events sent while the block runs (tests)."""
    captured: list[tuple[str, dict[str, Any]]] = []
    _captures.append(captured)
    try:
        yield captured
    finally:
        _captures.remove(captured)
