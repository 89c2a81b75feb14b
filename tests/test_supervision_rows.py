"""The Espace Surveillant rendered by the server: the page carries its rows, a live event
fetches only the rows that changed (GET …/lignes/?ids=), and each action posts a form and
gets its row back (htmx). Same access as the JSON state (invigilation/access.py).

Personas: Alice Martin entered the session with its password; the `invigilator` persona did
not and is refused; the centre admin is a member.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from certification.models import AlertStatus, CertificationCourse, CourseStatus, LiveAlert
from exams.models import ExamSession
from invigilation.models import InvigilatorAccess, Note
from lib import issue_reports
from tests.factories import (
    CandidateFactory,
    CertificationCourseFactory,
    ExamSessionFactory,
    LiveAlertFactory,
    UserFactory,
)

NOT_SUPERVISABLE = (
    "Cette session n'est plus accessible : elle a été finalisée ou ses résultats sont traités."
)


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
    """Léa has not been confirmed, Hugo's test runs with a pending report, Zoé's ended."""
    lea = CandidateFactory(session=exam_session, first_name="Léa", last_name="Dupont")
    hugo = CandidateFactory(session=exam_session, first_name="Hugo", last_name="Abadi")
    zoe = CandidateFactory(session=exam_session, first_name="Zoé", last_name="Zola")
    running = CertificationCourseFactory(candidate=hugo, current_item_id="1.1-000")
    alert = LiveAlertFactory(course=running, item_id="1.1-000", question_number=4)
    CertificationCourseFactory(
        candidate=zoe, status=CourseStatus.COMPLETED, ended_at=timezone.now()
    )
    return exam_session, lea, hugo, zoe, alert


def _rows_url(session) -> str:
    return f"/surveillance/sessions/{session.pk}/lignes/"


def _row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li id="candidate-(\d+)"', html)]


@pytest.mark.django_db
def test_it_renders_every_row_with_its_buttons_in_the_page_itself(as_alice, room):
    session, lea, hugo, zoe, alert = room
    html = as_alice.get(f"/surveillance/sessions/{session.pk}/").content.decode()

    # Those needing attention first (Hugo's report), then by name.
    assert _row_ids(html) == [hugo.pk, lea.pk, zoe.pk]
    assert "Confirmer la présence de l'élève Léa DUPONT" in html
    assert f'id="alert-dialog-{hugo.pk}"' in html and f'data-alert-id="{alert.pk}"' in html
    assert "2 / 3 candidats présents" in html
    # No table of strings for a script to build rows with.
    assert "supervision-strings" not in html and "<svg" in html
    assert not re.search("[\u2300-\u23ff\u2600-\u27bf\U0001f000-\U0001faff]", html)


@pytest.mark.django_db
def test_it_sends_only_the_rows_asked_for_out_of_band(as_alice, room):
    session, lea, _hugo, zoe, _alert = room

    response = as_alice.get(_rows_url(session), {"ids": f"{lea.pk}"})

    html = response.content.decode()
    assert response.status_code == 200
    assert _row_ids(html) == [lea.pk]
    assert f'<li id="candidate-{lea.pk}" ' in html and 'hx-swap-oob="true"' in html
    # An answer changes its row only: the counts and the journal only when asked for.
    assert 'id="counter"' not in html and 'id="timeline"' not in html
    both = as_alice.get(_rows_url(session), {"ids": f"{lea.pk},{zoe.pk}", "journal": "1"})
    assert _row_ids(both.content.decode()) == [lea.pk, zoe.pk]
    assert 'id="timeline"' in both.content.decode()
    assert "2 / 3 candidats présents" in both.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "group"),
    [("fr", "Problème technique sur une question"), ("en", "Technical problem on a question")],
)
def test_it_offers_every_code_of_the_pv_in_each_row_in_the_page_s_language(
    as_alice, room, language, group
):
    """The categories are rendered once per language and worker (invigilation/rows.py:
    pv_options), each row's select carries them all, in the language of its page."""
    session, lea, hugo, zoe, _alert = room
    as_alice.cookies["django_language"] = language
    for html in (
        as_alice.get(f"/surveillance/sessions/{session.pk}/").content.decode(),
        as_alice.get(_rows_url(session)).content.decode(),
    ):
        selects = re.findall(r'<select id="pv-code-(\d+)".*?</select>', html, re.S)
        assert sorted(int(i) for i in selects) == sorted([lea.pk, hugo.pk, zoe.pk])
        for options in re.findall(r'<select id="pv-code-\d+".*?</select>', html, re.S):
            assert f'<optgroup label="{group}">' in options
            offered = re.findall(r'<option value="([A-Z]+[0-9]*)">', options)
            assert set(offered) == {c.code for c in issue_reports.CODES}


