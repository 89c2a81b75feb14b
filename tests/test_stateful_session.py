"""A session driven at random (hypothesis stateful testing): three candidates, one
invigilator, and every interleaving of confirm, start, answer (right, wrong, sent twice),
report, validate, refuse, resume, end and finalize. After each step:

- no saved answer is lost or changed, and only accepted answers are saved;
- a test has at most one ongoing alert of each kind;
- an ended test never takes another answer;
- every state change left its audit row (audit tags counted against the effects seen),
  leaving a focus-mode question's frame included.

Refusals (`Refusal`) are expected along the way: the invigilator or the candidate
doing something at the wrong moment is refused with a message and changes nothing.
"""

from collections import Counter

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from audit.models import AuditEvent
from audit.tags import AnyTag, Tag
from certification import actions, engine
from certification.models import (
    AbortReason,
    AlertStatus,
    Answer,
    CertificationCourse,
    CourseStatus,
    LiveAlert,
)
from finalization import validation
from finalization.actions import do_finalize_session
from finalization.models import SessionRecord
from lib.errors import Refusal
from lib.issue_reports import live_reasons
from tests.factories import CandidateFactory, ExamSessionFactory, UserFactory

# The personas' passwords are not under test: hashed quickly (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fast_password_hashing")

PEOPLE = st.integers(min_value=0, max_value=2)
FINALIZE_AFTER = 15  # steps: finalizing ends every test, so not too early in a run
SEEN: Counter[str] = Counter()  # accepted actions over all runs: the machine did get around


def _right(item: engine.Item) -> list[int] | str:
    if item.type == "free":
        return "pdf"
    return list(item.answer)


def _wrong(item: engine.Item) -> list[int] | str:
    if item.type == "free":
        return "docx"
    return [len(item.choices) - 1]


class SessionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.session = ExamSessionFactory()
        self.invigilator = UserFactory(first_name="Alice", last_name="Martin")
        self.admin = UserFactory()
        self.candidates = []
        for n in range(3):
            user = UserFactory(certifiable=True)
            self.candidates.append(
                CandidateFactory(
                    session=self.session,
                    first_name=f"Élève{n}",
                    user=user,
                    instructions_accepted_at=timezone.now(),
                )
            )
        self.tokens: dict[int, str] = {}
        self.saved: dict[int, dict[str, object]] = {c.pk: {} for c in self.candidates}
        # What was sent for each saved answer: positions in the shuffled order shown, where
        # the saved response holds the bank's indices.
        self.sent: dict[int, dict[str, object]] = {c.pk: {} for c in self.candidates}
        self.expected: Counter[str] = Counter()
        self.finalized = False
        self.steps = 0

    # --- helpers -----------------------------------------------------------------------

    def _course(self, i: int) -> CertificationCourse | None:
        return CertificationCourse.objects.filter(candidate=self.candidates[i]).first()

    def _attempt(self, tag: AnyTag, action, *args, **kwargs) -> bool:
        """Run an action; an accepted one must leave exactly one audit row of `tag`."""
        try:
            action(*args, **kwargs)
        except Refusal as error:
            SEEN[f"refused {tag} {type(error).__name__}"] += 1
            return False
        self.expected[tag] += 1
        SEEN[tag] += 1
        return True

    @initialize()
    def two_candidates_start(self) -> None:
        """Two tests under way at once, so most runs reach answers and alerts; the third
        candidate is confirmed and starts (or not) at random."""
        for i in (0, 1):
            self.confirm(i)
            self.start_or_resume(i)

    # --- the invigilator -----------------------------------------------------------------

    @rule(i=PEOPLE)
    def confirm(self, i: int) -> None:
        self._attempt(
            Tag.Invigilator.PRESENCE_CONFIRM,
            actions.do_confirm_presence,
            self.candidates[i],
            actor=self.invigilator,
        )

    @rule(i=PEOPLE)
    def authorize_resume(self, i: int) -> None:
        self._attempt(
            Tag.Invigilator.RESUME_AUTHORIZE,
            actions.do_authorize_resume,
            self.candidates[i],
            actor=self.invigilator,
        )

    @rule(i=PEOPLE)
    def resume_on_another_computer(self, i: int) -> None:
        """The tab was closed: the invigilator authorizes, the candidate resumes at once."""
        self.authorize_resume(i)
        self.start_or_resume(i)

    # Once an alert exists only: a rule that can only return early would dilute the draws.
    # Validating and refusing are two rules, so runs reach each decision as often as a report.
    @precondition(
        lambda self: LiveAlert.objects.filter(
            course__candidate__session=self.session, kind=LiveAlert.Kind.QUESTION
        ).exists()
    )
    @rule(i=PEOPLE)
    def validate_alert(self, i: int) -> None:
        self._decide_alert(i, validate=True)

    @precondition(
        lambda self: LiveAlert.objects.filter(
            course__candidate__session=self.session, kind=LiveAlert.Kind.QUESTION
        ).exists()
    )
    @rule(i=PEOPLE)
    def refuse_alert(self, i: int) -> None:
        self._decide_alert(i, validate=False)

    def _decide_alert(self, i: int, *, validate: bool) -> None:
        # The alert waiting on the invigilators' screen if there is one, else candidate i's
        # last one (already decided: a second decision must be refused).
        alerts = LiveAlert.objects.filter(
            course__candidate__session=self.session, kind=LiveAlert.Kind.QUESTION
        )
        alert = (
            alerts.filter(status=AlertStatus.ONGOING).first()
            or alerts.filter(course__candidate=self.candidates[i]).last()
        )
        if alert is None:
            return
        if validate:
            reason = live_reasons(engine.item(alert.item_id).flags)[0][0]
            self._attempt(
                Tag.Invigilator.ALERT_VALIDATE,
                actions.do_validate_alert,
                alert,
                actor=self.invigilator,
                reason=reason,
            )
        else:
            self._attempt(
                Tag.Invigilator.ALERT_REFUSE, actions.do_refuse_alert, alert, actor=self.invigilator
            )

    @rule(i=PEOPLE, validate=st.booleans())
    def report_then_decide(self, i: int, validate: bool) -> None:
        """The usual sequence, made likely: a report the invigilator decides at once (with
        reports and decisions as separate rules only, the derandomized runs of the
        2026-12-05 code once reached no validation, once no refusal)."""
        self.report(i)
        self._decide_alert(i, validate=validate)

    @rule(i=PEOPLE)
    def end(self, i: int) -> None:
        course = self._course(i)
        if course is None:
            return
        before = course.answers.count()
        if self._attempt(
            Tag.Invigilator.COURSE_END,
            actions.do_end_by_invigilator,
            course,
            actor=self.invigilator,
        ):
            assert course.answers.count() == before

    @precondition(lambda self: not self.finalized and self.steps >= FINALIZE_AFTER)
    @rule()
    def finalize(self) -> None:
        courses = CertificationCourse.objects.filter(candidate__session=self.session)
        data = validation.FinalizationInput(
            reports=[
                validation.CandidateReportInput(
                    candidate_id=course.candidate_id,
                    abort_reason=AbortReason.values[0] if validation.is_unfinished(course) else "",
                )
                for course in courses
            ]
        )
        alerts = LiveAlert.objects.filter(course__candidate__session=self.session)
        ongoing = alerts.filter(status=AlertStatus.ONGOING).count()
        self.finalized = self._attempt(
            Tag.Centre.SESSION_FINALIZE, do_finalize_session, self.session, data, actor=self.admin
        )
        if self.finalized:
            # Alerts nobody decided on are closed, and the documents archived, each audited.
            assert alerts.filter(status=AlertStatus.CLOSED).count() == ongoing
            assert not alerts.filter(status=AlertStatus.ONGOING).exists()
            assert SessionRecord.objects.filter(session=self.session).count() == 3
            self.expected[Tag.Centre.ALERT_CLOSE] += ongoing
            SEEN[Tag.Centre.ALERT_CLOSE] += ongoing
            self.expected[Tag.Centre.RECORDS_ARCHIVE] += 1

    # --- the candidates --------------------------------------------------------------------

    @rule(i=PEOPLE)
    def start_or_resume(self, i: int) -> None:
        candidate = self.candidates[i]
        had_course = self._course(i) is not None
        try:
            run = actions.do_start_or_resume(
                candidate, user=candidate.user, access_code=self.session.access_code
            )
        except Refusal:
            return
        assert run.resumed == had_course
        tag = Tag.Candidate.COURSE_RESUME if run.resumed else Tag.Candidate.COURSE_START
        self.expected[tag] += 1
        SEEN[tag] += 1
        self.tokens[candidate.pk] = run.token

    @rule(
        i=PEOPLE,
        how=st.sampled_from(["right", "wrong", "same again", "changed again"]),
        left_the_frame=st.booleans(),
    )
    def answer(self, i: int, how: str, left_the_frame: bool) -> None:
        candidate = self.candidates[i]
        course = self._course(i)
        if course is None:
            return
        saved = self.saved[candidate.pk]
        if how in ("same again", "changed again") and saved:
            item_id = next(reversed(saved))
            response = self.sent[candidate.pk][item_id]
            if how == "changed again":
                response = (
                    _wrong(engine.item(item_id))
                    if response != _wrong(engine.item(item_id))
                    else _right(engine.item(item_id))
                )
        else:
            item = engine.current_item(course) if course.is_running else None
            item_id = item.id if item else "1.1-000"
            response = (
                _right(engine.item(item_id)) if how == "right" else _wrong(engine.item(item_id))
            )
        was_running = course.is_running
        try:
            answer = actions.do_answer(
                course.pk,
                user=candidate.user,
                token=self.tokens.get(candidate.pk, ""),
                item_id=item_id,
                response=response,
                focus_lost=left_the_frame,
            ).answer
        except Refusal as error:
            SEEN[f"refused answer {type(error).__name__}"] += 1
            return
        if item_id in saved:
            assert answer.response == saved[item_id], "a re-sent answer changed a saved one"
            return
        assert was_running, "an ended test took an answer"
        saved[item_id] = answer.response
        self.sent[candidate.pk][item_id] = response
        SEEN["answer"] += 1
        # Leaving a focus-mode question's frame and a timed question run out are audited.
        if answer.focus_lost:
            self.expected[Tag.Candidate.FOCUS_LEAVE] += 1
            SEEN[Tag.Candidate.FOCUS_LEAVE] += 1
        if answer.timed_out:
            self.expected[Tag.Candidate.QUESTION_TIMEOUT] += 1
        if answer.position >= engine.TEST_LENGTH:
            self.expected[Tag.Candidate.COURSE_COMPLETE] += 1

    @rule(i=PEOPLE)
    def report(self, i: int) -> None:
        candidate = self.candidates[i]
        course = self._course(i)
        if course is None:
            return
        item = engine.current_item(course)  # as the test page does when it loads
        if item is None:
            return
        before = course.alerts.count()
        try:
            actions.do_report_problem(
                course,
                user=candidate.user,
                token=self.tokens.get(candidate.pk, ""),
                item_id=item.id,
            )
        except Refusal as error:
            SEEN[f"refused report {type(error).__name__}"] += 1
            return
        if course.alerts.count() > before:
            self.expected[Tag.Candidate.ALERT_CREATE] += 1
            SEEN[Tag.Candidate.ALERT_CREATE] += 1

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def answers_are_kept(self) -> None:
        self.steps += 1
        SEEN["checks"] += 1
        for candidate in self.candidates:
            stored = dict(
                Answer.objects.filter(course__candidate=candidate).values_list(
                    "item_id", "response"
                )
            )
            assert stored == self.saved[candidate.pk]

    @invariant()
    def one_ongoing_alert_per_kind(self) -> None:
        for kind in LiveAlert.Kind.values:
            for candidate in self.candidates:
                assert (
                    LiveAlert.objects.filter(
                        course__candidate=candidate, kind=kind, status=AlertStatus.ONGOING
                    ).count()
                    <= 1
                )

    @invariant()
    def ended_tests_take_no_answer(self) -> None:
        ended = CertificationCourse.objects.filter(candidate__session=self.session).exclude(
            status=CourseStatus.STARTED
        )
        for course in ended:
            assert course.ended_at is not None
            assert not course.answers.filter(answered_at__gt=course.ended_at).exists()

    @invariant()
    def every_change_is_audited(self) -> None:
        tags = Counter(
            AuditEvent.objects.filter(session=self.session).values_list("tag", flat=True)
        )
        assert tags == Counter({str(tag): n for tag, n in self.expected.items() if n})


@pytest.mark.django_db
def test_it_keeps_its_invariants_whatever_the_order_of_actions(small_bank):
    """40 random sessions of 25 steps: answers kept, one alert per kind, all audited."""
    SEEN.clear()
    run_state_machine_as_test(
        SessionMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            database=None,
            # The same 40 runs every time: CI is reproducible and the coverage check below
            # cannot flicker. Drop it locally to explore other sequences.
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
    for done in (
        Tag.Invigilator.PRESENCE_CONFIRM,
        Tag.Candidate.COURSE_START,
        Tag.Invigilator.RESUME_AUTHORIZE,
        Tag.Candidate.COURSE_RESUME,
        "answer",
        Tag.Candidate.ALERT_CREATE,
        Tag.Invigilator.ALERT_VALIDATE,
        Tag.Invigilator.ALERT_REFUSE,
        Tag.Invigilator.COURSE_END,
        Tag.Centre.SESSION_FINALIZE,
    ):
        assert SEEN[done] > 0, f"no run ever got to {done}: {SEEN}"
    print(f"stateful runs, accepted actions: {dict(SEEN)}")
