"""Refusals of the results pages and of the public verification (French messages)."""

from django.utils.translation import gettext_lazy as _

from lib.errors import Refusal


class UnknownCertificate(Refusal):
    status, code = 404, "unknown_certificate"
    message = _(
        "Aucun certificat ne correspond à ce code de vérification. Vérifiez le code saisi "
        "(il commence par « V- » et compte 10 caractères après le tiret)."
    )


class CertificateWithdrawn(Refusal):
    status, code = 410, "certificate_withdrawn"
    message = _(
        "Ce certificat a été retiré : ses résultats ne sont plus publiés. "
        "Il ne peut pas être considéré comme valide."
    )


class TooManyVerifications(Refusal):
    status, code = 429, "too_many_verifications"
    message = _(
        "Trop de vérifications depuis votre connexion. Pour des raisons de sécurité, "
        "réessayez dans 15 minutes."
    )


class UnknownItem(Refusal):
    """An answered question is no longer in the item bank: the result cannot be computed."""

    status, code = 409, "unknown_item"

    def __init__(self, item_id: str) -> None:
        super().__init__(
            _(
                "La question %(item)s n'existe plus dans la banque de questions : "
                "le résultat ne peut pas être calculé."
            )
            % {"item": item_id}
        )


class ResultsNotPublished(Refusal):
    status, code = 409, "results_not_published"
    message = _("Les résultats de cette session ne sont pas encore publiés.")
