from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib.errors import Refusal
from lib.freetext import FreeTextForm
from lib.text import has_control_characters


class SuperviseForm(FreeTextForm, forms.Form):
    session_number = forms.CharField(
        label=gettext_lazy("Numéro de la session"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Mot de passe de la session"),
        max_length=40,
        help_text=gettext_lazy("Exemple : BCDF-GHJK-MNPQ (sur le kit surveillant)"),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )


NOTE_MAX_LENGTH = 2000


def clean_note_text(text: str) -> str:
    """A note's text, stripped; a refusal when it is empty, too long or holds control
    characters (the page's form and the API alike)."""
    text = text.strip()
    if not text or len(text) > NOTE_MAX_LENGTH:
        raise Refusal(message=_("La note doit contenir entre 1 et 2 000 caractères."))
    if has_control_characters(text, multiline=True):
        raise Refusal(message=_("La note contient des caractères non autorisés."))
    return text
