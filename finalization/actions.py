"""Finalization by the centre and the archived documents: writes with side effects.

The finalization ends every test still running, stores the centre's reports, closes alerts
nobody decided on and archives the session's documents, all in one transaction.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from audit.events import record_event
from audit.tags import Tag
from certification.actions import close_suspensions
from certification.models import (
    AlertStatus,
    CertificationCourse,
    CertificationReport,
    CourseStatus,
    IssueReport,
    LiveAlert,
    RoomSuspension,
)
from exams.models import ExamSession
from finalization import errors, records, scans, validation
from finalization.models import IdentityCorrection, SessionRecord
from lib import issue_reports
from live.events import candidate_group, publish_on_commit, session_group

# --- Finalization by the centre ------------------------------------------------------------


@transaction.atomic
def do_finalize_session(
    session: ExamSession, data: validation.FinalizationInput, *, actor: User
) -> validation.ValidFinalization:
    """« Finaliser la session »: the centre's reports are stored, every test still running
    ends (`ended_due_to_finalization`, pushed to the candidate) and the session leaves
    `created`, so it can no longer be edited, joined nor invigilated."""
    # One finalization at a time: the second waits here, then finds finalized_at set.
    locked = ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    if locked is None or locked.finalized_at is not None:
        raise errors.AlreadyFinalized
    courses = list(
        CertificationCourse.objects.select_for_update()
        .filter(candidate__session=session)
        .select_related("candidate")
        .order_by("candidate__last_name_key", "candidate__first_name_key", "pk")
    )
    if not courses:
        raise errors.NoStartedTest
    valid = validation.validate(courses, data)
    now = timezone.now()
    updated = ExamSession.objects.filter(pk=session.pk, finalized_at__isnull=True).update(
        finalized_at=now,
        examiner_global_comment=valid.global_comment,
        has_incident=valid.has_incident,
        has_joining_issue=valid.has_joining_issue,
    )
    if not updated:
        raise errors.AlreadyFinalized
    for report in valid.reports:
        CertificationReport.objects.create(
            course=report.course,
            has_seen_end_screen=report.has_seen_end_screen,
            abort_reason=report.abort_reason,
            comment=report.comment,
        )
        for issue in report.issue_reports:
            created = IssueReport.objects.create(
                course=report.course,
                category=issue_reports.BY_CODE[issue.subcategory].category,
                subcategory=issue.subcategory,
                description=issue.description,
                question_number=issue.question_number,
                created_by=actor,
            )
            if issue.correction:
                IdentityCorrection.objects.create(report=created, changes=issue.correction)
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
    # A suspension still open ends with the session: its time counted, the room's closed.
    close_suspensions(running, now=now, actor=actor)
    RoomSuspension.objects.filter(session=session, ended_at=None).update(
        ended_at=now, ended_by=actor
    )
    record_event(
        Tag.Centre.SESSION_FINALIZE,
        actor=actor,
        session=session,
        tests=len(courses),
        ended=ended,
        issue_reports=sum(len(r.issue_reports) for r in valid.reports),
        has_incident=valid.has_incident,
        has_joining_issue=valid.has_joining_issue,
        global_comment=bool(valid.global_comment),
        identity_corrections=[
            {"candidate": r.course.candidate_id, "changes": i.correction}
            for r in valid.reports
            for i in r.issue_reports
            if i.correction
        ],
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
    # Every open Espace Surveillant re-reads its state, now refused: the session is closed.
    publish_on_commit([session_group(session.pk)], {"type": "session", "op": "closed"})
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
            Tag.Centre.ALERT_CLOSE,
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
    """The attendance sheet as lived, the PV, the timeline and a PV de fraude per fraud line
    of a finalized session, kept as PDFs with their SHA-256 until `records.retain_until`. Called by the finalization, in
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
        for kind, content in pdfs
    ]
    record_event(
        Tag.Centre.RECORDS_ARCHIVE,
        actor=actor,
        session=session,
        retain_until=facts.retain_until.isoformat(),
        records=[
            {"kind": record.kind, "sha256": record.sha256, "size": record.size}
            for record in created
        ],
    )
    return created


@transaction.atomic
def do_attach_scan(
    session: ExamSession, *, kind: str, name: str, data: bytes, actor: User
) -> SessionRecord:
    """A signed document scanned by the centre joins the archived records, with a hash, a
    size and the same retention date as the documents generated at finalization."""
    locked = ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    if locked is None or locked.finalized_at is None:
        raise errors.NotFinalized
    try:
        media_type = scans.check(kind, name, data)
    except scans.ScanRefused as refused:
        raise errors.ScanInvalid(refused.message) from refused
    record = SessionRecord.objects.create(
        session=session,
        kind=kind,
        content=data,
        media_type=media_type,
        sha256=records.sha256(data),
        size=len(data),
        created_at=timezone.now(),
        retain_until=records.retain_until(locked.finalized_at, locked.zone),
        uploaded_by=actor,
        original_name=name[: scans.MAX_NAME],
    )
    record_event(
        Tag.Centre.SCAN_ATTACH,
        actor=actor,
        session=session,
        record=record.pk,
        kind=kind,
        media_type=media_type,
        sha256=record.sha256,
        size=record.size,
        name=record.original_name,
        retain_until=record.retain_until.isoformat(),
    )
    return record


# A reason a reader of the audit can understand, not « x ».
MIN_REMOVAL_REASON = 5


@transaction.atomic
def do_remove_scan(
    session: ExamSession, record_id: int, *, reason: str, actor: User
) -> SessionRecord:
    """Removes a signed scan attached by mistake (the wrong file, another session's sheet):
    the centre may until the jury publishes the results, the moment the archived records
    become those the certificates rest on. Only scans, never a document generated at
    finalization. The file is deleted (it may hold another session's personal data); the
    audit row keeps what it was (kind, name, SHA-256, size), who removed it and why."""
    reason = " ".join(reason.split())
    if len(reason) < MIN_REMOVAL_REASON:
        raise errors.RemovalReasonMissing
    locked = ExamSession.objects.select_for_update().filter(pk=session.pk).first()
    if locked is None or locked.finalized_at is None:
        raise errors.NotFinalized
    if locked.published_at is not None:
        raise errors.ScanLocked
    # 404 for another session's record or a generated one: get_scan also reaches the PVs de
    # fraude (several per session, so by id), which are generated and never removed.
    record = records.get_scan(locked, record_id)
    if not record.is_scan:
        raise Http404
    deleted, _rows = SessionRecord.objects.filter(pk=record.pk).delete()
    if not deleted:  # removed by someone else meanwhile
        raise Http404
    record_event(
        Tag.Centre.SCAN_REMOVE,
        actor=actor,
        session=session,
        record=record_id,
        kind=record.kind,
        media_type=record.media_type,
        sha256=record.sha256,
        size=record.size,
        name=record.original_name,
        attached_at=record.created_at.isoformat(),
        reason=reason[:500],
    )
    return record


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
            Tag.System.RECORDS_PURGE,
            actor=None,
            session=item.session,
            retain_until=max(r.retain_until for r in item.records).isoformat(),
            records=[{"kind": r.kind, "sha256": r.sha256} for r in item.records],
        )
        purged.append(item)
    return purged
