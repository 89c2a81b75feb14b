"""The candidate's journey and the invigilator's decisions on a candidate's test.

Every state change is a conditional UPDATE or happens under a row lock, writes an audit
row, and sends its live event after commit: two invigilators acting at once cannot both
win, and a candidate's page never shows a state that was rolled back.
"""

import datetime as dt
import hashlib
import hmac
import secrets
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import ratelimit
from accounts.models import User
from audit.events import record_event
from audit.tags import Tag
from certification import calibration, engine
from certification import errors as e
from certification.access import access_own_course
from certification.bank import bank_version
from certification.models import (
    AlertStatus,
    Answer,
    CertificationCourse,
    CourseStatus,
    IssueReport,
    LiveAlert,
    MessageReceipt,
    RoomMessage,
    RoomSuspension,
    Suspension,
    TimeAddition,
)
from exams.models import Candidate, ExamDuration, ExamSession, name_key
from lib import issue_reports
from lib.codes import password_matches
from lib.prepared import Prepared, PreparedWrite
from lib.text import has_control_characters
from live.events import candidate_group, publish_on_commit, session_group


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _notify(candidate: Candidate, op: str, *, audience: str = "all", **extra: Any) -> None:
    event = {"type": "candidate", "op": op, "candidate_id": candidate.pk, **extra}
    groups = [session_group(candidate.session_id)]
    if audience == "all":
        groups.insert(0, candidate_group(candidate.pk))
    publish_on_commit(groups, event)


# --- Joining -------------------------------------------------------------------------


# Per account, in ratelimit.WINDOW (15 minutes); per address: ratelimit.SCHOOL_ADDRESS_LIMIT.
JOIN_LIMIT = 20
ACCESS_CODE_LIMIT = 10


def do_join(
    user: User,
    *,
    session_number: str,
    first_name: str,
    last_name: str,
    birthdate: dt.date,
    ip: str | None = None,
    via_identity_provider: bool = False,
) -> Candidate:
    """Link the account to its line of the attendance sheet (idempotent).

    Names match as lib/text.normalize_name reads them, so an identity provider's spelling
    (« JEAN-FRANCOIS ») finds the sheet's (« Jean-François »). A centre that turned Vigie
    passwords off for its candidates takes only sessions opened through an identity
    provider (`via_identity_provider`).

    Refusals are counted per account (20 in 15 minutes lock joining out, so nobody can walk
    through session numbers and names) and per address, with a school's limit."""
    rules = [ratelimit.Rule(f"join:user:{user.pk}", JOIN_LIMIT), *ratelimit.per_address("join", ip)]
    # Counted outside the action's transaction (rolled back on a refusal), so it sticks.
    with ratelimit.attempt(rules, locked=e.TooManyJoinAttempts(), failures=(e.Refusal,)):
        return _join(
            user,
            session_number=session_number,
            first_name=first_name,
            last_name=last_name,
            birthdate=birthdate,
            via_identity_provider=via_identity_provider,
        )


@transaction.atomic
def _join(
    user: User,
    *,
    session_number: str,
    first_name: str,
    last_name: str,
    birthdate: dt.date,
    via_identity_provider: bool,
) -> Candidate:
    session = (
        ExamSession.objects.select_related("centre").filter(number=session_number.strip()).first()
    )
    if session is None:
        raise e.UnknownSession
    if not session.is_accessible:
        raise e.SessionNotAccessible
    if not session.centre.candidate_password_sign_in and not via_identity_provider:
        raise e.IdentityProviderRequired
    matches = list(
        Candidate.objects.select_for_update().filter(
            session=session,
            first_name_key=name_key(first_name),
            last_name_key=name_key(last_name),
            birthdate=birthdate,
        )
    )
    if len(matches) != 1:
        raise e.NoMatchingCandidate
    candidate = matches[0]
    if candidate.user_id == user.pk:
        return candidate
    if candidate.user_id is not None:
        raise e.CandidateLinkedToAnotherAccount
    if Candidate.objects.filter(session=session, user=user).exists():
        raise e.AccountAlreadyInSession
    if not user.is_certifiable():
        raise e.NotCertifiable(session.centre.sos_campaign_code)
    linked = Candidate.objects.filter(pk=candidate.pk, user__isnull=True).update(
        user=user, linked_at=timezone.now()
    )
    if not linked:
        raise e.CandidateLinkedToAnotherAccount
    candidate.refresh_from_db()
    record_event(Tag.Candidate.SESSION_JOIN, actor=user, session=session, candidate=candidate.pk)
    _notify(candidate, "joined")
    return candidate


@transaction.atomic
def do_accept_instructions(candidate: Candidate, *, user: User) -> None:
    Candidate.objects.filter(pk=candidate.pk, instructions_accepted_at__isnull=True).update(
        instructions_accepted_at=timezone.now()
    )


@transaction.atomic
def do_report_companion_check(candidate: Candidate, *, user: User, detected: bool) -> bool:
    """Before the test, the candidate's page says whether it detects the companion extension
    (issue 16: the readiness board shows it before the start). Written, and audited, only
    when it changes and while no test has started (the test page checks it from then on).
    True: changed."""
    changed = (
        Candidate.objects.filter(pk=candidate.pk, user=user, course__isnull=True)
        .exclude(companion_detected=detected)
        .update(companion_detected=detected)
    )
    if changed:
        record_event(
            Tag.Candidate.COMPANION_CHECK,
            actor=user,
            session=candidate.session,
            candidate=candidate.pk,
            detected=detected,
        )
    return bool(changed)


