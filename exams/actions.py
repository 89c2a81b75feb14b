"""Writes with side effects. Views and the API call these; nothing else writes sessions."""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Centre, User
from certification.models import (
    AlertStatus,
    CertificationCourse,
    CertificationReport,
    CourseStatus,
    IssueReport,
    LiveAlert,
)
from exams import finalization, records
from exams.audit import Tag, record_event
from exams.models import Candidate, ExamSession, SessionRecord
from lib.codes import generate_access_code, generate_invigilator_password, generate_session_number
from live.events import candidate_group, publish_on_commit, session_group

SESSION_FIELDS = [
    "site_name",
    "address",
    "room",
    "date",
    "time",
    "examiner",
    "description",
    "companion_required",
]


class SessionNotEditable(Exception):
    """The session left `created`: its planning and candidates are now evidence."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Cette session n'est plus modifiable : elle a été finalisée ou ses résultats sont en cours de traitement."
            )
        )


def _json_safe(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date | dt.time) else v for k, v in data.items()}


def _assert_editable(session: ExamSession) -> None:
    if not session.is_accessible:
        raise SessionNotEditable


def _create_session_row(centre: Centre, data: Mapping[str, Any], actor: User) -> ExamSession:
    # Numbers are random (not sequential ids), so a collision is possible but rare: retry.
    for _attempt in range(20):
        session = ExamSession(
            centre=centre,
            number=generate_session_number(),
            access_code=generate_access_code(),
            created_by=actor,
            **{field: data[field] for field in SESSION_FIELDS if field in data},
        )
        session.invigilator_password = generate_invigilator_password()
        try:
            with transaction.atomic():
                session.save()
        except IntegrityError:
            if ExamSession.objects.filter(number=session.number).exists():
                continue
            raise
        return session
    raise RuntimeError("Could not find a free session number")


@transaction.atomic
def do_create_session(centre: Centre, data: Mapping[str, Any], *, actor: User) -> ExamSession:
    session = _create_session_row(centre, data, actor)
    record_event(Tag.SESSION_CREATE, actor=actor, session=session, after=_json_safe(data))
    return session


@transaction.atomic
def do_update_session(session: ExamSession, data: Mapping[str, Any], *, actor: User) -> ExamSession:
    locked = ExamSession.objects.select_for_update().get(pk=session.pk)
    _assert_editable(locked)
    before = {field: getattr(locked, field) for field in SESSION_FIELDS}
    after = {field: data[field] for field in SESSION_FIELDS if field in data}
    for field, value in after.items():
        setattr(locked, field, value)
    locked.save(update_fields=list(after))
    changed = {k: v for k, v in after.items() if before[k] != v}
    if changed:
        record_event(
            Tag.SESSION_UPDATE,
            actor=actor,
            session=locked,
            before=_json_safe({k: before[k] for k in changed}),
            after=_json_safe(changed),
        )
    return locked


@transaction.atomic
def do_delete_session(session: ExamSession, *, actor: User) -> None:
    locked = ExamSession.objects.select_for_update().get(pk=session.pk)
    _assert_editable(locked)
    record_event(
        Tag.SESSION_DELETE,
        actor=actor,
        session=None,
        number=locked.number,
        centre=locked.centre_id,
        candidates=locked.candidates.count(),
    )
    locked.delete()


def _add_candidates(session: ExamSession, rows: Iterable[Mapping[str, Any]]) -> list[Candidate]:
    created = []
    for row in rows:
        candidate = Candidate(session=session, **row)
        candidate.save()
        created.append(candidate)
    return created


@transaction.atomic
def do_enrol_candidate(session: ExamSession, data: Mapping[str, Any], *, actor: User) -> Candidate:
    locked = ExamSession.objects.select_for_update().get(pk=session.pk)
    _assert_editable(locked)
    (candidate,) = _add_candidates(locked, [data])
    record_event(
        Tag.CANDIDATE_ENROL,
        actor=actor,
        session=locked,
        candidate=candidate.pk,
        after=_json_safe(data),
    )
    return candidate


@transaction.atomic
def do_update_candidate(candidate: Candidate, data: Mapping[str, Any], *, actor: User) -> Candidate:
    session = ExamSession.objects.select_for_update().get(pk=candidate.session_id)
    _assert_editable(session)
    # Re-read: a ModelForm bound to `candidate` has already copied the new values onto it.
    candidate = Candidate.objects.get(pk=candidate.pk)
    before = {k: getattr(candidate, k) for k in data}
    for field, value in data.items():
        setattr(candidate, field, value)
    candidate.save()
    changed = {k: v for k, v in data.items() if before[k] != v}
    if changed:
        record_event(
            Tag.CANDIDATE_UPDATE,
            actor=actor,
            session=session,
            candidate=candidate.pk,
            before=_json_safe({k: before[k] for k in changed}),
            after=_json_safe(changed),
        )
    return candidate


@transaction.atomic
def do_delete_candidate(candidate: Candidate, *, actor: User) -> None:
    session = ExamSession.objects.select_for_update().get(pk=candidate.session_id)
    _assert_editable(session)
    record_event(
        Tag.CANDIDATE_DELETE,
        actor=actor,
        session=session,
        candidate=candidate.pk,
        before={"name": str(candidate), "birthdate": candidate.birthdate.isoformat()},
    )
    candidate.delete()


@transaction.atomic
def do_import_candidates(
    session: ExamSession, rows: Sequence[Mapping[str, Any]], *, actor: User, filename: str
) -> list[Candidate]:
    """Adds every validated row or none: the caller validated them all beforehand."""
    locked = ExamSession.objects.select_for_update().get(pk=session.pk)
    _assert_editable(locked)
    created = _add_candidates(locked, rows)
    record_event(
        Tag.CANDIDATE_IMPORT, actor=actor, session=locked, filename=filename, count=len(created)
    )
    return created


@transaction.atomic
def do_import_sessions(
    centre: Centre,
    planned: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]],
    *,
    actor: User,
    filename: str,
) -> list[ExamSession]:
    """Creates every session with its candidates, or nothing."""
    sessions = []
    for session_data, candidate_rows in planned:
        session = _create_session_row(centre, session_data, actor)
        _add_candidates(session, candidate_rows)
        record_event(
            Tag.SESSION_IMPORT,
            actor=actor,
            session=session,
            filename=filename,
            after=_json_safe(session_data),
            candidates=len(candidate_rows),
        )
        sessions.append(session)
    return sessions


# --- Finalization by the centre ------------------------------------------------------------


@transaction.atomic
def do_finalize_session(
    session: ExamSession, data: finalization.FinalizationInput, *, actor: User
) -> finalization.ValidFinalization:
    """« Finaliser la session »: the centre's reports are stored, every test still running
    ends (`ended_due_to_finalization`, pushed to the candidate) and the session leaves
    `created`, so it can no longer be edited, joined nor invigilated."""
    # One finalization at a time: the second waits here, then finds finalized_at set.
    locked = ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    if locked is None or locked.finalized_at is not None:
        raise finalization.AlreadyFinalized
    courses = list(
        CertificationCourse.objects.select_for_update()
        .filter(candidate__session=session)
        .select_related("candidate")
        .order_by("candidate__last_name_key", "candidate__first_name_key", "pk")
    )
    if not courses:
        raise finalization.NoStartedTest
    valid = finalization.validate(courses, data)
    now = timezone.now()
    updated = ExamSession.objects.filter(pk=session.pk, finalized_at__isnull=True).update(
        finalized_at=now,
        examiner_global_comment=valid.global_comment,
        has_incident=valid.has_incident,
        has_joining_issue=valid.has_joining_issue,
    )
    if not updated:
        raise finalization.AlreadyFinalized
    for report in valid.reports:
        CertificationReport.objects.create(
            course=report.course,
            has_seen_end_screen=report.has_seen_end_screen,
            abort_reason=report.abort_reason,
            comment=report.comment,
        )
        for issue in report.issue_reports:
            IssueReport.objects.create(
                course=report.course,
                category=finalization.CATEGORY_OF[issue.subcategory],
                subcategory=issue.subcategory,
                description=issue.description,
                question_number=issue.question_number,
                created_by=actor,
            )
    closed = _close_ongoing_alerts(session, courses, actor=actor, now=now)
    running = [course for course in courses if course.status == CourseStatus.STARTED]
    ended = CertificationCourse.objects.filter(
        pk__in=[course.pk for course in running], status=CourseStatus.STARTED
    ).update(
        status=CourseStatus.ENDED_DUE_TO_FINALIZATION,
        ended_at=now,
        current_item_id="",
        run_token_hash="",
    )
    record_event(
        Tag.SESSION_FINALIZE,
        actor=actor,
        session=session,
        tests=len(courses),
        ended=ended,
        issue_reports=sum(len(r.issue_reports) for r in valid.reports),
        has_incident=valid.has_incident,
        has_joining_issue=valid.has_joining_issue,
        global_comment=bool(valid.global_comment),
        closed_alerts=closed,
    )
    for course in running:
        publish_on_commit(
            [candidate_group(course.candidate_id), session_group(session.pk)],
            {
                "type": "candidate",
                "op": "ended",
                "candidate_id": course.candidate_id,
                "status": CourseStatus.ENDED_DUE_TO_FINALIZATION.value,
            },
        )
    session.refresh_from_db()
    do_archive_session_records(session, actor=actor)
    return valid


def _close_ongoing_alerts(
    session: ExamSession, courses: list[CertificationCourse], *, actor: User, now: dt.datetime
) -> int:
    """Alerts nobody decided on would stay « en attente » forever: close them, each audited.

    Locked first: an invigilator's decision being written wins, and its alert is left out."""
    ongoing = list(
        LiveAlert.objects.select_for_update()
        .filter(course__in=courses, status=AlertStatus.ONGOING)
        .select_related("course")
        .order_by("created_at", "pk")
    )
    LiveAlert.objects.filter(pk__in=[alert.pk for alert in ongoing]).update(
        status=AlertStatus.CLOSED, resolved_at=now, resolved_by=actor
    )
    for alert in ongoing:
        candidate_id = alert.course.candidate_id
        record_event(
            Tag.ALERT_CLOSE,
            actor=actor,
            session=session,
            candidate=candidate_id,
            alert=alert.pk,
            kind=alert.kind,
            item=alert.item_id,
            question_number=alert.question_number,
        )
        publish_on_commit(
            [session_group(session.pk)],
            {"type": "candidate", "op": "alert_closed", "candidate_id": candidate_id},
        )
    return len(ongoing)


