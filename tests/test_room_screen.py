"""« Affichage salle » (issue 16): the screen an invigilator projects in the room. It shows
the session number, the time in the centre's time zone, the end of the tests (standard and
each extra time), the access code only once revealed (audited), the suspension and the
messages sent to everyone; never a candidate's name.

Personas: Alice Martin entered the session with its password; the centre admin is a member;
the admin of another centre, an invigilator of another session and the candidate are
refused.
"""

import datetime as dt
import html
import re

import pytest
import time_machine
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.contrib.messages import get_messages
from django.utils import timezone

from audit.models import AuditEvent
from audit.tags import Tag
from certification import actions as test_actions
from invigilation import actions
from invigilation.models import InvigilatorAccess, RoomScreen, Watcher
from live.base import FORBIDDEN
from tests.factories import (
    CandidateFactory,
    CentreFactory,
    CertificationCourseFactory,
    ExamSessionFactory,
    MembershipFactory,
    UserFactory,
)
from tests.test_invigilation_access import Socket

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


@pytest.fixture
def session(centre):
    centre.time_zone = "America/Cayenne"  # UTC-3: the wall tells the centre's time
    centre.save(update_fields=["time_zone"])
    return ExamSessionFactory(
        centre=centre, date=timezone.localdate() + dt.timedelta(days=1), time=dt.time(9, 0)
    )


@pytest.fixture
def alice(session):
    user = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=session, user=user, via="password")
    return user


@pytest.fixture
def room(session):
    """Léa (no extra time) and Hugo (33 %): names that must never reach the wall."""
    return [
        CandidateFactory(session=session, first_name="Léa", last_name="Dupont"),
        CandidateFactory(
            session=session, first_name="Hugo", last_name="Abadi", extra_time_percentage=33
        ),
    ]


