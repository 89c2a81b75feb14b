"""Two people finalizing or publishing the same session at once, with real threads on
PostgreSQL: one wins, the other is refused, and nothing is written twice."""

from functools import partial
from typing import Any

import pytest
from django.db import connection

from audit.models import AuditEvent
from certification.models import CertificationReport, CourseStatus
from exams.models import ExamSession
from finalization import errors as finalization_errors
from finalization import validation
from finalization.actions import do_finalize_session
from jury import actions as jury_actions
from jury import errors as jury_errors
from tests import live_record as live
from tests.concurrency import race
from tests.factories import ExamSessionFactory, MembershipFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="real concurrency needs PostgreSQL (set DATABASE_URL); SQLite serializes writers",
    ),
]

ROUNDS = 5


def _finalize(session_id: int, data: validation.FinalizationInput, actor: Any) -> Any:
    return do_finalize_session(ExamSession.objects.get(pk=session_id), data, actor=actor)


def _publish(session_id: int, actor: Any) -> Any:
    return jury_actions.do_publish_session(ExamSession.objects.get(pk=session_id), actor=actor)


def _session_with_a_running_test():
    admin = MembershipFactory().user
    session = ExamSessionFactory(centre=admin.centres.get())
    candidate = live.joined(session, "Zoé", "Martin")
    live.start(candidate, UserFactory())
    data = validation.FinalizationInput(
        reports=[
            validation.CandidateReportInput(candidate_id=candidate.pk, abort_reason="technical")
        ]
    )
    return admin, session, data


def test_it_lets_one_of_two_simultaneous_finalizations_win(small_bank):
    """The loser gets « déjà finalisée »; one report, one audit row, one end per test."""
    for _round in range(ROUNDS):
        admin, session, data = _session_with_a_running_test()
        other = MembershipFactory(centre=session.centre).user

        results = race(
            partial(_finalize, session.pk, data, admin), partial(_finalize, session.pk, data, other)
        )

        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1, results
        assert isinstance(errors[0], finalization_errors.AlreadyFinalized), errors
        assert CertificationReport.objects.filter(course__candidate__session=session).count() == 1
        assert (
            AuditEvent.objects.filter(session=session, tag="centre:session:finalize").count() == 1
        )
        course = session.candidates.get().course
        assert course.status == CourseStatus.ENDED_DUE_TO_FINALIZATION


def test_it_lets_one_of_two_simultaneous_publications_win(small_bank):
    """Two jury members publishing at once: one publication, one « déjà publiés »."""
    for _round in range(ROUNDS):
        admin, session, data = _session_with_a_running_test()
        do_finalize_session(session, data, actor=admin)
        first, second = UserFactory(is_staff=True), UserFactory(is_staff=True)

        results = race(partial(_publish, session.pk, first), partial(_publish, session.pk, second))

        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1, results
        assert isinstance(errors[0], jury_errors.AlreadyPublished), errors
        assert AuditEvent.objects.filter(session=session, tag="jury:session:publish").count() == 1
