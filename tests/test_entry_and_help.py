"""Seed 001's entry, seed 004's « SOS élève non certifiable » code and the « Aide » page
(issue 16).

Personas: an invigilator who is not a member of the centre (Alice Martin, who entered the
session with its password), the centre admin, a pupil who is not certifiable yet, anyone
signed in for the guide; the anonymous visitor is sent to the log-in page.
"""

import datetime as dt
import html
import re

import pytest

from invigilation import actions
from invigilation.models import InvigilatorAccess
from tests.factories import CandidateFactory, MembershipFactory, UserFactory
from tests.test_documents import all_text

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SOS = "SOSXYZ123"


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def alice(exam_session):
    user = UserFactory(first_name="Alice", last_name="Martin", email="alice.martin@lycee.fr")
    InvigilatorAccess.objects.create(session=exam_session, user=user, via="password")
    return user


@pytest.fixture
def sos(centre):
    centre.sos_campaign_code = SOS
    centre.save(update_fields=["sos_campaign_code"])


@pytest.mark.django_db
def test_the_entry_form_shows_the_account_in_use_and_offers_another(login, alice):
    client = login(alice)
    page = client.get("/surveillance/?session=1234567")
    text = _text(page)
    assert "Vous êtes connecté avec le compte Alice Martin (alice.martin@lycee.fr)." in text
    assert "Changer de compte" in text
    # « Changer de compte » signs out and comes back to this form after the next log-in.
    back = re.search(r'name="next" value="([^"]+)"', page.content.decode())[1]
    response = client.post("/compte/deconnexion/", {"next": html.unescape(back)})
    assert response.status_code == 302
    assert response["Location"] == "/compte/connexion/?next=/surveillance/%3Fsession%3D1234567"
    assert client.get("/surveillance/").status_code == 302  # signed out


@pytest.mark.django_db
def test_it_shows_the_sos_code_in_the_espace_surveillant(login, exam_session, alice, sos):
    text = _text(login(alice).get(f"/surveillance/sessions/{exam_session.pk}/"))
    assert f"Code de la campagne « SOS élève non certifiable » : {SOS}" in text
    assert "Ce code est à utiliser uniquement en cas de besoin." in text


@pytest.mark.django_db
def test_it_shows_no_sos_line_when_the_centre_has_no_code(login, exam_session, alice):
    assert "SOS élève" not in _text(login(alice).get(f"/surveillance/sessions/{exam_session.pk}/"))


