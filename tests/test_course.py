"""Starting, resuming, answering, reporting a problem and ending: the candidate's test."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditEvent
from certification import actions
from certification.models import AlertStatus, Answer, CertificationCourse, CourseStatus
from tests.factories import UserFactory
from tests.journey import right_response

NOT_CONFIRMED = (
    "Votre surveillant n'a pas confirmé votre présence dans la salle de test. "
    "Vous ne pouvez donc pas encore commencer votre test de certification. "
    "Merci de prévenir votre surveillant."
)
RESUME = "Merci de contacter votre surveillant afin qu'il autorise la reprise de votre test."


def _post(client, url, data, token=""):
    return client.post(url, data, content_type="application/json", headers={"X-Run-Token": token})


def _start(client, candidate, code=None):
    return _post(
        client,
        f"/api/certification/candidates/{candidate.pk}/start",
        {"access_code": code or candidate.session.access_code.lower()},
    )


def _state(client, course_id, token):
    return client.get(
        f"/api/certification/courses/{course_id}/state", headers={"X-Run-Token": token}
    ).json()


def _answer(client, course_id, token, item_id, response, **extra):
    return _post(
        client,
        f"/api/certification/courses/{course_id}/answers",
        {"item_id": item_id, "response": response, **extra},
        token,
    )


def _right(item):
    """The right response to a question of the state, on the order it shows the choices."""
    return right_response(item)


@pytest.fixture
def started(client, small_bank, joined_candidate, invigilator):
    """A candidate whose presence was confirmed and who entered the code."""
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    client.force_login(joined_candidate.user)
    body = _start(client, joined_candidate).json()
    return joined_candidate, body["course_id"], body["run_token"]


@pytest.mark.django_db
def test_it_refuses_to_start_before_the_invigilator_confirms(
    client, small_bank, joined_candidate, invigilator, sent_events
):
    """Seed 001: the exact message, then the start works once presence is confirmed."""
    client.force_login(joined_candidate.user)
    refused = _start(client, joined_candidate)
    assert refused.status_code == 403
    assert refused.json()["detail"] == NOT_CONFIRMED
    assert not CertificationCourse.objects.exists()
    with sent_events() as events:
        actions.do_confirm_presence(joined_candidate, actor=invigilator)
    assert (f"candidate-{joined_candidate.pk}", events[0][1]) in events
    assert events[0][1]["op"] == "authorized"
    assert _start(client, joined_candidate).status_code == 200


@pytest.mark.django_db
def test_it_refuses_a_wrong_access_code(client, small_bank, joined_candidate, invigilator):
    """A wrong code changes nothing: the confirmation is not consumed."""
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    client.force_login(joined_candidate.user)
    response = _start(client, joined_candidate, code="BCDF22")
    assert response.status_code == 404
    assert response.json()["detail"] == "Ce code n'existe pas ou n'est plus valide."
    joined_candidate.refresh_from_db()
    assert joined_candidate.authorized_to_start_at is not None


@pytest.mark.django_db
def test_it_consumes_the_confirmation_so_leaving_needs_the_invigilator(
    client, started, invigilator
):
    """A confirmation is single-use; another tab or computer needs « Autoriser la reprise »."""
    candidate, course_id, token = started
    candidate.refresh_from_db()
    assert candidate.authorized_to_start_at is None
    again = _start(client, candidate)
    assert again.status_code == 403
    assert again.json()["detail"] == RESUME
    state = _state(client, course_id, "")
    assert state["run_ok"] is False and state["question"] is None
    actions.do_authorize_resume(candidate, actor=invigilator)
    resumed = _start(client, candidate).json()
    assert resumed["resumed"] is True and resumed["course_id"] == course_id
    # The first tab lost the run: only the tab that resumed can answer.
    assert _state(client, course_id, token)["run_ok"] is False
    assert _state(client, course_id, resumed["run_token"])["run_ok"] is True


@pytest.mark.django_db
def test_it_resumes_exactly_where_it_stopped_with_the_clock_running(client, started, invigilator):
    """No answer lost, same course, the start time (and so the end time) unchanged."""
    candidate, course_id, token = started
    for _ in range(5):
        item = _state(client, course_id, token)["question"]
        assert _answer(client, course_id, token, item["id"], _right(item)).status_code == 200
    before = _state(client, course_id, token)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        actions.do_authorize_resume(candidate, actor=invigilator)
        resumed = _start(client, candidate).json()
        after = _state(client, course_id, resumed["run_token"])
    assert after["answered"] == 5
    assert after["question"]["id"] == before["question"]["id"]
    assert after["started_at_iso"] == before["started_at_iso"]
    assert after["theoretical_end"] == before["theoretical_end"]
    assert AuditEvent.objects.filter(tag="candidate:course:resume").count() == 1


@pytest.mark.django_db
def test_it_runs_32_questions_then_ends_with_test_termine(client, started):
    """Adaptive test: 32 distinct questions, no same competence within 2, then the end."""
    _candidate, course_id, token = started
    seen = []
    for number in range(1, 33):
        state = _state(client, course_id, token)
        assert state["question"]["number"] == number
        item = state["question"]
        seen.append(item["id"])
        response = _answer(client, course_id, token, item["id"], _right(item))
        assert response.status_code == 200
    final = _state(client, course_id, token)
    assert final["status"] == CourseStatus.COMPLETED and final["question"] is None
    assert "terminé" in final["end_message"]
    assert len(set(seen)) == 32
    competences = list(
        Answer.objects.filter(course_id=course_id).values_list("competence", flat=True)
    )
    for i in range(len(competences) - 2):
        assert len(set(competences[i : i + 3])) == 3, competences
    course = CertificationCourse.objects.get()
    assert course.theta > 0.5
    refused = _answer(client, course_id, token, seen[-1] + "x", [0])
    assert refused.status_code == 409
    assert Answer.objects.count() == 32


@pytest.mark.django_db
def test_it_saves_a_double_submit_once(client, started):
    """A re-sent answer (network retry) is the same answer; a different one is refused."""
    _candidate, course_id, token = started
    item = _state(client, course_id, token)["question"]
    first = _answer(client, course_id, token, item["id"], [0])
    again = _answer(client, course_id, token, item["id"], [0])
    assert first.json() == again.json()
    changed = _answer(client, course_id, token, item["id"], [1])
    assert changed.status_code == 409
    assert "première réponse est conservée" in changed.json()["detail"]
    saved = Answer.objects.get()
    assert saved.response == [saved.choice_order[0]]  # the choice shown first


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("item_id", "response", "status"),
    [
        ("1.1-000", [0], 409),  # a question that was not asked (tampered id)
        ("n'existe-pas", [0], 409),
        (None, [9], 400),  # out of range
        (None, [0, 1], 400),  # two choices on a single-choice question
        (None, "texte", 400),
        (None, [], 400),  # empty before the time is over
    ],
)
def test_it_refuses_bad_answers_without_changing_anything(
    client, started, item_id, response, status
):
    """Tampered ids and malformed responses are refused with a clear error."""
    _candidate, course_id, token = started
    current = _state(client, course_id, token)["question"]
    if item_id == current["id"]:
        item_id = "1.1-001"  # still a question that was not asked
    result = _answer(client, course_id, token, item_id or current["id"], response)
    assert result.status_code == status
    assert result.json()["detail"]
    assert not Answer.objects.exists()
    assert _state(client, course_id, token)["question"]["id"] == current["id"]


@pytest.mark.django_db
def test_it_refuses_answers_from_a_stale_tab_or_another_user(client, started):
    """Only the tab holding the run, of the candidate's own account, may answer."""
    _candidate, course_id, token = started
    item = _state(client, course_id, token)["question"]
    stale = _answer(client, course_id, "not-the-token", item["id"], [0])
    assert stale.status_code == 409 and stale.json()["detail"] == RESUME
    client.force_login(UserFactory())
    assert _answer(client, course_id, token, item["id"], [0]).status_code == 404
    assert not Answer.objects.exists()


