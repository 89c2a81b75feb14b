"""The invigilator's own actions: entering a session, notes, bulk end, who is watching.

Decisions about one candidate's test (confirm, resume, validate/refuse, end) live with the
test in certification/actions.py; the Espace Surveillant calls them after its access checks.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import ratelimit
from accounts.models import User
from audit.events import record_event
from audit.models import AuditEvent
from audit.tags import Tag
from certification.actions import do_confirm_presence, do_end_by_invigilator
from certification.errors import AlreadyHandled, NoSelection
from certification.models import CertificationCourse, CourseStatus
from exams.models import Candidate, ExamSession
from invigilation import errors as e
from invigilation.evidence import EVIDENCE_TAGS, evidence, pv_text
from invigilation.forms import PvLine
from invigilation.models import InvigilatorAccess, Note, RoomScreen, Watcher
from lib import issue_reports
from live.events import publish_on_commit, session_group

SUPERVISE_LIMIT = 10  # per account, in ratelimit.WINDOW (15 minutes)


def _session_event(session: ExamSession, op: str, **extra: object) -> None:
    publish_on_commit([session_group(session.pk)], {"type": "session", "op": op, **extra})


def do_supervise(user: User, *, number: str, password: str, ip: str | None) -> ExamSession:
    """« Surveiller la session »: number + password. Failures are counted per account (10 in
    15 minutes) and per address (a school's limit: every invigilator of a school shares its
    address, so one person's typing mistakes must not lock the others out)."""
    rules = [ratelimit.Rule(f"supervise:user:{user.pk}", SUPERVISE_LIMIT)]
    rules += ratelimit.per_address("supervise", ip)
    with ratelimit.attempt(
        rules, locked=e.TooManyAttempts(), failures=(e.UnknownSession, e.WrongSessionPassword)
    ):
        session = ExamSession.objects.select_related("centre").filter(number=number.strip()).first()
        if session is None:
            raise e.UnknownSession
        if not session.check_invigilator_password(password):
            raise e.WrongSessionPassword
    if not session.is_accessible:
        raise e.SessionNotSupervisable
    if timezone.now() >= session.supervision_ends_at:
        raise e.AccessExpired(session)
    with transaction.atomic():
        InvigilatorAccess.objects.create(
            session=session, user=user, via=InvigilatorAccess.Via.PASSWORD, ip_address=ip
        )
        record_event(
            Tag.Invigilator.SESSION_ENTER, actor=user, session=session, via="password", ip=ip
        )
    return session


@transaction.atomic
def do_enter_as_member(user: User, session: ExamSession, *, ip: str | None) -> None:
    """« Surveiller cette session »: a centre member enters without the password; recorded
    like an entry with it (the PV lists who entered). Opening the page records nothing."""
    if not session.is_accessible:
        raise e.SessionNotSupervisable
    InvigilatorAccess.objects.create(
        session=session, user=user, via=InvigilatorAccess.Via.MEMBERSHIP, ip_address=ip
    )
    record_event(
        Tag.Invigilator.SESSION_ENTER, actor=user, session=session, via="membership", ip=ip
    )


@transaction.atomic
def do_add_note(
    session: ExamSession,
    *,
    author: User,
    text: str,
    candidate: Candidate | None = None,
    line: PvLine | None = None,
) -> Note:
    """A note on the session or a candidate; with a category (`line`), a line of the PV the
    finalization pre-fills (a category is about one candidate)."""
    line = line or PvLine()
    if line.code and candidate is None:
        raise e.PvLineWithoutCandidate
    note = Note.objects.create(
        session=session,
        candidate=candidate,
        author=author,
        text=text,
        code=line.code,
        question_number=line.question_number,
        action_taken=line.action_taken,
    )
    record_event(
        Tag.Invigilator.NOTE_ADD,
        actor=author,
        session=session,
        candidate=candidate.pk if candidate else None,
        note=note.pk,
        code=line.code,
        question_number=line.question_number,
    )
    _session_event(session, "note")
    if candidate is not None and line.code:
        publish_on_commit(
            [session_group(session.pk)],
            {"type": "candidate", "op": "pv_line", "candidate_id": candidate.pk},
        )
    return note


@transaction.atomic
def do_evidence_to_pv(candidate: Candidate, event: AuditEvent, *, actor: User) -> Note:
    """« Ajouter au PV »: what Vigie saw becomes a line of the candidate's PV, with its
    category and question number. Two taps (two invigilators, a double tap on a bad
    network) make one line: the second gets the first's, and nothing is recorded again."""
    if event.tag not in EVIDENCE_TAGS or event.data.get("candidate") != candidate.pk:
        raise e.NotEvidence
    # One line per event: the candidate's row is locked so a second tap waits, then finds it.
    Candidate.objects.select_for_update().filter(pk=candidate.pk).first()
    existing = Note.objects.filter(evidence=event).first()
    if existing is not None:
        return existing
    item = evidence(event, candidate)
    note = Note.objects.create(
        session=candidate.session,
        candidate=candidate,
        author=actor,
        text=pv_text(item),
        code=item.code,
        question_number=item.question_number
        if issue_reports.BY_CODE[item.code].needs_question_number
        else None,
        evidence=event,
    )
    record_event(
        Tag.Invigilator.PV_LINE_ADD,
        actor=actor,
        session=candidate.session,
        candidate=candidate.pk,
        note=note.pk,
        evidence=event.pk,
        code=note.code,
        question_number=item.question_number,
    )
    publish_on_commit(
        [session_group(candidate.session_id)],
        {"type": "candidate", "op": "pv_line", "candidate_id": candidate.pk},
    )
    return note


def do_end_overtime(session: ExamSession, *, actor: User) -> int:
    """« Terminer les tests dont le temps est écoulé »: each course ends on its own (a test
    another invigilator ended meanwhile is skipped)."""
    now = timezone.now()
    running = CertificationCourse.objects.select_related("candidate__session").filter(
        candidate__session=session, status=CourseStatus.STARTED
    )
    # A suspended test's clock stands still: it is never « overdue » (its end moves with it).
    overdue = [course for course in running if not course.is_suspended and course.end_at(now) < now]
    if not overdue:
        raise e.NoCandidate
    ended = 0
    for course in overdue:
        try:
            do_end_by_invigilator(course, actor=actor)
            ended += 1
        except AlreadyHandled:
            continue
    return ended


@transaction.atomic
def do_watch(session: ExamSession, user: User, channel_name: str) -> None:
    Watcher.objects.update_or_create(
        channel_name=channel_name,
        defaults={"session": session, "user": user, "last_seen": timezone.now()},
    )
    _session_event(session, "watchers")


def do_touch(channel_name: str) -> None:
    Watcher.objects.filter(channel_name=channel_name).update(last_seen=timezone.now())


@transaction.atomic
def do_unwatch(channel_name: str) -> None:
    watcher = Watcher.objects.filter(channel_name=channel_name).select_related("session").first()
    if watcher is None:
        return
    session = watcher.session
    watcher.delete()
    _session_event(session, "watchers")


# --- A selection of candidates (issue 15): one confirmation, all or nothing -----------------


@transaction.atomic
def do_confirm_selection(candidates: list[Candidate], *, actor: User) -> int:
    """« Confirmer la présence » of a selection: those already confirmed or started are left
    as they are (confirming twice means nothing); the count of those confirmed now."""
    if not candidates:
        raise NoSelection
    confirmed = 0
    for candidate in candidates:
        try:
            do_confirm_presence(candidate, actor=actor)
        except AlreadyHandled:
            continue
        confirmed += 1
    return confirmed


@transaction.atomic
def do_end_selection(candidates: list[Candidate], *, actor: User) -> int:
    """« Terminer les tests » of a selection: all or nothing — a test not started, or ended
    meanwhile by another invigilator, refuses the whole selection and says whose (nothing is
    ended: the invigilator confirmed this list, not another)."""
    if not candidates:
        raise NoSelection
    courses = {
        course.candidate_id: course
        for course in CertificationCourse.objects.select_related("candidate__session").filter(
            candidate__in=candidates
        )
    }
    for candidate in candidates:
        course = courses.get(candidate.pk)
        if course is None:
            raise e.NotStarted(_("%(name)s n'a pas commencé son test.") % {"name": str(candidate)})
        try:
            do_end_by_invigilator(course, actor=actor)
        except AlreadyHandled:
            ender = course.ended_by
            by = f"{ender.first_name} {ender.last_name}".strip() if ender else ""
            raise AlreadyHandled(
                message=(
                    _("Le test de %(name)s a été terminé par %(by)s.")
                    % {"name": str(candidate), "by": by}
                    if by
                    else _("Le test de %(name)s est terminé.") % {"name": str(candidate)}
                )
            ) from None
    return len(candidates)


@transaction.atomic
def do_show_access_code(session: ExamSession, *, shown: bool, actor: User) -> bool:
    """« Afficher le code d'accès » on the room's screen (or hide it again). A conditional
    UPDATE: asked twice, or by two invigilators at once, it changes (and is audited) once.
    Returns whether it changed anything."""
    if not session.is_accessible:
        raise e.SessionNotSupervisable
    RoomScreen.objects.get_or_create(session=session)
    changed = RoomScreen.objects.filter(session=session, access_code_shown=not shown).update(
        access_code_shown=shown, changed_at=timezone.now(), changed_by=actor
    )
    if changed:
        tag = Tag.Invigilator.ACCESS_CODE_SHOW if shown else Tag.Invigilator.ACCESS_CODE_HIDE
        record_event(tag, actor=actor, session=session)
        _session_event(session, "screen")
    return bool(changed)
