"""Refusals of the jury's actions (French messages)."""

from django.utils.translation import gettext_lazy as _

from lib.errors import Refusal


class AlreadyPublished(Refusal):
    status, code = 409, "already_published"
    message = _("Les résultats de cette session sont déjà publiés.")


class NotPublished(Refusal):
    status, code = 409, "not_published"
    message = _("Les résultats de cette session ne sont pas publiés.")


class UnresolvedReports(Refusal):
    status, code = 409, "unresolved_reports"

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            _(
                "Publication impossible : des signalements impactants ne sont pas résolus "
                "pour %(names)s. Traitez-les d'abord."
            )
            % {"names": ", ".join(names)}
        )


class SessionPublished(Refusal):
    status, code = 409, "session_published"
    message = _(
        "Les résultats de cette session sont publiés : dépubliez-les avant de modifier un "
        "signalement."
    )


class AlreadyResolved(Refusal):
    status, code = 409, "already_resolved"

    def __init__(self, by: str | None = None) -> None:
        if by:
            super().__init__(_("Ce signalement a déjà été traité par %(by)s.") % {"by": by})
        else:
            super().__init__(_("Ce signalement a déjà été traité."))


class NotAboutAQuestion(Refusal):
    status, code = 400, "not_about_a_question"
    message = _(
        "Seul un signalement de problème sur une question (E1 à E12) peut neutraliser la "
        "question ou être rejeté ; résolvez celui-ci avec un commentaire."
    )


class QuestionAlreadyReplaced(Refusal):
    status, code = 409, "question_already_replaced"
    message = _(
        "La question signalée a été remplacée pendant la session : elle n'est déjà pas "
        "comptée. Résolvez le signalement avec un commentaire."
    )


class NoAnswerToNeutralize(Refusal):
    status, code = 409, "no_answer_to_neutralize"

    def __init__(self, number: int | None) -> None:
        super().__init__(
            _("Le candidat n'a pas répondu à la question n° %(n)s : il n'y a rien à neutraliser.")
            % {"n": number}
        )


class CommentRequired(Refusal):
    status, code = 400, "comment_required"
    message = _("Indiquez un commentaire pour résoudre le signalement.")


class NotJuryMember(Refusal):
    status, code = 400, "not_jury_member"
    message = _("Ce compte n'est pas membre du jury : la session ne peut pas lui être attribuée.")


class NoIdentityCorrection(Refusal):
    status, code = 400, "no_identity_correction"
    message = _(
        "Ce signalement ne porte pas de modification des informations du candidat : "
        "résolvez-le avec un commentaire."
    )


class CorrectionToDecide(Refusal):
    status, code = 400, "correction_to_decide"
    message = _(
        "Ce signalement porte une modification des informations du candidat : acceptez-la ou "
        "refusez-la."
    )


class CorrectionInvalid(Refusal):
    status, code = 409, "correction_invalid"

    def __init__(self, errors: list[str]) -> None:
        super().__init__(
            _("La modification ne peut pas être acceptée : %(errors)s")
            % {"errors": " ".join(errors)}
        )
