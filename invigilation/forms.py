from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib import issue_reports
from lib.errors import Refusal
from lib.freetext import FreeTextForm
from lib.text import has_control_characters, whole_number


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


ACTION_MAX_LENGTH = 500
MAX_QUESTION_NUMBER = 500


@dataclass(frozen=True)
class PvLine:
    """What makes a note a line of the PV: its category, the question (E…), the action."""

    code: str = ""
    question_number: int | None = None
    action_taken: str = ""


def clean_pv_line(code: str, question_number: object, action_taken: str) -> PvLine:
    """A note's category from the one catalogue, the question's number for a problem on a
    question (E…, required as on the paper PV), the action taken; a refusal in the
    invigilator's words otherwise. No category: a plain note (no number, no action)."""
    code = code.strip().upper()
    action = action_taken.strip()
    raw = str(question_number).strip() if question_number not in (None, "") else ""
    if not code:
        if raw or action:
            raise Refusal(message=_("Choisissez la catégorie de la ligne du PV."))
        return PvLine()
    known = issue_reports.get(code)
    if known is None:
        raise Refusal(message=_("Choisissez une catégorie de la liste (C1 à C8, E1 à E12)."))
    number = None
    if known.needs_question_number:
        number = whole_number(raw)
        if number is None or not 1 <= number <= MAX_QUESTION_NUMBER:
            raise Refusal(
                message=_(
                    "%(code)s : indiquez le numéro de la question concernée (entre 1 et %(max)s)."
                )
                % {"code": known.code, "max": MAX_QUESTION_NUMBER}
            )
    elif raw:
        raise Refusal(
            message=_("%(code)s ne concerne pas une question : laissez le numéro vide.")
            % {"code": known.code}
        )
    if len(action) > ACTION_MAX_LENGTH:
        raise Refusal(message=_("La mesure prise compte 500 caractères au maximum."))
    if has_control_characters(action, multiline=True):
        raise Refusal(message=_("La mesure prise contient des caractères non autorisés."))
    return PvLine(known.code, number, action)


class AddTimeForm(FreeTextForm, forms.Form):
    """« Ajouter du temps »: minutes (1 to 120) and the reason, shown in the end's breakdown."""

    minutes = forms.IntegerField(
        label=gettext_lazy("Minutes à ajouter"),
        min_value=1,
        max_value=120,
        error_messages={
            "required": gettext_lazy("Indiquez un nombre de minutes entre 1 et 120."),
            "invalid": gettext_lazy("Indiquez un nombre de minutes entre 1 et 120."),
            "min_value": gettext_lazy("Indiquez un nombre de minutes entre 1 et 120."),
            "max_value": gettext_lazy("Indiquez un nombre de minutes entre 1 et 120."),
        },
    )
    reason = forms.CharField(
        label=gettext_lazy("Motif"),
        max_length=200,
        error_messages={
            "required": gettext_lazy("Indiquez le motif (par exemple : coupure réseau)."),
            "max_length": gettext_lazy("Le motif doit tenir en 200 caractères."),
        },
    )


class ReasonForm(FreeTextForm, forms.Form):
    """« Suspendre ce test »: the reason goes to the PV."""

    reason = forms.CharField(
        label=gettext_lazy("Motif"),
        max_length=300,
        error_messages={
            "required": gettext_lazy("Indiquez le motif (par exemple : malaise)."),
            "max_length": gettext_lazy("Le motif doit tenir en 300 caractères."),
        },
    )


class RoomMessageForm(FreeTextForm, forms.Form):
    """« Suspendre la session » and « Envoyer un message »: words shown to the candidates."""

    text = forms.CharField(
        label=gettext_lazy("Message aux candidats"),
        max_length=300,
        error_messages={
            "required": gettext_lazy("Écrivez le message ou choisissez un message prêt."),
            "max_length": gettext_lazy("Le message doit tenir en 300 caractères."),
        },
    )


def form_error(form: forms.Form) -> Refusal:
    """The first error of a refused form, as a refusal (shown in its dialog)."""
    for errors in form.errors.values():
        return Refusal(message=str(errors[0]))
    return Refusal(message=_("Ce formulaire n'est pas valide."))


class MessageForm(FreeTextForm, forms.Form):
    """« Envoyer un message »: a ready-made message or free text (the free text wins)."""

    ready = forms.CharField(required=False, max_length=300)
    text = forms.CharField(
        label=gettext_lazy("Autre message"), required=False, max_length=300, strip=True
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        text = data.get("text") or data.get("ready") or ""
        if not str(text).strip():
            raise forms.ValidationError(
                gettext_lazy("Écrivez le message ou choisissez un message prêt.")
            )
        data["text"] = str(text).strip()
        return data