@pytest.mark.django_db
def test_it_gives_the_sos_code_in_the_non_certifiable_refusal(login, exam_session, sos):
    CandidateFactory(
        session=exam_session, first_name="Léa", last_name="Dupont", birthdate=dt.date(2008, 3, 14)
    )
    response = login(UserFactory()).post(
        "/api/certification/join",
        {
            "session_number": exam_session.number,
            "first_name": "Léa",
            "last_name": "Dupont",
            "birthdate": "2008-03-14",
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    detail = response.json()["detail"]
    assert detail.startswith("Votre profil n'est pas encore certifiable")
    assert f"rejoindre sa campagne « SOS élève non certifiable » avec le code {SOS}." in detail


@pytest.mark.django_db
def test_the_guide_is_linked_from_the_entry_form_the_espace_surveillant_and_the_kit(
    login, client, exam_session, alice
):
    assert client.get("/surveillance/aide/")["Location"].startswith("/compte/connexion/")
    text = _text(login(UserFactory()).get("/surveillance/aide/"))
    assert "Guide du surveillant" in text and "Je m'en occupe" in text
    as_alice = login(alice)
    for url in ("/surveillance/", f"/surveillance/sessions/{exam_session.pk}/"):
        assert 'href="/surveillance/aide/"' in as_alice.get(url).content.decode()
    kit = as_alice.get(f"/surveillance/sessions/{exam_session.pk}/kit.pdf")
    assert "/surveillance/aide/" in all_text(kit.content)


@pytest.mark.django_db
def test_the_guide_says_what_each_incident_action_does(login):
    """Issue 15: the user-facing help says what each action does, in the seed's tone."""
    text = _text(login(UserFactory()).get("/surveillance/aide/"))
    for action in (
        "Ajouter du temps",
        "Suspendre la session",
        "Reprendre la session",
        "Suspendre ce test",
        "Envoyer un message",
        "Ajouter au PV",
        "PV de fraude",
        "Tout sélectionner",
    ):
        assert f"« {action} »" in text, action
    # Seed 004: a candidate who left the room may not resume.
    assert "un élève qui a quitté la salle ne peut pas reprendre" in text
    assert "ordinateurs partagés" in text


@pytest.mark.django_db
def test_an_invigilator_who_is_not_a_member_lands_on_the_entry_form_after_logging_in(
    client, exam_session, centre_admin, candidate_user, jury
):
    """Seed 001: « s'il n'est pas membre …, il accède directement à l'écran d'accueil de
    l'Espace Surveillant ». Decided by what the account is, from the very first log-in (no
    earlier entry needed): no centre, not the jury, not a pupil's account."""
    alice = UserFactory(email="alice.martin@lycee.fr", password="Un mot de passe sûr 2026")
    login = {"username": "alice.martin@lycee.fr", "password": "Un mot de passe sûr 2026"}
    assert client.post("/compte/connexion/", login)["Location"] == "/"
    landing = client.get("/")
    assert landing.status_code == 302 and landing["Location"] == "/surveillance/"
    form = _text(client.get(landing["Location"]))
    assert "Surveiller une session" in form
    assert "Vous êtes connecté avec le compte" in form and "Changer de compte" in form
    # A pupil who lands there by mistake has a way to their session.
    assert "Candidat : rejoindre une session de certification" in form
    # Not these: a centre member goes to the centre's sessions; the jury, a candidate of a
    # session and a pupil with a competence profile (no candidacy yet) to the home page.
    client.force_login(centre_admin)
    assert client.get("/")["Location"].startswith("/centres/")
    pupil = UserFactory(email="eleve2@lycee.fr", certifiable=True)
    enrolled = CandidateFactory(session=exam_session, user=UserFactory(email="eleve3@lycee.fr"))
    for user in (jury, candidate_user, pupil, enrolled.user):
        client.force_login(user)
        home = client.get("/")
        assert home.status_code == 200, user
        assert "Surveillant : accéder à l'Espace Surveillant" in _text(home)
    # Whatever it did before: an account that entered a session with its password and
    # then was made a member of a centre goes to the centre's sessions.
    exam_session.invigilator_password = "BCDF-GHJK-MNPQ"
    exam_session.save(update_fields=["invigilator_password_encrypted"])
    actions.do_supervise(alice, number=exam_session.number, password="BCDF-GHJK-MNPQ", ip=None)
    MembershipFactory(centre=exam_session.centre, user=alice)
    client.force_login(alice)
    assert client.get("/")["Location"].startswith("/centres/")


@pytest.mark.django_db
def test_the_guide_shows_the_espace_surveillant_on_a_phone_a_tablet_and_a_computer(login):
    """Issue 16: « Aide » shows the screenshots (scripts/screenshots_espace_surveillant.py),
    each a small PNG shipped with Vigie, described in words."""
    from django.contrib.staticfiles import finders

    page = login(UserFactory()).get("/surveillance/aide/").content.decode()
    images = re.findall(r'<img src="/static/(vigie/aide/[^"]+\.png)"[^>]*alt="([^"]+)"', page)
    names = [path.rsplit("/", 1)[1] for path, _alt in images]
    assert names == ["es-phone-360x740.png", "es-tablet-768x1024.png", "es-desktop-1280x800.png"]
    assert 'href="/static/vigie/aide/es-phone-360x740-page.png"' in page
    for path, alt in [*images, ("vigie/aide/es-phone-360x740-page.png", "-")]:
        found = finders.find(path)
        assert found, path
        data = open(found, "rb").read()  # noqa: SIM115
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) < 400_000, (path, len(data))
        assert alt == "-" or "Espace Surveillant sur" in alt, alt
