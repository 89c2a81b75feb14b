"""JSON API of the finalization and the archived documents; same access functions, validation
and actions as the pages."""

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from accounts.permissions import Permission
from accounts.request import request_user as _user
from exams.access import access_session_by_centre_member
from exams.models import ExamSession
from finalization import actions, records, validation
from finalization.access import access_session_records
from finalization.models import SessionRecord
from invigilation.history import session_history
from lib.freetext import Line, Lines
from lib.ids import Id

router = Router(tags=["finalization"])


# --- Finalization ------------------------------------------------------------------------


class IssueReportIn(Schema):
    subcategory: Line
    description: Lines = ""
    question_number: int | None = None
    # C1 only: the corrected identity (first_name, last_name, birthdate as AAAA-MM-JJ, sex,
    # birth_city, birth_postal_code, birth_country); fields left out stay as they are.
    correction: dict[str, str] | None = None


class CandidateReportIn(Schema):
    candidate_id: Id
    has_seen_end_screen: bool = False
    abort_reason: Line = ""
    comment: Lines = ""
    issue_reports: list[IssueReportIn] = []


class FinalizationIn(Schema):
    global_comment: Lines = ""
    has_incident: bool = False
    has_joining_issue: bool = False
    reports: list[CandidateReportIn] = []


class LiveReportOut(Schema):
    id: int
    category: str
    subcategory: str
    label: str
    question_number: int | None
    from_live_alert: bool


class PrefilledReportOut(Schema):
    subcategory: str
    description: str
    question_number: int | None


class LiveCandidateOut(Schema):
    candidate_id: int
    name: str
    status: str
    unfinished: bool
    answers: int
    focus_lost_answers: int
    timed_out_answers: int
    issue_reports: list[LiveReportOut]
    record: list[str]
    notes: str
    # What the page pre-fills: the PV d'incident's lines as reports, « Écran de fin de test
    # vu » (Vigie showed the candidate the end of the test).
    prefilled_reports: list[PrefilledReportOut]
    has_seen_end_screen: bool


class FinalizationOut(Schema):
    session_id: int
    status: str
    finalized_at: dt.datetime | None
    candidates: list[LiveCandidateOut]
    session_record: list[str]


def _finalization_out(session: ExamSession) -> dict[str, Any]:
    history = session_history(session)
    return {
        "session_id": session.pk,
        "status": session.status.value,
        "finalized_at": session.finalized_at,
        "candidates": [
            {
                "candidate_id": c.candidate_id,
                "name": str(c.candidate),
                "status": c.course.status,
                "unfinished": validation.is_unfinished(c.course),
                "answers": c.answered,
                "focus_lost_answers": c.focus_lost,
                "timed_out_answers": c.timed_out,
                "issue_reports": [
                    {
                        "id": r.pk,
                        "category": r.category,
                        "subcategory": r.subcategory,
                        "label": r.label,
                        "question_number": r.question_number,
                        "from_live_alert": r.live_alert_id is not None,
                    }
                    for r in c.issue_reports
                ],
                "record": [line.text for line in c.lines],
                "notes": validation.notes_text(c.lines),
                "prefilled_reports": [
                    {
                        "subcategory": i.subcategory,
                        "description": i.description,
                        "question_number": i.question_number,
                    }
                    for i in prefilled.issue_reports
                ],
                "has_seen_end_screen": prefilled.has_seen_end_screen,
            }
            for c in history.started
            for prefilled in [validation.prefilled(c)]
            if c.course is not None
        ],
        "session_record": [line.text for line in history.session_lines],
    }


@router.get(
    "/sessions/{session_id}/finalization",
    response=FinalizationOut,
    url_name="finalization_finalization_record",
)
def finalization_record(request: HttpRequest, session_id: Id) -> dict[str, Any]:
    """The live record that pre-fills « Finaliser la session »."""
    session = access_session_by_centre_member(
        _user(request), session_id, Permission.CENTRE_SESSION_FINALIZE
    )
    return _finalization_out(session)


@router.put(
    "/sessions/{session_id}/finalization",
    response=FinalizationOut,
    url_name="finalization_finalize_session",
)
def finalize_session(
    request: HttpRequest, session_id: Id, payload: FinalizationIn
) -> dict[str, Any]:
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_SESSION_FINALIZE)
    data = validation.FinalizationInput(
        global_comment=payload.global_comment,
        has_incident=payload.has_incident,
        has_joining_issue=payload.has_joining_issue,
        reports=[
            validation.CandidateReportInput(
                candidate_id=r.candidate_id,
                has_seen_end_screen=r.has_seen_end_screen,
                abort_reason=r.abort_reason,
                comment=r.comment,
                issue_reports=[
                    validation.IssueReportInput(
                        subcategory=i.subcategory,
                        description=i.description,
                        question_number=i.question_number,
                        correction=i.correction,
                    )
                    for i in r.issue_reports
                ],
            )
            for r in payload.reports
        ],
    )
    actions.do_finalize_session(session, data, actor=user)
    session.refresh_from_db()
    return _finalization_out(session)