# --- Presence (invigilator) ----------------------------------------------------------


def current_question_number(course: CertificationCourse | None) -> int | None:
    """The number of the question a running test shows (its answers + 1): the evidence of
    a resume, time added or a lost extension names it, so the PV line need not be typed."""
    if course is None or not course.is_running:
        return None
    return course.answers.count() + 1


def _authorize(
    candidate: Candidate, *, actor: User, when: Q, tag: Tag.Invigilator, **data: Any
) -> None:
    """Give the one-shot authorization (to start or to resume) if `when` still holds."""
    _lock_candidate(candidate)
    updated = Candidate.objects.filter(
        when, pk=candidate.pk, authorized_to_start_at__isnull=True
    ).update(authorized_to_start_at=timezone.now(), authorized_by=actor)
    if not updated:
        raise e.AlreadyHandled(_who_authorized(candidate))
    record_event(tag, actor=actor, session=candidate.session, candidate=candidate.pk, **data)
    _notify(candidate, "authorized")


@transaction.atomic
def do_confirm_presence(candidate: Candidate, *, actor: User) -> None:
    """« Confirmer la présence »: a one-shot authorization to start, before the test."""
    _authorize(
        candidate, actor=actor, when=Q(course__isnull=True), tag=Tag.Invigilator.PRESENCE_CONFIRM
    )


@transaction.atomic
def do_authorize_resume(candidate: Candidate, *, actor: User) -> None:
    """« Autoriser la reprise du test »: the timer, answers and alerts are left as they are."""
    course = CertificationCourse.objects.filter(candidate=candidate).first()
    _authorize(
        candidate,
        actor=actor,
        when=Q(course__status=CourseStatus.STARTED),
        tag=Tag.Invigilator.RESUME_AUTHORIZE,
        question_number=current_question_number(course),
    )


@transaction.atomic
def do_cancel_presence(candidate: Candidate, *, actor: User) -> None:
    _lock_candidate(candidate)
    updated = Candidate.objects.filter(
        pk=candidate.pk, authorized_to_start_at__isnull=False, course__isnull=True
    ).update(authorized_to_start_at=None, authorized_by=None)
    if not updated:
        raise e.AlreadyHandled()
    record_event(
        Tag.Invigilator.PRESENCE_CANCEL,
        actor=actor,
        session=candidate.session,
        candidate=candidate.pk,
    )
    _notify(candidate, "unauthorized")


def _lock_candidate(candidate: Candidate) -> None:
    """Wait for a concurrent decision on this candidate to commit before the UPDATEs above.

    Their filter goes through the course (a join), which PostgreSQL runs as a self-joined
    subquery; after waiting for a concurrent UPDATE it re-checks the old row version, so
    without this lock two invigilators confirming at once would both « win »."""
    list(Candidate.objects.select_for_update().filter(pk=candidate.pk).values_list("pk"))


def _name(user: User | None) -> str | None:
    """Who already acted, for « Cette action a déjà été traitée par … » (None: unnamed)."""
    return user.get_full_name() or None if user else None


def _who_authorized(candidate: Candidate) -> str | None:
    return _name(
        Candidate.objects.select_related("authorized_by").get(pk=candidate.pk).authorized_by
    )


# --- Start and resume ----------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """The run handed to the tab: its course (with its candidate, session and centre
    loaded) and, for a test just started, its progress (nothing yet), so that the start's
    response can carry the page's first state without reading them again."""

    course: CertificationCourse
    token: str
    resumed: bool
    progress: engine.Progress | None = None


def do_start_or_resume(
    candidate: Candidate,
    *,
    user: User,
    access_code: str,
    ip: str | None = None,
    via_identity_provider: bool = False,
) -> Run:
    """Check the code and the presence confirmation, consume it, hand this tab the run.

    Wrong access codes are counted per account (10 in 15 minutes lock the code screen out)
    and per address, with a school's limit: every candidate of a school types the code from
    the same address."""
    rules = [ratelimit.Rule(f"access-code:user:{user.pk}", ACCESS_CODE_LIMIT)]
    rules += ratelimit.per_address("access-code", ip)
    with ratelimit.attempt(
        rules, locked=e.TooManyAccessCodeAttempts(), failures=(e.WrongAccessCode,)
    ):
        return _start_or_resume(
            candidate,
            user=user,
            access_code=access_code,
            via_identity_provider=via_identity_provider,
        )


# At nine o'clock every candidate of every room starts within the same minute: the start's
# reads and its INSERT are written as SQL once per process (lib/prepared.py).
_LOCKED_CANDIDATE = Prepared(
    lambda pk: (
        Candidate.objects.select_for_update(of=("self", "session"))
        .select_related("session__centre")
        .filter(pk=pk)
    )
)
_LOCKED_COURSE_OF = Prepared(
    lambda candidate_id: (
        CertificationCourse.objects.select_for_update()
        .filter(candidate_id=candidate_id)
        .order_by("pk")
    )
)
_INSERT_COURSE = PreparedWrite(CertificationCourse)


