"""Reads never write: the candidate's state and the Espace Surveillant (its page, its
state and its rows) issue no INSERT, UPDATE, DELETE nor row lock, whatever the course's situation.

The next question is drawn by the action that leaves a running test without one (the start,
a validated report, an answer; the resume, a refused report and a cleared companion alert
if the question was missing), so the candidate's state read never has to. A centre member
entering the Espace Surveillant is recorded by an explicit POST (« Surveiller cette
session »), no longer by opening the page.

Personas: the candidate reads their own state; Alice entered the session with its password;
the centre admin opens it as a member; the admin of another centre is refused.
"""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from certification import actions as test_actions
from certification import engine
from certification.models import CertificationCourse, CourseStatus, LiveAlert
from finalization.actions import do_finalize_session
from finalization.validation import CandidateReportInput, FinalizationInput
from invigilation.models import InvigilatorAccess
from tests import live_record as live
from tests.factories import UserFactory

API = "/api/invigilation"
SITUATIONS = [
    "just started",
    "answering",
    "report pending",
    "report validated",
    "report refused",
    "companion missing",
    "companion cleared",
    "resumed",
    "stale tab",
    "timed question over",
    "question removed from the bank",
    "completed",
    "ended by the invigilator",
    "ended at finalization",
]


def _writes(queries: CaptureQueriesContext) -> list[str]:
    """Statements that change rows or lock them."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        or "FOR UPDATE" in q["sql"].upper()
    ]


def _read(client: Client, url: str, **headers: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    # 412: the Espace Surveillant of a finalized session refuses to be read; still a read.
    assert response.status_code in (200, 302, 412), (url, response.status_code)
    assert _writes(queries) == [], url
    return response


@pytest.fixture
def alice(exam_session):
    user = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=exam_session, user=user, via="password")
    return user


def _situation(name: str, session, alice, centre_admin) -> tuple[CertificationCourse, str]:
    """A test in the given situation, reached through the real actions; its run token."""
    candidate = live.joined(session, "Léa", "Dupont")
    run = live.start(candidate, alice)
    token = run.token
    course = run.course
    if name in ("answering", "completed"):
        live.answer(run, 32 if name == "completed" else 3)
    elif name == "report pending":
        question = engine.current_item(course)
        assert question is not None
        test_actions.do_report_problem(course, user=course.user, token=token, item_id=question.id)
    elif name == "report validated":
        live.validated_alert(run, alice)
    elif name == "report refused":
        live.refused_alert(run, alice)
    elif name in ("companion missing", "companion cleared"):
        alert = test_actions.do_raise_companion_alert(course, user=course.user, token=token)
        if name == "companion cleared":
            test_actions.do_clear_companion_alert(alert, actor=alice)
    elif name in ("resumed", "stale tab"):
        test_actions.do_authorize_resume(candidate, actor=alice)
        resumed = test_actions.do_start_or_resume(
            candidate, user=candidate.user, access_code=session.access_code
        )
        token = resumed.token if name == "resumed" else token
    elif name == "timed question over":
        # The timed question was on screen when the tab closed, 10 minutes ago.
        CertificationCourse.objects.filter(pk=course.pk).update(
            current_item_id="timed-1", current_asked_at=timezone.now() - dt.timedelta(minutes=10)
        )
    elif name == "question removed from the bank":
        CertificationCourse.objects.filter(pk=course.pk).update(current_item_id="retired-1")
    elif name == "ended by the invigilator":
        live.end(run, alice)
    elif name == "ended at finalization":
        do_finalize_session(
            session,
            FinalizationInput(
                reports=[CandidateReportInput(candidate_id=candidate.pk, abort_reason="technical")]
            ),
            actor=centre_admin,
        )
    course.refresh_from_db()
    return course, token


@pytest.mark.django_db
@pytest.mark.parametrize("situation", SITUATIONS)
def test_it_reads_the_candidate_state_without_writing(
    login, small_bank, exam_session, alice, centre_admin, situation
):
    """Whatever happened, the state GET only reads; a running test the page would show has
    its question already drawn (a question gone from the bank shows none: the invigilator's
    « Autoriser la reprise » draws another one)."""
    course, token = _situation(situation, exam_session, alice, centre_admin)
    client = login(course.user)

    state = _read(client, f"/api/certification/courses/{course.pk}/state", **{"X-Run-Token": token})

    shows_question = (
        state.json()["running"]
        and state.json()["run_ok"]
        and not state.json()["paused"]
        and not state.json()["companion_blocked"]
    )
    if situation == "question removed from the bank":
        assert shows_question and state.json()["question"] is None
    elif shows_question:
        assert state.json()["question"] is not None, situation
        assert state.json()["question"]["id"] == course.current_item_id
    if situation in ("completed", "ended by the invigilator", "ended at finalization"):
        assert state.json()["running"] is False and state.json()["question"] is None
    if situation == "stale tab":
        assert state.json()["run_ok"] is False
    # The test page itself reads too.
    _read(client, f"/certification/tests/{course.pk}/")


@pytest.mark.django_db
@pytest.mark.parametrize("situation", SITUATIONS)
def test_it_reads_the_espace_surveillant_without_writing(
    login, small_bank, exam_session, alice, centre_admin, other_centre_admin, situation
):
    """The page, its state and its rows (all, and one with the journal), for the invigilator
    who typed the password and for a centre member, only read; the member's entry is
    recorded by the POST, once."""
    _situation(situation, exam_session, alice, centre_admin)
    page = f"/surveillance/sessions/{exam_session.pk}/"
    state = f"{API}/sessions/{exam_session.pk}/state"
    entries = AuditEvent.objects.filter(tag="invigilator:session:enter").count()
    as_alice, as_admin = login(alice), login(centre_admin)

    rows = f"/surveillance/sessions/{exam_session.pk}/lignes/"
    one = f"{rows}?ids={exam_session.candidates.first().pk}&journal=1"
    for client in (as_alice, as_admin):
        _read(client, page)
        _read(client, state)
        _read(client, rows)
        _read(client, one)
    assert login(other_centre_admin).get(page).status_code == 404
    assert AuditEvent.objects.filter(tag="invigilator:session:enter").count() == entries
    assert not InvigilatorAccess.objects.filter(user=centre_admin).exists()


@pytest.mark.django_db
def test_it_asks_a_centre_member_to_enter_then_records_the_entry_once(
    login, exam_session, centre_admin, other_centre_admin
):
    """Opening the page shows « Surveiller cette session »; the POST records the entry
    (via=membership) and opens the live page; coming back does not record it again."""
    page = f"/surveillance/sessions/{exam_session.pk}/"
    enter = f"/surveillance/sessions/{exam_session.pk}/entrer/"
    client = login(centre_admin)

    first = client.get(page)
    assert first.status_code == 200
    assert "Surveiller cette session" in first.content.decode()
    assert 'id="supervision"' not in first.content.decode()
    assert login(other_centre_admin).post(enter).status_code == 404

    entered = client.post(enter, REMOTE_ADDR="192.0.2.44")

    assert entered.status_code == 302 and entered["Location"] == page
    access = InvigilatorAccess.objects.get()
    assert (access.user, access.via, access.ip_address) == (
        centre_admin,
        "membership",
        "192.0.2.44",
    )
    event = AuditEvent.objects.get(tag="invigilator:session:enter")
    assert event.actor == centre_admin
    assert event.data == {"via": "membership", "ip": "192.0.2.44"}
    again = _read(client, page)
    assert 'id="supervision"' in again.content.decode()
    assert InvigilatorAccess.objects.count() == 1


@pytest.mark.django_db
def test_it_lets_a_centre_member_enter_through_the_api(
    login, exam_session, centre_admin, invigilator, other_centre_admin
):
    """POST /sessions/{id}/enter: members only (a password invigilator types the password)."""
    url = f"{API}/sessions/{exam_session.pk}/enter"
    for outsider in (invigilator, other_centre_admin):
        assert login(outsider).post(url).status_code == 404

    response = login(centre_admin).post(url, REMOTE_ADDR="192.0.2.45")

    assert response.status_code == 200
    assert response.json() == {"session_id": exam_session.pk, "number": exam_session.number}
    event = AuditEvent.objects.get(tag="invigilator:session:enter")
    assert (event.actor, event.data["via"]) == (centre_admin, "membership")


@pytest.mark.django_db
def test_it_refuses_a_member_entry_into_a_finalized_session(login, exam_session, centre_admin):
    """A finalized session can no longer be invigilated: nothing is recorded."""
    exam_session.finalized_at = timezone.now()
    exam_session.save(update_fields=["finalized_at"])
    client = login(centre_admin)

    page = client.post(f"/surveillance/sessions/{exam_session.pk}/entrer/")
    api = client.post(f"{API}/sessions/{exam_session.pk}/enter")

    assert page.status_code == 302 and page["Location"] == "/surveillance/"
    assert api.status_code == 412
    assert not InvigilatorAccess.objects.exists()
    assert not AuditEvent.objects.filter(tag="invigilator:session:enter").exists()


# --- Each action leaves a running test with its question ---------------------------------


@pytest.mark.django_db
def test_it_draws_the_first_question_at_the_start(small_bank, exam_session, alice):
    course = live.start(live.joined(exam_session, "Léa", "Dupont"), alice).course

    course.refresh_from_db()
    assert course.current_item_id and course.current_asked_at is not None


@pytest.mark.django_db
def test_it_draws_another_skill_when_a_report_is_validated(small_bank, exam_session, alice):
    run = live.start(live.joined(exam_session, "Léa", "Dupont"), alice)
    reported = engine.current_item(run.course)
    assert reported is not None

    live.validated_alert(run, alice, reason="E11")

    course = CertificationCourse.objects.get(pk=run.course.pk)
    drawn = engine.current_item(course)
    assert drawn is not None and drawn.id != reported.id
    assert drawn.competence != reported.competence
    assert course.avoid_competence == ""


@pytest.mark.django_db
def test_it_keeps_the_question_when_a_report_is_refused_or_the_extension_confirmed(
    small_bank, exam_session, alice
):
    run = live.start(live.joined(exam_session, "Léa", "Dupont"), alice)
    course = run.course
    shown = course.current_item_id

    live.refused_alert(run, alice)
    alert = test_actions.do_raise_companion_alert(course, user=course.user, token=run.token)
    test_actions.do_clear_companion_alert(alert, actor=alice)

    course.refresh_from_db()
    assert course.current_item_id == shown


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["", "retired-1"])
def test_it_draws_a_question_at_the_resume_when_none_can_be_shown(
    small_bank, exam_session, alice, missing
):
    """A test left without a question it can show (none stored, or one the bank no longer
    has): the resume the invigilator authorizes draws the next one."""
    candidate = live.joined(exam_session, "Léa", "Dupont")
    course = live.start(candidate, alice).course
    CertificationCourse.objects.filter(pk=course.pk).update(current_item_id=missing)

    test_actions.do_authorize_resume(candidate, actor=alice)
    test_actions.do_start_or_resume(
        candidate, user=candidate.user, access_code=exam_session.access_code
    )

    course.refresh_from_db()
    assert course.current_item_id not in ("", "retired-1")
    assert engine.current_item(course) is not None


@pytest.mark.django_db
def test_it_keeps_an_expired_timed_question_until_its_empty_answer(small_bank, exam_session, alice):
    """The page sends the empty answer when the countdown ends; that answer draws the next."""
    run = live.start(live.joined(exam_session, "Léa", "Dupont"), alice)
    course = run.course
    now = timezone.now()
    CertificationCourse.objects.filter(pk=course.pk).update(
        current_item_id="timed-1", current_asked_at=now
    )

    with time_machine.travel(now + dt.timedelta(minutes=2), tick=False):
        answered = test_actions.do_answer(
            course.pk, user=course.user, token=run.token, item_id="timed-1", response=[]
        )

    assert answered.answer.timed_out and not answered.answer.correct
    assert answered.course.current_item_id not in ("", "timed-1")
    assert answered.course.status == CourseStatus.STARTED
    assert not LiveAlert.objects.exists()
