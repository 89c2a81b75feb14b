"""What the candidate is told is true (issue 13): leaving a focus-mode question and a timed
question that runs out reach the invigilators, the finalization and the jury.

The focus-mode screen says « votre surveillant en sera informé et cette réponse sera comptée
comme fausse », and a timed question answered after its countdown counts as wrong; both were
stored on the answer (`Answer.focus_lost`, `Answer.timed_out`) and shown nowhere. Now each one
writes an audit row (its sentence in every timeline), sends a live event to the session's
invigilators, is counted on the candidate's row of the Espace Surveillant, on the page and in
the API of « Finaliser la session », in the archived procès-verbal and on the jury's page.

The answer's hot path pays nothing for it when nothing happened: the same queries as before.

Personas: the candidate (answers), Alice (entered the session's password), the centre admin
(finalizes), the jury; the admin of another centre is refused the finalization page.
"""

import datetime as dt
import io
from pathlib import Path

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from certification import actions, engine
from certification.models import Answer, CertificationCourse
from finalization import validation
from finalization.actions import do_finalize_session
from finalization.models import SessionRecord
from invigilation.history import session_history
from invigilation.models import InvigilatorAccess
from tests.factories import UserFactory

# The personas' passwords are not under test: hashed quickly (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fast_password_hashing")

FOCUS = "candidate:focus:leave"
TIMEOUT = "candidate:question:timeout"


@pytest.fixture
def bank(small_bank, settings):
    """The small bank (« timed-1 » is timed and in focus mode) plus « focus-2 », a question in
    focus mode without a countdown."""
    (Path(settings.ITEM_BANK_DIR) / "focus.yaml").write_text(
        "version: 1\n"
        "items:\n"
        '  - id: "focus-2"\n'
        '    competence: "2.1"\n'
        "    type: single\n"
        '    prompt: "Sans quitter le cadre"\n'
        '    choices: ["Oui", "Non"]\n'
        "    answer: [0]\n"
        "    difficulty: 3.9\n"
        "    discrimination: 0.3\n"
        "    flags: [focus]\n",
        encoding="utf-8",
    )
    engine.get_bank.cache_clear()
    yield engine.get_bank()
    engine.get_bank.cache_clear()


def _show(course_id: int, item_id: str, *, asked: dt.datetime | None = None) -> None:
    """Put `item_id` on the candidate's screen, asked at `asked` (now by default), its
    choices in the bank's order."""
    CertificationCourse.objects.filter(pk=course_id).update(
        current_item_id=item_id, current_asked_at=asked or timezone.now(), current_choice_order=[]
    )


@pytest.fixture
def started(login, bank, joined_candidate, invigilator):
    """The candidate's test started; « focus-2 » is on screen."""
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    client = login(joined_candidate.user)
    body = client.post(
        f"/api/certification/candidates/{joined_candidate.pk}/start",
        {"access_code": joined_candidate.session.access_code},
        content_type="application/json",
    ).json()
    _show(body["course_id"], "focus-2")
    return client, body["course_id"], body["run_token"]


