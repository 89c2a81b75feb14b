"""« Résultats de l'établissement »: one page, one .csv/.ods export and one API operation
across all the centre's published sessions, filtered by session date, class or
complementary certification.

Personas: the centre admin reads and exports; the admin of another centre, the jury and a
candidate get 404; anonymous is sent to log in.
"""

import csv
import datetime as dt
import io

import pytest
from django.test import Client

from exams.models import ComplementaryCertification
from lib.spreadsheets import read_table
from tests.factories import CandidateFactory, ExamSessionFactory, UserFactory
from tests.test_results import make_course, publish

# The personas' passwords are not under test: hashed quickly (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def school(small_bank, centre, jury):
    """Two published sessions (March: Léa 3e A, Hugo 3e B with CléA; May: Zoé 3e A), one
    finalized but not published (Noé), and another centre's published session (Ana)."""
    march = ExamSessionFactory(centre=centre, date=dt.date(2026, 3, 12))
    may = ExamSessionFactory(centre=centre, date=dt.date(2026, 5, 20))
    pending = ExamSessionFactory(centre=centre, date=dt.date(2026, 6, 2))
    elsewhere = ExamSessionFactory(date=dt.date(2026, 3, 12))
    people = {}
    for session, first, school_class, complementary in (
        (march, "Léa", "3e A", ""),
        (march, "Hugo", "3e B", ComplementaryCertification.CLEA),
        (may, "Zoé", "3e A", ""),
        (pending, "Noé", "3e A", ""),
        (elsewhere, "Ana", "3e A", ""),
    ):
        candidate = CandidateFactory(
            session=session,
            first_name=first,
            last_name="Martin",
            school_class=school_class,
            complementary_certification=complementary,
            user=UserFactory(),
        )
        make_course(candidate, small_bank, right=24, wrong=8)
        people[first] = candidate
    for session in (march, may, elsewhere):
        publish(session, jury)
    return centre, people


def _names(rows, column=5) -> list[str]:
    return [row[column] for row in rows]


def test_it_lists_every_published_session_of_the_centre_latest_first(login, school, centre_admin):
    centre, _people = school

    body = login(centre_admin).get(f"/api/results/centres/{centre.pk}").json()

    assert body["headers"][:6] == [
        "Session",
        "Date de la session",
        "Classe",
        "Certification complémentaire",
        "Nom de naissance",
        "Prénom",
    ]
    assert _names(body["rows"]) == ["Zoé", "Hugo", "Léa"]  # not Noé (unpublished), not Ana
    hugo = body["rows"][1]
    assert hugo[1:4] == ["12/03/2026", "3e B", "CléA Numérique"]
    assert hugo[8] == "Validée"
    assert isinstance(hugo[9], int)  # the score
    assert hugo[-1].startswith("V-")  # the verification code


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("date_from=2026-04-01", ["Zoé"]),
        ("date_to=2026-03-31", ["Hugo", "Léa"]),
        ("date_from=12/03/2026&date_to=12/03/2026", ["Hugo", "Léa"]),
        ("school_class=3e a", ["Zoé", "Léa"]),
        ("complementary_certification=CLEA", ["Hugo"]),
        ("school_class=3e A&date_from=2026-04-01", ["Zoé"]),
        ("school_class=2nde 1", []),
    ],
)
def test_it_filters_by_date_class_and_complementary_certification(
    login, school, centre_admin, query, expected
):
    centre, _people = school
    client = login(centre_admin)

    page = client.get(f"/centres/{centre.pk}/resultats/?{query}")
    exported = client.get(f"/centres/{centre.pk}/resultats.csv?{query}")

    assert page.status_code == 200
    assert _names(page.context["rows"]) == expected
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert _names(rows[1:]) == expected


def test_it_exports_an_ods_with_the_competences(login, school, centre_admin):
    centre, _people = school

    response = login(centre_admin).get(f"/centres/{centre.pk}/resultats.ods?school_class=3e B")

    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert "resultats-etablissement-" in response["Content-Disposition"]
    table = read_table("r.ods", response.content, max_bytes=10**7)
    assert "1.1 Mener une recherche et une veille d'information" in table.headers
    assert [row[5] for _n, row in table.rows] == ["Hugo"]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("date_from=31/02/2026", "Saisissez une date valide (JJ/MM/AAAA)."),
        ("date_from=2026-05-01&date_to=2026-04-01", "La date de fin précède la date de début."),
        ("complementary_certification=PIXPLUS", "Sélectionnez un choix valide."),
    ],
)
def test_it_says_what_is_wrong_with_a_filter(login, school, centre_admin, query, error):
    centre, _people = school
    client = login(centre_admin)

    page = client.get(f"/centres/{centre.pk}/resultats/?{query}")
    api = client.get(f"/api/results/centres/{centre.pk}?{query}")
    export = client.get(f"/centres/{centre.pk}/resultats.csv?{query}")

    assert page.status_code == 400
    assert error in page.content.decode().replace("&#x27;", "'")
    assert api.status_code == 400
    assert error in str(api.json()["errors"])
    assert export.status_code == 302  # back to the page, which shows the error


def test_it_neutralizes_formulas_in_the_export(login, school, centre_admin):
    centre, people = school
    people["Léa"].school_class = "=1+2"
    people["Léa"].save()

    exported = login(centre_admin).get(f"/centres/{centre.pk}/resultats.csv").content

    assert b"'=1+2" in exported


def test_it_links_the_page_from_the_centre_sessions(login, school, centre_admin):
    centre, _people = school

    page = login(centre_admin).get(f"/centres/{centre.pk}/sessions/").content.decode()

    assert f'href="/centres/{centre.pk}/resultats/"' in page


@pytest.mark.parametrize("who", ["other_centre_admin", "jury", "candidate_user"])
def test_it_shows_a_centre_its_own_results_only(login, school, request, who):
    centre, _people = school
    client = login(request.getfixturevalue(who))

    for url in (
        f"/centres/{centre.pk}/resultats/",
        f"/centres/{centre.pk}/resultats.csv",
        f"/api/results/centres/{centre.pk}",
    ):
        assert client.get(url).status_code == 404, url


def test_it_sends_anonymous_to_log_in(school):
    centre, _people = school

    response = Client().get(f"/centres/{centre.pk}/resultats/")

    assert response.status_code == 302
    assert response["Location"].startswith("/compte/connexion/")
