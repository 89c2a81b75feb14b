"""A published session's results as a spreadsheet (.csv, .ods) for the centre: one row per
candidate. Every text cell goes through `spreadsheet_safe`, since names are typed by
people and a cell starting with « = » would run as a formula."""

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

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
