"""Competence levels a centre (or its pupils' learning platform) sends for its pupils, by a
spreadsheet (.ods/.csv, all or nothing, errors by row and column like the candidate import)
or through the API; and the eligibility they give (seed 004: level ≥ 1 in at least 5 of the
16 competences).

One row per pupil and competence: the pupil's identifier (e-mail or the « identifiant
externe » of their candidate lines), optionally their names and class, the competence
(« 1.1 »…« 5.2 »), the level (0–8) and the day it was reached.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exams.forms import DATE_FORMATS, _clean_text
from exams.imports import Column, _form_errors, _map_columns, _template_headers, _values
from lib.framework import (
    CERTIFIABLE_MIN_COMPETENCES,
    CERTIFIABLE_MIN_LEVEL,
    COMPETENCE_CODES,
    MAX_LEVEL,
)
from lib.freetext import FreeTextForm
from lib.spreadsheets import SpreadsheetError, read_table

LEVEL_COLUMNS = [
    Column("key", "Élève (e-mail ou identifiant externe)", True, ("Élève", "Student", "E-mail")),
    Column("last_name", "Nom de naissance", False, ("Nom", "Last name")),
    Column("first_name", "Prénom", False, ("First name",)),
    Column("school_class", "Classe", False, ("Class",)),
    Column("competence", "Compétence", True, ("Competence",)),
    Column("level", "Niveau", True, ("Level",)),
    Column("reached_on", "Atteint le (JJ/MM/AAAA)", True, ("Date", "Reached on")),
]
EARLIEST = dt.date(2000, 1, 1)


@dataclass(frozen=True)
class Eligibility:
    """« 4 / 5 »: competences at level ≥ 1, out of the 5 needed."""

    reached: int
    needed: int = CERTIFIABLE_MIN_COMPETENCES

    @property
    def certifiable(self) -> bool:
        return self.reached >= self.needed

    def __bool__(self) -> bool:
        return self.certifiable

    def __str__(self) -> str:
        return f"{self.reached} / {self.needed}"


def eligibility(levels: Iterable[Mapping[str, int]]) -> Eligibility:
    """From one or more sources of levels (the account's, the centre's): the best level of
    each competence counts."""
    best: dict[str, int] = {}
    for source in levels:
        for competence, level in source.items():
            best[competence] = max(level, best.get(competence, 0))
    return Eligibility(sum(1 for level in best.values() if level >= CERTIFIABLE_MIN_LEVEL))


class StudentLevelForm(FreeTextForm, forms.Form):
    key = forms.CharField(max_length=254)
    last_name = forms.CharField(max_length=100, required=False)
    first_name = forms.CharField(max_length=100, required=False)
    school_class = forms.CharField(max_length=40, required=False)
    competence = forms.CharField(max_length=10)
    level = forms.IntegerField(
        min_value=0,
        max_value=MAX_LEVEL,
        error_messages={
            "invalid": gettext_lazy("Saisissez un niveau entier entre 0 et 8."),
            "min_value": gettext_lazy("Saisissez un niveau entier entre 0 et 8."),
            "max_value": gettext_lazy("Saisissez un niveau entier entre 0 et 8."),
        },
    )
    reached_on = forms.DateField(
        input_formats=DATE_FORMATS,
        error_messages={"invalid": gettext_lazy("Saisissez une date valide (JJ/MM/AAAA).")},
    )

    def clean_key(self) -> str:
        key = _clean_text(self.cleaned_data["key"]).lower()
        if not key:
            raise forms.ValidationError(_("Ce champ est obligatoire."))
        return key

    def clean_last_name(self) -> str:
        return _clean_text(self.cleaned_data["last_name"])

    def clean_first_name(self) -> str:
        return _clean_text(self.cleaned_data["first_name"])

    def clean_school_class(self) -> str:
        return _clean_text(self.cleaned_data["school_class"])

    def clean_competence(self) -> str:
        code = str(self.cleaned_data["competence"]).strip().replace(",", ".")
        if code not in COMPETENCE_CODES:
            raise forms.ValidationError(
                _("Compétence inconnue : « %(code)s » (de 1.1 à 5.2).") % {"code": code}
            )
        return code

    def clean_reached_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["reached_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("La date ne peut pas être dans le futur."))
        if day < EARLIEST:
            raise forms.ValidationError(_("La date est trop ancienne."))
        return day


def _form_data(values: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {k: ("" if v is None else v) for k, v in values.items()}
    reached = data.get("reached_on")
    if isinstance(reached, dt.date):
        data["reached_on"] = reached.strftime("%d/%m/%Y")
    return {k: str(v) for k, v in data.items()}


def validate_rows(
    rows: Iterable[tuple[int, Mapping[str, Any]]], *, where: str
) -> list[dict[str, Any]]:
    """Every row checked; SpreadsheetError with every error (« Ligne 3, colonne … ») or the
    cleaned rows. `where` names a row: « Ligne %(line)s » for a file, « Niveau %(line)s »
    for the API."""
    errors: list[str] = []
    valid: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, values in rows:
        form = StudentLevelForm(_form_data(values))
        if not form.is_valid():
            for error in _form_errors(line, form, LEVEL_COLUMNS):
                errors.append(
                    error.replace(_("Ligne %(line)s") % {"line": line}, where % {"line": line}, 1)
                )
            continue
        pair = (form.cleaned_data["key"], form.cleaned_data["competence"])
        if pair in seen:
            errors.append(
                _("%(where)s : même élève et même compétence qu'en %(first)s.")
                % {"where": where % {"line": line}, "first": where % {"line": seen[pair]}}
            )
            continue
        seen[pair] = line
        valid.append(form.cleaned_data)
    if errors:
        raise SpreadsheetError(errors)
    if not valid:
        raise SpreadsheetError([_("Aucun niveau à enregistrer.")])
    return valid


def parse_levels(filename: str, data: bytes) -> list[dict[str, Any]]:
    """The rows of a .ods/.csv file, validated; all or nothing."""
    table = read_table(filename, data, max_bytes=settings.IMPORT_MAX_BYTES)
    positions, missing = _map_columns(table.headers, LEVEL_COLUMNS)
    if missing:
        raise SpreadsheetError(
            [_("Colonne obligatoire manquante : « %(column)s ».") % {"column": m} for m in missing]
        )
    return validate_rows(
        ((line, _values(row, positions)) for line, row in table.rows), where=_("Ligne %(line)s")
    )


def template_headers() -> list[str]:
    return _template_headers(LEVEL_COLUMNS)