@pytest.mark.django_db
def test_it_prints_a_row_s_numbers_as_they_are_whatever_the_language(
    as_alice, exam_session, settings
):
    """Ids and counts in a row are not localized (no « 12 345 » in an id, nor in a count)."""
    settings.USE_THOUSAND_SEPARATOR = True
    big = CandidateFactory(session=exam_session, id=1234567, first_name="Ana", last_name="Gros")
    html = as_alice.get(_rows_url(exam_session)).content.decode()
    assert f'<li id="candidate-{big.pk}"' in html and 'id="candidate-1234567"' in html
    assert "1\u202f234\u202f567" not in html and "1 234 567" not in html


@pytest.mark.django_db
def test_it_sends_every_row_into_the_list_without_ids(as_alice, room):
    session, lea, hugo, zoe, _alert = room
    html = as_alice.get(_rows_url(session)).content.decode()
    assert '<ul id="candidates" hx-swap-oob="innerHTML">' in html
    assert _row_ids(html) == [hugo.pk, lea.pk, zoe.pk]
    assert 'id="timeline"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("ids", ["x", "1.5", "-1", "0", "1;2", " 1", "1e3", "9" * 13])
def test_it_refuses_ids_that_are_not_candidate_numbers(as_alice, room, ids):
    session = room[0]
    response = as_alice.get(_rows_url(session), {"ids": ids})
    assert response.status_code == 400


@pytest.mark.django_db
def test_it_refuses_ids_of_another_session_or_of_nobody(as_alice, room):
    session, lea, *_ = room
    stranger = CandidateFactory(session=ExamSessionFactory())
    for ids in (f"{lea.pk},{stranger.pk}", "999999"):
        response = as_alice.get(_rows_url(session), {"ids": ids})
        assert response.status_code == 400, ids
        assert b"Dupont" not in response.content and b"DUPONT" not in response.content


@pytest.mark.django_db
def test_it_refuses_the_rows_to_whoever_may_not_supervise_the_session(
    login, room, invigilator, other_centre_admin, candidate_user, centre_admin
):
    session = room[0]
    for user in (invigilator, other_centre_admin, candidate_user):
        assert login(user).get(_rows_url(session)).status_code == 404
    assert Client().get(_rows_url(session)).status_code == 302  # to the log-in page
    assert login(centre_admin).get(_rows_url(session)).status_code == 200


@pytest.mark.django_db
def test_it_closes_the_rows_once_finalized_and_after_the_access_expired(
    login, as_alice, room, centre_admin
):
    session = room[0]
    with time_machine.travel(session.supervision_ends_at, tick=False):
        expired = as_alice.get(_rows_url(session))
        assert expired.status_code == 403
        assert expired.content.decode().startswith("Votre accès à l'Espace Surveillant")
        assert login(centre_admin).get(_rows_url(session)).status_code == 200
    ExamSession.objects.filter(pk=session.pk).update(finalized_at=timezone.now())
    finalized = as_alice.get(_rows_url(session))
    assert (finalized.status_code, finalized.content.decode()) == (412, NOT_SUPERVISABLE)


