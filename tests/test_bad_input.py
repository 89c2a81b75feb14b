"""Input that used to crash Vigie (issue 13, « 500s to turn into clear 4xx errors ») now
gets a clear 4xx, on every page and API operation where the same fault could occur:

- a number typed with characters `str.isdigit()` accepts but `int()` refuses (« ² »), or
  with more digits than `int()` takes;
- an id beyond 64 bits (or negative) in any URL: SQLite raised OverflowError in the
  queries compiled by lib/prepared.py, which skip Django's integer-range guard;
- a multipart body without a boundary (or otherwise unreadable), DEBUG on or off;
- a NUL in a file name of the item bank's media.

The sweeps walk Django's URL patterns and the API's operations, so a new path is covered.
"""

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from certification.models import CertificationReport
from finalization import validation
from finalization.actions import do_finalize_session
from lib.ids import MAX_ID
from tests import live_record as live
from tests.factories import UserFactory
from vigie.api import api

HUGE_IDS = [str(2**63), str(2**64), "-1", "9" * 40]
UNREADABLE = "Le contenu envoyé est illisible (formulaire ou fichier mal formé)."


@pytest.fixture
def started(small_bank, exam_session, invigilator):
    lea = live.joined(exam_session, "Léa", "Dupont")
    live.answer(live.start(lea, invigilator), 32)
    hugo = live.joined(exam_session, "Hugo", "Abadi")
    live.end(live.start(hugo, invigilator), invigilator)
    return exam_session, lea, hugo


