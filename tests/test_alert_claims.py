"""« Je m'en occupe » (issue 16): an invigilator claims a pending alert; every invigilator sees
who and since when; a second claim is refused while the first holds; the claim lapses by
itself after ALERT_CLAIM_LAPSE without a decision (computed when read, nothing written); it
is in the session's timeline.

Personas: Alice Martin and Bruno Petit entered the session; the centre admin is a member;
the admin of another centre and the candidate are refused.
"""

import datetime as dt
import html

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from audit.events import describe
from audit.models import AuditEvent
from audit.tags import Tag
from certification import actions
from certification.errors import AlreadyClaimed
from certification.models import AlertStatus, LiveAlert
from invigilation.history import session_history
from invigilation.models import InvigilatorAccess
from invigilation.state import claim_age
from lib.errors import Refusal
from tests.concurrency import race
from tests.factories import (
    CandidateFactory,
    CentreFactory,
    CertificationCourseFactory,
    LiveAlertFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

API = "/api/invigilation"
T0 = timezone.now().replace(microsecond=0)


def _invigilator(session, first, last):
    user = UserFactory(first_name=first, last_name=last)
    InvigilatorAccess.objects.create(session=session, user=user, via="password")
    return user


@pytest.fixture
def alice(exam_session):
    return _invigilator(exam_session, "Alice", "Martin")


@pytest.fixture
def bruno(exam_session):
    return _invigilator(exam_session, "Bruno", "Petit")


@pytest.fixture
def lea(exam_session, candidate_user):
    return CandidateFactory(
        session=exam_session, first_name="Léa", last_name="Dupont", user=candidate_user
    )


@pytest.fixture
def alert(small_bank, lea, candidate_user):
    course = CertificationCourseFactory(
        candidate=lea, user=candidate_user, current_item_id="1.1-000"
    )
    return LiveAlertFactory(course=course, question_number=4)


def _claim_page(client, alert):
    session_id = alert.course.candidate.session_id
    return client.post(
        f"/surveillance/sessions/{session_id}/signalements/{alert.pk}/je-m-en-occupe/"
    )


def _row(client, alert) -> dict:
    state = client.get(f"{API}/sessions/{alert.course.candidate.session_id}/state").json()
    return next(r for r in state["candidates"] if r["id"] == alert.course.candidate_id)


@pytest.mark.django_db
def test_it_shows_every_invigilator_who_claimed_the_alert_and_since_when(
    login, alice, bruno, alert
):
    with time_machine.travel(T0, tick=False):
        response = _claim_page(login(alice), alert)
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert "Vous vous occupez de ce signalement : les autres surveillants le voient." in body
    assert "Vous vous en occupez depuis 0 s" in body

    with time_machine.travel(T0 + dt.timedelta(seconds=40), tick=False):
        as_bruno = login(bruno)
        claim = _row(as_bruno, alert)["alert"]["claim"]
        rows = as_bruno.get(f"/surveillance/sessions/{alert.course.candidate.session_id}/lignes/")
    assert claim["by"] == "Alice Martin"
    assert claim["since_iso"] == T0.isoformat()
    assert claim["age"] == "40 s"
    text = html.unescape(rows.content.decode())
    assert "Pris en charge par Alice Martin depuis 40 s" in text
    # Bruno's « Je m'en occupe » waits (hidden) for the claim to lapse, at data-claim-ends.
    ends = (T0 + dt.timedelta(seconds=180)).isoformat()
    assert f'data-claim-ends="{ends}"' in text
    assert f'id="claim-{alert.pk}"' in text and " hidden " in text


@pytest.mark.django_db
def test_it_refuses_a_second_invigilator_while_the_claim_holds(login, alice, bruno, alert):
    with time_machine.travel(T0, tick=False):
        assert _claim_page(login(alice), alert).status_code == 200
    with time_machine.travel(T0 + dt.timedelta(seconds=179), tick=False):
        response = login(bruno).post(f"{API}/alerts/{alert.pk}/claim")
    assert response.status_code == 409
    assert response.json()["detail"] == "Alice Martin s'occupe déjà de ce signalement."
    alert.refresh_from_db()
    assert alert.claimed_by == alice and alert.claimed_at == T0
    assert AuditEvent.objects.filter(tag=Tag.Invigilator.ALERT_CLAIM).count() == 1


@pytest.mark.django_db
def test_it_lets_a_claim_lapse_after_the_setting_and_reads_write_nothing(
    login, settings, alice, bruno, alert
):
    settings.ALERT_CLAIM_LAPSE = dt.timedelta(minutes=2)
    with time_machine.travel(T0, tick=False):
        actions.do_claim_alert(alert, actor=alice)
    with time_machine.travel(T0 + dt.timedelta(seconds=119), tick=False):
        assert _row(login(bruno), alert)["alert"]["claim"]["by"] == "Alice Martin"
    with time_machine.travel(T0 + dt.timedelta(seconds=120), tick=False):
        events = AuditEvent.objects.count()
        assert _row(login(bruno), alert)["alert"]["claim"] is None
        # Lapsed when read: the row still says Alice claimed it at T0.
        alert.refresh_from_db()
        assert (alert.claimed_by, alert.claimed_at) == (alice, T0)
        assert AuditEvent.objects.count() == events
        response = login(bruno).post(f"{API}/alerts/{alert.pk}/claim")
    assert response.status_code == 200
    alert.refresh_from_db()
    assert alert.claimed_by == bruno


@pytest.mark.django_db
def test_it_lets_the_same_invigilator_renew_the_claim(alice, alert):
    with time_machine.travel(T0, tick=False):
        actions.do_claim_alert(alert, actor=alice)
    with time_machine.travel(T0 + dt.timedelta(seconds=100), tick=False):
        actions.do_claim_alert(alert, actor=alice)
    alert.refresh_from_db()
    assert alert.claimed_at == T0 + dt.timedelta(seconds=100)


@pytest.mark.django_db
def test_it_refuses_to_claim_an_alert_already_decided(login, alice, bruno, alert):
    actions.do_refuse_alert(alert, actor=alice)
    response = login(bruno).post(f"{API}/alerts/{alert.pk}/claim")
    assert response.status_code == 409
    assert response.json()["detail"] == "Cette action a déjà été traitée par Alice Martin."
    assert LiveAlert.objects.get(pk=alert.pk).claimed_by is None


@pytest.mark.django_db
def test_it_claims_a_companion_alert_too(login, alice, lea, alert):
    LiveAlert.objects.filter(pk=alert.pk).update(status=AlertStatus.CLEARED)
    companion = LiveAlertFactory(course=alert.course, kind=LiveAlert.Kind.COMPANION)
    assert _claim_page(login(alice), companion).status_code == 200
    event = AuditEvent.objects.get(tag=Tag.Invigilator.ALERT_CLAIM)
    assert describe(event, by=True) == (
        "Alerte « extension non détectée » prise en charge par Alice Martin."
    )
    assert _row(login(alice), companion)["companion_alert"]["claim"]["by"] == "Alice Martin"


@pytest.mark.django_db
def test_it_puts_the_claim_in_the_session_timeline(login, alice, bruno, alert, sent_events):
    with sent_events() as events:
        actions.do_claim_alert(alert, actor=alice)
    # The invigilators' pages are told; the candidate's page has nothing to show.
    assert events == [
        (
            f"session-{alert.course.candidate.session_id}",
            {"type": "candidate", "op": "alert_claimed", "candidate_id": alert.course.candidate_id},
        )
    ]
    event = AuditEvent.objects.get(tag=Tag.Invigilator.ALERT_CLAIM)
    assert event.actor == alice and event.data["candidate"] == alert.course.candidate_id
    assert describe(event) == "Alerte prise en charge — question 4"
    assert describe(event, by=True) == (
        "Signalement sur la question 4 pris en charge par Alice Martin."
    )
    state = login(bruno).get(f"{API}/sessions/{alert.course.candidate.session_id}/state").json()
    # The centre's record of the candidate (finalization, archived PV) tells it too.
    history = session_history(alert.course.candidate.session)
    lines = next(c for c in history.candidates if c.candidate_id == alert.course.candidate_id).lines
    assert [line.text for line in lines] == [
        "Signalement sur la question 4 en attente d'une décision du surveillant : "
        "il sera clos à la finalisation.",
        "Signalement sur la question 4 pris en charge par Alice Martin.",
    ]
    latest = state["timeline"][0]
    assert (latest["label"], latest["candidate"], latest["actor"]) == (
        "Alerte prise en charge",
        "DUPONT Léa",
        "Alice Martin",
    )


@pytest.mark.django_db
def test_it_lets_the_centre_admin_claim_and_refuses_other_personas(
    login, centre_admin, candidate_user, alert
):
    stranger = UserFactory()
    MembershipFactory(user=stranger, centre=CentreFactory())
    for user in (stranger, candidate_user):
        assert login(user).post(f"{API}/alerts/{alert.pk}/claim").status_code == 404
        assert _claim_page(login(user), alert).status_code == 404
    assert LiveAlert.objects.get(pk=alert.pk).claimed_by is None
    assert login(centre_admin).post(f"{API}/alerts/{alert.pk}/claim").status_code == 200


def test_it_says_how_long_a_claim_has_held():
    assert claim_age(dt.timedelta(seconds=40)) == "40 s"
    assert claim_age(dt.timedelta(seconds=125)) == "2 min 05 s"
    assert claim_age(dt.timedelta(seconds=-1)) == "0 s"


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
def test_it_lets_only_one_of_two_invigilators_claiming_at_once_win(exam_session):
    alice = _invigilator(exam_session, "Alice", "Martin")
    bruno = _invigilator(exam_session, "Bruno", "Petit")
    for _round in range(5):
        course = CertificationCourseFactory(candidate=CandidateFactory(session=exam_session))
        alert = LiveAlertFactory(course=course)

        def claim(user, alert=alert):
            def call():
                try:
                    actions.do_claim_alert(alert, actor=user)
                    return "won"
                except Refusal as error:
                    return type(error)
                finally:
                    connection.close()

            return call

        outcomes = race(claim(alice), claim(bruno))
        assert sorted(map(str, outcomes)) == sorted(map(str, ["won", AlreadyClaimed]))
        assert (
            AuditEvent.objects.filter(
                tag=Tag.Invigilator.ALERT_CLAIM, data__candidate=course.candidate_id
            ).count()
            == 1
        )