@transaction.atomic
def _start_or_resume(
    candidate: Candidate, *, user: User, access_code: str, via_identity_provider: bool
) -> Run:
    # The session row is locked too, so a start cannot slip past a finalization; the centre
    # row is not: every room of a centre starts at the same time on the day.
    locked = _LOCKED_CANDIDATE.first(candidate.pk)
    if locked is None:
        raise Candidate.DoesNotExist
    candidate = locked
    if candidate.user_id != user.pk:
        raise e.NoMatchingCandidate
    session = candidate.session
    if not session.centre.candidate_password_sign_in and not via_identity_provider:
        raise e.IdentityProviderRequired
    if not password_matches(session.access_code, access_code):
        raise e.WrongAccessCode
    # Locked too: the resume decides from this row whether a question must be drawn, and an
    # answer from the tab losing the run must not change it meanwhile (it waits, then finds
    # its token stale).
    course = _LOCKED_COURSE_OF.first(candidate.pk)
    if course is not None and not course.is_running:
        raise e.TestEnded(engine.end_message(course.status))
    if course is None and not session.is_accessible:
        raise e.CertificationSessionClosed
    if course is None and open_room_suspension(session) is not None:
        raise e.SessionSuspended
    consumed = Candidate.objects.filter(
        pk=candidate.pk, authorized_to_start_at__isnull=False
    ).update(authorized_to_start_at=None)
    if not consumed:
        raise e.NotAuthorizedToStart if course is None else e.NotAuthorizedToResume
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    if course is None:
        course = CertificationCourse(
            candidate=candidate,
            user=user,
            started_at=now,
            seed=secrets.randbits(48),
            run_token_hash=_hash(token),
            duration=ExamDuration.of(candidate.complementary_certification),
            bank_version=engine.get_bank().version,
        )
        # The first question comes with the course, and with the start's response.
        progress = engine.Progress(answers=[], alerts=[])
        first = engine.next_item(course, progress)
        _set_current(course, first, now)
        _INSERT_COURSE.save(course)
        record_event(
            Tag.Candidate.COURSE_START, actor=user, session=session, candidate=candidate.pk
        )
        _notify(candidate, "started")
        course.detach_from_candidate()  # freed with the request, not by the collector
        return Run(course, token, resumed=False, progress=progress)
    CertificationCourse.objects.filter(pk=course.pk).update(run_token_hash=_hash(token))
    course.run_token_hash = _hash(token)
    course.candidate = candidate  # the row locked above, its session and centre loaded
    # A test left without a question it can show (one the bank no longer has, or a draw
    # that found nothing): the resume the invigilator authorized draws it.
    _show_next_question(course)
    record_event(
        Tag.Candidate.COURSE_RESUME,
        actor=user,
        session=session,
        candidate=candidate.pk,
        answers=course.answers.count(),
    )
    _notify(candidate, "resumed")
    return Run(course, token, resumed=True)


def check_run(course: CertificationCourse, token: str) -> None:
    """Only the tab that started or resumed the test may act on it."""
    if not token or not hmac.compare_digest(course.run_token_hash, _hash(token)):
        raise e.StaleRun


# --- Questions and answers -------------------------------------------------------------


def _show_next_question(
    course: CertificationCourse, progress: engine.Progress | None = None
) -> None:
    """Draws the next question of a running test that has none it can show, and stores it.

    Called, inside their transaction and with the course's row locked, by the actions after
    which a running test may have no question to show: a validated report always; the
    resume, a refused report and a confirmed extension when the stored question is missing
    or gone from the bank (the start and the answer draw theirs themselves). So the
    candidate's state read never has to write. Nothing is drawn while a report waits for
    the invigilator."""
    if not course.is_running or engine.current_item(course) is not None:
        return
    progress = progress or engine.progress(course)
    if progress.ongoing(LiveAlert.Kind.QUESTION) is not None:
        return
    item = engine.next_item(course, progress)
    # Nothing left to ask (None): the question that was stored cannot be shown either.
    _set_current(course, item, timezone.now())
    if item is not None:
        course.avoid_competence = ""
    course.save(update_fields=[*CURRENT_FIELDS, "avoid_competence"])


# What _set_current writes.
CURRENT_FIELDS = ["current_item_id", "current_asked_at", "current_choice_order"]

# The answer's two writes, written as SQL once per process (lib/prepared.py): an answer is
# the request a national peak sends most (docs/scaling.md, issue 17).
_ANSWER_FIELDS = ("theta", "theta_sd", *CURRENT_FIELDS, "avoid_competence")
_INSERT_ANSWER = PreparedWrite(Answer)
_UPDATE_AFTER_ANSWER = PreparedWrite(CertificationCourse, update=_ANSWER_FIELDS)
_UPDATE_AFTER_LAST_ANSWER = PreparedWrite(
    CertificationCourse, update=(*_ANSWER_FIELDS, "status", "ended_at")
)


def _set_current(course: CertificationCourse, item: engine.Item | None, now: dt.datetime) -> None:
    """The question now on screen, with the order its choices are shown in, or none."""
    course.current_item_id = item.id if item else ""
    course.current_asked_at = now if item else None
    course.current_choice_order = engine.choice_order(course.seed, item) if item else []


def _locked_course(course_id: int) -> CertificationCourse:
    """The course, its row locked until the transaction ends (taken before its alerts' rows,
    in the same order as the finalization)."""
    return CertificationCourse.objects.select_for_update(of=("self",)).get(pk=course_id)


def _ongoing_question_alert(course: CertificationCourse) -> LiveAlert | None:
    return course.alerts.filter(kind=LiveAlert.Kind.QUESTION, status=AlertStatus.ONGOING).first()


@dataclass(frozen=True)
class Answered:
    """What an answer POST returns: the saved answer and where the test now stands (the
    next question is already drawn), so the page needs no second request."""

    answer: Answer
    course: CertificationCourse
    progress: engine.Progress


