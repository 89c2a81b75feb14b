"""Building a session's live record through the real actions: tests started, answered,
reported, ended and noted, as on the day."""

from certification import actions as test_actions
from certification import engine
from certification.models import CertificationCourse
from exams.models import Candidate, ExamSession
from invigilation import actions as invigilation_actions
from tests.factories import CandidateFactory, UserFactory


def joined(session: ExamSession, first_name: str, last_name: str) -> Candidate:
    """A candidate line linked to a certifiable account, instructions read."""
    from django.utils import timezone

    user = UserFactory(first_name=first_name, last_name=last_name, certifiable=True)
    return CandidateFactory(
        session=session,
        first_name=first_name,
        last_name=last_name,
        user=user,
        instructions_accepted_at=timezone.now(),
    )


def start(candidate: Candidate, invigilator) -> test_actions.Run:
    """The invigilator confirms the presence, the candidate enters the code."""
    test_actions.do_confirm_presence(candidate, actor=invigilator)
    return test_actions.do_start_or_resume(
        candidate, user=candidate.user, access_code=candidate.session.access_code
    )


def answer(run: test_actions.Run, count: int) -> CertificationCourse:
    """`count` answers (the first choice: right in the small bank)."""
    course = run.course
    course.refresh_from_db()
    for _ in range(count):
        question = engine.current_item(course)
        assert question is not None
        response = (
            "pdf" if question.type == "free" else [0] if question.type == "single" else [0, 1]
        )
        test_actions.do_answer(
            course.pk, user=course.user, token=run.token, item_id=question.id, response=response
        )
        course.refresh_from_db()
    return course


def validated_alert(run: test_actions.Run, invigilator, reason: str = "E4"):
    """The candidate reports the current question; the invigilator validates it."""
    course = run.course
    course.refresh_from_db()
    question = engine.current_item(course)
    assert question is not None
    alert = test_actions.do_report_problem(
        course, user=course.user, token=run.token, item_id=question.id
    )
    return test_actions.do_validate_alert(alert, actor=invigilator, reason=reason)


def refused_alert(run: test_actions.Run, invigilator):
    course = run.course
    course.refresh_from_db()
    question = engine.current_item(course)
    assert question is not None
    alert = test_actions.do_report_problem(
        course, user=course.user, token=run.token, item_id=question.id
    )
    return test_actions.do_refuse_alert(alert, actor=invigilator)


def end(run: test_actions.Run, invigilator) -> CertificationCourse:
    return test_actions.do_end_by_invigilator(run.course, actor=invigilator)


def note(session: ExamSession, invigilator, text: str, candidate: Candidate | None = None):
    return invigilation_actions.do_add_note(
        session, author=invigilator, text=text, candidate=candidate
    )
