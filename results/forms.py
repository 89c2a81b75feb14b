from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy

from accounts.models import Centre
from exams.models import ComplementaryCertification
from lib.freetext import FreeTextForm
from results import exports


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


class EstablishmentFilterForm(FreeTextForm, forms.Form):
    """The establishment's results (« Résultats de l'établissement »): which rows to show
    and export. Every field is optional; invalid values are reported, never ignored."""

    date_from = forms.DateField(
        label=gettext_lazy("Sessions du"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Saisissez une date valide (JJ/MM/AAAA).")},
    )
    date_to = forms.DateField(
        label=gettext_lazy("au"),
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Saisissez une date valide (JJ/MM/AAAA).")},
    )
    school_class = forms.CharField(
        label=gettext_lazy("Classe"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"list": "known-classes", "autocomplete": "off"}),
    )
    complementary_certification = forms.ChoiceField(
        label=gettext_lazy("Certification complémentaire"), required=False, choices=()
    )

    def __init__(self, *args: object, classes: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["complementary_certification"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", gettext_lazy("Toutes")),
            *[(v, label) for v, label in ComplementaryCertification.choices if v],
        ]
        self.classes = classes

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:  # type: ignore[operator]
            self.add_error("date_to", gettext_lazy("La date de fin précède la date de début."))
        return data


def establishment_filter(
    centre: Centre, query: QueryDict
) -> tuple[EstablishmentFilterForm, exports.EstablishmentFilter | None]:
    """The filter of the page, the export and the API, from the query string; None with the
    form's errors when a value is invalid."""
    form = EstablishmentFilterForm(query or None, classes=exports.establishment_classes(centre))
    if not query:
        return form, exports.EstablishmentFilter()
    if not form.is_valid():
        return form, None
    return form, exports.EstablishmentFilter(
        date_from=form.cleaned_data["date_from"],
        date_to=form.cleaned_data["date_to"],
        school_class=form.cleaned_data["school_class"],
        complementary_certification=form.cleaned_data["complementary_certification"],
    )
