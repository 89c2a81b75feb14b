from django import forms

from lib.freetext import FreeTextForm


class DecisionForm(FreeTextForm, forms.Form):
    """The jury's comment on a report (« Neutraliser », « Rejeter », « Résoudre »); what it
    must contain is the action's rule (jury/actions.py), what it may contain the form's."""

    comment = forms.CharField(required=False, strip=False, widget=forms.Textarea)
