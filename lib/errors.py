"""Refusals with a message for the person and an HTTP status for the API.

Every app raises these (or subclasses of `Refusal`); the pages show `message`, the API answers
`{"detail": message, "code": code}` with `status` (vigie/api.py).
"""

from django.forms import BaseForm
from django.utils.translation import gettext_lazy as _


class Refusal(Exception):
    """A refusal shown to the person; `status` is the HTTP status for the API."""

    status = 400
    code = "invalid"
    message = _("Une erreur a eu lieu. Merci de réessayer ultérieurement.")

    def __init__(self, message: object | None = None) -> None:
        if message is not None:
            self.message = message  # type: ignore[assignment]
        super().__init__(str(self.message))


class FormInvalid(Exception):
    """A form's errors, field by field (the API answers 400 with them)."""

    def __init__(self, form: BaseForm) -> None:
        self.message = _("Certaines informations sont invalides.")
        self.errors = {k: [str(m) for m in v] for k, v in form.errors.items()}


class ImportFailed(Exception):
    """A file refused as a whole, with one message per row and column."""

    def __init__(self, errors: list[str]) -> None:
        self.message = _("Le fichier n'a pas été importé")
        self.errors = errors
