"""Issue 15's incidents from the live page (server-rendered rows, htmx): add time, suspend
and resume a test or the whole room with who is back, messages and who read them. Each
POST gives its row(s) back; a refusal comes back in French, with its status, into the
dialog it was sent from.

Personas: Alice Martin entered the session with its password; Bruno Petit too (a second
invigilator); an invigilator of another session is refused (tests/test_authorization_matrix.py
covers every persona for every route).
"""

import datetime as dt
import html as html_module
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from certification.models import (
    CertificationCourse,
    MessageReceipt,
    RoomSuspension,
    Suspension,
    TimeAddition,
)
from invigilation.models import InvigilatorAccess
from tests.factories import CandidateFactory, CertificationCourseFactory, UserFactory

START = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def alice(exam_session):
    user = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=exam_session, user=user, via="password")
    return user


@pytest.fixture
def as_alice(login, alice) -> Client:
    return login(alice)


@pytest.fixture
def room(exam_session, small_bank):
    """Hugo and Ali take their test; Léa is present, not started."""
    with time_machine.travel(START, tick=False):
        hugo = CandidateFactory(session=exam_session, first_name="Hugo", last_name="Abadi")
        ali = CandidateFactory(session=exam_session, first_name="Ali", last_name="Bensaid")
        lea = CandidateFactory(
            session=exam_session,
            first_name="Léa",
            last_name="Dupont",
            authorized_to_start_at=timezone.now(),
        )
        CertificationCourseFactory(candidate=hugo, current_item_id="1.1-000")
        CertificationCourseFactory(candidate=ali, current_item_id="1.1-000")
    return exam_session, hugo, ali, lea


def _url(session, tail: str, candidate=None) -> str:
    base = f"/surveillance/sessions/{session.pk}/"
    return base + (f"candidats/{candidate.pk}/" if candidate else "") + tail


def _row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li id="candidate-(\d+)"', html)]


def _flash(html: str) -> str:
    found = re.search(r'<div id="flash"[^>]*>(.*?)</div>', html, re.S)
    return html_module.unescape(found.group(1).strip()) if found else ""


@pytest.mark.django_db
def test_it_adds_time_to_one_candidate_and_shows_it_in_the_end_breakdown(as_alice, room):
    session, hugo, *_ = room
    with time_machine.travel(START + dt.timedelta(minutes=30), tick=False):
        response = as_alice.post(
            _url(session, "ajouter-temps/", hugo), {"minutes": "10", "reason": "coupure réseau"}
        )

    html = response.content.decode()
    assert response.status_code == 200
    assert _row_ids(html) == [hugo.pk]
    assert _flash(html) == "10 min ajoutées au test de Hugo ABADI (coupure réseau)."
    assert "1 h 45 + 10 min ajoutées (coupure réseau)" in html
    assert CertificationCourse.objects.get(candidate=hugo).added_time == dt.timedelta(minutes=10)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"minutes": "0", "reason": "x"}, "Indiquez un nombre de minutes entre 1 et 120."),
        ({"minutes": "121", "reason": "x"}, "Indiquez un nombre de minutes entre 1 et 120."),
        ({"minutes": "dix", "reason": "x"}, "Indiquez un nombre de minutes entre 1 et 120."),
        ({"minutes": "10", "reason": "  "}, "Indiquez le motif (par exemple : coupure réseau)."),
        ({"minutes": "10", "reason": "a\x00b"}, "Le caractère nul n’est pas autorisé."),
    ],
)
def test_it_refuses_bad_minutes_or_reason_in_french_and_changes_nothing(
    as_alice, room, form, message
):
    session, hugo, *_ = room
    response = as_alice.post(_url(session, "ajouter-temps/", hugo), form)
    assert response.status_code == 400
    assert message in _flash(response.content.decode())
    assert not TimeAddition.objects.exists()


@pytest.mark.django_db
def test_it_tells_who_ended_the_test_when_time_is_added_after(login, as_alice, room, alice):
    """Bruno adds time to Hugo whose test Alice just ended: refused, and told by whom."""
    session, hugo, *_ = room
    bruno = UserFactory(first_name="Bruno", last_name="Petit")
    InvigilatorAccess.objects.create(session=session, user=bruno, via="password")
    assert as_alice.post(_url(session, "terminer/", hugo)).status_code == 200

    response = login(bruno).post(
        _url(session, "ajouter-temps/", hugo), {"minutes": "5", "reason": "retard"}
    )

    html = response.content.decode()
    assert response.status_code == 409
    assert _flash(html) == "Le test de ABADI Hugo a été terminé par Alice Martin."
    assert "Terminé par Alice Martin" in html
    assert not TimeAddition.objects.exists()