@transaction.atomic
def do_answer(
    course_id: int,
    *,
    user: User,
    token: str,
    item_id: str,
    response: Any,
    focus_lost: bool = False,
) -> Answered:
    """Save an answer at once and draw the next question. Re-sending the same answer
    returns it (network retries)."""
    # The access check and the row lock are one query: this is the hottest request of
    # an exam (bench/profile_requests.py), and a separate read cost an eighth of it.
    course = access_own_course(user, course_id, lock=True)
    progress = engine.progress(course)
    if any(answered_id == item_id for _position, answered_id, _correct in progress.answers):
        existing = course.answers.get(item_id=item_id)
        again = engine.clean_response(engine.item(item_id), response)
        if again is not None and existing.response == engine.to_bank_indices(
            again, existing.choice_order
        ):
            return Answered(existing, course, progress)
        raise e.AlreadyAnswered
    check_run(course, token)
    if not course.is_running:
        raise e.TestEnded(engine.end_message(course.status))
    if course.is_suspended:
        raise e.CourseSuspended
    # No question drawn yet ("" on both sides) is not a match (found by tests/test_fuzz_api.py).
    if not item_id or item_id != course.current_item_id:
        raise e.NotCurrentQuestion
    if progress.ongoing(LiveAlert.Kind.QUESTION) is not None:
        raise e.TestPaused
    if progress.ongoing(LiveAlert.Kind.COMPANION) is not None:
        raise e.CompanionMissing
    item = engine.item(item_id)
    cleaned = engine.clean_response(item, response)
    now = timezone.now()
    asked_at = course.current_asked_at or now
    timed_out = engine.is_timed_out(item, asked_at, now)
    # An empty answer is only accepted when the question's own time is over.
    if cleaned is None or (not cleaned and not timed_out):
        raise e.InvalidResponse
    # The candidate clicked positions in the order shown: check and keep the bank's indices.
    shown_order = engine.valid_order(item, course.current_choice_order)
    cleaned = engine.to_bank_indices(cleaned, shown_order)
    position = progress.answered + 1
    # Leaving the frame only means something on a focus-mode question.
    focus_lost = focus_lost and "focus" in item.flags
    correct = item.is_correct(cleaned) and not timed_out and not focus_lost
    try:
        # No savepoint: a duplicate can only come from a racing request (the row lock makes
        # it rare), and the error rolls the whole transaction back anyway.
        answer = Answer(
            course=course,
            position=position,
            item_id=item.id,
            competence=item.competence,
            response=cleaned,
            choice_order=shown_order,
            correct=correct,
            timed_out=timed_out,
            focus_lost=focus_lost,
            asked_at=asked_at,
            answered_at=now,
        )
        _INSERT_ANSWER.save(answer)
    except IntegrityError:
        raise e.AlreadyAnswered from None
    progress = engine.Progress(
        answers=[*progress.answers, (position, item.id, correct)], alerts=progress.alerts
    )
    course.theta, course.theta_sd = engine.estimate(progress.history)
    update = _UPDATE_AFTER_ANSWER
    # The next question is drawn now, in the same transaction, and shown from now on.
    following = (
        engine.next_item(course, progress, theta=course.theta)
        if position < engine.TEST_LENGTH
        else None
    )
    _set_current(course, following, now)
    course.avoid_competence = ""
    if position >= engine.TEST_LENGTH:
        course.status = CourseStatus.COMPLETED
        course.ended_at = now
        update = _UPDATE_AFTER_LAST_ANSWER
        record_event(
            Tag.Candidate.COURSE_COMPLETE,
            actor=user,
            session=course.candidate.session,
            candidate=course.candidate_id,
        )
    update.save(course)
    # Only the invigilators hear of it: the candidate's page has the new state in the
    # response, and its other tabs are stale by design.
    _notify(
        course.candidate, "answered", audience="session", position=position, status=course.status
    )
    # The candidate was told « votre surveillant en sera informé »: an audit row and an event
    # each, only when it happened (an ordinary answer costs no query more).
    if focus_lost:
        _answer_fact(Tag.Candidate.FOCUS_LEAVE, "focus_lost", course, item.id, position, user)
    if timed_out:
        _answer_fact(Tag.Candidate.QUESTION_TIMEOUT, "timed_out", course, item.id, position, user)
    return Answered(answer, course, progress)


def _answer_fact(
    tag: Tag.Candidate, op: str, course: CertificationCourse, item_id: str, number: int, user: User
) -> None:
    """A fact about an answer the invigilators must know (left the frame, ran out of time)."""
    candidate = course.candidate
    record_event(
        tag,
        actor=user,
        session=candidate.session,
        candidate=candidate.pk,
        item=item_id,
        question_number=number,
    )
    _notify(candidate, op, audience="session", question_number=number)


# --- Reporting a problem with a question ---------------------------------------------


@transaction.atomic
def do_report_problem(
    course: CertificationCourse, *, user: User, token: str, item_id: str
) -> LiveAlert:
    """« Signaler un problème avec la question »: pauses the test until an invigilator decides."""
    course = (
        CertificationCourse.objects.select_for_update()
        .select_related("candidate")
        .get(pk=course.pk)
    )
    if course.user_id != user.pk:
        raise e.NoMatchingCandidate
    check_run(course, token)
    if not course.is_running:
        raise e.TestEnded(engine.end_message(course.status))
    if course.is_suspended:
        raise e.CourseSuspended
    ongoing = _ongoing_question_alert(course)
    if ongoing is not None and ongoing.item_id == item_id:
        return ongoing
    if not item_id or item_id != course.current_item_id:
        raise e.NotCurrentQuestion
    alert = LiveAlert.objects.create(
        course=course, item_id=item_id, question_number=course.answers.count() + 1
    )
    record_event(
        Tag.Candidate.ALERT_CREATE,
        actor=user,
        session=course.candidate.session,
        candidate=course.candidate_id,
        item=item_id,
        question_number=alert.question_number,
    )
    _notify(course.candidate, "alert")
    return alert