# --- Numbers a person types ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["²", "١٢", "1_0", "9" * 5000, "-3", "2.5"])
def test_it_refuses_a_question_number_that_is_not_a_plain_number(
    login, started, centre_admin, typed
):
    """« ² ».isdigit() is true and int(« ² ») fails: the page crashed (500)."""
    session, lea, hugo = started
    response = login(centre_admin).post(
        f"/sessions/{session.pk}/finaliser/",
        {
            f"c{hugo.pk}-abort_reason": "candidate",
            f"c{lea.pk}-has_seen_end_screen": "on",
            f"c{hugo.pk}-r1-subcategory": "E1",
            f"c{hugo.pk}-r1-question_number": typed,
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "ABADI Hugo — Signalement 1 (E1) : le numéro de la question est obligatoire, "
        "entre 1 et 500."
    ) in html
    if len(typed) < 10:
        assert f'value="{typed}"' in html  # what was typed is shown again
    session.refresh_from_db()
    assert session.finalized_at is None and not CertificationReport.objects.exists()


@pytest.mark.django_db
def test_it_accepts_a_question_number_typed_with_spaces(login, started, centre_admin):
    session, lea, hugo = started
    response = login(centre_admin).post(
        f"/sessions/{session.pk}/finaliser/",
        {
            f"c{hugo.pk}-abort_reason": "candidate",
            f"c{lea.pk}-has_seen_end_screen": "on",
            f"c{hugo.pk}-r1-subcategory": "E1",
            f"c{hugo.pk}-r1-question_number": " 12 ",
        },
    )
    assert response.status_code == 302
    assert (
        CertificationReport.objects.get(course__candidate=hugo)
        .course.issue_reports.get(subcategory="E1")
        .question_number
        == 12
    )


@pytest.mark.django_db
@pytest.mark.parametrize("officer", ["²", "9" * 5000, str(2**64), "-1"])
def test_it_refuses_a_jury_officer_that_is_not_an_id(login, started, centre_admin, jury, officer):
    session, lea, hugo = started
    do_finalize_session(
        session,
        validation.FinalizationInput(
            reports=[
                validation.CandidateReportInput(candidate_id=lea.pk, has_seen_end_screen=True),
                validation.CandidateReportInput(candidate_id=hugo.pk, abort_reason="candidate"),
            ]
        ),
        actor=centre_admin,
    )
    client = login(jury)

    response = client.post(f"/jury/sessions/{session.pk}/attribuer/", {"officer": officer})
    refused = login(centre_admin).post(
        f"/jury/sessions/{session.pk}/attribuer/", {"officer": officer}
    )

    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Ce compte n&#x27;est pas membre du jury" in page
    assert refused.status_code in (302, 403, 404) and refused.status_code != 200
    session.refresh_from_db()
    assert session.assigned_officer_id is None


@pytest.mark.django_db
def test_it_answers_404_to_a_media_name_with_a_nul(login, candidate_user, small_bank):
    response = login(candidate_user).get("/certification/media/a%00b.svg")
    assert response.status_code == 404


# --- Ids beyond 64 bits, in every URL --------------------------------------------------------------


def _routes(patterns=None, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            found.append((prefix + str(pattern.pattern), pattern))
    return found


ROUTES = [route for route, _p in _routes()]
PAGE_ROUTES = sorted(
    {
        route
        for route in ROUTES
        if "<id:" in route or (route.startswith("admin/") and "<path:object_id>" in route)
    }
)
OTHER_PARAMETERS = {"kind": "pv", "key": "ent", "token": "x", "name": "x"}


def _page_path(route: str, value: str) -> str:
    path = re.sub(r"<(?:id|path):\w+>", value, route)
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: OTHER_PARAMETERS.get(m[1], "x"), path)


def _api_operations() -> list[tuple[str, str, Any]]:
    found = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    found.append((method, f"/api{prefix}{path}".replace("//", "/"), operation))
    return sorted(found, key=lambda f: (f[1], f[0]))


# A valid body for each operation that takes one, so the request reaches the id's query.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/sessions/{session_id}/scans/{record_id}/removal"): {"reason": "par erreur"},
    ("POST", "/api/accounts/register"): {},
    ("POST", "/api/accounts/register/activate"): {},
    ("POST", "/api/certification/join"): {},
    ("POST", "/api/invigilation/supervise"): {},
    ("POST", "/api/certification/candidates/{candidate_id}/start"): {"access_code": "BCDF23"},
    ("POST", "/api/certification/candidates/{candidate_id}/companion-check"): {"detected": True},
    ("POST", "/api/certification/courses/{course_id}/answers"): {"item_id": "x", "response": [0]},
    ("POST", "/api/certification/courses/{course_id}/alerts"): {"item_id": "x"},
    ("POST", "/api/invigilation/alerts/{alert_id}/validate"): {"reason": "E1"},
    ("POST", "/api/invigilation/sessions/{session_id}/notes"): {"text": "RAS"},
    ("POST", "/api/invigilation/sessions/{session_id}/add-time"): {
        "candidate_ids": [1],
        "minutes": 5,
        "reason": "coupure",
    },
    ("POST", "/api/invigilation/sessions/{session_id}/suspend"): {"message": "Alarme"},
    ("POST", "/api/invigilation/sessions/{session_id}/resume"): {"present": []},
    ("POST", "/api/invigilation/candidates/{candidate_id}/suspend"): {"reason": "Malaise"},
    ("POST", "/api/invigilation/sessions/{session_id}/messages"): {"text": "Il reste 10 minutes."},
    ("POST", "/api/invigilation/sessions/{session_id}/room-screen"): {"access_code_shown": True},
    ("POST", "/api/jury/reports/{report_id}/accept-correction"): {},
    ("POST", "/api/jury/reports/{report_id}/refuse-correction"): {"comment": "Pièce manquante"},
    ("POST", "/api/centres/{centre_id}/competence-levels"): {
        "levels": [
            {
                "student": "eleve@lycee.fr",
                "competence": "1.1",
                "level": 1,
                "reached_on": "2026-01-15",
            }
        ]
    },
    ("POST", "/api/jury/sessions/{session_id}/assign"): {},
    ("POST", "/api/jury/reports/{report_id}/neutralize"): {},
    ("POST", "/api/jury/reports/{report_id}/reject"): {},
    ("POST", "/api/jury/reports/{report_id}/resolve"): {"comment": "Vu."},
    ("POST", "/api/centres/{centre_id}/sessions"): {
        "site_name": "Lycée",
        "room": "B12",
        "date": "2026-12-20",
        "time": "10:00",
        "examiner": "M. Martin",
    },
    ("PATCH", "/api/sessions/{session_id}"): {"room": "B13"},
    ("POST", "/api/sessions/{session_id}/candidates"): {
        "first_name": "Léa",
        "last_name": "Dupont",
        "birthdate": "2008-03-14",
        "sex": "F",
        "birth_city": "Lille",
        "birth_postal_code": "59000",
    },
    ("PATCH", "/api/candidates/{candidate_id}"): {"external_id": "X1"},
    ("PUT", "/api/sessions/{session_id}/finalization"): {},
}
API_OPERATIONS = _api_operations()
ID_OPERATIONS = [
    (method, path) for method, path, operation in API_OPERATIONS if re.search(r"\{\w+_id\}", path)
]


