"""Forms of the centre's archived records."""

from django import forms
from django.utils.translation import gettext_lazy

from lib.freetext import FreeTextForm


class ScanRemovalForm(FreeTextForm, forms.Form):
    """« Retirer ce document »: why (kept in the audit row)."""

    reason = forms.CharField(
        label=gettext_lazy("Motif du retrait"),
        max_length=500,
        help_text=gettext_lazy(
            "Par exemple : « feuille d'une autre session, ajoutée par erreur »."
        ),
    )