def _resolve_alert(
    alert: LiveAlert, *, actor: User, status: AlertStatus, reason: str = ""
) -> LiveAlert:
    updated = LiveAlert.objects.filter(pk=alert.pk, status=AlertStatus.ONGOING).update(
        status=status, reason=reason, resolved_at=timezone.now(), resolved_by=actor
    )
    if not updated:
        alert.refresh_from_db()
        raise e.AlreadyHandled(_name(alert.resolved_by))
    alert.refresh_from_db()
    return alert


@transaction.atomic
def do_validate_alert(alert: LiveAlert, *, actor: User, reason: str) -> LiveAlert:
    """The question is not counted; the candidate gets another question of another skill.

    The matching issue report (« Problème technique sur une question ») is created at once,
    so the centre does not retype it at finalization.
    """
    item = engine.item(alert.item_id)
    if reason not in {code for code, _label in issue_reports.live_reasons(item.flags)}:
        raise e.InvalidReason
    course = _locked_course(alert.course_id)
    alert = _resolve_alert(alert, actor=actor, status=AlertStatus.VALIDATED, reason=reason)
    IssueReport.objects.create(
        course=course,
        category=issue_reports.IN_CHALLENGE,
        subcategory=reason,
        question_number=alert.question_number,
        live_alert=alert,
        created_by=actor,
        description=str(issue_reports.BY_CODE[reason].label),
    )
    if course.current_item_id == alert.item_id:
        # The reported question is replaced at once by one of another competence.
        course.current_item_id, course.current_asked_at = "", None
        course.avoid_competence = item.competence
        _show_next_question(course)
    candidate = alert.course.candidate
    record_event(
        Tag.Invigilator.ALERT_VALIDATE,
        actor=actor,
        session=candidate.session,
        candidate=candidate.pk,
        item=alert.item_id,
        question_number=alert.question_number,
        reason=reason,
    )
    _notify(candidate, "alert_validated")
    return alert


@transaction.atomic
def do_refuse_alert(alert: LiveAlert, *, actor: User) -> LiveAlert:
    """The candidate goes back to the same question."""
    course = _locked_course(alert.course_id)
    alert = _resolve_alert(alert, actor=actor, status=AlertStatus.REFUSED)
    # The same question, unless the bank lost it meanwhile.
    _show_next_question(course)
    candidate = alert.course.candidate
    record_event(
        Tag.Invigilator.ALERT_REFUSE,
        actor=actor,
        session=candidate.session,
        candidate=candidate.pk,
        item=alert.item_id,
        question_number=alert.question_number,
    )
    _notify(candidate, "alert_refused")
    return alert


@transaction.atomic
def do_claim_alert(alert: LiveAlert, *, actor: User) -> LiveAlert:
    """« Je m'en occupe »: this invigilator goes to the candidate; the others see who and since
    when, and the alert no longer escalates for them. One conditional UPDATE: an alert still
    pending, not claimed, or claimed by someone else more than ALERT_CLAIM_LAPSE ago, or by
    the same invigilator (claiming again renews the claim). The candidate's page is not told."""
    now = timezone.now()
    free = (
        Q(claimed_at=None)
        | Q(claimed_at__lte=now - settings.ALERT_CLAIM_LAPSE)
        | Q(claimed_by=actor)
    )
    updated = (
        LiveAlert.objects.filter(pk=alert.pk, status=AlertStatus.ONGOING)
        .filter(free)
        .update(claimed_by=actor, claimed_at=now)
    )
    alert = LiveAlert.objects.select_related(
        "course__candidate__session", "claimed_by", "resolved_by"
    ).get(pk=alert.pk)
    if not updated:
        if alert.status != AlertStatus.ONGOING:
            raise e.AlreadyHandled(_name(alert.resolved_by))
        raise e.AlreadyClaimed(_name(alert.claimed_by))
    candidate = alert.course.candidate
    record_event(
        Tag.Invigilator.ALERT_CLAIM,
        actor=actor,
        session=candidate.session,
        candidate=candidate.pk,
        kind=alert.kind,
        question_number=alert.question_number,
    )
    _notify(candidate, "alert_claimed", audience="session")
    return alert


# --- Companion extension ---------------------------------------------------------------


@transaction.atomic
def do_raise_companion_alert(course: CertificationCourse, *, user: User, token: str) -> LiveAlert:
    """The candidate's page no longer detects the companion extension (idempotent)."""
    course = (
        CertificationCourse.objects.select_for_update()
        .select_related("candidate")
        .get(pk=course.pk)
    )
    if course.user_id != user.pk:
        raise e.NoMatchingCandidate
    check_run(course, token)
    if not course.is_running:
        raise e.TestEnded(engine.end_message(course.status))
    ongoing = course.alerts.filter(
        kind=LiveAlert.Kind.COMPANION, status=AlertStatus.ONGOING
    ).first()
    if ongoing is not None:
        return ongoing
    alert = LiveAlert.objects.create(course=course, kind=LiveAlert.Kind.COMPANION)
    record_event(
        Tag.Candidate.COMPANION_MISSING,
        actor=user,
        session=course.candidate.session,
        candidate=course.candidate_id,
        question_number=current_question_number(course),
    )
    _notify(course.candidate, "companion_alert")
    return alert


