from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from exams.models import ExamSession
from lib.errors import Refusal


class UnknownSession(Refusal):
    status, code = 404, "unknown_session"
    message = _("Aucune session ne porte ce numéro. Vérifiez le numéro de la session.")


class WrongSessionPassword(Refusal):
    status, code = 403, "wrong_password"
    message = _("Le mot de passe de la session est incorrect. Vérifiez-le sur le kit surveillant.")


class SessionNotSupervisable(Refusal):
    status, code = 412, "session_not_supervisable"
    message = _(
        "Cette session n'est plus accessible : elle a été finalisée ou ses résultats sont traités."
    )


class AccessExpired(Refusal):
    """An access by the session's password after `ExamSession.supervision_ends_at`."""

    status, code = 403, "invigilator_access_expired"

    def __init__(self, session: ExamSession) -> None:
        end = timezone.localtime(session.supervision_ends_at, session.zone)
        super().__init__(
            _(
                "Votre accès à l'Espace Surveillant de cette session a pris fin le %(date)s "
                "à %(time)s (heure du centre), le lendemain de la session. Un administrateur "
                "du centre peut toujours l'ouvrir depuis la page de la session."
            )
            % {"date": end.strftime("%d/%m/%Y"), "time": end.strftime("%H:%M")}
        )


class TooManyAttempts(Refusal):
    status, code = 429, "too_many_attempts"
    message = _(
        "Trop de tentatives de connexion à une session. Pour votre sécurité, réessayez dans 15 minutes."
    )


class NoCandidate(Refusal):
    status, code = 409, "nothing_to_do"
    message = _("Aucun test en cours n'a dépassé son heure de fin théorique.")


class NotStarted(Refusal):
    """An action on a candidate's test (end, suspend, resume) before the test exists."""

    message = _("Ce candidat n'a pas commencé son test.")


class NotEvidence(Refusal):
    """An audit event that is not something Vigie saw about this candidate's test."""

    status, code = 404, "not_evidence"
    message = _("Cet élément n'est pas un constat sur le test de ce candidat.")


class PvLineWithoutCandidate(Refusal):
    message = _(
        "Une ligne du PV avec une catégorie concerne un candidat : ajoutez-la depuis sa ligne."
    )
