from django import forms
from django.utils.translation import gettext_lazy

from lib.freetext import FreeTextForm


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
