"""Audit trail. Tags follow `source:subject:action`; keep them alphabetized."""

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

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
    COMPANION_ALERT = "candidate:companion:missing"
    COMPANION_CLEAR = "invigilator:companion:confirm"
    CENTRE_UPDATE = "centre:centre:update"
    COURSE_COMPLETE = "candidate:course:complete"
    COURSE_END = "invigilator:course:end"
    COURSE_RESUME = "candidate:course:resume"
    COURSE_START = "candidate:course:start"
    NOTE_ADD = "invigilator:note:add"
    PRESENCE_CANCEL = "invigilator:presence:cancel"
    PRESENCE_CONFIRM = "invigilator:presence:confirm"
    RESUME_AUTHORIZE = "invigilator:resume:authorize"
    SESSION_CREATE = "centre:session:create"
    SESSION_DELETE = "centre:session:delete"
    SESSION_IMPORT = "centre:session:import"
    SESSION_UPDATE = "centre:session:update"
    SUPERVISE = "invigilator:session:enter"


LABELS = {
    Tag.ALERT_CREATE: _("Problème signalé sur une question"),
    Tag.ALERT_REFUSE: _("Signalement refusé"),
    Tag.ALERT_VALIDATE: _("Signalement validé"),
    Tag.CANDIDATE_DELETE: _("Candidat désinscrit"),
    Tag.CANDIDATE_ENROL: _("Candidat inscrit"),
    Tag.CANDIDATE_IMPORT: _("Liste de candidats importée"),
    Tag.CANDIDATE_JOIN: _("Candidat a rejoint la session"),
    Tag.CANDIDATE_UPDATE: _("Candidat modifié"),
    Tag.CENTRE_UPDATE: _("Paramètres du centre modifiés"),
    Tag.COMPANION_ALERT: _("Extension non détectée"),
    Tag.COMPANION_CLEAR: _("Présence de l'extension confirmée"),
    Tag.COURSE_COMPLETE: _("Test terminé par le candidat"),
    Tag.COURSE_END: _("Test terminé par le surveillant"),
    Tag.COURSE_RESUME: _("Test repris"),
    Tag.COURSE_START: _("Test commencé"),
    Tag.NOTE_ADD: _("Note ajoutée au PV"),
    Tag.PRESENCE_CANCEL: _("Confirmation de présence annulée"),
    Tag.PRESENCE_CONFIRM: _("Présence confirmée"),
    Tag.RESUME_AUTHORIZE: _("Reprise du test autorisée"),
    Tag.SESSION_CREATE: _("Session créée"),
    Tag.SESSION_DELETE: _("Session supprimée"),
    Tag.SESSION_IMPORT: _("Session créée par import"),
    Tag.SESSION_UPDATE: _("Session modifiée"),
    Tag.SUPERVISE: _("Entrée dans l'Espace Surveillant"),
}


def label(tag: str) -> str:
    return str(LABELS.get(tag, tag))  # type: ignore[call-overload]


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