# --- Archived documents (« Documents archivés ») ---------------------------------------------


@transaction.atomic
def do_archive_session_records(session: ExamSession, *, actor: User | None) -> list[SessionRecord]:
    """The attendance sheet as lived, the PV and the timeline of a finalized session, kept
    as PDFs with their SHA-256 until `records.retain_until`. Called by the finalization, in
    its transaction: a finalized session always has its documents."""
    if session.finalized_at is None:
        raise ValueError("Only a finalized session has documents to archive.")
    now = timezone.now()
    facts, pdfs = records.build(session, now)
    created = [
        SessionRecord.objects.create(
            session=session,
            kind=kind,
            content=content,
            sha256=records.sha256(content),
            size=len(content),
            created_at=now,
            retain_until=facts.retain_until,
        )
        for kind, content in pdfs.items()
    ]
    record_event(
        Tag.RECORDS_ARCHIVE,
        actor=actor,
        session=session,
        retain_until=facts.retain_until.isoformat(),
        records=[
            {"kind": record.kind, "sha256": record.sha256, "size": record.size}
            for record in created
        ],
    )
    return created


@dataclass(frozen=True)
class Purged:
    session: ExamSession
    records: list[SessionRecord]


def expired_records(now: dt.datetime) -> list[SessionRecord]:
    """Records whose last day to keep is over in their centre's time zone."""
    # A centre's date is at most one day ahead of UTC (Pacific): narrow in SQL, decide here.
    horizon = now.astimezone(dt.UTC).date() + dt.timedelta(days=1)
    candidates = (
        SessionRecord.objects.filter(retain_until__lt=horizon)
        .select_related("session__centre")
        .defer("content")
        .order_by("session__number", "kind")
    )
    return [r for r in candidates if r.retain_until < timezone.localdate(now, r.session.zone)]


@transaction.atomic
def do_purge_records(*, now: dt.datetime, dry_run: bool = False) -> list[Purged]:
    """Deletes the archived documents past their retention date, one audit row per session.

    Running it again deletes nothing more; `dry_run` only says what would go."""
    by_session: dict[int, Purged] = {}
    for record in expired_records(now):
        by_session.setdefault(record.session_id, Purged(record.session, [])).records.append(record)
    if dry_run:
        return list(by_session.values())
    purged = []
    for item in by_session.values():
        deleted, _detail = SessionRecord.objects.filter(
            pk__in=[record.pk for record in item.records]
        ).delete()
        if not deleted:
            continue  # a purge running at the same time got there first
        record_event(
            Tag.RECORDS_PURGE,
            actor=None,
            session=item.session,
            retain_until=max(r.retain_until for r in item.records).isoformat(),
            records=[{"kind": r.kind, "sha256": r.sha256} for r in item.records],
        )
        purged.append(item)
    return purged
