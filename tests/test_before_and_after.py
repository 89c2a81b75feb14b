"""Before and after (issue 16): the readiness board before the start and the closing
checklist before leaving, opened from the Espace Surveillant.

Personas: Alice Martin entered the session with its password; the centre admin is a member
(and finalizes); the admin of another centre and the candidate are refused.
"""

import html
import re

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.tags import Tag
from certification import actions as test_actions
from certification.models import AlertStatus
from invigilation import actions
from invigilation.models import InvigilatorAccess
from tests.factories import (
    CandidateFactory,
    CentreFactory,
    CertificationCourseFactory,
    LiveAlertFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def alice(exam_session):
    user = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=exam_session, user=user, via="password")
    return user


@pytest.mark.django_db
def test_it_shows_who_is_ready_before_the_start(login, exam_session, alice, candidate_user):
    exam_session.companion_required = True
    exam_session.save(update_fields=["companion_required"])
    now = timezone.now()
    CandidateFactory(session=exam_session, first_name="Léa", last_name="Dupont")
    CandidateFactory(
        session=exam_session,
        first_name="Hugo",
        last_name="Abadi",
        user=candidate_user,
        instructions_accepted_at=now,
        authorized_to_start_at=now,
    )
    text = _text(login(alice).get(f"/surveillance/sessions/{exam_session.pk}/avant-le-debut/"))
    assert "1 candidat prêt sur 2." in text
    assert (
        "ABADI Hugo Oui Oui Pas encore vérifiée Oui" in text
        and "DUPONT Léa Non Non Pas encore vérifiée Non" in text
    )
    assert "Afficher le code d'accès sur l'affichage salle" in text


@pytest.mark.django_db
def test_it_shows_the_extension_once_the_test_runs(login, exam_session, alice, small_bank):
    exam_session.companion_required = True
    exam_session.save(update_fields=["companion_required"])
    lea = CandidateFactory(session=exam_session, first_name="Léa", last_name="Dupont")
    course = CertificationCourseFactory(candidate=lea, started_at=timezone.now())
    client = login(alice)
    url = f"/surveillance/sessions/{exam_session.pk}/avant-le-debut/"
    assert "DUPONT Léa Non Non Détectée Oui" in _text(client.get(url))
    LiveAlertFactory(course=course, kind="companion")
    assert "DUPONT Léa Non Non Non détectée Oui" in _text(client.get(url))


@pytest.mark.django_db
def test_it_shows_the_extension_before_the_start_as_the_candidate_s_page_saw_it(
    login, exam_session, alice, candidate_user, small_bank
):
    """Issue 16: the instructions and start pages check the extension and say so (an
    action, audited when it changes); the board shows it before any test starts. Reading
    the pages writes nothing; another user cannot report for the candidate."""
    exam_session.companion_required = True
    exam_session.save(update_fields=["companion_required"])
    hugo = CandidateFactory(
        session=exam_session, first_name="Hugo", last_name="Abadi", user=candidate_user
    )
    board = f"/surveillance/sessions/{exam_session.pk}/avant-le-debut/"
    check = f"/api/certification/candidates/{hugo.pk}/companion-check"
    pupil = login(candidate_user)
    page = pupil.get(f"/certification/candidats/{hugo.pk}/instructions/")
    assert f'data-url="{check}"' in page.content.decode()
    hugo.refresh_from_db()
    assert hugo.companion_detected is None  # a read writes nothing

    def report(client, detected: bool):
        return client.post(check, {"detected": detected}, content_type="application/json")

    assert report(pupil, False).json() == {"detected": False, "changed": True}
    assert "ABADI Hugo Oui Non Non détectée Non" in _text(login(alice).get(board))
    assert report(pupil, True).json() == {"detected": True, "changed": True}
    assert report(pupil, True).json() == {"detected": True, "changed": False}  # no new row
    assert "ABADI Hugo Oui Non Détectée Non" in _text(login(alice).get(board))
    rows = AuditEvent.objects.filter(tag=Tag.Candidate.COMPANION_CHECK).order_by("pk")
    assert [(r.actor, r.data["detected"]) for r in rows] == [
        (candidate_user, False),
        (candidate_user, True),
    ]
    # Refused: the invigilator and another pupil (not their line), nothing written.
    for outsider in (alice, UserFactory()):
        assert report(login(outsider), False).status_code == 404
    hugo.refresh_from_db()
    assert hugo.companion_detected is True
    # Once the test runs the test page checks it: a late report changes nothing.
    CertificationCourseFactory(candidate=hugo, started_at=timezone.now())
    assert report(pupil, False).json()["changed"] is False
    assert "ABADI Hugo Oui Non Détectée Oui" in _text(login(alice).get(board))


