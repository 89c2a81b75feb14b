import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class PixLikePasswordValidator:
    """Seed 003: « 8 caractères minimum, dont une majuscule, une minuscule et un chiffre »."""

    def validate(self, password: str, user: object = None) -> None:
        errors = []
        if len(password) < 8:
            errors.append(
                ValidationError(_("Le mot de passe doit contenir au moins 8 caractères."))
            )
        if not re.search(r"[A-ZÀ-Ý]", password):
            errors.append(ValidationError(_("Le mot de passe doit contenir une majuscule.")))
        if not re.search(r"[a-zß-ÿ]", password):
            errors.append(ValidationError(_("Le mot de passe doit contenir une minuscule.")))
        if not re.search(r"\d", password):
            errors.append(ValidationError(_("Le mot de passe doit contenir un chiffre.")))
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _("8 caractères minimum, dont une majuscule, une minuscule et un chiffre.")
