"""A person's name has at least one letter (issue 13): « =1+2 » or « 123 » is not a name.

The rule (« Ce nom doit contenir au moins une lettre ») was checked on the normalized key,
which keeps digits, so a name made only of digits and symbols passed. It is now checked
everywhere a name enters: the candidate form (page and API), both imports (candidates, and
sessions with their candidates), the sign-up (page and API) and the candidate's join form.
The letter is one the name matching keeps (A–Z after accents are removed): a name whose key
would have no letter could never be matched nor told apart.

Personas: the centre admin enrols and imports; a visitor signs up; the candidate joins.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from exams.models import Candidate, ExamSession
from lib.text import has_letter
from tests.spreadsheets import CANDIDATE_HEADERS, SESSION_HEADERS, candidate_row, make_csv

# The personas' passwords are not under test: hashed quickly (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fast_password_hashing")

NO_LETTER = "Ce nom doit contenir au moins une lettre."
NOT_NAMES = ["=1+2", "123", "-", "@@", "1 - 2", "٣٤"]
NAMES = ["Léa", "N'Diaye", "Louis XIV", "Ève-Marie", "O’Brien", "Zoë 2"]
CANDIDATE = {
    "first_name": "Léa",
    "last_name": "Dupont",
    "birthdate": "2008-03-14",
    "sex": "F",
    "birth_city": "Lyon",
    "birth_postal_code": "69001",
}


def test_it_tells_a_name_from_digits_and_symbols():
    assert [value for value in NOT_NAMES if has_letter(value)] == []
    assert [value for value in NAMES if not has_letter(value)] == []


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("value", NOT_NAMES)
def test_it_refuses_a_candidate_name_without_a_letter(
    login, exam_session, centre_admin, other_centre_admin, field, value
):
    """Page and API: the field's error in French; nothing enrolled."""
    client = login(centre_admin)

    page = client.post(
        f"/sessions/{exam_session.pk}/candidats/ajouter/", {**CANDIDATE, field: value}
    )
    api = client.post(
        f"/api/sessions/{exam_session.pk}/candidates",
        {**CANDIDATE, field: value},
        content_type="application/json",
    )

    assert page.status_code == 200
    assert page.context["form"].errors[field] == [NO_LETTER]
    assert api.status_code == 400 and api.json()["errors"][field] == [NO_LETTER]
    assert not Candidate.objects.exists()
    outsider = login(other_centre_admin).post(
        f"/api/sessions/{exam_session.pk}/candidates", CANDIDATE, content_type="application/json"
    )
    assert outsider.status_code == 404


@pytest.mark.django_db
def test_it_refuses_such_a_name_when_editing_a_candidate(login, candidate, centre_admin):
    response = login(centre_admin).patch(
        f"/api/candidates/{candidate.pk}", {"last_name": "=1+2"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["last_name"] == [NO_LETTER]
    candidate.refresh_from_db()
    assert candidate.last_name == "Dupont"


@pytest.mark.django_db
@pytest.mark.parametrize("value", NAMES)
def test_it_accepts_real_names(login, exam_session, centre_admin, value):
    response = login(centre_admin).post(
        f"/api/sessions/{exam_session.pk}/candidates",
        {**CANDIDATE, "first_name": value},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Candidate.objects.get().first_name == value


@pytest.mark.django_db
def test_it_refuses_such_a_name_in_a_candidate_import(login, exam_session, centre_admin):
    """All or nothing, the error names the row and the column."""
    data = make_csv(
        [CANDIDATE_HEADERS, candidate_row("Hugo", "Bernard"), candidate_row("=1+2", "Martin")]
    )
    response = login(centre_admin).post(
        f"/api/sessions/{exam_session.pk}/candidates/import",
        {"file": SimpleUploadedFile("candidats.csv", data)},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [f"Ligne 3, colonne « Prénom » : {NO_LETTER}"]
    assert not Candidate.objects.exists()


@pytest.mark.django_db
def test_it_refuses_such_a_name_in_a_session_import(login, centre, centre_admin):
    day = (timezone.localdate() + timezone.timedelta(days=10)).strftime("%d/%m/%Y")
    session = ["Lycée Victor Hugo", "", "C3", day, "09:00", "M. Roy", ""]
    data = make_csv([SESSION_HEADERS, session + candidate_row("Léa", "123")])
    response = login(centre_admin).post(
        f"/api/centres/{centre.pk}/sessions/import",
        {"file": SimpleUploadedFile("sessions.csv", data)},
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 1 and errors[0].startswith("Ligne 2, colonne « Nom de naissance")
    assert errors[0].endswith(NO_LETTER)
    assert not ExamSession.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_it_refuses_such_a_name_at_sign_up(client, field):
    valid = {
        "first_name": "Léa",
        "last_name": "Dupont",
        "email": "lea@exemple.fr",
        "password": "Motdepasse1",
        "accept_terms": True,
    }
    page = client.post("/compte/inscription/", {**valid, field: "=1+2", "accept_terms": "on"})
    api = client.post(
        "/api/accounts/register", {**valid, field: "=1+2"}, content_type="application/json"
    )
    assert page.status_code == 200
    assert page.context["form"].errors[field] == [NO_LETTER]
    assert api.status_code == 400 and api.json()["errors"][field] == [NO_LETTER]
    assert not User.objects.exists()


@pytest.mark.django_db
def test_it_refuses_such_a_name_when_joining(login, exam_session, candidate_user):
    """The join form says so instead of « no matching line » (and it is not counted as a
    failed join: no candidate could bear that name)."""
    response = login(candidate_user).post(
        "/certification/rejoindre/",
        {
            "session_number": exam_session.number,
            "first_name": "=1+2",
            "last_name": "Dupont",
            "birthdate": "2008-03-14",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["first_name"] == [NO_LETTER]
