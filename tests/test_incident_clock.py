"""The test's clock under incidents, driven at random (hypothesis stateful testing): three
running tests, one invigilator, and every interleaving of « Suspendre / Reprendre la
session » (with any subset back in the room), « Suspendre / Reprendre ce test », « Ajouter du
temps », « Terminer le test » and answers, while the clock moves on. After each step:

- no candidate's end is ever brought forward by an incident: a running test's end never moves
  earlier;
- the end always equals start + duration + extra time + time added + time suspended, the
  sums on the course matching the history rows (`TimeAddition`, `Suspension`);
- an answer is accepted if and only if the test runs and is not suspended;
- a suspended course has exactly one open suspension, a running one none.
"""

import datetime as dt
from collections import Counter

import pytest
import time_machine
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

from certification import actions, engine
from certification.models import CertificationCourse, Suspension, TimeAddition
from lib.errors import Refusal
from tests.factories import CandidateFactory, ExamSessionFactory, UserFactory

PEOPLE = st.integers(min_value=0, max_value=2)
SEEN: Counter[str] = Counter()
START = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


class ClockMachine(RuleBasedStateMachine):
    @initialize()
    def open_the_room(self) -> None:
        self.now = START
        self.traveller = time_machine.travel(self.now, tick=False)
        self.traveller.start()
        self.session = ExamSessionFactory()
        self.alice = UserFactory(first_name="Alice", last_name="Martin")
        self.candidates = []
        self.tokens: dict[int, str] = {}
        for n in range(3):
            user = UserFactory()
            candidate = CandidateFactory(
                session=self.session,
                user=user,
                instructions_accepted_at=self.now,
                extra_time_percentage=(0, 33, 100)[n],
            )
            actions.do_confirm_presence(candidate, actor=self.alice)
            run = actions.do_start_or_resume(
                candidate, user=user, access_code=self.session.access_code
            )
            self.candidates.append(candidate)
            self.tokens[candidate.pk] = run.token
        self.last_end = {c.pk: self._course(c).end_at(self.now) for c in self.candidates}

    def teardown(self) -> None:
        if hasattr(self, "traveller"):
            self.traveller.stop()

    def _course(self, candidate) -> CertificationCourse:
        return CertificationCourse.objects.select_related("candidate").get(candidate=candidate)

    def _try(self, name: str, call) -> None:
        try:
            call()
        except Refusal:
            return
        SEEN[name] += 1

    @rule(minutes=st.integers(min_value=0, max_value=40))
    def time_passes(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes, seconds=7)
        self.traveller.stop()
        self.traveller = time_machine.travel(self.now, tick=False)
        self.traveller.start()

    @rule()
    def suspend_the_session(self) -> None:
        self._try(
            "suspend_session",
            lambda: actions.do_suspend_session(self.session, message="Alarme", actor=self.alice),
        )

    @rule(back=st.sets(PEOPLE))
    def resume_the_session(self, back: set[int]) -> None:
        present = [self.candidates[n].pk for n in back]
        self._try(
            "resume_session",
            lambda: actions.do_resume_session(self.session, present=present, actor=self.alice),
        )

    def _some(self, wanted) -> bool:
        return (
            hasattr(self, "candidates")
            and CertificationCourse.objects.filter(candidate__in=self.candidates, **wanted).exists()
        )

    # Drawn only when it can be accepted, so every run order (rule choice varies with the
    # process) gets there: a running test to suspend, a suspended one to resume.
    @precondition(lambda self: self._some({"status": "started", "suspended_since": None}))
    @rule(who=PEOPLE)
    def suspend_one_test(self, who: int) -> None:
        course = self._course(self.candidates[who])
        self._try(
            "suspend_course",
            lambda: actions.do_suspend_course(course, reason="Malaise", actor=self.alice),
        )

    @precondition(lambda self: self._some({"suspended_since__isnull": False}))
    @rule(who=PEOPLE)
    def resume_one_test(self, who: int) -> None:
        course = self._course(self.candidates[who])
        self._try("resume_course", lambda: actions.do_resume_course(course, actor=self.alice))

    @rule(who=st.sets(PEOPLE, min_size=1), minutes=st.integers(min_value=1, max_value=30))
    def add_time(self, who: set[int], minutes: int) -> None:
        selection = [self.candidates[n] for n in sorted(who)]
        self._try(
            "add_time",
            lambda: actions.do_add_time(
                selection, minutes=minutes, reason="Coupure", actor=self.alice
            ),
        )

    @rule(who=PEOPLE)
    def end_one_test(self, who: int) -> None:
        course = self._course(self.candidates[who])
        self._try("end", lambda: actions.do_end_by_invigilator(course, actor=self.alice))

    @rule(who=PEOPLE)
    def answer(self, who: int) -> None:
        candidate = self.candidates[who]
        course = self._course(candidate)
        expected = course.is_running and not course.is_suspended and course.current_item_id
        item = course.current_item_id
        try:
            actions.do_answer(
                course.pk,
                user=candidate.user,
                token=self.tokens[candidate.pk],
                item_id=item,
                response=list(engine.item(item).answer) if item else [0],
            )
            accepted = True
        except Refusal:
            accepted = False
        assert accepted == bool(expected), (course.is_running, course.is_suspended)
        if accepted:
            SEEN["answer"] += 1
        elif course.is_suspended:
            SEEN["answer_refused_while_suspended"] += 1

    @invariant()
    def no_end_is_ever_brought_forward(self) -> None:
        if not hasattr(self, "candidates"):
            return
        for candidate in self.candidates:
            course = self._course(candidate)
            end = course.end_at(self.now)
            if course.is_running:
                assert end >= self.last_end[candidate.pk]
            self.last_end[candidate.pk] = end

    @invariant()
    def the_end_is_the_sum_of_its_parts(self) -> None:
        if not hasattr(self, "candidates"):
            return
        for candidate in self.candidates:
            course = self._course(candidate)
            added = sum(
                TimeAddition.objects.filter(course=course).values_list("minutes", flat=True)
            )
            suspended = dt.timedelta()
            open_ones = 0
            for started, ended in Suspension.objects.filter(course=course).values_list(
                "started_at", "ended_at"
            ):
                suspended += (ended or self.now) - started
                open_ones += ended is None
            assert course.added_time == dt.timedelta(minutes=added)
            assert course.stood_still(self.now) == suspended
            assert open_ones == (1 if course.is_suspended else 0)
            assert not (course.is_suspended and not course.is_running)
            assert course.end_at(self.now) == (
                course.started_at
                + dt.timedelta(minutes=105)
                + dt.timedelta(minutes=105) * candidate.extra_time_percentage / 100
                + dt.timedelta(minutes=added)
                + suspended
            )
            assert timezone.now() == self.now


@pytest.mark.django_db
def test_no_incident_ever_shortens_a_test(small_bank):
    """30 random sessions of 30 steps: ends never earlier, sums match the history, answers
    accepted exactly when the test runs unsuspended."""
    SEEN.clear()
    run_state_machine_as_test(
        ClockMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
    for done in (
        "suspend_session",
        "resume_session",
        "suspend_course",
        "resume_course",
        "add_time",
        "end",
        "answer",
        "answer_refused_while_suspended",
    ):
        assert SEEN[done] > 0, f"no run ever got to {done}: {SEEN}"
    print(f"incident clock runs, accepted actions: {dict(SEEN)}")
