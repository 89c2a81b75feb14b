"""Who may read a session's archived documents."""

from accounts.models import User
from accounts.permissions import Permission
from exams.access import (
    access_session_by_centre_member,
    access_session_by_jury,
    has_jury_permission,
)
from exams.models import ExamSession


def access_session_records(user: User, session_id: int) -> ExamSession:
    """A session whose archived documents the user may download: the jury (a finalized
    session) or a member of its centre; 404 for everyone else."""
    if has_jury_permission(user, Permission.JURY_SESSION_REVIEW):
        return access_session_by_jury(user, session_id, Permission.JURY_SESSION_REVIEW)
    return access_session_by_centre_member(user, session_id, Permission.CENTRE_DOCUMENT_DOWNLOAD)
