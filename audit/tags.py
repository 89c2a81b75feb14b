"""Audit tags, grouped by who acts (the source). Values follow `source:subject:action` and
are stored: never change one. Keep each group alphabetized."""

from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Tag:
    class Candidate(StrEnum):
        ALERT_CREATE = "candidate:alert:create"
        COMPANION_CHECK = "candidate:companion:check"
        COMPANION_MISSING = "candidate:companion:missing"
        COURSE_COMPLETE = "candidate:course:complete"
        COURSE_RESUME = "candidate:course:resume"
        COURSE_START = "candidate:course:start"
        FOCUS_LEAVE = "candidate:focus:leave"
        MESSAGE_READ = "candidate:message:read"
        QUESTION_TIMEOUT = "candidate:question:timeout"
        SESSION_JOIN = "candidate:session:join"

    class Centre(StrEnum):
        ALERT_CLOSE = "centre:alert:close"
        CANDIDATE_DELETE = "centre:candidate:delete"
        CANDIDATE_ENROL = "centre:candidate:enrol"
        CANDIDATE_IMPORT = "centre:candidate:import"
        CANDIDATE_UPDATE = "centre:candidate:update"
        CENTRE_UPDATE = "centre:centre:update"
        LEVELS_RECORD = "centre:levels:record"
        RECORDS_ARCHIVE = "centre:records:archive"
        SCAN_ATTACH = "centre:scan:attach"
        SCAN_REMOVE = "centre:scan:remove"
        SESSION_CREATE = "centre:session:create"
        SESSION_DELETE = "centre:session:delete"
        SESSION_FINALIZE = "centre:session:finalize"
        SESSION_IMPORT = "centre:session:import"
        SESSION_UPDATE = "centre:session:update"

    class Invigilator(StrEnum):
        ACCESS_CODE_HIDE = "invigilator:access-code:hide"
        ACCESS_CODE_SHOW = "invigilator:access-code:show"
        ALERT_CLAIM = "invigilator:alert:claim"
        ALERT_REFUSE = "invigilator:alert:refuse"
        ALERT_VALIDATE = "invigilator:alert:validate"
        COMPANION_CONFIRM = "invigilator:companion:confirm"
        COURSE_CONTINUE = "invigilator:course:continue"
        COURSE_END = "invigilator:course:end"
        COURSE_SUSPEND = "invigilator:course:suspend"
        MESSAGE_SEND = "invigilator:message:send"
        NOTE_ADD = "invigilator:note:add"
        PRESENCE_CANCEL = "invigilator:presence:cancel"
        PRESENCE_CONFIRM = "invigilator:presence:confirm"
        PV_LINE_ADD = "invigilator:pv-line:add"
        RESUME_AUTHORIZE = "invigilator:resume:authorize"
        SESSION_ENTER = "invigilator:session:enter"
        SESSION_RESUME = "invigilator:session:resume"
        SESSION_SUSPEND = "invigilator:session:suspend"
        TIME_ADD = "invigilator:time:add"

    class Jury(StrEnum):
        CERTIFICATES_ISSUE = "jury:certificates:issue"
        CERTIFICATES_WITHDRAW = "jury:certificates:withdraw"
        IDENTITY_CORRECT = "jury:identity:correct"
        IDENTITY_REFUSE = "jury:identity:refuse"
        REPORT_NEUTRALIZE = "jury:report:neutralize"
        REPORT_REJECT = "jury:report:reject"
        REPORT_RESOLVE = "jury:report:resolve"
        SESSION_ASSIGN = "jury:session:assign"
        SESSION_PUBLISH = "jury:session:publish"
        SESSION_UNPUBLISH = "jury:session:unpublish"

    class Person(StrEnum):
        """Anyone acting on their own account, before any role."""

        ACCOUNT_CREATE = "person:account:create"
        IDENTITY_CREATE = "person:identity:create"
        IDENTITY_LINK = "person:identity:link"
        IDENTITY_SIGN_IN = "person:identity:sign-in"
        IDENTITY_UNLINK = "person:identity:unlink"
        ROLE_GRANT = "person:role:grant"
        ROLE_REFUSE = "person:role:refuse"
        SIGN_IN_REFUSE = "person:sign-in:refuse"

    class System(StrEnum):
        ACCOUNT_ANONYMIZE = "system:account:anonymize"
        ACCOUNT_DELETE = "system:account:delete"
        ACCOUNT_WARN = "system:account:warn"
        BANK_RECALIBRATE = "system:bank:recalibrate"
        PLATFORM_ACCESS_GRANT = "system:platform-access:grant"
        PLATFORM_ACCESS_REVOKE = "system:platform-access:revoke"
        RECORDS_PURGE = "system:records:purge"


