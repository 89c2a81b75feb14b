"""Issue 17: the rows a live event changed are rendered once and pushed to the
invigilators' pages (invigilation/push.py), instead of fetched by each page.

Personas: Alice Martin entered the session with its password; Bob watches a session of
another centre; the candidate's own page must never get an invigilator's row.
"""

import asyncio
import datetime as dt
import re
import threading
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.test import Client
from django.utils import timezone

from certification import actions as test_actions
from certification import engine
from invigilation import push
from invigilation.consumers import SessionConsumer
from invigilation.models import InvigilatorAccess
from invigilation.state import journal_mark
from live import events
from tests.factories import CandidateFactory, CentreFactory, ExamSessionFactory, UserFactory
from tests.live_record import joined, start


@pytest.fixture
def alice(exam_session):
    user = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=exam_session, user=user, via="password")
    return user


@pytest.fixture
def relayed():
    """The relay as the ASGI application installs it, reading, rendering and sending in the
    committing thread (the test client has no event loop to defer to)."""
    push.relay.loop, push.relay.inline = None, True
    events.set_session_relay(push.relay)
    yield
    events.set_session_relay(None)
    push.relay.inline = False


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, dict[str, Any]]]:
    """Every message given to the channel layer, by group."""
    layer = get_channel_layer()
    record: list[tuple[str, dict[str, Any]]] = []
    original = layer.group_send

    async def group_send(group: str, message: dict[str, Any]) -> None:
        record.append((group, message))
        await original(group, message)

    monkeypatch.setattr(layer, "group_send", group_send)
    return record


def _row(html: str, pk: int) -> str:
    found = re.search(rf'<li id="candidate-{pk}" .*?\n</li>', html, re.S)
    assert found, "the row is there"
    # Read at different instants: the version differs, nothing else may.
    return re.sub(r'data-version="\d+"', 'data-version=""', found.group(0))


@pytest.mark.django_db(transaction=True)
def test_it_pushes_the_row_the_fetch_would_render(
    login, exam_session, small_bank, alice, relayed, sent
):
    lea = joined(exam_session, "Léa", "Dupont")
    as_alice: Client = login(alice)
    mark = journal_mark(exam_session)
    start(lea, alice)
    pushed = [m for g, m in sent if g == f"session-{exam_session.pk}" and m["type"] == "live.rows"]
    assert [m["ids"] for m in pushed] == [[lea.pk], [lea.pk]]  # confirmed, then started
    message = pushed[-1]
    assert [e["op"] for e in message["events"]] == ["started"]
    fetched = as_alice.get(
        f"/surveillance/sessions/{exam_session.pk}/lignes/", {"ids": str(lea.pk), "since": mark}
    ).content.decode()
    assert _row(message["html"]["fr"], lea.pk) == _row(fetched, lea.pk)
    assert "En cours" in message["html"]["fr"]
    # The head, the journal's mark and its newest lines, each with its event's id.
    assert message["mark"] == journal_mark(exam_session)
    assert 'id="counter"' in message["head"]["fr"]
    assert message["lines"]["fr"].count("<li data-id=") == 2
    assert "DUPONT Léa" in message["lines"]["fr"]


@pytest.mark.django_db(transaction=True)
def test_it_never_sends_a_row_to_the_candidate_nor_to_another_session(
    exam_session, small_bank, alice, relayed, sent
):
    bob = UserFactory(first_name="Bob", last_name="Other")
    elsewhere = ExamSessionFactory(centre=CentreFactory())
    InvigilatorAccess.objects.create(session=elsewhere, user=bob, via="password")
    lea = joined(exam_session, "Léa", "Dupont")
    start(lea, alice)
    with_rows = {g for g, m in sent if "html" in m}
    assert with_rows == {f"session-{exam_session.pk}"}
    assert f"candidate-{lea.pk}" in {g for g, _m in sent}  # the candidate's page got its event
    assert not any(g == f"session-{elsewhere.pk}" for g, _m in sent)


def _consumer(language: str, access_ends: Any = None, watches: bool = True) -> tuple[Any, list]:
    consumer = SessionConsumer()
    consumer.language, consumer.access_ends, consumer.watches = language, access_ends, watches
    out: list[dict[str, Any]] = []

    async def send_json(content: dict[str, Any], close: bool = False) -> None:
        out.append(content)

    consumer.send_json = send_json  # type: ignore[method-assign]
    return consumer, out


MESSAGE = {
    "type": "live.rows",
    "events": [{"type": "candidate", "op": "started", "candidate_id": 7}],
    "ids": [7],
    "fetch": [9],
    "mark": "3-12",
    "html": {"fr": "<li id='candidate-7'>…</li>"},
    "head": {"fr": "<p id='counter'></p>"},
    "lines": {"fr": "<li data-id='12'></li>"},
}


