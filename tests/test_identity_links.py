"""What signing in through a school's identity provider changes for a person: the join
form offers the provider's names and birthdate and matches them against the attendance
sheet as lib/text.normalize_name reads them (« JEAN-FRANCOIS » finds « Jean-François »);
a centre can require its candidates to sign in that way; « Mon compte » shows the links
and removes them; the Espace Surveillant entry is unchanged.

Personas: the pupil of the ENT (JEAN-FRANCOIS DE LA FONTAINE), the candidate persona with
a Vigie password (refused when the centre turned passwords off), another account (404 on
someone else's link)."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import CompetenceLevel, ExternalIdentity
from audit.models import AuditEvent
from audit.tags import Tag
from certification.models import CertificationCourse
from exams.models import Candidate
from invigilation.models import InvigilatorAccess
from tests.factories import CandidateFactory, ExternalIdentityFactory, UserFactory
from tests.identity_providers import sign_in_oidc

pytestmark = pytest.mark.django_db


@pytest.fixture
def jean_francois_line(exam_session):
    return CandidateFactory(
        session=exam_session,
        first_name="Jean-François",
        last_name="de La Fontaine",
        birthdate=dt.date(2008, 3, 14),
    )


def _make_certifiable(user) -> None:
    for code in ("1.1", "1.2", "2.1", "3.1", "4.1"):
        CompetenceLevel.objects.create(user=user, competence=code, level=2)


def _signed_in_pupil(oidc_providers) -> tuple[Client, ExternalIdentity]:
    ent, _academie = oidc_providers
    client = Client()
    sign_in_oidc(client, ent, "jf-delafontaine")
    link = ExternalIdentity.objects.get(subject="jf-delafontaine")
    _make_certifiable(link.user)
    return client, link


def test_the_join_form_offers_what_the_provider_said(oidc_providers, exam_session):
    client, _link = _signed_in_pupil(oidc_providers)
    form = client.get(reverse("certification:join")).context["form"]
    assert form.initial == {
        "first_name": "JEAN-FRANCOIS",
        "last_name": "DE LA FONTAINE",
        "birthdate": dt.date(2008, 3, 14),
    }


def test_the_provider_s_spelling_finds_the_attendance_sheet_s(
    oidc_providers, exam_session, jean_francois_line
):
    client, link = _signed_in_pupil(oidc_providers)

    response = client.post(
        reverse("certification:join"),
        {
            "session_number": exam_session.number,
            "first_name": "JEAN-FRANCOIS",
            "last_name": "DE LA FONTAINE",
            "birthdate": "2008-03-14",
        },
    )

    assert response.status_code == 302
    jean_francois_line.refresh_from_db()
    assert jean_francois_line.user == link.user


def test_a_wrong_birthdate_still_finds_no_line(oidc_providers, exam_session, jean_francois_line):
    client, _link = _signed_in_pupil(oidc_providers)
    response = client.post(
        "/api/certification/join",
        {
            "session_number": exam_session.number,
            "first_name": "JEAN-FRANCOIS",
            "last_name": "DE LA FONTAINE",
            "birthdate": "2008-03-15",
        },
        content_type="application/json",
    )
    assert response.status_code == 404
    assert Candidate.objects.get(pk=jean_francois_line.pk).user is None


# --- A centre that turned Vigie passwords off for its candidates ---------------------------


def test_a_centre_can_require_its_candidates_to_sign_in_with_their_school(
    client, centre, centre_admin, exam_session, candidate, candidate_user
):
    client.force_login(centre_admin)
    page = client.get(reverse("exams:centre_settings", args=[centre.pk]))
    assert "candidate_password_sign_in" in page.content.decode()
    client.post(
        reverse("exams:centre_settings", args=[centre.pk]),
        {"name": centre.name, "type": centre.type, "time_zone": centre.time_zone},
    )
    centre.refresh_from_db()
    assert centre.candidate_password_sign_in is False
    event = AuditEvent.objects.get(tag=Tag.Centre.CENTRE_UPDATE)
    assert event.data["after"] == {"candidate_password_sign_in": False}

    # A candidate signed in with a password is refused, with the reason.
    pupil = Client()
    pupil.force_login(candidate_user, backend="accounts.backends.EmailBackend")
    response = pupil.post(
        "/api/certification/join",
        {
            "session_number": exam_session.number,
            "first_name": "Léa",
            "last_name": "Dupont",
            "birthdate": str(candidate.birthdate),
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["code"] == "identity_provider_required"
    assert "ENT, GAR" in response.json()["detail"]
    candidate.refresh_from_db()
    assert candidate.user is None


def test_a_candidate_signed_in_through_the_provider_joins_and_starts_there(
    oidc_providers, centre, exam_session, jean_francois_line, invigilator
):
    centre.candidate_password_sign_in = False
    centre.save()
    client, link = _signed_in_pupil(oidc_providers)
    joined = client.post(
        "/api/certification/join",
        {
            "session_number": exam_session.number,
            "first_name": "JEAN-FRANCOIS",
            "last_name": "DE LA FONTAINE",
            "birthdate": "2008-03-14",
        },
        content_type="application/json",
    )
    assert joined.status_code == 200, joined.json()
    line = Candidate.objects.get(pk=jean_francois_line.pk)
    line.instructions_accepted_at = timezone.now()
    line.authorized_to_start_at = timezone.now()
    line.authorized_by = invigilator
    line.save()

    # The same account signed in with a password (one set since) is refused at the start.
    link.user.set_password("Motdepasse1")
    link.user.save()
    by_password = Client()
    by_password.force_login(link.user, backend="accounts.backends.EmailBackend")
    url = f"/api/certification/candidates/{line.pk}/start"
    body = {"access_code": exam_session.access_code}
    refused = by_password.post(url, body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "identity_provider_required"
    assert not CertificationCourse.objects.exists()

    # (Setting a password ends the account's other sessions: the pupil signs in again.)
    sign_in_oidc(client, oidc_providers[0], "jf-delafontaine")
    started = client.post(url, body, content_type="application/json")
    assert started.status_code == 200, started.json()


def test_a_centre_that_keeps_passwords_lets_both_in(
    client, exam_session, candidate, candidate_user
):
    client.force_login(candidate_user, backend="accounts.backends.EmailBackend")
    response = client.post(
        "/api/certification/join",
        {
            "session_number": exam_session.number,
            "first_name": "Léa",
            "last_name": "Dupont",
            "birthdate": str(candidate.birthdate),
        },
        content_type="application/json",
    )
    assert response.status_code == 200


# --- The Espace Surveillant entry is unchanged -------------------------------------------------


def test_an_invigilator_signed_in_through_the_provider_enters_with_the_session_password(
    oidc_providers, exam_session
):
    ent, _academie = oidc_providers
    client = Client()
    sign_in_oidc(client, ent, "m-martin")
    page = client.get(reverse("invigilation:enter"))
    assert page.status_code == 200
    wrong = client.post(
        "/api/invigilation/supervise",
        {"session_number": exam_session.number, "password": "AAAA-BBBB-CCCC"},
        content_type="application/json",
    )
    assert wrong.status_code in (401, 403, 404)
    right = client.post(
        "/api/invigilation/supervise",
        {"session_number": exam_session.number, "password": exam_session.invigilator_password},
        content_type="application/json",
    )
    assert right.status_code == 200, right.content
    assert InvigilatorAccess.objects.filter(user__identities__subject="m-martin").count() == 1


# --- « Mon compte » ---------------------------------------------------------------------------


def test_the_account_page_shows_the_links_and_removes_one(client, candidate_user):
    link = ExternalIdentityFactory(user=candidate_user, provider="ent", first_name="LÉA")
    client.force_login(candidate_user)
    page = client.get(reverse("accounts:account")).content.decode()
    assert "LÉA" in page and "14/03/2008" in page and "Retirer ce lien" in page

    response = client.post(reverse("accounts:remove_identity_link", args=[link.pk]))

    assert response["Location"] == reverse("accounts:account")
    assert not ExternalIdentity.objects.exists()
    event = AuditEvent.objects.get(tag=Tag.Person.IDENTITY_UNLINK)
    assert event.actor == candidate_user and event.data == {"provider": "ent"}


def test_nobody_removes_someone_else_s_link(client, candidate_user):
    link = ExternalIdentityFactory(user=candidate_user)
    client.force_login(UserFactory())
    assert client.post(reverse("accounts:remove_identity_link", args=[link.pk])).status_code == 404
    assert ExternalIdentity.objects.filter(pk=link.pk).exists()


def test_the_last_way_to_sign_in_is_not_removed(oidc_providers):
    client, link = _signed_in_pupil(oidc_providers)
    response = client.post(reverse("accounts:remove_identity_link", args=[link.pk]), follow=True)
    assert "seul moyen" in response.content.decode()
    assert ExternalIdentity.objects.filter(pk=link.pk).exists()
    assert not AuditEvent.objects.filter(tag=Tag.Person.IDENTITY_UNLINK).exists()


def test_the_new_pages_speak_english_too(oidc_providers, candidate_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    login = client.get(reverse("accounts:login")).content.decode()
    assert "Log in with ENT Hauts-de-France" in login and "With your school account" in login
    client.force_login(candidate_user)
    ExternalIdentityFactory(user=candidate_user, provider="ent")
    account = client.get(reverse("accounts:account")).content.decode()
    assert "Linked accounts" in account and "Remove this link" in account
    refused = Client(HTTP_ACCEPT_LANGUAGE="en").get(
        reverse("accounts:oidc_callback", args=["ent"]) + "?code=x&state=y"
    )
    assert refused.status_code == 403
    assert "Logging in with your identity provider did not succeed" in refused.content.decode()
