"""What can go wrong on the candidate's side, with the messages of the seeds (French)."""

from django.utils.translation import gettext_lazy as _

from lib.errors import Refusal


class UnknownSession(Refusal):
    status, code = 404, "unknown_session"
    message = _(
        "Les informations saisies ne correspondent à aucun candidat inscrit à la session. "
        "Vérifiez le numéro de session."
    )


class NoMatchingCandidate(Refusal):
    status, code = 404, "no_matching_candidate"
    message = _(
        "Les informations saisies ne correspondent à aucun candidat inscrit à la session. "
        "Vérifiez auprès du surveillant la correspondance de vos informations personnelles "
        "avec la feuille d'émargement."
    )


class SessionNotAccessible(Refusal):
    status, code = 412, "session_not_accessible"
    message = _("La session que vous tentez de rejoindre n'est plus accessible.")


class CandidateLinkedToAnotherAccount(Refusal):
    status, code = 409, "candidate_linked_to_another_account"
    message = _(
        "Ce candidat est déjà rattaché à un autre compte Vigie. "
        "Connectez-vous avec le compte utilisé lors de votre inscription, ou prévenez votre surveillant."
    )


class AccountAlreadyInSession(Refusal):
    status, code = 409, "account_already_in_session"
    message = _(
        "Votre compte est déjà rattaché à un autre candidat de cette session. Prévenez votre surveillant."
    )


class NotCertifiable(Refusal):
    status, code = 403, "not_certifiable"
    message = _(
        "Votre profil n'est pas encore certifiable : il faut avoir atteint le niveau 1 "
        "dans au moins 5 compétences. Prévenez votre surveillant."
    )

    def __init__(self, sos_code: str = "") -> None:
        # Seed 004: the centre's « SOS élève non certifiable » campaign, given to the pupil.
        if sos_code:
            super().__init__(
                _(
                    "Votre profil n'est pas encore certifiable : il faut avoir atteint le "
                    "niveau 1 dans au moins 5 compétences. Vous ne pourrez pas passer votre "
                    "test de certification aujourd'hui. Votre établissement vous invite à "
                    "rejoindre sa campagne « SOS élève non certifiable » avec le code "
                    "%(code)s. Prévenez votre surveillant."
                )
                % {"code": sos_code}
            )
        else:
            super().__init__()


class IdentityProviderRequired(Refusal):
    status, code = 403, "identity_provider_required"
    message = _(
        "Votre centre de certification demande de vous connecter avec le compte de votre "
        "établissement (ENT, GAR) pour passer la certification. Déconnectez-vous, puis "
        "choisissez « Se connecter avec … » sur la page de connexion."
    )


class WrongAccessCode(Refusal):
    status, code = 404, "wrong_access_code"
    message = _("Ce code n'existe pas ou n'est plus valide.")


class TooManyJoinAttempts(Refusal):
    status, code = 429, "too_many_attempts"
    message = _(
        "Trop de tentatives pour rejoindre une session. Pour votre sécurité, réessayez dans 15 minutes."
    )


class TooManyAccessCodeAttempts(Refusal):
    status, code = 429, "too_many_attempts"
    message = _("Trop de codes d'accès erronés. Pour votre sécurité, réessayez dans 15 minutes.")


class NotAuthorizedToStart(Refusal):
    status, code = 403, "not_authorized_to_start"
    message = _(
        "Votre surveillant n'a pas confirmé votre présence dans la salle de test. "
        "Vous ne pouvez donc pas encore commencer votre test de certification. "
        "Merci de prévenir votre surveillant."
    )


class NotAuthorizedToResume(Refusal):
    status, code = 403, "not_authorized_to_resume"
    message = _(
        "Merci de contacter votre surveillant afin qu'il autorise la reprise de votre test."
    )


class CertificationSessionClosed(Refusal):
    status, code = 412, "certification_session_closed"
    message = _("La session de certification n'est plus accessible.")


class TestEnded(Refusal):
    status, code = 409, "test_ended"
    message = _("Votre test de certification est terminé.")


class StaleRun(Refusal):
    """This browser tab no longer holds the run: the test was resumed elsewhere or closed."""

    status, code = 409, "stale_run"
    message = NotAuthorizedToResume.message


class NotCurrentQuestion(Refusal):
    status, code = 409, "not_current_question"
    message = _("Cette question n'est pas la question en cours : la page va se mettre à jour.")


