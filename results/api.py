"""JSON API of the results: public verification, the candidate's own certificate, and a
published session's results for its centre."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest, QueryDict
from ninja import Router, Schema

from accounts.request import client_ip
from accounts.request import request_user as _user
from certification.scoring import level_name
from lib.errors import FormInvalid
from lib.freetext import Line
from lib.ids import Id
from results import actions, documents, exports
from results.access import (
    access_establishment_results,
    access_own_certificate,
    access_results_by_centre_member,
)
from results.forms import establishment_filter
from results.models import Certificate

router = Router(tags=["results"])


class VerificationOut(Schema):
    verification_code: str
    status: str
    status_label: str
    first_name: str
    last_name: str
    birthdate: dt.date
    session_date: dt.date
    centre: str
    score: int | None
    level: int | None
    level_name: str | None


class CertificateOut(VerificationOut):
    id: int
    session_number: str
    competence_levels: dict[str, int]
    verification_url: str


class SessionResultsOut(Schema):
    headers: list[str]
    rows: list[list[str | int | None]]


def _verification(certificate: Certificate) -> dict[str, Any]:
    candidate = certificate.candidate
    scored = certificate.is_validated
    return {
        "verification_code": certificate.verification_code,
        "status": certificate.status,
        "status_label": str(certificate.get_status_display()),
        "first_name": candidate.first_name,
        "last_name": candidate.last_name,
        "birthdate": candidate.birthdate,
        "session_date": certificate.session.date,
        "centre": certificate.session.centre.name,
        "score": certificate.score if scored else None,
        "level": certificate.level if scored else None,
        "level_name": level_name(certificate.level) if scored else None,
    }


@router.get("/verify/{code}", auth=None, response=VerificationOut, url_name="results_verify")
def verify(request: HttpRequest, code: Line) -> dict[str, Any]:
    """Public, rate-limited per address: 404 unknown code, 410 withdrawn, 429 too many."""
    return _verification(actions.do_verify(code, ip=client_ip(request)))


@router.get(
    "/certificates/{certificate_id}", response=CertificateOut, url_name="results_certificate"
)
def certificate(request: HttpRequest, certificate_id: Id) -> dict[str, Any]:
    found = access_own_certificate(_user(request), certificate_id)
    return {
        **_verification(found),
        "id": found.pk,
        "session_number": found.session.number,
        "competence_levels": found.competence_levels if found.is_validated else {},
        "verification_url": documents.verification_url(found, settings.SITE_URL),
    }


@router.get(
    "/sessions/{session_id}/results", response=SessionResultsOut, url_name="results_session"
)
def session_results(request: HttpRequest, session_id: Id) -> dict[str, Any]:
    session = access_results_by_centre_member(_user(request), session_id)
    return {"headers": exports.headers(), "rows": exports.result_rows(session)}


class EstablishmentResultsOut(Schema):
    headers: list[str]
    rows: list[list[Any]]


@router.get(
    "/centres/{centre_id}",
    response=EstablishmentResultsOut,
    url_name="results_establishment",
)
def establishment_results(
    request: HttpRequest,
    centre_id: Id,
    date_from: Line = "",
    date_to: Line = "",
    school_class: Line = "",
    complementary_certification: Line = "",
) -> dict[str, Any]:
    """Every published session's results of the centre, filtered like the page (dates as
    AAAA-MM-JJ or JJ/MM/AAAA); a wrong filter is 400 with the form's errors."""
    centre = access_establishment_results(_user(request), centre_id)
    query = QueryDict(mutable=True)
    for name, value in (
        ("date_from", date_from),
        ("date_to", date_to),
        ("school_class", school_class),
        ("complementary_certification", complementary_certification),
    ):
        if value:
            query[name] = value
    form, given = establishment_filter(centre, query)
    if given is None:
        raise FormInvalid(form)
    return {
        "headers": exports.establishment_headers(),
        "rows": exports.establishment_rows(centre, given),
    }
