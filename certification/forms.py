from django import forms
from django.utils.translation import gettext_lazy

from accounts.forms import person_name
from exams.forms import DATE_FORMATS
from lib.freetext import FreeTextForm


class JoinForm(FreeTextForm, forms.Form):
    session_number = forms.RegexField(
        label=gettext_lazy("Numéro de session"),
        regex=r"^\s*\d+\s*$",
        max_length=12,
        help_text=gettext_lazy("Communiqué uniquement par le surveillant en début de session"),
        error_messages={
            "invalid": gettext_lazy("Le numéro de session est composé uniquement de chiffres.")
        },
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    first_name = forms.CharField(label=gettext_lazy("Prénom"), max_length=100)
    last_name = forms.CharField(label=gettext_lazy("Nom de naissance"), max_length=100)
    birthdate = forms.DateField(
        label=gettext_lazy("Date de naissance"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Saisissez une date valide (JJ/MM/AAAA).")},
    )

    def clean_first_name(self) -> str:
        return person_name(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return person_name(self.cleaned_data["last_name"])


class InstructionsForm(FreeTextForm, forms.Form):
    accept = forms.BooleanField(
        label=gettext_lazy(
            "J'ai lu les règles de la certification et je m'engage à les respecter."
        ),
        error_messages={"required": gettext_lazy("Cochez la case pour continuer.")},
    )
