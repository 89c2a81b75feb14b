"""What the centre can be refused when it finalizes a session."""

from django.utils.translation import gettext_lazy

from lib.errors import Refusal


class FinalizationInvalid(Refusal):
    status, code = 400, "finalization_invalid"
    message = gettext_lazy("La session n'a pas été finalisée : corrigez les erreurs signalées.")

    def __init__(self, errors: list[str]) -> None:
        super().__init__()
        self.errors = errors


class AlreadyFinalized(Refusal):
    status, code = 409, "already_finalized"
    message = gettext_lazy("Cette session a déjà été finalisée.")


class NoStartedTest(Refusal):
    status, code = 409, "no_started_test"
    message = gettext_lazy(
        "Aucun candidat n'a commencé son test : la session ne peut pas être finalisée."
    )


class NotFinalized(Refusal):
    status, code = 409, "not_finalized"
    message = gettext_lazy(
        "La session n'est pas finalisée : les documents signés s'ajoutent aux documents "
        "archivés à la finalisation."
    )


class ScanInvalid(Refusal):
    status, code = 400, "scan_invalid"


class ScanLocked(Refusal):
    """Once the jury has published the results, the archived records are those the
    certificates were issued on: nothing leaves them any more (seed 004: kept 5 years)."""

    status, code = 409, "scan_locked"
    message = gettext_lazy(
        "Les résultats de cette session sont publiés : ses documents archivés ne peuvent "
        "plus être retirés."
    )


class RemovalReasonMissing(Refusal):
    status, code = 400, "removal_reason_missing"
    message = gettext_lazy("Indiquez pourquoi ce document est retiré (au moins 5 caractères).")