@pytest.mark.django_db
def test_it_lists_what_remains_before_leaving_then_offers_the_finalization(
    login, exam_session, alice, centre_admin, small_bank
):
    now = timezone.now()
    lea = CandidateFactory(session=exam_session, first_name="Léa", last_name="Dupont")
    hugo = CandidateFactory(session=exam_session, first_name="Hugo", last_name="Abadi")
    CandidateFactory(session=exam_session, first_name="Zoé", last_name="Morel")
    ines = CandidateFactory(
        session=exam_session, first_name="Inès", last_name="Roy", authorized_to_start_at=now
    )
    running = CertificationCourseFactory(candidate=lea, started_at=now, current_item_id="1.1-000")
    alert = LiveAlertFactory(course=running)
    ended = CertificationCourseFactory(candidate=hugo, started_at=now)
    test_actions.do_end_by_invigilator(ended, actor=alice)
    client = login(alice)
    url = f"/surveillance/sessions/{exam_session.pk}/avant-de-partir/"
    text = _text(client.get(url))
    assert "Tests en cours : DUPONT Léa" in text
    assert "Signalements en attente : DUPONT Léa" in text
    assert "notez pourquoi au PV : ROY Inès" in text
    assert "sans note au PV : ABADI Hugo" in text
    assert "Candidats absents (déclarés absents à la finalisation)" in text and "MOREL Zoé" in text
    assert "Réglez ces points dans l'Espace Surveillant avant de finaliser." in text
    # Seed 004 (issue 20): pupils sign in on shared computers; Vigie cannot check it, it reminds.
    assert "Ordinateurs partagés : sur chaque poste, déconnectez le compte Vigie de l'élève" in text
    # An invigilator who is not a member is told who finalizes.
    assert "prévenez votre référent" in text
    assert "/finaliser/" not in client.get(url).content.decode()

    test_actions.do_refuse_alert(alert, actor=alice)
    test_actions.do_end_by_invigilator(running, actor=alice)
    test_actions.do_cancel_presence(ines, actor=alice)
    actions.do_add_note(exam_session, author=alice, text="Malaise, test arrêté.", candidate=hugo)
    assert alert.__class__.objects.get(pk=alert.pk).status == AlertStatus.REFUSED
    actions.do_add_note(exam_session, author=alice, text="Abandon.", candidate=lea)
    text = _text(client.get(url))
    assert "Tout est en ordre : la session peut être finalisée." in text
    # The centre admin (a member) goes on to the pre-filled finalization in one tap.
    actions.do_enter_as_member(centre_admin, exam_session, ip=None)
    page = login(centre_admin).get(url).content.decode()
    assert f'href="/sessions/{exam_session.pk}/finaliser/"' in page


@pytest.mark.django_db
def test_it_refuses_the_boards_to_other_personas(login, exam_session, candidate_user):
    other_admin = UserFactory()
    MembershipFactory(user=other_admin, centre=CentreFactory())
    CandidateFactory(session=exam_session, user=candidate_user)
    for user in (other_admin, candidate_user):
        for page in ("avant-le-debut", "avant-de-partir"):
            url = f"/surveillance/sessions/{exam_session.pk}/{page}/"
            assert login(user).get(url).status_code == 404
