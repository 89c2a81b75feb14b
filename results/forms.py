from django import forms
from django.utils.translation import gettext_lazy

from lib.freetext import FreeTextForm


class VerifyForm(FreeTextForm, forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code de vérification"),
        max_length=20,
        help_text=gettext_lazy("Il figure sur le certificat, par exemple : V-BCDF2GHJK3"),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "class": "code",
            }
        ),
    )
