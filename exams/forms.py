import datetime as dt
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.forms import person_name
from exams.models import (
    IDENTITY_FIELDS,
    Candidate,
    ComplementaryCertification,
    ExamSession,
    name_key,
)
from lib.freetext import FreeTextForm

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"]
TIME_FORMATS = ["%H:%M", "%Hh%M", "%H:%M:%S", "%Hh"]
EARLIEST_BIRTHDATE = dt.date(1900, 1, 1)


# Control characters are refused by every form's fields (lib.freetext); HTML itself is
# harmless because every output escapes it. Spaces are collapsed as a person reads them.
def _clean_text(value: str) -> str:
    return " ".join(value.split())


class SessionForm(FreeTextForm, forms.ModelForm):
    date = forms.DateField(
        label=gettext_lazy("Date"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Saisissez une date valide (JJ/MM/AAAA).")},
    )
    time = forms.TimeField(
        label=gettext_lazy("Heure"),
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": gettext_lazy("Saisissez une heure valide (HH:MM).")},
    )

    class Meta:
        model = ExamSession
        fields = [
            "site_name",
            "address",
            "room",
            "date",
            "time",
            "examiner",
            "description",
            "companion_required",
        ]
        labels = {
            "site_name": gettext_lazy("Nom du site"),
            "address": gettext_lazy("Adresse"),
            "room": gettext_lazy("Salle"),
            "examiner": gettext_lazy("Surveillant(s)"),
            "description": gettext_lazy("Description"),
            "companion_required": gettext_lazy(
                "Extension Vigie Companion obligatoire pour les candidats"
            ),
        }
        help_texts = {
            "examiner": gettext_lazy("Séparez les noms par des virgules."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: object, today: dt.date | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.today = today or timezone.localdate()

    def clean_site_name(self) -> str:
        return _clean_text(self.cleaned_data["site_name"])

    def clean_room(self) -> str:
        return _clean_text(self.cleaned_data["room"])

    def clean_address(self) -> str:
        return _clean_text(self.cleaned_data["address"])

    def clean_examiner(self) -> str:
        return _clean_text(self.cleaned_data["examiner"])

    def clean_date(self) -> dt.date:
        date: dt.date = self.cleaned_data["date"]
        changed = self.instance.pk is None or date != self.instance.date
        if changed and date < self.today:
            raise forms.ValidationError(_("La date de la session ne peut pas être dans le passé."))
        if date > self.today + dt.timedelta(days=366 * 2):
            raise forms.ValidationError(_("La date de la session est dans plus de deux ans."))
        return date


class CandidateForm(FreeTextForm, forms.ModelForm):
    birthdate = forms.DateField(
        label=gettext_lazy("Date de naissance"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Saisissez une date valide (JJ/MM/AAAA).")},
    )
    extra_time_percentage = forms.IntegerField(
        label=gettext_lazy("Temps majoré (%)"),
        min_value=0,
        max_value=100,
        required=False,
        error_messages={
            "invalid": gettext_lazy("Saisissez un pourcentage entier entre 0 et 100."),
            "min_value": gettext_lazy("Saisissez un pourcentage entier entre 0 et 100."),
            "max_value": gettext_lazy("Saisissez un pourcentage entier entre 0 et 100."),
        },
    )

    class Meta:
        model = Candidate
        fields = [
            "first_name",
            "last_name",
            "birthdate",
            "sex",
            "birth_city",
            "birth_postal_code",
            "birth_country",
            "email",
            "result_recipient_email",
            "external_id",
            "school_class",
            "extra_time_percentage",
            "complementary_certification",
        ]
        labels = {
            "first_name": gettext_lazy("Prénom"),
            "last_name": gettext_lazy("Nom de naissance"),
            "sex": gettext_lazy("Sexe"),
            "birth_city": gettext_lazy("Commune de naissance"),
            "birth_postal_code": gettext_lazy("Code postal de naissance"),
            "birth_country": gettext_lazy("Pays de naissance"),
            "email": gettext_lazy("E-mail du candidat"),
            "result_recipient_email": gettext_lazy("E-mail du destinataire des résultats"),
            "external_id": gettext_lazy("Identifiant externe"),
            "school_class": gettext_lazy("Classe"),
            "complementary_certification": gettext_lazy("Certification complémentaire"),
        }

    def __init__(
        self,
        *args: object,
        session: ExamSession | None,
        identity_locked: str = "",
        **kwargs: object,
    ) -> None:
        """`identity_locked`: why the identity can no longer change (a test started); the
        page then shows those fields read-only, with the reason under the first one."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.session = session
        field = self.fields["complementary_certification"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = ComplementaryCertification.choices
        if identity_locked:
            for name in IDENTITY_FIELDS:
                self.fields[name].disabled = True
            self.fields[IDENTITY_FIELDS[0]].help_text = identity_locked

    def clean_first_name(self) -> str:
        return self._clean_name("first_name")

    def clean_last_name(self) -> str:
        return self._clean_name("last_name")

    def _clean_name(self, field: str) -> str:
        return person_name(_clean_text(self.cleaned_data[field]))

    def clean_school_class(self) -> str:
        return _clean_text(self.cleaned_data["school_class"])

    def clean_birth_city(self) -> str:
        return _clean_text(self.cleaned_data["birth_city"])

    def clean_birth_country(self) -> str:
        return _clean_text(self.cleaned_data["birth_country"]).upper() or "FRANCE"

    def clean_extra_time_percentage(self) -> int:
        return self.cleaned_data["extra_time_percentage"] or 0

    def clean_birthdate(self) -> dt.date:
        birthdate: dt.date = self.cleaned_data["birthdate"]
        if birthdate < EARLIEST_BIRTHDATE:
            raise forms.ValidationError(_("La date de naissance est trop ancienne."))
        if birthdate >= timezone.localdate():
            raise forms.ValidationError(_("La date de naissance doit être dans le passé."))
        return birthdate

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        country = data.get("birth_country")
        postal = (data.get("birth_postal_code") or "").strip()
        if country == "FRANCE" and not re.fullmatch(r"\d{5}|2[AB]\d{3}", postal):
            self.add_error(
                "birth_postal_code",
                _("Pour une naissance en France, saisissez le code postal (5 chiffres)."),
            )
        first, last, birthdate = (data.get(k) for k in ("first_name", "last_name", "birthdate"))
        # A session not yet created (bulk import) has no enrolled candidate to clash with.
        if first and last and birthdate and self.session is not None:
            duplicates = Candidate.objects.filter(
                session=self.session,
                first_name_key=name_key(str(first)),
                last_name_key=name_key(str(last)),
                birthdate=birthdate,
            ).exclude(pk=self.instance.pk)
            if duplicates.exists():
                raise forms.ValidationError(
                    _(
                        "Ce candidat est déjà inscrit à la session "
                        "(même nom, prénom et date de naissance)."
                    )
                )
        return data


class PlatformTokenForm(FreeTextForm, forms.Form):
    """« Créer un jeton »: the name the centre gives the platform (« ENT Pronote »)."""

    name = forms.CharField(
        label=gettext_lazy("Nom de la plateforme"),
        max_length=100,
        help_text=gettext_lazy(
            "Par exemple « ENT Pronote » : pour reconnaître ce jeton dans la liste."
        ),
    )

    def clean_name(self) -> str:
        name = _clean_text(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Indiquez le nom de la plateforme."))
        return name