AnyTag = Tag.Candidate | Tag.Centre | Tag.Invigilator | Tag.Jury | Tag.Person | Tag.System

LABELS: dict[str, Promise] = {
    Tag.Candidate.ALERT_CREATE: _("Problème signalé sur une question"),
    Tag.Candidate.COMPANION_CHECK: _("Extension vérifiée avant le test"),
    Tag.Candidate.COMPANION_MISSING: _("Extension non détectée"),
    Tag.Candidate.COURSE_COMPLETE: _("Test terminé par le candidat"),
    Tag.Candidate.COURSE_RESUME: _("Test repris"),
    Tag.Candidate.COURSE_START: _("Test commencé"),
    Tag.Candidate.FOCUS_LEAVE: _("Sortie du cadre d'une question en mode focus"),
    Tag.Candidate.MESSAGE_READ: _("Message du surveillant lu"),
    Tag.Candidate.QUESTION_TIMEOUT: _("Temps écoulé sur une question chronométrée"),
    Tag.Candidate.SESSION_JOIN: _("Candidat a rejoint la session"),
    Tag.Centre.ALERT_CLOSE: _("Alerte close à la finalisation, sans décision du surveillant"),
    Tag.Centre.CANDIDATE_DELETE: _("Candidat désinscrit"),
    Tag.Centre.CANDIDATE_ENROL: _("Candidat inscrit"),
    Tag.Centre.CANDIDATE_IMPORT: _("Liste de candidats importée"),
    Tag.Centre.CANDIDATE_UPDATE: _("Candidat modifié"),
    Tag.Centre.CENTRE_UPDATE: _("Paramètres du centre modifiés"),
    Tag.Centre.LEVELS_RECORD: _("Niveaux de compétence des élèves enregistrés"),
    Tag.Centre.RECORDS_ARCHIVE: _("Documents archivés"),
    Tag.Centre.SCAN_ATTACH: _("Document signé ajouté aux documents archivés"),
    Tag.Centre.SCAN_REMOVE: _("Document signé retiré des documents archivés"),
    Tag.Centre.SESSION_CREATE: _("Session créée"),
    Tag.Centre.SESSION_DELETE: _("Session supprimée"),
    Tag.Centre.SESSION_FINALIZE: _("Session finalisée par le centre"),
    Tag.Centre.SESSION_IMPORT: _("Session créée par import"),
    Tag.Centre.SESSION_UPDATE: _("Session modifiée"),
    Tag.Invigilator.ACCESS_CODE_HIDE: _("Code d'accès masqué sur l'affichage salle"),
    Tag.Invigilator.ACCESS_CODE_SHOW: _("Code d'accès affiché sur l'affichage salle"),
    Tag.Invigilator.ALERT_CLAIM: _("Alerte prise en charge"),
    Tag.Invigilator.ALERT_REFUSE: _("Signalement refusé"),
    Tag.Invigilator.ALERT_VALIDATE: _("Signalement validé"),
    Tag.Invigilator.COMPANION_CONFIRM: _("Présence de l'extension confirmée"),
    Tag.Invigilator.COURSE_CONTINUE: _("Test repris après sa suspension"),
    Tag.Invigilator.COURSE_END: _("Test terminé par le surveillant"),
    Tag.Invigilator.COURSE_SUSPEND: _("Test suspendu par le surveillant"),
    Tag.Invigilator.MESSAGE_SEND: _("Message envoyé aux candidats"),
    Tag.Invigilator.NOTE_ADD: _("Note ajoutée au PV"),
    Tag.Invigilator.PRESENCE_CANCEL: _("Confirmation de présence annulée"),
    Tag.Invigilator.PRESENCE_CONFIRM: _("Présence confirmée"),
    Tag.Invigilator.PV_LINE_ADD: _("Constat ajouté au PV d'incident"),
    Tag.Invigilator.RESUME_AUTHORIZE: _("Reprise du test autorisée"),
    Tag.Invigilator.SESSION_ENTER: _("Entrée dans l'Espace Surveillant"),
    Tag.Invigilator.SESSION_RESUME: _("Session reprise"),
    Tag.Invigilator.SESSION_SUSPEND: _("Session suspendue"),
    Tag.Invigilator.TIME_ADD: _("Temps ajouté"),
    Tag.Jury.CERTIFICATES_ISSUE: _("Certificats délivrés"),
    Tag.Jury.CERTIFICATES_WITHDRAW: _("Certificats retirés"),
    Tag.Jury.IDENTITY_CORRECT: _("Informations du candidat modifiées par le jury"),
    Tag.Jury.IDENTITY_REFUSE: _("Modification des informations du candidat refusée"),
    Tag.Jury.REPORT_NEUTRALIZE: _("Question neutralisée par le jury"),
    Tag.Jury.REPORT_REJECT: _("Signalement rejeté par le jury"),
    Tag.Jury.REPORT_RESOLVE: _("Signalement résolu par le jury"),
    Tag.Jury.SESSION_ASSIGN: _("Session attribuée à un membre du jury"),
    Tag.Jury.SESSION_PUBLISH: _("Résultats publiés"),
    Tag.Jury.SESSION_UNPUBLISH: _("Résultats dépubliés"),
    Tag.Person.ACCOUNT_CREATE: _("Compte créé (conditions d'utilisation acceptées)"),
    Tag.Person.IDENTITY_CREATE: _("Compte créé à la connexion par un fournisseur d'identité"),
    Tag.Person.IDENTITY_LINK: _("Compte lié à un fournisseur d'identité"),
    Tag.Person.IDENTITY_SIGN_IN: _("Connexion par un fournisseur d'identité"),
    Tag.Person.IDENTITY_UNLINK: _("Lien avec un fournisseur d'identité retiré"),
    Tag.Person.ROLE_GRANT: _("Rôle accordé par un fournisseur d'identité"),
    Tag.Person.ROLE_REFUSE: _("Rôle refusé : ce fournisseur d'identité ne peut pas l'accorder"),
    Tag.Person.SIGN_IN_REFUSE: _("Connexion par un fournisseur d'identité refusée"),
    Tag.System.ACCOUNT_ANONYMIZE: _("Compte inutilisé depuis 5 ans anonymisé"),
    Tag.System.ACCOUNT_DELETE: _("Compte inutilisé depuis 5 ans supprimé"),
    Tag.System.ACCOUNT_WARN: _("Compte inutilisé depuis 5 ans : titulaire prévenu"),
    Tag.System.BANK_RECALIBRATE: _("Nouvelle version de la banque de questions (recalibration)"),
    Tag.System.PLATFORM_ACCESS_GRANT: _("Jeton de plateforme créé"),
    Tag.System.PLATFORM_ACCESS_REVOKE: _("Jeton de plateforme révoqué"),
    Tag.System.RECORDS_PURGE: _("Documents archivés supprimés (durée de conservation écoulée)"),
}
