"""A published session's results as a spreadsheet (.csv, .ods) for the centre: one row per
candidate. Every text cell goes through `spreadsheet_safe`, since names are typed by
people and a cell starting with « = » would run as a formula."""

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.models import Centre
from certification.scoring import level_name
from exams.models import Candidate, ExamSession
from lib.framework import COMPETENCES
from lib.spreadsheets import Cell, write_csv, write_ods
from results.models import Certificate


def _certificate(candidate: Candidate) -> Certificate | None:
    try:
        certificate: Certificate = candidate.course.certificate  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return None
    return certificate


def headers() -> list[str]:
    return [
        _("Nom de naissance"),
        _("Prénom"),
        _("Date de naissance"),
        _("Identifiant externe"),
        _("Statut"),
        _("Score"),
        _("Niveau"),
        _("Libellé du niveau"),
        *(f"{c.code} {c.name}" for c in COMPETENCES),
        _("Code de vérification"),
    ]


def _status(certificate: Certificate | None) -> str:
    if certificate is None:
        return _("Sans résultat (test non passé)")
    if not certificate.is_published:
        return _("Certificat retiré")
    return str(certificate.get_status_display())


def _row(candidate: Candidate) -> list[Cell]:
    certificate = _certificate(candidate)
    shown = certificate is not None and certificate.is_published
    scored = certificate is not None and shown and certificate.is_validated
    levels: list[Cell] = [
        int(certificate.competence_levels.get(c.code, 0)) if certificate and scored else None
        for c in COMPETENCES
    ]
    return [
        candidate.last_name.upper(),
        candidate.first_name,
        candidate.birthdate.strftime("%d/%m/%Y"),
        candidate.external_id,
        _status(certificate),
        certificate.score if certificate and scored else None,
        certificate.level if certificate and scored else None,
        level_name(certificate.level) if certificate and scored else "",
        *levels,
        certificate.verification_code if certificate and shown else "",
    ]


def result_rows(session: ExamSession) -> list[list[Cell]]:
    candidates = session.candidates.select_related("course__certificate").order_by(
        "last_name_key", "first_name_key", "birthdate"
    )
    return [_row(candidate) for candidate in candidates]


def results_csv(session: ExamSession) -> bytes:
    return write_csv([[*headers()], *result_rows(session)])


def results_ods(session: ExamSession) -> bytes:
    return write_ods([[*headers()], *result_rows(session)], sheet_name=f"Session {session.number}")


# --- The establishment's results, across its published sessions ------------------------------


@dataclass(frozen=True)
class EstablishmentFilter:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    school_class: str = ""
    complementary_certification: str = ""


def establishment_candidates(centre: Centre, given: EstablishmentFilter) -> QuerySet[Candidate]:
    """The candidates of the centre's published sessions that match, by session date then
    name. Sessions not published (or unpublished) show nothing: their results are not
    final."""
    candidates = Candidate.objects.filter(
        session__centre=centre, session__published_at__isnull=False
    )
    if given.date_from:
        candidates = candidates.filter(session__date__gte=given.date_from)
    if given.date_to:
        candidates = candidates.filter(session__date__lte=given.date_to)
    if given.school_class:
        candidates = candidates.filter(school_class__iexact=given.school_class.strip())
    if given.complementary_certification:
        candidates = candidates.filter(
            complementary_certification=given.complementary_certification
        )
    return candidates.select_related("session", "course__certificate").order_by(
        "-session__date", "session__number", "last_name_key", "first_name_key", "birthdate"
    )


def establishment_classes(centre: Centre) -> list[str]:
    """The classes written on the candidates of the centre's published sessions."""
    values = (
        Candidate.objects.filter(session__centre=centre, session__published_at__isnull=False)
        .exclude(school_class="")
        .values_list("school_class", flat=True)
        .distinct()
    )
    return sorted(set(values), key=str.casefold)


def establishment_headers() -> list[str]:
    return [
        _("Session"),
        _("Date de la session"),
        _("Classe"),
        _("Certification complémentaire"),
        *headers(),
    ]


def establishment_rows(centre: Centre, given: EstablishmentFilter) -> list[list[Cell]]:
    return [
        [
            candidate.session.number,
            candidate.session.date.strftime("%d/%m/%Y"),
            candidate.school_class,
            str(candidate.get_complementary_certification_display())
            if candidate.complementary_certification
            else "",
            *_row(candidate),
        ]
        for candidate in establishment_candidates(centre, given)
    ]


def establishment_csv(centre: Centre, given: EstablishmentFilter) -> bytes:
    return write_csv([establishment_headers(), *establishment_rows(centre, given)])


def establishment_ods(centre: Centre, given: EstablishmentFilter) -> bytes:
    return write_ods(
        [establishment_headers(), *establishment_rows(centre, given)],
        sheet_name=_("Résultats"),
    )
