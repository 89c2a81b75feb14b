"""The Espace Surveillant's changed rows pushed to the invigilators' pages (issue 17).

Off by default (`LIVE_ROWS_PUSH`): the contended load runs did not show it pays
(docs/scaling.md, « Rows pushed »); a quiet A/B decides.

Before, an event about a candidate (a start, an alert, a test ended…) reached every
invigilator's page as ids, and each page fetched the row (`GET …/lignes/?ids=&since=`: 14
queries, the request's access checks, ≈ 18 ms of worker CPU), so one start in a session
watched by three invigilators cost three fetches. Now the event goes through this relay
(`live.events.set_session_relay`): after the commit, and not in the candidate's request,
the rows are read and rendered **once** and sent in the session group's message; each page
swaps them in without a request (static/vigie/supervision.js).

- **Coalesced**: the events of one session arriving within `LIVE_ROWS_WINDOW_MS` (200 ms)
  make one read of all their rows and one message (per worker: each worker relays the
  events of its own requests); and one read at a time per session: the events arriving
  while a session's rows are read wait for it, then go together — under overload the
  batches grow instead of the reads piling up (as the page's one fetch at a time did).
- **Off the request**: the relay only records the event; the read and render run on
  `LIVE_ROWS_READERS` threads of their own per worker (1) after the window — one, so that
  they hold at most one of the pool's connections (`HTTP_THREADS` is the pool's size: renders on several threads
  made requests wait for a connection in the contended load runs) (`attach` is called with the loop by the
  ASGI application). Without a loop (a management command, the test client) the event
  goes as before and the pages fetch (`inline` reads and sends at once instead: tests).
- **The same for every viewer**: what a row shows differs per invigilator only in a claim
  (« Vous vous en occupez » for whoever claimed it): rows with a claim are not pushed, the
  message names them in `fetch` and the pages fetch them, as before. The language: rows are
  rendered in `LIVE_ROWS_LANGUAGES` (the site's default one); a page in another language
  fetches (the consumer forwards the ids only).
- **Never older over newer**: a row carries its read time (`data-version`): the page keeps
  the newer of a pushed and a fetched copy, whatever order they arrive in. The head's counts
  and the timeline come with the session journal's mark (`journal_mark`) and the newest
  `PUSHED_LINES` lines with their ids: a page adds the lines it lacks if that accounts for
  every event since its own mark, and otherwise fetches the journal (`?ids=&since=`).
- **Access**: the message goes to the session's group only, which a socket joins after
  `access_session_as_invigilator` allowed it; the consumer drops rows once that access has
  expired (invigilation/consumers.py). Never to the candidate's group.
"""

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connections
from django.template.loader import render_to_string
from django.utils import translation

from exams.models import ExamSession
from invigilation.rows import decorate, pv_options
from invigilation.state import (
    candidate_rows,
    journal_mark,
    newest_lines,
    room_state,
    session_counts,
)
from live.base import channel_layer as outage
from live.base import layer_failed
from live.events import set_session_relay

logger = logging.getLogger(__name__)

# The timeline's newest lines sent with each push: a page lacking more fetches the journal.
PUSHED_LINES = 8


def _pushed_op(event: dict[str, Any]) -> bool:
    """An event whose row this relay sends: about one candidate, and not an answer the page
    patches from the event itself (a running test's; supervision.js `patchAnswered`)."""
    if event.get("type") != "candidate" or not event.get("candidate_id"):
        return False
    return not (event.get("op") == "answered" and event.get("status") == "started")


def per_viewer(row: dict[str, Any]) -> bool:
    """A row that reads differently for each invigilator: a claim names « Vous » to its
    holder (templates/invigilation/_claim.html)."""
    return any((row.get(key) or {}).get("claim") for key in ("alert", "companion_alert"))


def render_push(session: ExamSession, ids: list[int]) -> dict[str, Any]:
    """The message for the session's group: the rows of `ids` that read the same for every
    invigilator, rendered as the fetch renders them (templates/invigilation/_fragment.html),
    the head's counts, the journal's mark and newest lines; `fetch`: the rows to fetch."""
    mark = journal_mark(session)  # before what it vouches for (the fetch does the same)
    rows = candidate_rows(session, ids)
    shared = [row for row in rows if not per_viewer(row)]
    found = {row["id"] for row in rows}
    fetch = sorted({row["id"] for row in rows if per_viewer(row)} | (set(ids) - found))
    counts = session_counts(session)
    room = room_state(session)
    lines = newest_lines(session, PUSHED_LINES)
    context = {
        "session": session,
        "rows": decorate(shared),
        "all_rows": False,
        "oob": True,
        "pv_options": pv_options(),
        "counts": counts,
        "room": room,
    }
    html: dict[str, str] = {}
    head: dict[str, str] = {}
    timeline: dict[str, str] = {}
    for language in settings.LIVE_ROWS_LANGUAGES:
        with translation.override(language):
            html[language] = render_to_string("invigilation/_pushed_rows.html", context)
            head[language] = render_to_string("invigilation/_pushed_head.html", context)
            timeline[language] = render_to_string(
                "invigilation/_pushed_lines.html", {"new_lines": lines}
            )
    return {
        "ids": sorted(row["id"] for row in shared),
        "fetch": fetch,
        "mark": mark,
        "html": html,
        "head": head,
        "lines": timeline,
    }