@transaction.atomic
def do_clear_companion_alert(alert: LiveAlert, *, actor: User) -> LiveAlert:
    """« Confirmer la présence de l'extension »: the candidate's page unblocks, on the
    question it was showing."""
    course = _locked_course(alert.course_id)
    alert = _resolve_alert(alert, actor=actor, status=AlertStatus.CLEARED)
    _show_next_question(course)
    candidate = alert.course.candidate
    record_event(
        Tag.Invigilator.COMPANION_CONFIRM,
        actor=actor,
        session=candidate.session,
        candidate=candidate.pk,
    )
    _notify(candidate, "companion_cleared")
    return alert


# --- Ending ----------------------------------------------------------------------------


@transaction.atomic
def do_end_by_invigilator(course: CertificationCourse, *, actor: User) -> CertificationCourse:
    """« Terminer le test »: irreversible; a test already over is left as it is."""
    # Lock before reading the clock: an answer being saved holds the row, and must be dated
    # before `ended_at`, never after it.
    list(CertificationCourse.objects.select_for_update().filter(pk=course.pk).values_list("pk"))
    now = timezone.now()
    updated = CertificationCourse.objects.filter(pk=course.pk, status=CourseStatus.STARTED).update(
        status=CourseStatus.ENDED_BY_INVIGILATOR,
        ended_at=now,
        ended_by=actor,
        current_item_id="",
        run_token_hash="",
    )
    course.refresh_from_db()
    if not updated:
        raise e.AlreadyHandled(_name(course.ended_by))
    close_suspensions([course], now=now, actor=actor)
    candidate = course.candidate
    record_event(
        Tag.Invigilator.COURSE_END, actor=actor, session=candidate.session, candidate=candidate.pk
    )
    _notify(candidate, "ended", status=course.status)
    return course


# --- Time the invigilator controls (issue 15) ------------------------------------------
#
# A test's end is start + duration + extra time + time added + time suspended
# (`CertificationCourse.end_at`). Suspending stops the test's clock (its timed question's
# too); resuming moves its end, and the shown question's start, by exactly the time lost.

MAX_ADDED_MINUTES = 120
INCIDENT_TEXT_LENGTH = 300


def _incident_text(text: str, limit: int = INCIDENT_TEXT_LENGTH) -> str:
    """A reason or a message for the candidates: it goes to the PV, so it must be there."""
    text = (text or "").strip()
    if not text or len(text) > limit or has_control_characters(text):
        raise e.InvalidIncidentText
    return text


def _locked_courses(candidates: Sequence[Candidate]) -> list[CertificationCourse]:
    """Their tests, locked in one order (two invigilators selecting overlapping rows cannot
    deadlock), every one running: a selection is all or nothing, and says who stopped it."""
    if not candidates:
        raise e.NoSelection
    by_candidate = {
        course.candidate_id: course
        for course in CertificationCourse.objects.select_for_update(of=("self",))
        .select_related("candidate__session", "ended_by")
        .filter(candidate__in=[c.pk for c in candidates])
        .order_by("pk")
    }
    courses = []
    for candidate in candidates:
        course = by_candidate.get(candidate.pk)
        if course is None:
            raise e.NotRunning(_("%(name)s n'a pas commencé son test.") % {"name": str(candidate)})
        if not course.is_running:
            by = _name(course.ended_by)
            raise e.AlreadyHandled(
                message=(
                    _("Le test de %(name)s a été terminé par %(by)s.")
                    % {"name": str(candidate), "by": by}
                    if by
                    else _("Le test de %(name)s est terminé.") % {"name": str(candidate)}
                )
            )
        courses.append(course)
    return courses


@transaction.atomic
def do_add_time(
    candidates: Sequence[Candidate], *, minutes: int, reason: str, actor: User
) -> list[CertificationCourse]:
    """« Ajouter du temps » to one candidate or a selection, apart from the planned extra
    time; each test's end moves by `minutes`. All or nothing."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise e.InvalidMinutes
    if not 1 <= minutes <= MAX_ADDED_MINUTES:
        raise e.InvalidMinutes
    reason = _incident_text(reason, 200)
    courses = _locked_courses(candidates)
    now = timezone.now()
    for course in courses:
        TimeAddition.objects.create(
            course=course, minutes=minutes, reason=reason, added_by=actor, added_at=now
        )
        course.added_time += dt.timedelta(minutes=minutes)
        course.save(update_fields=["added_time"])
        record_event(
            Tag.Invigilator.TIME_ADD,
            actor=actor,
            session=course.candidate.session,
            candidate=course.candidate_id,
            minutes=minutes,
            reason=reason,
            question_number=current_question_number(course),
        )
        _notify(course.candidate, "time_added", minutes=minutes)
    return courses


def _suspend(
    course: CertificationCourse,
    *,
    reason: str,
    actor: User,
    now: dt.datetime,
    room: RoomSuspension | None = None,
) -> None:
    Suspension.objects.create(
        course=course, room=room, reason=reason, started_at=now, started_by=actor
    )
    CertificationCourse.objects.filter(pk=course.pk).update(suspended_since=now)
    course.suspended_since = now


def _resume(
    course: CertificationCourse, suspension: Suspension, *, actor: User, now: dt.datetime
) -> dt.timedelta:
    """The test goes on where it was: its end and its shown question's start move by the
    time lost, so neither the test nor a timed question loses a second."""
    lost = max(now - suspension.started_at, dt.timedelta())
    course.suspended_time += lost
    course.suspended_since = None
    if course.current_asked_at is not None:
        course.current_asked_at += lost
    course.save(update_fields=["suspended_time", "suspended_since", "current_asked_at"])
    Suspension.objects.filter(pk=suspension.pk).update(
        ended_at=now, ended_by=actor, outcome=Suspension.Outcome.RESUMED
    )
    return lost


def close_suspensions(
    courses: Iterable[CertificationCourse], *, now: dt.datetime, actor: User
) -> None:
    """Tests ended while suspended (by an invigilator, or at the finalization): their
    suspension ends with them, its time counted. Inside the ending action's transaction,
    the courses' rows locked."""
    ids = [course.pk for course in courses]
    for suspension in Suspension.objects.filter(course__in=ids, ended_at=None).select_related(
        "course"
    ):
        course = suspension.course
        lost = max(now - suspension.started_at, dt.timedelta())
        CertificationCourse.objects.filter(pk=course.pk).update(
            suspended_time=course.suspended_time + lost, suspended_since=None
        )
        Suspension.objects.filter(pk=suspension.pk).update(
            ended_at=now, ended_by=actor, outcome=Suspension.Outcome.ENDED
        )