@pytest.mark.django_db
def test_it_pauses_on_a_report_and_gives_another_skill_when_validated(
    client, started, invigilator, sent_events
):
    """Validated report: the reported question is not counted, the next is another skill."""
    _candidate, course_id, token = started
    reported = _state(client, course_id, token)["question"]
    alert = _post(
        client, f"/api/certification/courses/{course_id}/alerts", {"item_id": reported["id"]}, token
    )
    assert alert.status_code == 200
    paused = _state(client, course_id, token)
    assert paused["paused"] is True
    assert _answer(client, course_id, token, reported["id"], [0]).status_code == 409
    course = CertificationCourse.objects.get()
    with sent_events() as events:
        actions.do_validate_alert(course.alerts.get(), actor=invigilator, reason="E11")
    assert any(e["op"] == "alert_validated" for _g, e in events)
    after = _state(client, course_id, token)
    assert after["paused"] is False and after["last_alert"]["status"] == AlertStatus.VALIDATED
    assert after["question"]["id"] != reported["id"]
    assert after["question"]["id"].split("-")[0] != reported["id"].split("-")[0]
    assert after["question"]["number"] == 1
    with pytest.raises(actions.e.AlreadyHandled):
        actions.do_refuse_alert(course.alerts.get(), actor=UserFactory())


@pytest.mark.django_db
def test_it_returns_to_the_same_question_when_refused(client, started, invigilator):
    """Refused report: the candidate resumes the same question."""
    _candidate, course_id, token = started
    reported = _state(client, course_id, token)["question"]
    _post(
        client, f"/api/certification/courses/{course_id}/alerts", {"item_id": reported["id"]}, token
    )
    actions.do_refuse_alert(CertificationCourse.objects.get().alerts.get(), actor=invigilator)
    after = _state(client, course_id, token)
    assert after["paused"] is False and after["question"]["id"] == reported["id"]
    assert _answer(client, course_id, token, reported["id"], [0]).status_code == 200


