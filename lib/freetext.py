"""One rule for all free text a person sends into Vigie: no control characters.

PostgreSQL refuses a NUL (U+0000) anywhere in a text value — in a row and in a WHERE clause
alike — so a NUL typed (or sent) into any field ended as a server error; a lone surrogate
(« \\ud800 », valid JSON) cannot even be encoded for the database. The other control
characters corrupt the printed documents (kit, PV, certificates) and the exports. Tab is text
everywhere; line breaks only in multi-line fields (comments, notes, descriptions).

The rule is applied where text enters, by type, never by a check in a view:
- pages: every form derives from `FreeTextForm`, which puts the rule on each of its
  `CharField`s (multi-line when its widget is a `Textarea`);
- API: every string of an input schema, path or query is `Line` or `Lines` (a pydantic
  type), so the request is refused with 422 before the view runs.
tests/test_free_text.py sweeps every form and every API operation to show none forgets it.
"""

from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from lib.text import has_control_characters

CODE = "control_characters"
MESSAGE = gettext_lazy(
    "Ce texte contient un caractère invisible non autorisé (caractère de contrôle, "
    "par exemple un caractère nul) : retirez-le puis réessayez."
)


def validate_line(value: str) -> None:
    """The rule for a one-line field (a name, a number, a code): tab only."""
    if has_control_characters(value):
        raise ValidationError(MESSAGE, code=CODE)


def validate_lines(value: str) -> None:
    """The rule for a multi-line field (a comment): tab and line breaks."""
    if has_control_characters(value, multiline=True):
        raise ValidationError(MESSAGE, code=CODE)


class FreeTextForm(forms.BaseForm):
    """Base of every form of Vigie (mixed in first): each CharField gets the rule."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                multiline = isinstance(field.widget, forms.Textarea)
                rule = validate_lines if multiline else validate_line
                if rule not in field.validators:
                    field.validators.append(rule)


def _pydantic(rule: Any) -> AfterValidator:
    def check(value: str) -> str:
        try:
            rule(value)
        except ValidationError:
            # Translated when the request is validated, in the request's language.
            raise PydanticCustomError(CODE, str(MESSAGE)) from None
        return value

    return AfterValidator(check)


Line = Annotated[str, _pydantic(validate_line)]
Lines = Annotated[str, _pydantic(validate_lines)]
