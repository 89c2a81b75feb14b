"""Audit trail. Tags follow `source:subject:action`; keep them alphabetized."""

from enum import StrEnum
from typing import Any

from accounts.models import User
from exams.models import AuditEvent, ExamSession


class Tag(StrEnum):
    ALERT_CREATE = "candidate:alert:create"
    ALERT_REFUSE = "invigilator:alert:refuse"
    ALERT_VALIDATE = "invigilator:alert:validate"
    CANDIDATE_DELETE = "centre:candidate:delete"
    CANDIDATE_ENROL = "centre:candidate:enrol"
    CANDIDATE_IMPORT = "centre:candidate:import"
    CANDIDATE_UPDATE = "centre:candidate:update"
    CANDIDATE_JOIN = "candidate:session:join"
    CENTRE_UPDATE = "centre:centre:update"
    COURSE_COMPLETE = "candidate:course:complete"
    COURSE_END = "invigilator:course:end"
    COURSE_RESUME = "candidate:course:resume"
    COURSE_START = "candidate:course:start"
    PRESENCE_CANCEL = "invigilator:presence:cancel"
    PRESENCE_CONFIRM = "invigilator:presence:confirm"
    RESUME_AUTHORIZE = "invigilator:resume:authorize"
    SESSION_CREATE = "centre:session:create"
    SESSION_DELETE = "centre:session:delete"
    SESSION_IMPORT = "centre:session:import"
    SESSION_UPDATE = "centre:session:update"


def record_event(
    tag: Tag, *, actor: User | None, session: ExamSession | None, **data: Any
) -> AuditEvent:
    return AuditEvent.objects.create(
        tag=tag,
        actor=actor,
        session=session,
        session_number=session.number if session else "",
        data=data,
    )