def _build(session_id: int, ids: list[int], events: list[dict[str, Any]]) -> dict[str, Any]:
    """The group message for these events (run off the request: its own connection, given
    back to the pool when done)."""
    try:
        session = ExamSession.objects.select_related("centre").filter(pk=session_id).first()
        if session is None or not session.is_accessible:
            # Finalized meanwhile: the pages learn it by fetching (412), as before.
            return {"type": "live.rows", "events": events, "ids": [], "fetch": ids}
        return {"type": "live.rows", "events": events, **render_push(session, ids)}
    finally:
        connections.close_all()


class _Relay:
    """Per worker process: the events waiting, per session, for their window to close."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        # No loop: read, render and send in the committing thread (else the plain event).
        self.inline = False
        self.lock = threading.Lock()
        self.pending: dict[int, list[dict[str, Any]]] = {}
        # Sessions whose window runs or whose rows are being read and sent.
        self.busy: set[int] = set()
        self.reader = ThreadPoolExecutor(
            max_workers=settings.LIVE_ROWS_READERS, thread_name_prefix="live-rows"
        )
        # The loop keeps only weak references to its tasks: these are kept until done.
        self.tasks: set[asyncio.Task[None]] = set()

    def __call__(self, group: str, event: dict[str, Any]) -> bool:
        if not _pushed_op(event):
            return False
        session_id = int(group.removeprefix("session-"))
        loop = self.loop
        if loop is None or loop.is_closed():
            if not self.inline:
                return False
            _send_now(session_id, [event])
            return True
        with self.lock:
            self.pending.setdefault(session_id, []).append(event)
            arm = session_id not in self.busy
            self.busy.add(session_id)
        if arm:
            loop.call_soon_threadsafe(self._arm, session_id)
        return True

    def _arm(self, session_id: int) -> None:
        assert self.loop is not None
        self.loop.call_later(settings.LIVE_ROWS_WINDOW_MS / 1000, self._start, session_id)

    def _start(self, session_id: int) -> None:
        assert self.loop is not None
        task = self.loop.create_task(self._flush(session_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _flush(self, session_id: int) -> None:
        with self.lock:
            events = self.pending.pop(session_id, [])
        try:
            if events:
                await self._push(session_id, events)
        finally:
            with self.lock:
                again = session_id in self.pending
                if not again:
                    self.busy.discard(session_id)
            if again:  # events came while these were read: their own window starts now
                self._arm(session_id)

    async def _push(self, session_id: int, events: list[dict[str, Any]]) -> None:
        ids = sorted({int(event["candidate_id"]) for event in events})
        try:
            loop = asyncio.get_running_loop()
            message = await loop.run_in_executor(self.reader, _build, session_id, ids, events)
        except Exception:
            logger.warning(
                "rows of session %s not rendered: events sent", session_id, exc_info=True
            )
            message = {"type": "live.rows", "events": events, "ids": [], "fetch": ids}
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            await layer.group_send(f"session-{session_id}", message)
        except Exception as error:
            if layer_failed(error):
                outage.failed(error)  # pages poll and resynchronize (live/base.py)
            else:
                logger.warning("rows of session %s not delivered", session_id, exc_info=True)
        else:
            outage.succeeded()


def _send_now(session_id: int, events: list[dict[str, Any]]) -> None:
    """No event loop to defer to: read, render and send in this thread."""
    ids = sorted({int(event["candidate_id"]) for event in events})
    session = ExamSession.objects.select_related("centre").filter(pk=session_id).first()
    if session is None or not session.is_accessible:
        message: dict[str, Any] = {"type": "live.rows", "events": events, "ids": [], "fetch": ids}
    else:
        message = {"type": "live.rows", "events": events, **render_push(session, ids)}
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(f"session-{session_id}", message)
    except Exception as error:
        if not layer_failed(error):
            raise
        outage.failed(error)
    else:
        outage.succeeded()


relay = _Relay()


def attach(loop: asyncio.AbstractEventLoop) -> None:
    """The worker's event loop, where the windows run (vigie/asgi.py, on its first call).
    A new loop (tests start servers one after the other): what waited on the old one is
    forgotten."""
    with relay.lock:
        relay.pending.clear()
        relay.busy.clear()
    relay.loop = loop


def install() -> None:
    set_session_relay(relay if settings.LIVE_ROWS_PUSH else None)