class AlreadyAnswered(Refusal):
    status, code = 409, "already_answered"
    message = _("Vous avez déjà répondu à cette question ; votre première réponse est conservée.")


class InvalidResponse(Refusal):
    status, code = 400, "invalid_response"
    message = _("Cette réponse n'est pas valide pour cette question.")


class TestPaused(Refusal):
    status, code = 409, "test_paused"
    message = _(
        "Votre test est en pause : votre surveillant doit d'abord traiter votre signalement."
    )


class AlreadyClaimed(Refusal):
    """Another invigilator said « Je m'en occupe » first, and the claim still holds."""

    status, code = 409, "already_claimed"

    def __init__(self, by: str | None) -> None:
        super().__init__(
            _("%(name)s s'occupe déjà de ce signalement.") % {"name": by}
            if by
            else _("Un autre surveillant s'occupe déjà de ce signalement.")
        )


class AlreadyHandled(Refusal):
    """Two invigilators acted at once: only the first action counts."""

    status, code = 409, "already_handled"

    def __init__(self, by: str | None = None, message: object | None = None) -> None:
        if message is None:
            message = (
                _("Cette action a déjà été traitée par %(name)s.") % {"name": by}
                if by
                else _("Cette action a déjà été traitée.")
            )
        super().__init__(message)


class InvalidReason(Refusal):
    status, code = 400, "invalid_reason"
    message = _("Sélectionnez un motif pour valider le signalement.")


class CompanionMissing(Refusal):
    status, code = 409, "companion_missing"
    message = _(
        "L'extension Vigie Companion n'est pas détectée. "
        "Merci de contacter votre surveillant afin qu'il confirme la présence de l'extension."
    )


# --- Incidents: time the invigilator controls (issue 15) ---------------------------------


class CourseSuspended(Refusal):
    status, code = 409, "test_suspended"
    message = _(
        "Épreuve suspendue : votre surveillant a arrêté le temps. "
        "Restez à votre place et attendez ses instructions."
    )


class SessionSuspended(Refusal):
    status, code = 409, "session_suspended"
    message = _(
        "La session est suspendue par le surveillant : aucun test ne peut commencer avant sa "
        "reprise."
    )


class AlreadySuspended(Refusal):
    status, code = 409, "already_suspended"
    message = _("Ce test est déjà suspendu.")


class SessionAlreadySuspended(Refusal):
    status, code = 409, "session_already_suspended"
    message = _("La session est déjà suspendue.")


class NotSuspended(Refusal):
    status, code = 409, "not_suspended"
    message = _("Ce test n'est pas suspendu.")


class SessionNotSuspended(Refusal):
    status, code = 409, "session_not_suspended"
    message = _("La session n'est pas suspendue.")


class NotRunning(Refusal):
    status, code = 409, "not_running"
    message = _("Ce test n'est pas en cours.")


class InvalidMinutes(Refusal):
    status, code = 400, "invalid_minutes"
    message = _("Indiquez un nombre entier de minutes entre 1 et 120.")


class InvalidIncidentText(Refusal):
    status, code = 400, "invalid_incident_text"
    message = _(
        "Indiquez le motif en 1 à 300 caractères, sans caractère de contrôle "
        "(il figurera au procès-verbal)."
    )


class NoSelection(Refusal):
    status, code = 400, "no_selection"
    message = _("Sélectionnez au moins un candidat de cette session.")


class UnknownMessage(Refusal):
    status, code = 404, "unknown_message"
    message = _("Ce message n'existe pas.")


class RecalibrationChanged(Refusal):
    status, code = 409, "recalibration_changed"
    message = _(
        "De nouvelles réponses ont changé les estimations depuis l'affichage de la "
        "proposition : rien n'a été écrit. Vérifiez la nouvelle proposition, puis appliquez-la."
    )


class NothingToRecalibrate(Refusal):
    status, code = 409, "nothing_to_recalibrate"
    message = _("Aucune question n'a assez de réponses pour être recalibrée : rien n'a été écrit.")


class BankVersionExists(Refusal):
    status, code = 409, "bank_version_exists"

    def __init__(self, folder: str) -> None:
        super().__init__(
            _(
                "Le dossier %(folder)s existe déjà : cette version de la banque a déjà été écrite. "
                "Rien n'a été écrit."
            )
            % {"folder": folder}
        )
