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