def _locked_session(session: ExamSession) -> ExamSession:
    locked = ExamSession.objects.select_for_update().get(pk=session.pk)
    if not locked.is_accessible:
        raise e.CertificationSessionClosed
    return locked


# Read by every start and by every head of the Espace Surveillant: compiled once.
_OPEN_ROOM_SUSPENSION = Prepared(
    lambda session_id: RoomSuspension.objects.filter(session_id=session_id, ended_at=None).order_by(
        "pk"
    )
)


def open_room_suspension(session: ExamSession) -> RoomSuspension | None:
    return _OPEN_ROOM_SUSPENSION.first(session.pk)


def _notify_room(session: ExamSession, op: str, **extra: Any) -> None:
    """Every candidate's page of the session and every invigilator's."""
    groups = [candidate_group(pk) for pk in session.candidates.values_list("pk", flat=True)]
    publish_on_commit([*groups, session_group(session.pk)], {"type": "session", "op": op, **extra})


@transaction.atomic
def do_suspend_session(session: ExamSession, *, message: str, actor: User) -> RoomSuspension:
    """« Suspendre la session » (evacuation, fire alarm, a general network cut): every
    running test stops its clock at once; the candidates' pages show the message."""
    message = _incident_text(message)
    session = _locked_session(session)
    if open_room_suspension(session) is not None:
        raise e.SessionAlreadySuspended
    now = timezone.now()
    room = RoomSuspension.objects.create(
        session=session, message=message, started_at=now, started_by=actor
    )
    running = list(
        CertificationCourse.objects.select_for_update()
        .filter(candidate__session=session, status=CourseStatus.STARTED)
        .order_by("pk")
    )
    # A test already suspended on its own keeps its suspension (and its own decision).
    stopped = [course for course in running if not course.is_suspended]
    for course in stopped:
        _suspend(course, reason=message, actor=actor, now=now, room=room)
    record_event(
        Tag.Invigilator.SESSION_SUSPEND,
        actor=actor,
        session=session,
        message=message,
        candidates=[course.candidate_id for course in stopped],
    )
    _notify_room(session, "suspended")
    return room


@dataclass(frozen=True)
class Resumed:
    resumed: list[int]
    still_suspended: list[int]
    lost: dt.timedelta


@transaction.atomic
def do_resume_session(session: ExamSession, *, present: Iterable[int], actor: User) -> Resumed:
    """« Reprendre la session »: the invigilator names who is back in the room; their tests go
    on where they were, their end moved by exactly the time lost. The others stay suspended
    until decided (seed 004: a candidate who left the room may not resume)."""
    session = _locked_session(session)
    room = open_room_suspension(session)
    if room is None:
        raise e.SessionNotSuspended
    present_ids = set(present)
    if not present_ids <= set(session.candidates.values_list("pk", flat=True)):
        raise e.NoSelection
    now = timezone.now()
    RoomSuspension.objects.filter(pk=room.pk).update(ended_at=now, ended_by=actor)
    suspensions = list(
        Suspension.objects.filter(room=room, ended_at=None)
        .select_related("course")
        .order_by("course_id")
    )
    courses = {
        course.pk: course
        for course in CertificationCourse.objects.select_for_update().filter(
            pk__in=[s.course_id for s in suspensions]
        )
    }
    resumed, kept = [], []
    for suspension in suspensions:
        course = courses[suspension.course_id]
        if course.candidate_id in present_ids and course.is_running:
            _resume(course, suspension, actor=actor, now=now)
            resumed.append(course.candidate_id)
        else:
            kept.append(course.candidate_id)
    lost = now - room.started_at
    record_event(
        Tag.Invigilator.SESSION_RESUME,
        actor=actor,
        session=session,
        resumed=resumed,
        still_suspended=kept,
        seconds_lost=int(lost.total_seconds()),
    )
    _notify_room(session, "resumed")
    return Resumed(resumed, kept, lost)


@transaction.atomic
def do_suspend_course(
    course: CertificationCourse, *, reason: str, actor: User
) -> CertificationCourse:
    """« Suspendre ce test » (illness, a broken computer): this test's clock stops."""
    reason = _incident_text(reason)
    course = _locked_courses([course.candidate])[0]
    if course.is_suspended:
        raise e.AlreadySuspended
    _suspend(course, reason=reason, actor=actor, now=timezone.now())
    record_event(
        Tag.Invigilator.COURSE_SUSPEND,
        actor=actor,
        session=course.candidate.session,
        candidate=course.candidate_id,
        reason=reason,
    )
    _notify(course.candidate, "suspended")
    return course