@pytest.mark.django_db
def test_it_switches_to_the_end_message_when_the_invigilator_ends_the_test(
    client, started, invigilator, sent_events
):
    """« Terminer le test »: irreversible, answers refused, the page shows who ended it."""
    _candidate, course_id, token = started
    item = _state(client, course_id, token)["question"]
    course = CertificationCourse.objects.get()
    with sent_events() as events:
        actions.do_end_by_invigilator(course, actor=invigilator)
    assert any(e["op"] == "ended" for _g, e in events)
    state = _state(client, course_id, token)
    assert state["running"] is False
    assert "Votre surveillant a mis fin à votre test" in state["end_message"]
    assert _answer(client, course_id, token, item["id"], [0]).status_code in (409,)
    with pytest.raises(actions.e.AlreadyHandled):
        actions.do_end_by_invigilator(course, actor=UserFactory())
    assert CertificationCourse.objects.get().ended_by == invigilator


@pytest.mark.django_db
def test_it_counts_a_late_answer_to_a_timed_question_as_wrong(client, started):
    """A timed question answered after its countdown (plus grace) is saved as timed out."""
    _candidate, course_id, token = started
    course = CertificationCourse.objects.get()
    CertificationCourse.objects.filter(pk=course.pk).update(
        current_item_id="timed-1", current_asked_at=timezone.now()
    )
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=40)):
        assert _answer(client, course_id, token, "timed-1", []).status_code == 200
    answer = Answer.objects.get()
    assert answer.timed_out is True and answer.correct is False


@pytest.mark.django_db
def test_it_records_leaving_a_focus_question(client, started):
    """A focus-mode answer sent with focus_lost is kept but counted wrong."""
    _candidate, course_id, token = started
    CertificationCourse.objects.filter(pk=CertificationCourse.objects.get().pk).update(
        current_item_id="timed-1", current_asked_at=timezone.now()
    )
    _answer(client, course_id, token, "timed-1", [0, 1], focus_lost=True)
    answer = Answer.objects.get()
    assert answer.focus_lost is True and answer.correct is False


@pytest.mark.django_db
def test_it_refuses_control_characters_in_a_free_answer(client, started):
    """A NUL byte (refused by PostgreSQL) or another control character is not an answer."""
    _candidate, course_id, token = started
    CertificationCourse.objects.filter(pk=CertificationCourse.objects.get().pk).update(
        current_item_id="free-1", current_asked_at=timezone.now()
    )
    for typed in ("p\x00df", "pd\x07f"):
        assert (
            _answer(client, course_id, token, "free-1", typed).status_code == 422
        )  # lib/freetext.py
    assert not Answer.objects.exists()
    assert _answer(client, course_id, token, "free-1", " PDF ").status_code == 200
    assert Answer.objects.get().correct is True


@pytest.mark.django_db
def test_it_answers_with_the_next_question_so_the_page_needs_no_second_request(
    client, started, sent_events
):
    """The answer's response is the page's new state: the next question, already drawn and
    stored, the same one a state read then returns. Only the invigilators hear of it: the
    candidate's own page already knows."""
    candidate, course_id, token = started
    first = _state(client, course_id, token)["question"]
    with sent_events() as events:
        response = _answer(client, course_id, token, first["id"], _right(first))
    assert response.status_code == 200
    body = response.json()
    assert (body["position"], body["item_id"]) == (1, first["id"])
    following = body["state"]["question"]
    assert following["number"] == 2 and following["id"] != first["id"]
    assert body["state"]["answered"] == 1 and body["state"]["run_ok"] is True
    assert CertificationCourse.objects.get(pk=course_id).current_item_id == following["id"]
    assert _state(client, course_id, token)["question"] == following
    assert [group for group, event in events if event["op"] == "answered"] == [
        f"session-{candidate.session_id}"
    ]
    # A re-sent answer (network retry) gets the same state back, nothing saved twice.
    again = _answer(client, course_id, token, first["id"], _right(first)).json()
    assert again["state"]["question"] == following
    assert Answer.objects.filter(course_id=course_id).count() == 1


@pytest.mark.django_db
def test_it_saves_an_answer_in_a_bounded_number_of_queries(
    client, started, django_assert_max_num_queries
):
    """The hot path of a national peak (docs/scaling.md): an answer and the next question in
    at most 9 queries however far into the test: the log-in session, the user, the locked
    course, its answers and alerts, the INSERT, the UPDATE, and the transaction's two."""
    _candidate, course_id, token = started
    question = _state(client, course_id, token)["question"]
    for _ in range(6):
        with django_assert_max_num_queries(9):
            response = _answer(client, course_id, token, question["id"], _right(question))
        question = response.json()["state"]["question"]
    with django_assert_max_num_queries(6):
        assert _state(client, course_id, token)["question"] == question