def test_the_sweeps_know_every_operation_and_page():
    """A new operation with a body needs its valid body above (else the sweep would only
    see its 422); the sweeps find the paths of issue 13."""
    for method, path, operation in API_OPERATIONS:
        sources = {m.__name__ for m in operation.signature.models}
        if "BodyParams" in sources:
            assert (method, path) in BODIES, f"add a valid body for {method} {path}"
    assert ("GET", "/api/certification/courses/{course_id}/state") in ID_OPERATIONS
    assert "certification/tests/<id:course_id>/" in PAGE_ROUTES
    # Ids in Vigie's URLs use lib/ids.py's converter, which refuses what no row can have.
    assert [route for route in ROUTES if "<int:" in route] == []
    assert len(PAGE_ROUTES) > 25 and len(ID_OPERATIONS) > 35


@pytest.fixture
def everyone(db):
    """One account that passes every role check before the id is read."""
    return UserFactory(is_staff=True, is_superuser=True, certifiable=True)


@pytest.mark.django_db
@pytest.mark.parametrize("route", PAGE_ROUTES)
def test_every_page_answers_404_to_an_id_beyond_64_bits(login, route, everyone, small_bank):
    client = login(everyone)
    for value in HUGE_IDS:
        path = _page_path(route, value)
        response = client.get(path)
        if response.status_code == 405:
            response = client.post(path, {})
        allowed = (302, 404) if route.startswith("admin/") else (400, 404)
        assert response.status_code in allowed, (path, response.status_code)


def test_every_api_path_id_is_typed_as_an_id():
    """An `int` path parameter lets an id beyond 64 bits reach the query: on PostgreSQL it
    only finds nothing, but SQLite raises OverflowError (a 500), so the sweep below fails
    only on SQLite. The schema says it on any database: lib.ids.Id bounds it."""
    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"].endswith("_id"):
                    assert parameter["schema"].get("maximum") == MAX_ID, (method, path)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "path"), ID_OPERATIONS, ids=[f"{m} {p}" for m, p in ID_OPERATIONS]
)
def test_every_api_operation_answers_404_to_an_id_beyond_64_bits(
    login, method, path, everyone, small_bank
):
    client = login(everyone)
    for value in HUGE_IDS:
        url = re.sub(r"\{\w+_id\}", value, path).replace("{kind}", "pv")
        if path.endswith("/import"):
            upload = SimpleUploadedFile("liste.csv", b"a;b\n1;2\n", content_type="text/csv")
            response = client.post(url, {"file": upload})
        else:
            body = BODIES.get((method, path))
            response = client.generic(
                method,
                url,
                "" if body is None else json.dumps(body),
                content_type="application/json",
                headers={"X-Run-Token": "x"},
            )
        assert response.status_code in (400, 404, 422), (method, url, response.status_code)


# --- Unreadable multipart bodies ---------------------------------------------------------------------


UPLOADS = [
    "/api/centres/{centre_id}/sessions/import",
    "/api/sessions/{session_id}/candidates/import",
    "/centres/{centre_id}/sessions/import/",
    "/sessions/{session_id}/candidats/import/",
]
CONTENT_TYPES = [
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=" + "x" * 300,
    'multipart/form-data; boundary="é"',
]


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_every_upload_answers_400_to_a_multipart_body_without_a_boundary(
    login, settings, centre, exam_session, centre_admin, other_centre_admin, debug
):
    """Without a boundary Django cannot read the body: 400 in French (JSON under /api/),
    not a 500 (DEBUG's error page read the body again), for the member and a stranger."""
    settings.DEBUG = debug
    ids = {"centre_id": centre.pk, "session_id": exam_session.pk}
    for user in (centre_admin, other_centre_admin):
        client = login(user)
        for template in UPLOADS:
            path = template.format(**ids)
            for content_type in CONTENT_TYPES:
                response = client.post(path, b"--x\r\n\r\n--x--\r\n", content_type=content_type)
                assert response.status_code == 400, (path, content_type)
                if path.startswith("/api/"):
                    assert response.json() == {
                        "detail": UNREADABLE + " Rechargez la page et envoyez-le à nouveau.",
                        "code": "unreadable_body",
                    }
                else:
                    assert UNREADABLE in response.content.decode()
    # A well-formed upload still goes through.
    upload = SimpleUploadedFile("liste.csv", b"x", content_type="text/csv")
    kept = login(centre_admin).post(
        f"/api/sessions/{exam_session.pk}/candidates/import", {"file": upload}
    )
    assert kept.status_code == 400 and kept.json()["detail"] != UNREADABLE


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/compte/connexion/", "/api/accounts/register", "/verifier/"])
def test_any_other_post_answers_400_to_a_multipart_body_without_a_boundary(path, settings):
    settings.DEBUG = True
    response = Client().post(path, b"--x\r\n", content_type="multipart/form-data")
    assert response.status_code == 400