@pytest.fixture
def alice(exam_session):
    user = UserFactory(email="alice.martin@lycee.fr", first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(
        session=exam_session, user=user, via=InvigilatorAccess.Via.PASSWORD
    )
    return user


def _answer(client, course_id, token, item_id, response, **extra):
    return client.post(
        f"/api/certification/courses/{course_id}/answers",
        {"item_id": item_id, "response": response, **extra},
        content_type="application/json",
        headers={"X-Run-Token": token},
    )


def _row(client, session, candidate) -> dict:
    state = client.get(f"/api/invigilation/sessions/{session.pk}/state").json()
    return next(row for row in state["candidates"] if row["id"] == candidate.pk)


def _timeline(client, session) -> list[tuple[str, str]]:
    state = client.get(f"/api/invigilation/sessions/{session.pk}/state").json()
    return [(event["tag"], event["label"]) for event in state["timeline"]]


# --- Live: the invigilators hear of it --------------------------------------------------------


@pytest.mark.django_db
def test_it_tells_the_invigilators_when_a_candidate_leaves_a_focus_question(
    login, started, joined_candidate, exam_session, alice, sent_events
):
    """One audit row (question 1), one event to the session's invigilators (not to the
    candidate's pages), the count on the candidate's row and the line in the timeline."""
    client, course_id, token = started
    with sent_events() as events:
        response = _answer(client, course_id, token, "focus-2", [0], focus_lost=True)
    assert response.status_code == 200
    assert Answer.objects.get().correct is False

    event = AuditEvent.objects.get(tag=FOCUS)
    assert event.actor == joined_candidate.user and event.session == exam_session
    assert event.data == {"candidate": joined_candidate.pk, "item": "focus-2", "question_number": 1}
    pushed = [(group, e) for group, e in events if e["op"] == "focus_lost"]
    assert pushed == [
        (
            f"session-{exam_session.pk}",
            {
                "type": "candidate",
                "op": "focus_lost",
                "candidate_id": joined_candidate.pk,
                "question_number": 1,
            },
        )
    ]
    row = _row(login(alice), exam_session, joined_candidate)
    assert (row["focus_lost"], row["timed_out"]) == (1, 0)
    assert (FOCUS, "Sortie du cadre d'une question en mode focus") in _timeline(
        login(alice), exam_session
    )
    assert not AuditEvent.objects.filter(tag=TIMEOUT).exists()


@pytest.mark.django_db
def test_it_ignores_leaving_the_frame_of_a_question_without_focus_mode(started, sent_events):
    """Only a focus-mode question is about the frame: elsewhere the flag counts for nothing."""
    client, course_id, token = started
    _show(course_id, "1.1-000")
    with sent_events() as events:
        assert _answer(client, course_id, token, "1.1-000", [0], focus_lost=True).status_code == 200
    answer = Answer.objects.get()
    assert (answer.focus_lost, answer.correct) == (False, True)
    assert not AuditEvent.objects.filter(tag=FOCUS).exists()
    assert [e["op"] for _g, e in events] == ["answered"]


@pytest.mark.django_db
def test_it_tells_the_invigilators_when_a_timed_question_runs_out(
    login, started, joined_candidate, exam_session, alice, sent_events
):
    """A late answer to a timed question (the page sends it empty when the countdown ends):
    audit row, event, count on the row."""
    client, course_id, token = started
    _show(course_id, "timed-1", asked=timezone.now() - dt.timedelta(seconds=40))
    with sent_events() as events:
        assert _answer(client, course_id, token, "timed-1", []).status_code == 200

    assert Answer.objects.get().timed_out is True
    event = AuditEvent.objects.get(tag=TIMEOUT)
    assert event.data == {"candidate": joined_candidate.pk, "item": "timed-1", "question_number": 1}
    assert [(g, e["op"]) for g, e in events if e["op"] in ("timed_out", "focus_lost")] == [
        (f"session-{exam_session.pk}", "timed_out")
    ]
    row = _row(login(alice), exam_session, joined_candidate)
    assert (row["focus_lost"], row["timed_out"]) == (0, 1)
    assert TIMEOUT in dict(_timeline(login(alice), exam_session))


@pytest.mark.django_db
def test_it_costs_an_ordinary_answer_nothing(started, exam_session):
    """An ordinary answer: no audit row, only the « answered » event, and exactly one query
    less than an answer after leaving the frame (its audit row's INSERT)."""
    client, course_id, token = started
    _show(course_id, "1.1-000")
    with CaptureQueriesContext(connection) as ordinary:
        assert _answer(client, course_id, token, "1.1-000", [0]).status_code == 200
    assert not AuditEvent.objects.filter(tag__in=[FOCUS, TIMEOUT]).exists()
    _show(course_id, "focus-2")
    with CaptureQueriesContext(connection) as left:
        assert _answer(client, course_id, token, "focus-2", [0], focus_lost=True).status_code == 200

    assert AuditEvent.objects.filter(tag=FOCUS).count() == 1
    inserts = [q["sql"] for q in left if "audit_auditevent" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].startswith("INSERT")
    assert len(left) == len(ordinary) + 1
    assert len(ordinary) <= 9


# --- After the session: finalization, archived PV, jury --------------------------------------


def _pdf_text(pdf: bytes) -> str:
    """The PDF's text, whitespace collapsed (table cells wrap their labels)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.mark.django_db
def test_it_brings_both_facts_to_the_finalization_the_archive_and_the_jury(
    login,
    started,
    joined_candidate,
    exam_session,
    centre_admin,
    other_centre_admin,
    invigilator,
    jury,
):
    """Question 1 answered after its countdown, question 2 after leaving the frame: the live
    record (page and API) says so per question and counts them, so does the archived
    procès-verbal, and the jury's page and API count them."""
    client, course_id, token = started
    _show(course_id, "timed-1", asked=timezone.now() - dt.timedelta(seconds=40))
    assert _answer(client, course_id, token, "timed-1", []).status_code == 200
    _show(course_id, "focus-2")
    assert _answer(client, course_id, token, "focus-2", [0], focus_lost=True).status_code == 200
    actions.do_end_by_invigilator(CertificationCourse.objects.get(pk=course_id), actor=invigilator)

    timeout_line = "Question 1 : temps de la question écoulé, réponse comptée fausse."
    focus_line = "Question 2 : sortie du cadre (mode focus), réponse comptée fausse."
    (candidate_record,) = session_history(exam_session).started
    assert [line.text for line in candidate_record.lines][:2] == [timeout_line, focus_line]
    assert (candidate_record.focus_lost, candidate_record.timed_out) == (1, 1)
    admin = login(centre_admin)
    page = admin.get(f"/sessions/{exam_session.pk}/finaliser/").content.decode()
    assert focus_line in page and timeout_line in page
    assert "1 sortie du cadre (mode focus)" in page and "1 question chronométrée hors délai" in page
    api = admin.get(f"/api/sessions/{exam_session.pk}/finalization").json()["candidates"][0]
    assert (api["focus_lost_answers"], api["timed_out_answers"]) == (1, 1)
    assert focus_line in api["record"] and timeout_line in api["record"]
    assert (
        login(other_centre_admin).get(f"/sessions/{exam_session.pk}/finaliser/").status_code == 404
    )

    report = validation.CandidateReportInput(
        candidate_id=joined_candidate.pk, abort_reason="technical"
    )
    do_finalize_session(
        exam_session, validation.FinalizationInput(reports=[report]), actor=centre_admin
    )
    pv = _pdf_text(
        bytes(SessionRecord.objects.get(session=exam_session, kind="proces-verbal").content)
    )
    assert "Questions chronométrées hors délai" in pv and "1 (question 1)" in pv
    assert "Sorties du cadre (mode focus)" in pv and "1 (question 2)" in pv

    review = login(jury).get(f"/jury/sessions/{exam_session.pk}/").content.decode()
    assert "1 sortie du cadre (mode focus)" in review
    assert "1 question chronométrée hors délai" in review
    (reviewed,) = login(jury).get(f"/api/jury/sessions/{exam_session.pk}").json()["candidates"]
    assert (reviewed["focus_lost_answers"], reviewed["timed_out_answers"]) == (1, 1)