# --- Archived documents ------------------------------------------------------------------


class RecordOut(Schema):
    id: int
    kind: str
    label: str
    filename: str
    size: int
    sha256: str
    created_at: dt.datetime
    retain_until: dt.date
    media_type: str
    scan: bool
    download_url: str


def _record_out(record: SessionRecord) -> dict[str, Any]:
    if record.by_id:
        url = reverse(
            "api:finalization_session_scan",
            kwargs={"session_id": record.session_id, "record_id": record.pk},
        )
    else:
        url = reverse(
            "api:finalization_session_record",
            kwargs={"session_id": record.session_id, "kind": record.kind},
        )
    return {
        "id": record.pk,
        "kind": record.kind,
        "label": str(record.get_kind_display()),
        "filename": record.filename,
        "size": record.size,
        "sha256": record.sha256,
        "created_at": record.created_at,
        "retain_until": record.retain_until,
        "media_type": record.media_type,
        "scan": record.is_scan,
        "download_url": url,
    }


@router.get(
    "/sessions/{session_id}/records",
    response=list[RecordOut],
    url_name="finalization_session_records",
)
def session_records(request: HttpRequest, session_id: Id) -> list[dict[str, Any]]:
    """The documents archived at finalization (centre members and the jury)."""
    session = access_session_records(_user(request), session_id)
    return [_record_out(record) for record in records.of_session(session)]


@router.get(
    "/sessions/{session_id}/records/{kind}",
    url_name="finalization_session_record",
    openapi_extra={
        "responses": {
            200: {
                "description": "Le PDF tel qu'archivé (ETag : son SHA-256)",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def session_record(request: HttpRequest, session_id: Id, kind: SessionRecord.Kind) -> HttpResponse:
    session = access_session_records(_user(request), session_id)
    return records.download(records.get(session, kind))


SCAN_KIND = Literal["emargement-signe", "pv-signe"]


@router.post(
    "/sessions/{session_id}/scans",
    response={201: RecordOut},
    url_name="finalization_attach_scan",
)
def attach_scan(
    request: HttpRequest, session_id: Id, kind: Form[SCAN_KIND], file: File[UploadedFile]
) -> Status[Any]:
    """Attaches a signed document (PDF, PNG or JPEG, recognized by its content) to a
    finalized session's archived records, kept until the same date as the others."""
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_SESSION_FINALIZE)
    data = file.read(settings.SCAN_MAX_BYTES + 1)
    record = actions.do_attach_scan(session, kind=kind, name=file.name or "", data=data, actor=user)
    return Status(201, _record_out(record))


class ScanRemovalIn(Schema):
    reason: Line


class ScanRemovedOut(Schema):
    detail: str
    sha256: str


@router.post(
    "/sessions/{session_id}/scans/{record_id}/removal",
    response=ScanRemovedOut,
    url_name="finalization_remove_scan",
)
def remove_scan(
    request: HttpRequest, session_id: Id, record_id: Id, payload: ScanRemovalIn
) -> dict[str, str]:
    """Removes a signed scan attached by mistake, with the reason (audited), until the jury
    publishes the session's results (409 after); never a generated document (404)."""
    user = _user(request)
    session = access_session_by_centre_member(user, session_id, Permission.CENTRE_SESSION_FINALIZE)
    record = actions.do_remove_scan(session, record_id, reason=payload.reason, actor=user)
    return {
        "detail": str(
            _("« %(label)s » a été retiré des documents archivés.")
            % {"label": record.get_kind_display()}
        ),
        "sha256": record.sha256,
    }


@router.get(
    "/sessions/{session_id}/scans/{record_id}",
    url_name="finalization_session_scan",
    openapi_extra={
        "responses": {
            200: {
                "description": "Le document signé tel qu'ajouté (ETag : son SHA-256)",
                "content": {
                    media: {"schema": {"type": "string", "format": "binary"}}
                    for media in ("application/pdf", "image/png", "image/jpeg")
                },
            }
        }
    },
)
def session_scan(request: HttpRequest, session_id: Id, record_id: Id) -> HttpResponse:
    session = access_session_records(_user(request), session_id)
    return records.download(records.get_scan(session, record_id))
