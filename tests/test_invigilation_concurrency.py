"""Races between invigilators, and between an invigilator and a candidate, with real threads
on PostgreSQL: whatever the timing, one decision wins and the other is told who won.

Each race runs ROUNDS times on fresh rows; both threads wait at a barrier so they hit the
database together, and each closes its own connection at the end.
"""

from typing import Any

import pytest
from django.db import connection

from audit.models import AuditEvent
from certification import actions, engine
from certification.errors import AlreadyHandled
from certification.models import (
    AlertStatus,
    Answer,
    CertificationCourse,
    CourseStatus,
    IssueReport,
    LiveAlert,
)
from lib.errors import Refusal
from tests.concurrency import race
from tests.factories import CandidateFactory, UserFactory

pytestmark = [
    pytest.mark.usefixtures("fast_password_hashing"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="real concurrency needs PostgreSQL (set DATABASE_URL); SQLite serializes writers",
    ),
]

ROUNDS = 10


@pytest.fixture
def alice(db):
    return UserFactory(email="alice.martin@lycee.fr", first_name="Alice", last_name="Martin")


@pytest.fixture
def bruno(db):
    return UserFactory(email="bruno.petit@lycee.fr", first_name="Bruno", last_name="Petit")


def _started(session, n: int) -> tuple[CertificationCourse, Any]:
    """A candidate with a started test (through the real actions) and its run token."""
    user = UserFactory(certifiable=True)
    candidate = CandidateFactory(session=session, last_name=f"Course{n}", user=user)
    actions.do_confirm_presence(candidate, actor=UserFactory())
    run = actions.do_start_or_resume(candidate, user=user, access_code=session.access_code)
    return run.course, run


def _who(results: list[Any], winner_index: int, names: list[str]) -> None:
    """The loser's error names the winner."""
    loser = results[1 - winner_index]
    assert isinstance(loser, AlreadyHandled), loser
    assert str(loser.message) == f"Cette action a déjà été traitée par {names[winner_index]}."


def _winner(results: list[Any]) -> int:
    succeeded = [i for i, result in enumerate(results) if not isinstance(result, Exception)]
    assert len(succeeded) == 1, results
    return succeeded[0]


@pytest.mark.parametrize(
    "decisions",
    [("validate", "validate"), ("validate", "refuse"), ("refuse", "refuse")],
)
def test_it_lets_one_invigilator_decide_an_alert_when_two_click_at_once(
    exam_session, small_bank, alice, bruno, decisions
):
    """Exactly one decision counts: one resolution, at most one issue report, one audit row."""
    for n in range(ROUNDS):
        course, _run = _started(exam_session, n)
        CertificationCourse.objects.filter(pk=course.pk).update(current_item_id="1.1-000")
        alert = LiveAlert.objects.create(course=course, item_id="1.1-000", question_number=1)

        def decide(decision, actor, alert_id=alert.pk):
            mine = LiveAlert.objects.get(pk=alert_id)  # each thread reads its own copy
            if decision == "validate":
                return lambda: actions.do_validate_alert(mine, actor=actor, reason="E11")
            return lambda: actions.do_refuse_alert(mine, actor=actor)

        results = race(decide(decisions[0], alice), decide(decisions[1], bruno))

        winner = _winner(results)
        _who(results, winner, ["Alice Martin", "Bruno Petit"])
        alert.refresh_from_db()
        assert alert.resolved_by == (alice, bruno)[winner]
        expected = AlertStatus.VALIDATED if decisions[winner] == "validate" else AlertStatus.REFUSED
        assert alert.status == expected
        reports = IssueReport.objects.filter(course=course).count()
        assert reports == (1 if decisions[winner] == "validate" else 0)
        audit = AuditEvent.objects.filter(
            tag__in=["invigilator:alert:validate", "invigilator:alert:refuse"],
            data__candidate=course.candidate_id,
        )
        assert audit.count() == 1 and audit.get().actor == (alice, bruno)[winner]