@pytest.mark.django_db
def test_it_suspends_one_test_with_a_reason_then_lets_it_go_on(as_alice, room):
    session, hugo, *_ = room
    missing = as_alice.post(_url(session, "suspendre/", hugo), {"reason": ""})
    assert missing.status_code == 400
    assert _flash(missing.content.decode()) == "Indiquez le motif (par exemple : malaise)."

    with time_machine.travel(START + dt.timedelta(minutes=20), tick=False):
        html = as_alice.post(_url(session, "suspendre/", hugo), {"reason": "Malaise"}).content
    page = html.decode()
    assert re.search(r"Suspendu depuis \d\d:20 : Malaise", page)
    assert f'id="continue-{hugo.pk}"' in page and f'id="suspend-{hugo.pk}"' not in page

    with time_machine.travel(START + dt.timedelta(minutes=32), tick=False):
        response = as_alice.post(_url(session, "reprendre/", hugo))
    assert response.status_code == 200
    assert _flash(response.content.decode()) == (
        "Le test de Hugo ABADI reprend là où il s'était arrêté."
    )
    course = CertificationCourse.objects.get(candidate=hugo)
    assert course.suspended_time == dt.timedelta(minutes=12) and not course.is_suspended


@pytest.mark.django_db
def test_it_suspends_the_room_and_resumes_only_those_confirmed_back(as_alice, room):
    session, hugo, ali, _lea = room
    with time_machine.travel(START + dt.timedelta(minutes=30), tick=False):
        response = as_alice.post(_url(session, "suspendre/"), {"text": "Alarme incendie"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Session suspendue depuis" in html and "« Alarme incendie »" in html
    # Every row comes back, held by the room: no « Reprendre ce test » until the room resumes.
    assert sorted(_row_ids(html)) == sorted(c.pk for c in session.candidates.all())
    assert f'id="continue-{hugo.pk}"' not in html
    # The resume dialog lists who the suspension holds, all ticked (« tous présents »).
    assert f'name="present" value="{hugo.pk}"' in html and f'value="{ali.pk}"' in html

    with time_machine.travel(START + dt.timedelta(minutes=45), tick=False):
        resumed = as_alice.post(_url(session, "reprendre/"), {"present": [str(hugo.pk)]})

    page = resumed.content.decode()
    assert resumed.status_code == 200
    assert _flash(page) == (
        "La session reprend après 15 minutes d'arrêt. Reste suspendu : Ali BENSAID."
    )
    assert "Session suspendue depuis" not in page and "resume-session-dialog" not in page
    assert f'id="continue-{ali.pk}"' in page  # now decided one by one
    assert not CertificationCourse.objects.get(candidate=hugo).is_suspended
    assert CertificationCourse.objects.get(candidate=ali).is_suspended
    assert not RoomSuspension.objects.filter(ended_at=None).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("present", [["abc"], ["0"], ["1" * 13]])
def test_it_refuses_a_resume_naming_no_candidate_number(as_alice, room, present):
    session, *_ = room
    as_alice.post(_url(session, "suspendre/"), {"text": "Coupure réseau générale"})
    response = as_alice.post(_url(session, "reprendre/"), {"present": present})
    assert response.status_code == 400
    assert _flash(response.content.decode()) == "La liste des candidats n'est pas valide."
    assert RoomSuspension.objects.filter(ended_at=None).exists()


@pytest.mark.django_db
def test_it_refuses_to_suspend_a_room_twice_in_french(as_alice, room):
    session, *_ = room
    assert as_alice.post(_url(session, "suspendre/"), {"text": "Alarme"}).status_code == 200
    again = as_alice.post(_url(session, "suspendre/"), {"text": "Alarme"})
    assert again.status_code == 409
    assert _flash(again.content.decode())
    assert RoomSuspension.objects.count() == 1
    assert Suspension.objects.count() == 2


@pytest.mark.django_db
def test_it_sends_a_ready_message_to_one_and_free_text_to_all_and_shows_who_read(
    as_alice, room, alice
):
    session, hugo, ali, _lea = room
    one = as_alice.post(_url(session, "message/", hugo), {"ready": "Il reste 10 minutes."})
    assert one.status_code == 200
    assert _flash(one.content.decode()) == "Message envoyé à Hugo ABADI."
    empty = as_alice.post(_url(session, "message/"), {"ready": "", "text": " "})
    assert empty.status_code == 400
    assert _flash(empty.content.decode()) == "Écrivez le message ou choisissez un message prêt."

    everyone = as_alice.post(
        _url(session, "message/"), {"ready": "Il reste 10 minutes.", "text": "Rangez vos sacs"}
    )

    assert _flash(everyone.content.decode()) == "Message envoyé à tous les candidats."
    receipt = MessageReceipt.objects.get(candidate=ali, message__text="Rangez vos sacs")
    receipt.read_at = timezone.now()
    receipt.save()
    journal = as_alice.get(_url(session, "lignes/"), {"ids": "", "journal": "1"}).content.decode()
    assert "« Rangez vos sacs »" in journal and "Lu par 1 / 3" in journal
    assert "Lu : BENSAID Ali" in journal
    assert "Pas encore lu : ABADI Hugo, DUPONT Léa" in journal


@pytest.mark.django_db
def test_it_offers_the_page_s_dialogs_and_the_ready_messages(as_alice, room):
    session, hugo, _ali, lea = room
    html = as_alice.get(f"/surveillance/sessions/{session.pk}/").content.decode()
    for dialog in ("add-time-dialog", "suspend-test-dialog", "suspend-session-dialog"):
        assert f'id="{dialog}"' in html
    assert 'value="Merci de rester silencieux."' in html
    assert f'data-url="/surveillance/sessions/{session.pk}/candidatsn' not in html
    assert f'id="add-time-{hugo.pk}"' in html and f'id="add-time-{lea.pk}"' not in html
    assert f'id="message-{lea.pk}"' in html


# --- A selection: one confirmation, all or nothing -------------------------------------------


@pytest.mark.django_db
def test_it_adds_time_to_a_selection_and_says_how_many(as_alice, room):
    session, hugo, ali, _lea = room
    response = as_alice.post(
        _url(session, "selection/ajouter-temps/"),
        {"ids": [str(hugo.pk), str(ali.pk)], "minutes": "10", "reason": "coupure réseau"},
    )
    assert response.status_code == 200
    assert _flash(response.content.decode()) == "10 min ajoutées aux tests de 2 candidats."
    assert TimeAddition.objects.filter(minutes=10).count() == 2


@pytest.mark.django_db
def test_it_refuses_a_whole_selection_when_one_test_has_not_started(as_alice, room):
    """Léa is present but has not started: nothing is added to anyone."""
    session, hugo, _ali, lea = room
    response = as_alice.post(
        _url(session, "selection/ajouter-temps/"),
        {"ids": [str(hugo.pk), str(lea.pk)], "minutes": "10", "reason": "coupure réseau"},
    )
    assert response.status_code == 409
    assert _flash(response.content.decode()) == "DUPONT Léa n'a pas commencé son test."
    assert not TimeAddition.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("ids", [[], ["abc"], ["999999"]])
def test_it_refuses_an_empty_or_foreign_selection(as_alice, room, ids):
    session, *_ = room
    response = as_alice.post(_url(session, "selection/terminer/"), {"ids": ids})
    assert response.status_code == 400
    assert _flash(response.content.decode()) in (
        "Sélectionnez au moins un candidat de cette session.",
        "La liste des candidats n'est pas valide.",
    )
    assert CertificationCourse.objects.filter(status="started").count() == 2


@pytest.mark.django_db
def test_it_refuses_a_candidate_of_another_session_in_a_selection(as_alice, room, alice):
    session, hugo, *_ = room
    stranger = CandidateFactory()
    response = as_alice.post(
        _url(session, "selection/message/"),
        {"ids": [str(hugo.pk), str(stranger.pk)], "ready": "Il reste 10 minutes."},
    )
    assert response.status_code == 400
    assert not MessageReceipt.objects.exists()


@pytest.mark.django_db
def test_it_confirms_the_presence_of_a_selection_leaving_the_confirmed_as_they_are(
    as_alice, room, exam_session
):
    session, _hugo, _ali, lea = room
    late = CandidateFactory(session=session, first_name="Zoé", last_name="Zola")
    response = as_alice.post(
        _url(session, "selection/confirmer/"), {"ids": [str(lea.pk), str(late.pk)]}
    )
    assert response.status_code == 200
    assert _flash(response.content.decode()) == "1 présence confirmée."
    late.refresh_from_db()
    assert late.authorized_to_start_at is not None


@pytest.mark.django_db
def test_it_ends_a_selection_or_nothing_when_another_invigilator_ended_one(login, as_alice, room):
    session, hugo, ali, _lea = room
    bruno = UserFactory(first_name="Bruno", last_name="Petit")
    InvigilatorAccess.objects.create(session=session, user=bruno, via="password")
    assert login(bruno).post(_url(session, "terminer/", ali)).status_code == 200

    refused = as_alice.post(_url(session, "selection/terminer/"), {"ids": [hugo.pk, ali.pk]})

    assert refused.status_code == 409
    assert (
        _flash(refused.content.decode()) == "Le test de BENSAID Ali a été terminé par Bruno Petit."
    )
    assert CertificationCourse.objects.get(candidate=hugo).status == "started"
    ended = as_alice.post(_url(session, "selection/terminer/"), {"ids": [hugo.pk]})
    assert _flash(ended.content.decode()) == "1 test terminé."
    assert CertificationCourse.objects.get(candidate=hugo).status == "ended_by_invigilator"


@pytest.mark.django_db
def test_it_offers_the_selection_bar_with_questions_naming_how_many(as_alice, room):
    session, hugo, *_ = room
    html = as_alice.get(f"/surveillance/sessions/{session.pk}/").content.decode()
    assert 'id="selection-bar"' in html and "Tout sélectionner" in html
    assert 'data-question-many="Terminer les tests de {count} candidats ?"' in html
    assert f'name="ids" value="{hugo.pk}"' in html
