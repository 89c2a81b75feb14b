"""How long an invigilator may read a session: access after the session is over (issue 13).

The state JSON holds names, birthdates, the candidates' access code and the notes; the kit
holds the invigilator password. An access by the session's password therefore ends when the
session is finalized and, at the latest, at 06:00 the day after the session in the centre's
time zone (`ExamSession.supervision_ends_at`); every path (page, state, kit, WebSocket,
entering again) follows the one access function. Centre members keep their rights through
their membership: no time bound, but the Espace Surveillant closes for them too once the
session is finalized (they read it on the centre's pages).

Personas: Alice entered with the session's password; the centre admin is a member; the
invigilator persona and the admin of another centre never had access.
"""

import datetime as dt
import html
from zoneinfo import ZoneInfo

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.contrib.messages import get_messages
from django.utils import timezone

from accounts.models import Centre, Membership
from audit.models import AuditEvent
from certification.models import CertificationCourse
from exams.models import ExamSession
from finalization import validation
from finalization.actions import do_finalize_session
from invigilation.consumers import SessionConsumer
from invigilation.models import InvigilatorAccess, Watcher
from tests.factories import CandidateFactory, CentreFactory, ExamSessionFactory, UserFactory
from tests.sockets import Socket

# The personas' passwords are not under test: hashed quickly (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fast_password_hashing")

PASSWORD = "BCDF-GHJK-MNPQ"
API = "/api/invigilation"
NOT_SUPERVISABLE = (
    "Cette session n'est plus accessible : elle a été finalisée ou ses résultats sont traités."
)


@pytest.fixture
def session(exam_session):
    exam_session.invigilator_password = PASSWORD
    exam_session.save(update_fields=["invigilator_password_encrypted"])
    return exam_session


@pytest.fixture
def alice(session):
    user = UserFactory(email="alice.martin@lycee.fr", first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=session, user=user, via=InvigilatorAccess.Via.PASSWORD)
    return user


def _morning_after(session) -> dt.datetime:
    """06:00 the day after the session, in the centre's time zone: the bound under test."""
    zone = ZoneInfo(session.centre.time_zone)
    return dt.datetime.combine(session.date + dt.timedelta(days=1), dt.time(6), tzinfo=zone)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _socket(user, session) -> tuple[bool, int | None]:
    """Open the Espace Surveillant's WebSocket as `user`: (accepted, close code)."""

    async def run() -> tuple[bool, int | None]:
        socket = Socket(user, session)
        accepted, code = await socket.connect()
        if accepted:
            await socket.close()
        return accepted, code

    return async_to_sync(run)()


def _reads(login, user, session) -> dict[str, object]:
    """Every way an invigilator reads the session over HTTP: page, state, kit (each with a
    client of its own — `login`, the fixture —, so each response carries its own messages)."""
    return {
        "page": login(user).get(f"/surveillance/sessions/{session.pk}/"),
        "state": login(user).get(f"{API}/sessions/{session.pk}/state"),
        "kit": login(user).get(f"/surveillance/sessions/{session.pk}/kit.pdf"),
    }


def _assert_refused(reads, message: str, state_status: int) -> None:
    page, state, kit = reads["page"], reads["state"], reads["kit"]
    assert page.status_code == 302 and page["Location"] == "/surveillance/"
    assert _messages(page) == [message]
    assert state.status_code == state_status
    assert state.json()["detail"] == message
    assert "access_code" not in state.content.decode()
    assert kit.status_code == 302 and kit["Location"] == "/surveillance/"
    assert kit.get("Content-Type", "").startswith("text/html")
    assert _messages(kit) == [message]


def _assert_allowed(reads) -> None:
    assert reads["page"].status_code == 200
    assert reads["state"].status_code == 200
    assert reads["kit"].status_code == 200
    assert reads["kit"]["Content-Type"] == "application/pdf"