@pytest.mark.django_db
def test_it_confirms_a_presence_and_sends_the_row_back(as_alice, room, sent_events):
    session, lea, *_ = room
    url = f"/surveillance/sessions/{session.pk}/candidats/{lea.pk}/confirmer/"

    with sent_events() as events:
        response = as_alice.post(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert _row_ids(html) == [lea.pk]
    assert "Présence confirmée" in html and "Annuler la confirmation" in html
    assert "3 / 3 candidats présents" in html
    assert {e["op"] for _g, e in events} == {"authorized"}


@pytest.mark.django_db
def test_it_tells_the_second_invigilator_who_already_acted_in_the_row(login, as_alice, room):
    session, lea, *_ = room
    bruno = UserFactory(first_name="Bruno", last_name="Petit")
    InvigilatorAccess.objects.create(session=session, user=bruno, via="password")
    url = f"/surveillance/sessions/{session.pk}/candidats/{lea.pk}/confirmer/"
    assert as_alice.post(url).status_code == 200

    response = login(bruno).post(url)

    html = response.content.decode()
    assert response.status_code == 409
    assert "Cette action a déjà été traitée par Alice Martin." in html
    assert 'id="flash" class="flash flash-error" role="alert"' in html
    assert _row_ids(html) == [lea.pk] and "Présence confirmée" in html


@pytest.mark.django_db
def test_it_decides_a_report_from_the_row(as_alice, room, alice):
    session, _lea, hugo, _zoe, alert = room
    base = f"/surveillance/sessions/{session.pk}/signalements/{alert.pk}"
    refused_reason = as_alice.post(f"{base}/valider/", {"reason": "nope"})
    assert refused_reason.status_code == 400
    assert LiveAlert.objects.get(pk=alert.pk).status == AlertStatus.ONGOING

    response = as_alice.post(f"{base}/refuser/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Le signalement a bien été refusé." in html
    assert _row_ids(html) == [hugo.pk] and "alert-dialog" not in html
    assert LiveAlert.objects.get(pk=alert.pk).resolved_by == alice
    # A companion action on a question report is refused, and changes nothing.
    other = LiveAlertFactory(course=alert.course, item_id="1.1-000", question_number=5)
    wrong = as_alice.post(f"/surveillance/sessions/{session.pk}/signalements/{other.pk}/extension/")
    assert wrong.status_code == 400
    assert LiveAlert.objects.get(pk=other.pk).status == AlertStatus.ONGOING


@pytest.mark.django_db
def test_it_refuses_a_candidate_of_another_session_through_this_one(as_alice, alice, room):
    """Alice supervises both sessions: still, a candidate is reached through its own."""
    session = room[0]
    other = ExamSessionFactory(centre=session.centre)
    InvigilatorAccess.objects.create(session=other, user=alice, via="password")
    stranger = CandidateFactory(session=other)
    url = f"/surveillance/sessions/{session.pk}/candidats/{stranger.pk}/confirmer/"
    assert as_alice.post(url).status_code == 404
    stranger.refresh_from_db()
    assert stranger.authorized_to_start_at is None


@pytest.mark.django_db
def test_it_ends_a_test_and_names_who_did_without_repeating_itself(as_alice, room):
    session, _lea, hugo, *_ = room
    response = as_alice.post(f"/surveillance/sessions/{session.pk}/candidats/{hugo.pk}/terminer/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Terminé par Alice Martin" in html and "par le surveillant par" not in html
    assert "Le test de Hugo ABADI est terminé." in html
    assert CertificationCourse.objects.get(candidate=hugo).status == "ended_by_invigilator"


@pytest.mark.django_db
def test_it_adds_a_note_and_sends_the_row_back_with_its_notes_open(as_alice, room):
    session, lea, *_ = room
    url = f"/surveillance/sessions/{session.pk}/candidats/{lea.pk}/notes/"
    empty = as_alice.post(url, {"text": "   "})
    assert empty.status_code == 400
    assert "La note doit contenir entre 1 et 2 000 caractères." in empty.content.decode()

    html = as_alice.post(url, {"text": "Arrivé en retard"}).content.decode()

    assert f'id="notes-{lea.pk}" open' in html and "Arrivé en retard" in html
    assert Note.objects.get(candidate=lea).text == "Arrivé en retard"


@pytest.mark.django_db
def test_it_ends_the_overtime_tests_and_offers_a_plural_dangerous_button(as_alice, room):
    session, _lea, hugo, *_ = room
    second = CandidateFactory(session=session, first_name="Ali", last_name="Bensaid")
    CertificationCourseFactory(candidate=second)
    later = timezone.now() + dt.timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        page = as_alice.get(f"/surveillance/sessions/{session.pk}/").content.decode()
        button = re.search(r'<button type="button" id="end-overtime".*?</button>', page, re.S)
        assert button and 'data-confirm-yes="Terminer les 2 tests"' in button.group(0)
        assert "data-confirm-danger" in button.group(0) and " disabled" not in button.group(0)

        response = as_alice.post(f"/surveillance/sessions/{session.pk}/terminer-temps-ecoule/")

    html = response.content.decode()
    assert response.status_code == 200 and "2 tests terminés." in html
    assert '<ul id="candidates" hx-swap-oob="innerHTML">' in html
    assert set(
        CertificationCourse.objects.filter(candidate__in=[hugo, second]).values_list(
            "status", flat=True
        )
    ) == {"ended_by_invigilator"}
