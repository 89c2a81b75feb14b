"""Audit trail. Tags follow `source:subject:action`; keep them alphabetized."""

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from exams.models import AuditEvent, ExamSession


class Tag(StrEnum):
    ALERT_CLOSE = "centre:alert:close"
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
    CERTIFICATES_ISSUE = "jury:certificates:issue"
    CERTIFICATES_WITHDRAW = "jury:certificates:withdraw"
    COURSE_COMPLETE = "candidate:course:complete"
    COURSE_END = "invigilator:course:end"
    COURSE_RESUME = "candidate:course:resume"
    COURSE_START = "candidate:course:start"
    JURY_ASSIGN = "jury:session:assign"
    JURY_PUBLISH = "jury:session:publish"
    JURY_REPORT_NEUTRALIZE = "jury:report:neutralize"
    JURY_REPORT_REJECT = "jury:report:reject"
    JURY_REPORT_RESOLVE = "jury:report:resolve"
    JURY_UNPUBLISH = "jury:session:unpublish"
    NOTE_ADD = "invigilator:note:add"
    PRESENCE_CANCEL = "invigilator:presence:cancel"
    PRESENCE_CONFIRM = "invigilator:presence:confirm"
    RECORDS_ARCHIVE = "centre:records:archive"
    RECORDS_PURGE = "system:records:purge"
    RESUME_AUTHORIZE = "invigilator:resume:authorize"
    SESSION_CREATE = "centre:session:create"
    SESSION_DELETE = "centre:session:delete"
    SESSION_FINALIZE = "centre:session:finalize"
    SESSION_IMPORT = "centre:session:import"
    SESSION_UPDATE = "centre:session:update"
    SUPERVISE = "invigilator:session:enter"


LABELS = {
    Tag.ALERT_CLOSE: _("Alerte close à la finalisation, sans décision du surveillant"),
    Tag.ALERT_CREATE: _("Problème signalé sur une question"),
    Tag.ALERT_REFUSE: _("Signalement refusé"),
    Tag.ALERT_VALIDATE: _("Signalement validé"),
    Tag.CANDIDATE_DELETE: _("Candidat désinscrit"),
    Tag.CANDIDATE_ENROL: _("Candidat inscrit"),
    Tag.CANDIDATE_IMPORT: _("Liste de candidats importée"),
    Tag.CANDIDATE_JOIN: _("Candidat a rejoint la session"),
    Tag.CANDIDATE_UPDATE: _("Candidat modifié"),
    Tag.CENTRE_UPDATE: _("Paramètres du centre modifiés"),
    Tag.CERTIFICATES_ISSUE: _("Certificats délivrés"),
    Tag.CERTIFICATES_WITHDRAW: _("Certificats retirés"),
    Tag.COMPANION_ALERT: _("Extension non détectée"),
    Tag.COMPANION_CLEAR: _("Présence de l'extension confirmée"),
    Tag.COURSE_COMPLETE: _("Test terminé par le candidat"),
    Tag.COURSE_END: _("Test terminé par le surveillant"),
    Tag.COURSE_RESUME: _("Test repris"),
    Tag.COURSE_START: _("Test commencé"),
    Tag.JURY_ASSIGN: _("Session attribuée à un membre du jury"),
    Tag.JURY_PUBLISH: _("Résultats publiés"),
    Tag.JURY_REPORT_NEUTRALIZE: _("Question neutralisée par le jury"),
    Tag.JURY_REPORT_REJECT: _("Signalement rejeté par le jury"),
    Tag.JURY_REPORT_RESOLVE: _("Signalement résolu par le jury"),
    Tag.JURY_UNPUBLISH: _("Résultats dépubliés"),
    Tag.NOTE_ADD: _("Note ajoutée au PV"),
    Tag.PRESENCE_CANCEL: _("Confirmation de présence annulée"),
    Tag.PRESENCE_CONFIRM: _("Présence confirmée"),
    Tag.RECORDS_ARCHIVE: _("Documents archivés"),
    Tag.RECORDS_PURGE: _("Documents archivés supprimés (durée de conservation écoulée)"),
    Tag.RESUME_AUTHORIZE: _("Reprise du test autorisée"),
    Tag.SESSION_CREATE: _("Session créée"),
    Tag.SESSION_DELETE: _("Session supprimée"),
    Tag.SESSION_FINALIZE: _("Session finalisée par le centre"),
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