def test_it_lets_one_invigilator_end_a_test_when_two_click_at_once(
    exam_session, small_bank, alice, bruno
):
    """Two « Terminer le test » at once: one ends it, the other is told who did."""
    for n in range(ROUNDS):
        course, _run = _started(exam_session, n)
        copies = [CertificationCourse.objects.get(pk=course.pk) for _ in range(2)]

        results = race(
            lambda c=copies[0]: actions.do_end_by_invigilator(c, actor=alice),
            lambda c=copies[1]: actions.do_end_by_invigilator(c, actor=bruno),
        )

        winner = _winner(results)
        _who(results, winner, ["Alice Martin", "Bruno Petit"])
        course.refresh_from_db()
        assert course.status == CourseStatus.ENDED_BY_INVIGILATOR
        assert course.ended_by == (alice, bruno)[winner]
        audit = AuditEvent.objects.filter(
            tag="invigilator:course:end", data__candidate=course.candidate_id
        )
        assert audit.count() == 1


def test_it_never_saves_an_answer_after_the_test_was_ended(exam_session, small_bank, alice):
    """Answer and end at once: saved before the end, or refused after it, never after ended_at."""
    outcomes = set()
    for n in range(ROUNDS):
        course, run = _started(exam_session, n)
        item = engine.current_item(course)
        assert item is not None
        user = course.user
        copies = [CertificationCourse.objects.get(pk=course.pk) for _ in range(2)]

        answer, ended = race(
            lambda c=course.pk, user=user, token=run.token, item_id=item.id: (
                actions.do_answer(c, user=user, token=token, item_id=item_id, response=[0]).answer
            ),
            lambda c=copies[1]: actions.do_end_by_invigilator(c, actor=alice),
        )

        assert isinstance(ended, CertificationCourse), ended
        course.refresh_from_db()
        assert course.status == CourseStatus.ENDED_BY_INVIGILATOR
        saved = list(Answer.objects.filter(course=course))
        if isinstance(answer, Answer):
            outcomes.add("saved before the end")
            assert [a.pk for a in saved] == [answer.pk]
            assert saved[0].answered_at <= course.ended_at
        else:
            outcomes.add("refused after the end")
            assert isinstance(answer, Refusal), answer
            assert answer.code in {"stale_run", "test_ended"}
            assert saved == []
        assert not Answer.objects.filter(course=course, answered_at__gt=course.ended_at).exists()
    assert outcomes  # which ones happened depends on the timing; both are correct


def test_it_saves_a_double_submitted_answer_once(exam_session, small_bank):
    """The same answer sent twice at once (double click, retry): one Answer row, both get it."""
    for n in range(ROUNDS):
        course, run = _started(exam_session, n)
        item = engine.current_item(course)
        assert item is not None
        user = course.user

        def submit(course_id=course.pk, item_id=item.id, token=run.token, user=user):
            return lambda: (
                actions.do_answer(
                    course_id, user=user, token=token, item_id=item_id, response=[0]
                ).answer
            )

        first, second = race(submit(), submit())

        assert isinstance(first, Answer) and isinstance(second, Answer), (first, second)
        assert first.pk == second.pk
        assert Answer.objects.filter(course=course).count() == 1
        course.refresh_from_db()
        # The next question is drawn once, with the answer that was saved.
        assert course.current_item_id not in ("", item.id)


def test_it_lets_one_invigilator_confirm_a_presence_when_two_click_at_once(
    exam_session, alice, bruno
):
    """Two « Confirmer la présence » at once: one confirmation, one audit row, one 409."""
    for n in range(ROUNDS):
        candidate = CandidateFactory(session=exam_session, last_name=f"Presence{n}")
        copies = [type(candidate).objects.get(pk=candidate.pk) for _ in range(2)]

        results = race(
            lambda c=copies[0]: actions.do_confirm_presence(c, actor=alice),
            lambda c=copies[1]: actions.do_confirm_presence(c, actor=bruno),
        )

        winner = _winner(results)
        _who(results, winner, ["Alice Martin", "Bruno Petit"])
        candidate.refresh_from_db()
        assert candidate.authorized_by == (alice, bruno)[winner]
        audit = AuditEvent.objects.filter(
            tag="invigilator:presence:confirm", data__candidate=candidate.pk
        )
        assert audit.count() == 1