@transaction.atomic
def do_resume_course(course: CertificationCourse, *, actor: User) -> CertificationCourse:
    """« Reprendre ce test »: one suspended test goes on, its end moved by the time lost;
    refused while its room is still suspended (the session is resumed first)."""
    course = _locked_courses([course.candidate])[0]
    suspension = Suspension.objects.filter(course=course, ended_at=None).first()
    if suspension is None:
        raise e.NotSuspended
    if suspension.room_id is not None and open_room_suspension(course.candidate.session):
        raise e.SessionAlreadySuspended(
            _("La session est suspendue : reprenez d'abord la session.")
        )
    lost = _resume(course, suspension, actor=actor, now=timezone.now())
    record_event(
        Tag.Invigilator.COURSE_CONTINUE,
        actor=actor,
        session=course.candidate.session,
        candidate=course.candidate_id,
        seconds_lost=int(lost.total_seconds()),
    )
    _notify(course.candidate, "clock_resumed")
    return course


# --- Speaking to candidates (issue 15) --------------------------------------------------


@transaction.atomic
def do_send_message(
    session: ExamSession, *, text: str, actor: User, candidates: Sequence[Candidate] | None = None
) -> RoomMessage:
    """« Envoyer un message » to the whole room (`candidates=None`), a selection or one
    candidate: a banner on their page until they acknowledge it."""
    text = _incident_text(text)
    if candidates is not None and not candidates:
        raise e.NoSelection
    if not ExamSession.objects.filter(pk=session.pk, finalized_at=None).exists():
        raise e.CertificationSessionClosed
    to = list(candidates) if candidates is not None else list(session.candidates.all())
    if not to:  # a room without candidates: nobody to tell
        raise e.NoSelection
    message = RoomMessage.objects.create(
        session=session,
        text=text,
        to_everyone=candidates is None,
        sent_by=actor,
        sent_at=timezone.now(),
    )
    MessageReceipt.objects.bulk_create(
        MessageReceipt(message=message, candidate=candidate) for candidate in to
    )
    record_event(
        Tag.Invigilator.MESSAGE_SEND,
        actor=actor,
        session=session,
        message=message.pk,
        text=text,
        to_everyone=message.to_everyone,
        candidates=[candidate.pk for candidate in to],
    )
    groups = [candidate_group(candidate.pk) for candidate in to]
    publish_on_commit([*groups, session_group(session.pk)], {"type": "message", "op": "sent"})
    return message


@transaction.atomic
def do_read_message(candidate: Candidate, message_id: int, *, user: User) -> MessageReceipt:
    """The candidate acknowledges a message (« J'ai lu »); reading it again changes nothing."""
    receipt = (
        MessageReceipt.objects.select_for_update()
        .select_related("message")
        .filter(candidate=candidate, message_id=message_id)
        .first()
    )
    if receipt is None:
        raise e.UnknownMessage
    if receipt.read_at is None:
        receipt.read_at = timezone.now()
        receipt.save(update_fields=["read_at"])
        record_event(
            Tag.Candidate.MESSAGE_READ,
            actor=user,
            session=candidate.session,
            candidate=candidate.pk,
            message=message_id,
        )
        publish_on_commit(
            [session_group(candidate.session_id)],
            {"type": "message", "op": "read", "candidate_id": candidate.pk},
        )
    return receipt


# --- Recalibration ----------------------------------------------------------------------------


def do_write_bank_version(
    source: Path,
    target: Path,
    estimated: list[calibration.Estimated],
    *,
    operator: str,
    actor: User | None,
) -> tuple[int, dict[str, tuple[float, float]]]:
    """A new version of the bank in `target` (calibration.write_version: the running bank is
    never changed), audited with who applied it; the folder is removed again if the audit row
    cannot be written, so no version exists that the audit does not know."""
    if not any(e.a is not None for e in estimated):
        raise e.NothingToRecalibrate
    try:
        version, changed = calibration.write_version(source, target, estimated, operator=operator)
    except FileExistsError:
        raise e.BankVersionExists(str(target)) from None
    try:
        with transaction.atomic():
            record_event(
                Tag.System.BANK_RECALIBRATE,
                actor=actor,
                session=None,
                operator=operator,
                source=str(source),
                target=str(target),
                version=version,
                items=len(changed),
            )
    except Exception:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return version, changed


def do_apply_recalibration(
    *, expected: str, actor: User, min_answers: int | None = None
) -> tuple[int, Path, dict[str, tuple[float, float]]]:
    """The jury's « Appliquer »: the proposal is computed again and written only if it is the
    one the page showed (`expected`, calibration.fingerprint), as the next version of the
    running bank, in BANK_VERSIONS_DIR."""
    bank = engine.get_bank()
    source = Path(bank.directory)
    estimated = calibration.recalibrate(
        bank, min_answers=calibration.MIN_ANSWERS if min_answers is None else min_answers
    )
    if calibration.fingerprint(estimated) != expected:
        raise e.RecalibrationChanged
    target = Path(settings.BANK_VERSIONS_DIR) / f"v{bank_version(source) + 1}"
    target.parent.mkdir(parents=True, exist_ok=True)
    name = str(actor.get_full_name() or actor.email or actor.pk)
    version, changed = do_write_bank_version(source, target, estimated, operator=name, actor=actor)
    return version, target, changed