def test_it_sends_the_row_only_while_the_access_holds_and_in_the_page_language():
    consumer, out = _consumer("fr")
    async_to_sync(consumer.live_rows)(MESSAGE)
    assert out[-1]["op"] == "pushed" and out[-1]["html"] == MESSAGE["html"]["fr"]

    past = timezone.now() - dt.timedelta(seconds=1)
    for consumer, out in (_consumer("fr", past), _consumer("en"), _consumer("fr", watches=False)):
        async_to_sync(consumer.live_rows)(MESSAGE)
        assert out == [
            {"type": "rows", "op": "changed", "ids": [7, 9], "events": MESSAGE["events"]}
        ]


@pytest.mark.django_db
def test_it_leaves_a_claimed_row_to_the_fetch(exam_session, small_bank, alice):
    """« Vous vous en occupez » reads differently for its holder: not pushed."""
    lea = joined(exam_session, "Léa", "Dupont")
    run = start(lea, alice)
    item = engine.current_item(run.course)
    alert = test_actions.do_report_problem(
        run.course, user=lea.user, token=run.token, item_id=item.id
    )
    test_actions.do_claim_alert(alert, actor=alice)
    message = push.render_push(exam_session, [lea.pk])
    assert message["ids"] == [] and message["fetch"] == [lea.pk]
    assert "candidate-" not in message["html"]["fr"]


@pytest.mark.django_db
def test_it_reads_and_renders_a_start_once_in_pinned_queries(
    exam_session, small_bank, alice, django_assert_num_queries
):
    lea = joined(exam_session, "Léa", "Dupont")
    CandidateFactory(session=exam_session)
    start(lea, alice)
    # The mark; the row (candidate, course, answers' counts), its additions, suspensions,
    # alerts, notes and what Vigie saw; the counts (2); the room's suspension; the newest
    # lines and their names (2) — 12, against 14 for each page's fetch, times the invigilators.
    with django_assert_num_queries(12):
        push.render_push(exam_session, [lea.pk])


def test_it_coalesces_a_session_events_within_the_window(monkeypatch, settings):
    """Three starts within the window: one read of their three rows, one message."""
    settings.LIVE_ROWS_WINDOW_MS = 150
    built: list[tuple[int, list[int]]] = []

    def build(session_id: int, ids: list[int], evs: list[dict[str, Any]]) -> dict[str, Any]:
        built.append((session_id, ids))
        return {"type": "live.rows", "events": evs, "ids": ids, "fetch": []}

    monkeypatch.setattr(push, "_build", build)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    relay = push._Relay()
    relay.loop = loop
    try:
        for pk in (3, 1, 2):
            assert relay("session-5", {"type": "candidate", "op": "started", "candidate_id": pk})
        assert relay("session-6", {"type": "candidate", "op": "alert", "candidate_id": 8})
        # A running answer is patched from its own event: not relayed.
        assert not relay(
            "session-5",
            {"type": "candidate", "op": "answered", "candidate_id": 3, "status": "started"},
        )
        time.sleep(0.6)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(2)
        loop.close()
    assert sorted(built) == [(5, [1, 2, 3]), (6, [8])]


def test_it_reads_a_session_once_at_a_time_and_batches_what_came_meanwhile(monkeypatch, settings):
    """Under overload a read takes long: the events arriving meanwhile wait for it and go
    together, instead of a second read of the same session starting alongside."""
    settings.LIVE_ROWS_WINDOW_MS = 50
    gate = threading.Event()
    built: list[list[int]] = []

    def build(session_id: int, ids: list[int], evs: list[dict[str, Any]]) -> dict[str, Any]:
        built.append(ids)
        if len(built) == 1:
            gate.wait(5)
        return {"type": "live.rows", "events": evs, "ids": ids, "fetch": []}

    monkeypatch.setattr(push, "_build", build)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    relay = push._Relay()
    relay.loop = loop
    try:
        relay("session-5", {"type": "candidate", "op": "started", "candidate_id": 1})
        time.sleep(0.3)
        for pk in (2, 3):
            relay("session-5", {"type": "candidate", "op": "started", "candidate_id": pk})
        time.sleep(0.3)
        assert built == [[1]]
        gate.set()
        time.sleep(0.5)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(2)
        loop.close()
    assert built == [[1], [2, 3]]
    assert relay.busy == set() and relay.pending == {}


def test_it_leaves_the_event_as_it_was_without_an_event_loop():
    """A management command, a test client: no loop to defer to, the pages fetch as before."""
    relay = push._Relay()
    assert not relay("session-5", {"type": "candidate", "op": "started", "candidate_id": 1})
    assert relay.pending == {}