def _text(response) -> str:
    """The page's words, tags left out."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _wall(client, session) -> str:
    response = client.get(f"/surveillance/sessions/{session.pk}/affichage-salle/contenu/")
    assert response.status_code == 200
    return _text(response)


@pytest.mark.django_db
def test_it_shows_the_planned_ends_before_the_start_and_no_candidate_name(
    login, session, alice, room
):
    page = login(alice).get(f"/surveillance/sessions/{session.pk}/affichage-salle/")
    assert page.status_code == 200
    assert 'data-zone="America/Cayenne"' in page.content.decode()
    text = _text(page)
    assert f"Session {session.number}" in text
    # 09:00 + 1 h 45; + 35 min of extra time (33 % of 1 h 45, rounded down to the minute).
    assert "Fin prévue (début à 09:00)" in text
    assert "fin 1 h 45 : 10:45 · temps majoré (33 %) : 11:19" in text
    for name in ("Léa", "Dupont", "DUPONT", "Hugo", "Abadi", "ABADI"):
        assert name not in text


@pytest.mark.django_db
def test_it_shows_the_running_tests_latest_ends_in_the_centre_s_time_zone(
    login, session, alice, room
):
    lea, hugo = room
    start = dt.datetime(2026, 12, 5, 12, 5, tzinfo=dt.UTC)  # 09:05 in Cayenne
    CertificationCourseFactory(candidate=lea, started_at=start)
    CertificationCourseFactory(candidate=hugo, started_at=start + dt.timedelta(minutes=2))
    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        text = _wall(login(alice), session)
    assert "Fin des tests" in text
    assert "fin 1 h 45 : 10:50 · temps majoré (33 %) : 11:26" in text
    assert "15:35:00" not in text and "09:35:00" in text  # the clock: Cayenne, not UTC


@pytest.mark.django_db
def test_it_shows_the_access_code_only_once_an_invigilator_reveals_it(login, session, alice, room):
    client = login(alice)
    assert session.access_code not in _wall(client, session)
    assert "Le surveillant l'affichera au moment de commencer." in _wall(client, session)
    response = client.post(
        f"/surveillance/sessions/{session.pk}/affichage-salle/code/", {"shown": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/surveillance/sessions/{session.pk}/#salle"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Le code d'accès est affiché sur l'affichage salle."
    ]
    assert session.access_code in _wall(client, session)
    # The Espace Surveillant now offers to hide it.
    assert (
        "Masquer le code d'accès"
        in client.get(f"/surveillance/sessions/{session.pk}/").content.decode()
    )
    # Revealed twice (two invigilators): changed, and audited, once.
    assert not actions.do_show_access_code(session, shown=True, actor=alice)
    client.post(f"/surveillance/sessions/{session.pk}/affichage-salle/code/", {"shown": "0"})
    assert session.access_code not in _wall(client, session)
    tags = list(
        AuditEvent.objects.filter(session=session, tag__startswith="invigilator:access-code")
        .order_by("pk")
        .values_list("tag", "actor")
    )
    assert tags == [
        (Tag.Invigilator.ACCESS_CODE_SHOW, alice.pk),
        (Tag.Invigilator.ACCESS_CODE_HIDE, alice.pk),
    ]


@pytest.mark.django_db
def test_it_refuses_a_choice_that_is_neither_show_nor_hide(login, session, alice):
    response = login(alice).post(
        f"/surveillance/sessions/{session.pk}/affichage-salle/code/", {"shown": "oui"}
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Choisissez d'afficher ou de masquer le code d'accès."
    ]
    assert not RoomScreen.objects.filter(session=session).exists()


@pytest.mark.django_db
def test_it_shows_the_suspension_and_the_messages_to_everyone_only(login, session, alice, room):
    lea, _hugo = room
    client = login(alice)
    test_actions.do_send_message(session, text="Il reste 10 minutes.", actor=alice)
    test_actions.do_send_message(session, text="Léa, venez me voir.", actor=alice, candidates=[lea])
    CertificationCourseFactory(candidate=lea, started_at=timezone.now())
    test_actions.do_suspend_session(session, message="Alarme incendie : évacuation", actor=alice)
    text = _wall(client, session)
    assert "Session suspendue depuis" in text
    assert "Alarme incendie : évacuation" in text
    assert "L'heure de fin est reportée de la durée de la suspension." in text
    assert "Il reste 10 minutes." in text
    assert "venez me voir" not in text


@pytest.mark.django_db
def test_it_opens_for_the_centre_admin_once_entered_and_refuses_the_others(
    login, session, centre_admin, candidate_user, room
):
    url = f"/surveillance/sessions/{session.pk}/affichage-salle/"
    admin = login(centre_admin)
    # A member enters first (recorded), as for the Espace Surveillant.
    assert admin.get(url)["Location"] == f"/surveillance/sessions/{session.pk}/"
    actions.do_enter_as_member(centre_admin, session, ip=None)
    assert admin.get(url).status_code == 200
    other_admin = UserFactory()
    MembershipFactory(user=other_admin, centre=CentreFactory())
    other_invigilator = UserFactory()
    InvigilatorAccess.objects.create(
        session=ExamSessionFactory(), user=other_invigilator, via="password"
    )
    room[0].user = candidate_user
    room[0].save(update_fields=["user"])
    for user in (other_admin, other_invigilator, candidate_user):
        client = login(user)
        assert client.get(url).status_code == 404
        assert client.get(url + "contenu/").status_code == 404
        response = client.post(url + "code/", {"shown": "1"})
        assert response.status_code == 404
        assert (
            login(user)
            .post(
                f"/api/invigilation/sessions/{session.pk}/room-screen",
                {"access_code_shown": True},
                content_type="application/json",
            )
            .status_code
            == 404
        )
    assert not RoomScreen.objects.filter(access_code_shown=True).exists()


@pytest.mark.django_db
def test_it_shows_the_code_through_the_api(login, session, alice):
    response = login(alice).post(
        f"/api/invigilation/sessions/{session.pk}/room-screen",
        {"access_code_shown": True},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json() == {"detail": "Le code d'accès est affiché sur l'affichage salle."}
    assert RoomScreen.objects.get(session=session).access_code_shown


@pytest.mark.django_db(transaction=True)
def test_its_live_link_is_not_an_invigilator_watching(session, alice):
    """The wall's socket follows the session's events but is not « Qui surveille »: before,
    it was listed as Alice watching, then dropped after 60 s (it sends no heartbeat)."""
    other = UserFactory()
    InvigilatorAccess.objects.create(session=ExamSessionFactory(), user=other, via="password")

    async def run() -> tuple[bool, bool, int | None]:
        wall = Socket(alice, session, "salle/")
        accepted, _code = await wall.connect()
        watching = await database_sync_to_async(Watcher.objects.filter(session=session).exists)()
        await wall.close()
        refused, code = await Socket(other, session, "salle/").connect()
        return accepted and not watching, refused, code

    accepted_unlisted, refused, code = async_to_sync(run)()
    assert accepted_unlisted
    assert not refused and code == FORBIDDEN
    assert Watcher.objects.count() == 0


@pytest.mark.django_db
def test_it_opens_the_wall_s_own_live_link(login, session, alice):
    page = login(alice).get(f"/surveillance/sessions/{session.pk}/affichage-salle/")
    assert f'data-ws-path="/ws/surveillance/{session.pk}/salle/"' in page.content.decode()
