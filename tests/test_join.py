"""A logged-in candidate joins a session with the attendance sheet's details."""

import datetime as dt
from html import unescape

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from certification.models import CertificationCourse
from tests.factories import CandidateFactory, UserFactory


def _join(client, session, **overrides):
    data = {
        "session_number": session.number,
        "first_name": "Léa",
        "last_name": "Dupont-N'Diaye",
        "birthdate": "2008-03-14",
        **overrides,
    }
    return client.post("/api/certification/join", data, content_type="application/json")


@pytest.fixture
def line(exam_session):
    return CandidateFactory(
        session=exam_session,
        first_name="Léa",
        last_name="Dupont-N'Diaye",
        birthdate=dt.date(2008, 3, 14),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "last"),
    [("lea", "DUPONT NDIAYE"), ("LÉA", "dupont-n'diaye"), (" Léa ", "Dupont N Diaye")],
)
def test_it_matches_names_ignoring_case_accents_spaces_hyphens_apostrophes(
    client, exam_session, line, candidate_user, first, last
):
    """Reference §1: normalized names must be equal and the birthdate exactly equal."""
    client.force_login(candidate_user)
    response = _join(client, exam_session, first_name=first, last_name=last)
    assert response.status_code == 200, response.json()
    line.refresh_from_db()
    assert line.user == candidate_user
    assert response.json()["candidate_id"] == line.pk
    assert AuditEvent.objects.filter(tag="candidate:session:join").count() == 1


@pytest.mark.django_db
def test_it_is_idempotent(client, exam_session, line, candidate_user):
    """Joining again with the same account returns the same line."""
    client.force_login(candidate_user)
    first = _join(client, exam_session).json()
    assert _join(client, exam_session).json() == first


@pytest.mark.django_db
def test_it_explains_each_refusal_in_french(client, exam_session, line, candidate_user):
    """Unknown session, no match (wrong birthdate), finalized session: distinct messages."""
    client.force_login(candidate_user)
    unknown = _join(client, exam_session, session_number="99")
    assert unknown.status_code == 404
    assert "Vérifiez le numéro de session." in unknown.json()["detail"]
    no_match = _join(client, exam_session, birthdate="2008-03-15")
    assert no_match.status_code == 404
    assert (
        "Vérifiez auprès du surveillant la correspondance de vos informations personnelles "
        "avec la feuille d'émargement" in no_match.json()["detail"]
    )
    exam_session.finalized_at = timezone.now()
    exam_session.save()
    closed = _join(client, exam_session)
    assert closed.status_code == 412
    assert (
        closed.json()["detail"] == "La session que vous tentez de rejoindre n'est plus accessible."
    )
    line.refresh_from_db()
    assert line.user is None


@pytest.mark.django_db
def test_it_refuses_a_line_already_linked_to_another_account(
    client, exam_session, line, candidate_user
):
    """Somebody else's account cannot take over a candidate's line."""
    line.user = UserFactory(certifiable=True)
    line.save()
    client.force_login(candidate_user)
    response = _join(client, exam_session)
    assert response.status_code == 409
    assert "déjà rattaché à un autre compte" in response.json()["detail"]


@pytest.mark.django_db
def test_it_refuses_a_candidate_who_is_not_certifiable(client, exam_session, line):
    """Seed 004: level 1 in at least 5 competences, checked when joining."""
    client.force_login(UserFactory())
    response = _join(client, exam_session)
    assert response.status_code == 403
    assert "pas encore certifiable" in response.json()["detail"]
    line.refresh_from_db()
    assert line.user is None


@pytest.mark.django_db
def test_it_refuses_an_account_already_linked_to_another_line_of_the_session(
    client, exam_session, line, candidate_user
):
    """One account, one line per session."""
    CandidateFactory(session=exam_session, user=candidate_user)
    client.force_login(candidate_user)
    assert _join(client, exam_session).status_code == 409


@pytest.mark.django_db
def test_it_joins_through_the_page_and_shows_the_instructions(
    client, exam_session, line, candidate_user
):
    """The join form leads to the instruction screens, then to the access-code screen."""
    client.force_login(candidate_user)
    bad = client.post("/certification/rejoindre/", {"session_number": "12a"})
    assert "Le numéro de session est composé uniquement de chiffres." in bad.content.decode()
    response = client.post(
        "/certification/rejoindre/",
        {
            "session_number": exam_session.number,
            "first_name": "lea",
            "last_name": "dupont ndiaye",
            "birthdate": "14/03/2008",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "32 questions" in page and "hors éventuel temps majoré" in page
    refused = client.post(f"/certification/candidats/{line.pk}/instructions/", {})
    assert "Cochez la case pour continuer." in refused.content.decode()
    started = client.post(
        f"/certification/candidats/{line.pk}/instructions/", {"accept": "on"}, follow=True
    )
    assert "Code d'accès communiqué par le surveillant" in unescape(started.content.decode())
    assert not CertificationCourse.objects.exists()


@pytest.mark.django_db
def test_it_hides_other_candidates_pages(client, exam_session, line, candidate_user):
    """A user reaches only their own candidate pages."""
    client.force_login(candidate_user)
    assert client.get(f"/certification/candidats/{line.pk}/commencer/").status_code == 404
    assert (
        client.post(
            f"/api/certification/candidates/{line.pk}/start",
            {"access_code": "X"},
            content_type="application/json",
        ).status_code
        == 404
    )