# --- Finalized: nobody reads the Espace Surveillant any more ------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_closes_every_read_of_a_finalized_session(
    login, session, alice, centre_admin, candidate
):
    """Page, state, kit and WebSocket: refused to the invigilator and to the centre admin,
    with the message of a session no longer supervisable; the centre admin still reads the
    session and downloads its kit on the centre's pages."""
    assert _socket(alice, session) == (True, None)
    session.finalized_at = timezone.now()
    session.save(update_fields=["finalized_at"])

    for user in (alice, centre_admin):
        _assert_refused(_reads(login, user, session), NOT_SUPERVISABLE, 412)
        assert _socket(user, session) == (False, 4403)
    assert login(centre_admin).get(f"/sessions/{session.pk}/").status_code == 200
    assert (
        login(centre_admin).get(f"/sessions/{session.pk}/documents/kit-surveillant.pdf").status_code
        == 200
    )


# --- The bound: 06:00 the day after the session, in the centre's time zone -------------------


@pytest.mark.django_db(transaction=True)
def test_it_ends_a_password_access_the_morning_after_the_session(
    login, session, alice, centre_admin, invigilator
):
    """Until 05:59 the day after: page, state, kit and socket. From 06:00: refused with a
    message giving the end in the centre's time; the password no longer opens the session
    (nothing recorded); the centre admin keeps the session through the membership."""
    end = _morning_after(session)

    with time_machine.travel(end - dt.timedelta(minutes=1), tick=False):
        _assert_allowed(_reads(login, alice, session))
        assert _socket(alice, session) == (True, None)

    with time_machine.travel(end, tick=False):
        expected = (
            "Votre accès à l'Espace Surveillant de cette session a pris fin le "
            f"{end:%d/%m/%Y} à 06:00 (heure du centre), le lendemain de la session. "
            "Un administrateur du centre peut toujours l'ouvrir depuis la page de la session."
        )
        _assert_refused(_reads(login, alice, session), expected, 403)
        assert _socket(alice, session) == (False, 4403)
        entering = login(invigilator).post(
            f"{API}/supervise",
            {"session_number": session.number, "password": PASSWORD},
            content_type="application/json",
        )
        page = login(invigilator).post(
            "/surveillance/", {"session_number": session.number, "password": PASSWORD}
        )
        assert entering.status_code == 403 and entering.json()["detail"] == expected
        assert expected in html.unescape(page.content.decode())
        assert not InvigilatorAccess.objects.filter(user=invigilator).exists()
        assert not AuditEvent.objects.filter(actor=invigilator).exists()
        _assert_allowed(_reads(login, centre_admin, session))
        assert _socket(centre_admin, session) == (True, None)
    assert session.supervision_ends_at == end


@pytest.mark.django_db
@pytest.mark.parametrize(
    "zone", [Centre.TimeZone.PARIS, Centre.TimeZone.NOUVELLE_CALEDONIE, Centre.TimeZone.POLYNESIE]
)
def test_it_computes_the_bound_in_the_centre_time_zone(zone):
    """06:00 local the next day, wherever the centre is: 11 h apart from Paris in Nouméa."""
    session = ExamSessionFactory(
        centre=CentreFactory(time_zone=zone), date=dt.date(2026, 11, 23), time=dt.time(22, 30)
    )
    expected = dt.datetime(2026, 11, 24, 6, 0, tzinfo=ZoneInfo(zone))
    assert session.supervision_ends_at == expected
    assert session.supervision_ends_at.astimezone(dt.UTC) == expected.astimezone(dt.UTC)


@pytest.mark.django_db
def test_it_follows_a_session_moved_to_another_day(login, session, alice, centre_admin):
    """The bound is read from the session's date: postponing the session extends it."""
    end = _morning_after(session)
    with time_machine.travel(end + dt.timedelta(hours=1), tick=False):
        assert login(alice).get(f"{API}/sessions/{session.pk}/state").status_code == 403
        session.date += dt.timedelta(days=2)
        session.save(update_fields=["date"])
        assert login(alice).get(f"{API}/sessions/{session.pk}/state").status_code == 200


# --- A membership row is not a password ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_forgets_a_former_member_who_opened_the_page_as_member(login, session, centre_admin):
    """Entering as a member (« Surveiller cette session ») records an access « via
    membership »; once the membership ends, that row grants nothing: 404 as for anyone
    without access."""
    member = login(centre_admin)
    assert member.post(f"/surveillance/sessions/{session.pk}/entrer/").status_code == 302
    assert member.get(f"/surveillance/sessions/{session.pk}/").status_code == 200
    assert InvigilatorAccess.objects.get().via == InvigilatorAccess.Via.MEMBERSHIP

    Membership.objects.filter(user=centre_admin).delete()

    client = login(centre_admin)
    assert client.get(f"/surveillance/sessions/{session.pk}/").status_code == 404
    assert client.get(f"{API}/sessions/{session.pk}/state").status_code == 404
    assert client.get(f"/surveillance/sessions/{session.pk}/kit.pdf").status_code == 404
    assert _socket(centre_admin, session) == (False, 4403)


# --- An open socket and an open page learn it ------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_closes_an_open_socket_at_the_next_heartbeat_once_access_ended(session, alice):
    """The page sends a heartbeat every 20 s: the first one after the finalization closes
    the socket, so no further event reaches a page that may no longer read the session."""

    async def run() -> tuple[dict, int | None]:
        socket = Socket(alice, session)
        accepted, _code = await socket.connect()
        assert accepted
        await socket.send_json({"type": "heartbeat"})
        ack = await socket.receive_json()
        while ack["type"] != "heartbeat":  # « who is watching » events come first
            ack = await socket.receive_json()
        await _finalize_now(session)
        await socket.send_json({"type": "heartbeat"})
        closed = await socket.receive_output(timeout=5)
        while closed["type"] != "websocket.close":
            closed = await socket.receive_output(timeout=5)
        await socket.close()
        return ack, closed.get("code")

    ack, code = async_to_sync(run)()
    assert ack == {"type": "heartbeat", "op": "ack"}
    assert code == 4403


@database_sync_to_async
def _finalize_now(session) -> None:
    ExamSession.objects.filter(pk=session.pk).update(finalized_at=timezone.now())


@pytest.mark.django_db
def test_it_tells_open_pages_when_the_session_is_finalized(
    session, alice, centre_admin, candidate, sent_events
):
    """The finalization sends a session event, so every open Espace Surveillant re-reads its
    state (now refused) even when no test was still running."""
    course = CertificationCourse.objects.create(
        candidate=candidate,
        user=alice,
        started_at=timezone.now() - dt.timedelta(hours=2),
        ended_at=timezone.now(),
        seed=1,
        status="completed",
    )
    report = validation.CandidateReportInput(candidate_id=course.candidate_id)
    with sent_events() as events:
        do_finalize_session(
            session, validation.FinalizationInput(reports=[report]), actor=centre_admin
        )
    assert (f"session-{session.pk}", {"type": "session", "op": "closed"}) in events


@pytest.mark.django_db
def test_it_keeps_another_session_of_the_same_invigilator_open(login, session, alice, centre):
    """One session's end does not touch another one the invigilator entered."""
    later = ExamSessionFactory(centre=centre, date=session.date + dt.timedelta(days=3))
    InvigilatorAccess.objects.create(session=later, user=alice, via=InvigilatorAccess.Via.PASSWORD)
    CandidateFactory(session=later)
    with time_machine.travel(_morning_after(session), tick=False):
        client = login(alice)
        assert client.get(f"{API}/sessions/{session.pk}/state").status_code == 403
        assert client.get(f"{API}/sessions/{later.pk}/state").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_it_closes_a_socket_whose_session_closed_while_it_connected(session, alice, monkeypatch):
    """The access is read again when the watcher is recorded: a finalization landing between
    the check and the accept closes the socket (4403) instead of failing in the consumer."""
    session.finalized_at = timezone.now()
    session.save(update_fields=["finalized_at"])

    async def checked_before_the_finalization(self, user, session_id) -> bool:
        return True

    monkeypatch.setattr(SessionConsumer, "_can", checked_before_the_finalization)

    async def run() -> list[dict]:
        socket = Socket(alice, session)
        await socket.send_input({"type": "websocket.connect"})
        first = await socket.receive_output(timeout=5)
        second = await socket.receive_output(timeout=5)
        await socket.close()
        return [first, second]

    accepted, closed = async_to_sync(run)()
    assert accepted["type"] == "websocket.accept"
    assert (closed["type"], closed.get("code")) == ("websocket.close", 4403)
    assert not Watcher.objects.exists()
