"""Time the invigilator controls (issue 15): « Ajouter du temps », « Suspendre la session » and
« Reprendre la session », « Suspendre ce test » and « Reprendre ce test », and a duration per
complementary certification.

Personas: Alice Martin entered the session with its password; the centre admin acts as a
member; the admin of another centre and the candidate are refused. The clock is faked
(time-machine), the database is real.
"""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from audit.events import describe
from audit.models import AuditEvent
from audit.tags import Tag
from certification import actions
from certification.errors import AlreadyHandled, CourseSuspended
from certification.models import (
    CertificationCourse,
    CourseStatus,
    RoomSuspension,
    Suspension,
    TimeAddition,
)
from exams.models import ExamDuration
from finalization.actions import do_finalize_session
from finalization.validation import CandidateReportInput, FinalizationInput
from invigilation.models import InvigilatorAccess
from invigilation.state import session_counts
from tests.factories import CandidateFactory, ExamDurationFactory, UserFactory

API = "/api/invigilation"
# 14:00 in Paris on the day of the session.
T0 = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


def _post(client: Client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


@pytest.fixture
def alice(exam_session):
    user = UserFactory(email="alice.martin@lycee.fr", first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(
        session=exam_session, user=user, via=InvigilatorAccess.Via.PASSWORD
    )
    return user


@pytest.fixture
def as_alice(login, alice) -> Client:
    return login(alice)


def _start(candidate, *, at: dt.datetime = T0) -> tuple[Client, int, str]:
    """The candidate's own account starts the test through the API at `at`."""
    user = candidate.user or UserFactory()
    if candidate.user is None:
        candidate.user = user
        candidate.instructions_accepted_at = at
        candidate.save()
    actions.do_confirm_presence(candidate, actor=UserFactory())
    client = Client()
    client.force_login(user)
    with time_machine.travel(at, tick=False):
        body = _post(
            client,
            f"/api/certification/candidates/{candidate.pk}/start",
            {"access_code": candidate.session.access_code},
        ).json()
    return client, body["course_id"], body["run_token"]


def _state(client: Client, course_id: int, token: str) -> dict:
    return client.get(
        f"/api/certification/courses/{course_id}/state", headers={"X-Run-Token": token}
    ).json()


def _answer(client: Client, course_id: int, token: str):
    item_id = CertificationCourse.objects.get(pk=course_id).current_item_id
    return client.post(
        f"/api/certification/courses/{course_id}/answers",
        {"item_id": item_id, "response": [0]},
        content_type="application/json",
        headers={"X-Run-Token": token},
    )


def _end(course_id: int) -> dt.datetime:
    return (
        CertificationCourse.objects.select_related("candidate")
        .get(pk=course_id)
        .end_at(timezone.now())
    )


def _row(client: Client, session, candidate) -> dict:
    state = client.get(f"{API}/sessions/{session.pk}/state").json()
    return next(row for row in state["candidates"] if row["id"] == candidate.pk)


@pytest.fixture
def lea(exam_session, small_bank):
    return CandidateFactory(session=exam_session, first_name="Léa", last_name="Dupont")


@pytest.fixture
def hugo(exam_session, small_bank):
    return CandidateFactory(
        session=exam_session, first_name="Hugo", last_name="Bernard", extra_time_percentage=33
    )


# --- Ajouter du temps ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_adds_time_to_a_selection_apart_from_the_planned_extra_time(
    exam_session, alice, as_alice, lea, hugo, sent_events
):
    """10 min for a network cut: each end moves by 10 min, the breakdown names the reason,
    each candidate's page and every invigilator hear of it, one audit row per candidate."""
    _start(lea)
    _start(hugo)
    before = {c: _end(CertificationCourse.objects.get(candidate=c).pk) for c in (lea, hugo)}

    with time_machine.travel(T0 + dt.timedelta(minutes=30), tick=False), sent_events() as events:
        response = _post(
            as_alice,
            f"{API}/sessions/{exam_session.pk}/add-time",
            {"candidate_ids": [lea.pk, hugo.pk], "minutes": 10, "reason": "coupure réseau"},
        )

    assert response.status_code == 200, response.content
    assert response.json()["detail"] == "10 min ajoutées aux tests de 2 candidats."
    for candidate in (lea, hugo):
        course = CertificationCourse.objects.get(candidate=candidate)
        assert _end(course.pk) - before[candidate] == dt.timedelta(minutes=10)
        assert course.added_time == dt.timedelta(minutes=10)
    with time_machine.travel(T0 + dt.timedelta(minutes=31), tick=False):
        row = _row(as_alice, exam_session, hugo)
    assert row["breakdown"] == (
        "1 h 45 + 35 min de temps majoré (33 %) + 10 min ajoutées (coupure réseau)"
    )
    assert row["theoretical_end"] == "16:29"  # 14:00 + 1 h 45 + 34 min 39 s + 10 min
    assert row["added_minutes"] == 10
    groups = {group for group, _event in events}
    assert groups == {f"candidate-{lea.pk}", f"candidate-{hugo.pk}", f"session-{exam_session.pk}"}
    rows = sorted(
        AuditEvent.objects.filter(tag=Tag.Invigilator.TIME_ADD), key=lambda e: e.data["candidate"]
    )
    assert [(e.actor, e.data["minutes"], e.data["reason"]) for e in rows] == [
        (alice, 10, "coupure réseau"),
        (alice, 10, "coupure réseau"),
    ]
    assert describe(rows[0], by=True) == "10 min ajoutées par Alice Martin (coupure réseau)."


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"minutes": 0}, "Indiquez un nombre entier de minutes entre 1 et 120."),
        ({"minutes": 121}, "Indiquez un nombre entier de minutes entre 1 et 120."),
        ({"minutes": True}, "Indiquez un nombre entier de minutes entre 1 et 120."),
        ({"reason": "  "}, "Indiquez le motif en 1 à 300 caractères"),
        ({"reason": "coupure\x00"}, "Indiquez le motif en 1 à 300 caractères"),
        ({"candidate_ids": []}, "Sélectionnez au moins un candidat de cette session."),
    ],
)
def test_it_refuses_a_wrong_addition_and_writes_nothing(exam_session, as_alice, lea, body, message):
    _start(lea)
    payload = {"candidate_ids": [lea.pk], "minutes": 10, "reason": "coupure", **body}

    response = _post(as_alice, f"{API}/sessions/{exam_session.pk}/add-time", payload)

    assert response.status_code in (400, 422)
    if response.status_code == 400:
        assert response.json()["detail"].startswith(message)
    assert not TimeAddition.objects.exists()
    assert not AuditEvent.objects.filter(tag=Tag.Invigilator.TIME_ADD).exists()


@pytest.mark.django_db
def test_a_selection_is_all_or_nothing_and_says_who_stopped_it(
    login, exam_session, alice, as_alice, lea, hugo, centre_admin
):
    """Hugo's test was ended meanwhile: nothing is added to Léa's either, and the message
    names who ended Hugo's; a candidate of another session is no part of a selection."""
    _start(lea)
    _, hugo_course, _token = _start(hugo)
    actions.do_end_by_invigilator(CertificationCourse.objects.get(pk=hugo_course), actor=alice)
    url = f"{API}/sessions/{exam_session.pk}/add-time"
    body = {"candidate_ids": [lea.pk, hugo.pk], "minutes": 5, "reason": "coupure"}

    response = _post(login(centre_admin), url, body)
    stranger = CandidateFactory()
    foreign = _post(as_alice, url, {**body, "candidate_ids": [lea.pk, stranger.pk]})

    assert response.status_code == 409
    assert response.json()["detail"] == "Le test de BERNARD Hugo a été terminé par Alice Martin."
    assert foreign.status_code == 400
    assert not TimeAddition.objects.exists()


@pytest.mark.django_db
def test_who_may_not_invigilate_cannot_add_time(
    login, exam_session, lea, other_centre_admin, invigilator
):
    client, _course_id, _token = _start(lea)
    url = f"{API}/sessions/{exam_session.pk}/add-time"
    body = {"candidate_ids": [lea.pk], "minutes": 30, "reason": "pour moi"}

    assert _post(login(other_centre_admin), url, body).status_code == 404
    assert _post(login(invigilator), url, body).status_code == 404
    assert _post(client, url, body).status_code == 404  # the candidate themself
    assert not TimeAddition.objects.exists()


# --- Suspendre / reprendre la session -------------------------------------------------------


@pytest.mark.django_db
def test_a_suspended_session_stops_every_clock_and_takes_no_answer(
    login, exam_session, alice, as_alice, lea, hugo, small_bank
):
    """Fire alarm at 14:20: both tests stop; Léa's answer is refused; her timed question's
    countdown stands still; a candidate who had not started cannot start; every page says so."""
    lea_client, lea_course, lea_token = _start(lea)
    _start(hugo)
    late = CandidateFactory(session=exam_session, first_name="Zoé", last_name="Martin")
    CertificationCourse.objects.filter(pk=lea_course).update(
        current_item_id="timed-1", current_asked_at=T0 + dt.timedelta(minutes=19, seconds=50)
    )
    at = T0 + dt.timedelta(minutes=20)

    with time_machine.travel(at, tick=False):
        response = _post(
            as_alice,
            f"{API}/sessions/{exam_session.pk}/suspend",
            {"message": "Alarme incendie : sortez dans le calme."},
        )
    assert response.status_code == 200, response.content
    with time_machine.travel(at + dt.timedelta(minutes=7), tick=False):
        answer = _answer(lea_client, lea_course, lea_token)
        state = _state(lea_client, lea_course, lea_token)
        room = as_alice.get(f"{API}/sessions/{exam_session.pk}/state").json()
        again = _post(as_alice, f"{API}/sessions/{exam_session.pk}/suspend", {"message": "x"})

    assert answer.status_code == 409
    assert answer.json()["detail"] == str(CourseSuspended.message)
    assert state["suspended"] == {
        "since": "14:20",
        "message": "Alarme incendie : sortez dans le calme.",
        "room": True,
    }
    assert state["question"]["remaining_seconds"] == 20  # 30 s, 10 s used before the alarm
    assert room["session"]["suspended"]["message"] == "Alarme incendie : sortez dans le calme."
    statuses = {row["id"]: row["status"] for row in room["candidates"]}
    assert statuses[lea.pk] == statuses[hugo.pk] == "suspended"
    assert again.status_code == 409
    assert again.json()["detail"] == "La session est déjà suspendue."
    assert set(CertificationCourse.objects.values_list("candidate_id", "suspended_since")) == {
        (lea.pk, at),
        (hugo.pk, at),
    }
    event = AuditEvent.objects.get(tag=Tag.Invigilator.SESSION_SUSPEND)
    assert event.actor == alice and sorted(event.data["candidates"]) == sorted([lea.pk, hugo.pk])

    late.user = UserFactory()
    late.instructions_accepted_at = at
    late.save()
    actions.do_confirm_presence(late, actor=alice)
    start = _post(
        login(late.user),
        f"/api/certification/candidates/{late.pk}/start",
        {"access_code": exam_session.access_code},
    )
    assert start.status_code == 409
    assert start.json()["code"] == "session_suspended"


@pytest.mark.django_db
def test_resuming_moves_each_end_by_exactly_the_time_lost_and_keeps_who_left(
    exam_session, alice, as_alice, lea, hugo
):
    """Suspended 14:20 → 14:32: Léa is back and goes on, her end 12 min later and her timed
    question with the seconds it had; Hugo left the room (seed 004): still suspended, his
    answers refused, until an invigilator decides for him."""
    lea_client, lea_course, lea_token = _start(lea)
    hugo_client, hugo_course, hugo_token = _start(hugo)
    CertificationCourse.objects.filter(pk=lea_course).update(
        current_item_id="timed-1", current_asked_at=T0 + dt.timedelta(minutes=19, seconds=50)
    )
    ends = {lea_course: _end(lea_course), hugo_course: _end(hugo_course)}
    with time_machine.travel(T0 + dt.timedelta(minutes=20), tick=False):
        actions.do_suspend_session(exam_session, message="Évacuation", actor=alice)

    with time_machine.travel(T0 + dt.timedelta(minutes=32), tick=False):
        response = _post(
            as_alice, f"{API}/sessions/{exam_session.pk}/resume", {"present": [lea.pk]}
        )
        lea_state = _state(lea_client, lea_course, lea_token)
        refused = _answer(hugo_client, hugo_course, hugo_token)

    assert response.status_code == 200, response.content
    assert response.json() == {
        "resumed": [lea.pk],
        "still_suspended": [hugo.pk],
        "minutes_lost": 12,
    }
    with time_machine.travel(T0 + dt.timedelta(minutes=40), tick=False):
        assert _end(lea_course) - ends[lea_course] == dt.timedelta(minutes=12)
    assert lea_state["suspended"] is None
    assert lea_state["question"]["remaining_seconds"] == 20
    assert refused.status_code == 409 and refused.json()["code"] == "test_suspended"
    assert not RoomSuspension.objects.filter(ended_at=None).exists()
    assert Suspension.objects.get(course_id=hugo_course).ended_at is None

    # Hugo comes back at 14:45: his test goes on, 25 min later than planned.
    with time_machine.travel(T0 + dt.timedelta(minutes=45), tick=False):
        back = _post(as_alice, f"{API}/candidates/{hugo.pk}/continue")
        answered = _answer(hugo_client, hugo_course, hugo_token)
    assert back.status_code == 200 and answered.status_code == 200
    assert _end(hugo_course) - ends[hugo_course] == dt.timedelta(minutes=25)
    resumed = AuditEvent.objects.get(tag=Tag.Invigilator.SESSION_RESUME)
    assert (resumed.data["resumed"], resumed.data["still_suspended"]) == ([lea.pk], [hugo.pk])
    assert describe(resumed, by=True) == (
        "Session reprise par Alice Martin après 12 min d'interruption."
    )
    incident = AuditEvent.objects.filter(
        tag__in=[Tag.Invigilator.SESSION_SUSPEND, *Tag.Invigilator.__members__.values()]
    ).exclude(tag=Tag.Invigilator.PRESENCE_CONFIRM)
    assert [e.tag for e in incident.order_by("pk")] == [
        Tag.Invigilator.SESSION_SUSPEND,
        Tag.Invigilator.SESSION_RESUME,
        Tag.Invigilator.COURSE_CONTINUE,
    ]


@pytest.mark.django_db
def test_one_test_is_suspended_and_resumed_with_a_reason(exam_session, alice, as_alice, lea):
    client, course_id, token = _start(lea)
    end = _end(course_id)
    with time_machine.travel(T0 + dt.timedelta(minutes=50), tick=False):
        suspended = _post(as_alice, f"{API}/candidates/{lea.pk}/suspend", {"reason": "Malaise"})
        twice = _post(as_alice, f"{API}/candidates/{lea.pk}/suspend", {"reason": "Malaise"})
        row = _row(as_alice, exam_session, lea)
    with time_machine.travel(T0 + dt.timedelta(minutes=58), tick=False):
        state = _state(client, course_id, token)
        resumed = _post(as_alice, f"{API}/candidates/{lea.pk}/continue")
        again = _post(as_alice, f"{API}/candidates/{lea.pk}/continue")

    assert suspended.status_code == 200
    assert twice.status_code == 409 and twice.json()["detail"] == "Ce test est déjà suspendu."
    assert row["status"] == "suspended" and row["status_label"] == "Suspendu"
    assert state["suspended"] == {"since": "14:50", "message": "Malaise", "room": False}
    assert resumed.status_code == 200
    assert again.status_code == 409 and again.json()["detail"] == "Ce test n'est pas suspendu."
    assert _end(course_id) - end == dt.timedelta(minutes=8)
    event = AuditEvent.objects.get(tag=Tag.Invigilator.COURSE_SUSPEND)
    assert describe(event, by=True) == "Test suspendu par Alice Martin (Malaise)."


@pytest.mark.django_db
def test_a_test_suspended_with_its_room_waits_for_the_room(exam_session, alice, as_alice, lea):
    _start(lea)
    actions.do_suspend_session(exam_session, message="Évacuation", actor=alice)

    response = _post(as_alice, f"{API}/candidates/{lea.pk}/continue")

    assert response.status_code == 409
    assert response.json()["detail"] == "La session est suspendue : reprenez d'abord la session."


@pytest.mark.django_db
def test_ending_a_suspended_test_closes_its_suspension(exam_session, alice, lea):
    _, course_id, _token = _start(lea)
    with time_machine.travel(T0 + dt.timedelta(minutes=10), tick=False):
        actions.do_suspend_course(
            CertificationCourse.objects.get(pk=course_id), reason="Malaise", actor=alice
        )
    with time_machine.travel(T0 + dt.timedelta(minutes=25), tick=False):
        actions.do_end_by_invigilator(CertificationCourse.objects.get(pk=course_id), actor=alice)

    course = CertificationCourse.objects.get(pk=course_id)
    suspension = Suspension.objects.get()
    assert course.status == CourseStatus.ENDED_BY_INVIGILATOR and course.suspended_since is None
    assert course.suspended_time == dt.timedelta(minutes=15)
    assert suspension.outcome == Suspension.Outcome.ENDED
    assert suspension.ended_by == alice


@pytest.mark.django_db
def test_the_bulk_end_no_longer_ends_a_test_too_early_after_an_incident(
    exam_session, alice, as_alice, lea, hugo
):
    """« Terminer les tests dont le temps est écoulé » at 15:50 (1 h 50 after the start): Léa
    lost 12 min to the alarm and got 5 min more; Hugo's test is suspended: neither is over."""
    _start(lea)
    _start(hugo)
    with time_machine.travel(T0 + dt.timedelta(minutes=20), tick=False):
        actions.do_suspend_session(exam_session, message="Évacuation", actor=alice)
    with time_machine.travel(T0 + dt.timedelta(minutes=32), tick=False):
        actions.do_resume_session(exam_session, present=[lea.pk], actor=alice)
        actions.do_add_time([lea], minutes=5, reason="Ordinateur redémarré", actor=alice)

    with time_machine.travel(T0 + dt.timedelta(minutes=110), tick=False):
        early = _post(as_alice, f"{API}/sessions/{exam_session.pk}/end-overtime")
    with time_machine.travel(T0 + dt.timedelta(minutes=123), tick=False):
        due = _post(as_alice, f"{API}/sessions/{exam_session.pk}/end-overtime")

    assert early.status_code == 409  # nothing over: 1 h 45 + 12 + 5 = 2 h 02
    assert due.json() == {"ended": 1}
    statuses = dict(CertificationCourse.objects.values_list("candidate_id", "status"))
    assert statuses == {lea.pk: "ended_by_invigilator", hugo.pk: "started"}


@pytest.mark.django_db
def test_the_finalization_ends_what_is_still_suspended(exam_session, alice, centre_admin, lea):
    _start(lea)
    actions.do_suspend_session(exam_session, message="Évacuation", actor=alice)

    report = CandidateReportInput(candidate_id=lea.pk, abort_reason="technical")
    do_finalize_session(exam_session, FinalizationInput(reports=[report]), actor=centre_admin)

    assert not RoomSuspension.objects.filter(ended_at=None).exists()
    assert Suspension.objects.get().outcome == Suspension.Outcome.ENDED
    assert CertificationCourse.objects.get().suspended_since is None


# --- The duration of what is taken ------------------------------------------------------------


@pytest.mark.django_db
def test_a_complementary_certification_has_the_duration_the_operator_set(
    login, exam_session, lea, small_bank
):
    """CléA Numérique set to 60 min by the operator: the instructions say so, the test keeps
    the duration it started with whatever the operator changes later."""
    ExamDurationFactory(complementary_certification="CLEA", minutes=60)
    clea = CandidateFactory(
        session=exam_session,
        first_name="Zoé",
        last_name="Martin",
        complementary_certification="CLEA",
    )
    clea.user = UserFactory()
    clea.save()
    page = login(clea.user).get(f"/certification/candidats/{clea.pk}/instructions/")
    _, course_id, _token = _start(clea)
    _, lea_course, _token = _start(lea)
    ExamDuration.objects.filter(complementary_certification="CLEA").update(minutes=90)

    assert "60 minutes" in page.content.decode() or "1 h" in page.content.decode()
    course = CertificationCourse.objects.get(pk=course_id)
    assert course.duration == dt.timedelta(minutes=60)
    assert _end(course_id) == T0 + dt.timedelta(minutes=60)
    assert _end(lea_course) == T0 + dt.timedelta(minutes=105)


# --- Races -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_adding_time_to_a_test_just_ended_is_refused_by_name(exam_session, alice, lea):
    _, course_id, _token = _start(lea)
    bruno = UserFactory(first_name="Bruno", last_name="Petit")
    actions.do_end_by_invigilator(CertificationCourse.objects.get(pk=course_id), actor=bruno)

    with pytest.raises(AlreadyHandled) as refused:
        actions.do_add_time([lea], minutes=10, reason="coupure", actor=alice)

    assert str(refused.value) == "Le test de DUPONT Léa a été terminé par Bruno Petit."


# --- Speaking to candidates -------------------------------------------------------------------


def _messages(client: Client, candidate) -> list[dict]:
    return client.get(f"/api/certification/candidates/{candidate.pk}/messages").json()["messages"]


@pytest.mark.django_db
def test_a_message_reaches_its_candidates_who_read_it_is_seen(
    exam_session, alice, as_alice, lea, hugo, sent_events
):
    """« Il reste 10 minutes. » to the whole room, then a word to Hugo alone: each banner
    stays until « J'ai lu »; the invigilators see who read which; all in the timeline."""
    lea_client, *_ = _start(lea)
    hugo_client, *_ = _start(hugo)
    url = f"{API}/sessions/{exam_session.pk}/messages"

    with time_machine.travel(T0 + dt.timedelta(minutes=95), tick=False), sent_events() as events:
        everyone = _post(as_alice, url, {"text": "Il reste 10 minutes."})
        one = _post(as_alice, url, {"text": "Levez la main.", "candidate_ids": [hugo.pk]})

    assert everyone.status_code == one.status_code == 200
    assert {g for g, _e in events} == {
        f"candidate-{lea.pk}",
        f"candidate-{hugo.pk}",
        f"session-{exam_session.pk}",
    }
    assert [m["text"] for m in _messages(lea_client, lea)] == ["Il reste 10 minutes."]
    hugo_sees = _messages(hugo_client, hugo)
    assert [(m["text"], m["at"]) for m in hugo_sees] == [
        ("Il reste 10 minutes.", "15:35"),
        ("Levez la main.", "15:35"),
    ]

    read = hugo_client.post(
        f"/api/certification/candidates/{hugo.pk}/messages/{hugo_sees[0]['id']}/read",
        content_type="application/json",
    )
    again = hugo_client.post(
        f"/api/certification/candidates/{hugo.pk}/messages/{hugo_sees[0]['id']}/read",
        content_type="application/json",
    )
    # Léa cannot acknowledge for Hugo, nor a message she never got.
    foreign = lea_client.post(
        f"/api/certification/candidates/{hugo.pk}/messages/{hugo_sees[0]['id']}/read",
        content_type="application/json",
    )
    not_hers = lea_client.post(
        f"/api/certification/candidates/{lea.pk}/messages/{hugo_sees[1]['id']}/read",
        content_type="application/json",
    )

    assert read.status_code == again.status_code == 204
    assert foreign.status_code == not_hers.status_code == 404
    assert [m["text"] for m in _messages(hugo_client, hugo)] == ["Levez la main."]
    state = as_alice.get(f"{API}/sessions/{exam_session.pk}/state").json()
    sent = {m["text"]: m for m in state["messages"]}
    assert sent["Il reste 10 minutes."]["read"] == ["BERNARD Hugo"]
    assert sent["Il reste 10 minutes."]["unread"] == ["DUPONT Léa"]
    assert sent["Il reste 10 minutes."]["to_everyone"] is True
    assert (sent["Levez la main."]["read"], sent["Levez la main."]["unread"]) == (
        [],
        ["BERNARD Hugo"],
    )
    assert state["ready_messages"][0] == "Il reste 10 minutes."
    tags = list(AuditEvent.objects.filter(tag__contains=":message:").values_list("tag", flat=True))
    assert tags == [
        Tag.Invigilator.MESSAGE_SEND,
        Tag.Invigilator.MESSAGE_SEND,
        Tag.Candidate.MESSAGE_READ,
    ]
    sentence = describe(AuditEvent.objects.filter(tag=Tag.Invigilator.MESSAGE_SEND)[1], by=True)
    assert sentence == "Message de Alice Martin à 1 candidat : « Levez la main. »."


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   ", "a\x00b", "x" * 301])
def test_a_message_must_say_something_printable(exam_session, as_alice, lea, text):
    """Blank or too long: the action's rule (400); a control character: the API's rule
    for every string (lib/freetext.py, 422)."""
    response = _post(as_alice, f"{API}/sessions/{exam_session.pk}/messages", {"text": text})

    assert response.status_code == (422 if "\x00" in text else 400)
    assert not AuditEvent.objects.filter(tag=Tag.Invigilator.MESSAGE_SEND).exists()


# --- The finalization, pre-filled --------------------------------------------------------------


@pytest.mark.django_db
def test_the_finalization_comes_pre_filled_with_the_incidents(
    login, exam_session, alice, centre_admin, lea, hugo
):
    """The alarm and the time added are in the record: « incident » ticked, the session's
    comment and each affected candidate's comment written from them."""
    _start(lea)
    _start(hugo)
    with time_machine.travel(T0 + dt.timedelta(minutes=20), tick=False):
        actions.do_suspend_session(exam_session, message="Alarme incendie", actor=alice)
    with time_machine.travel(T0 + dt.timedelta(minutes=32), tick=False):
        actions.do_resume_session(exam_session, present=[lea.pk, hugo.pk], actor=alice)
        actions.do_add_time([lea], minutes=5, reason="ordinateur redémarré", actor=alice)

    page = login(centre_admin).get(f"/sessions/{exam_session.pk}/finaliser/")

    context = page.context
    assert context["has_incident"] is True
    assert context["global_comment"] == (
        "Session suspendue par Alice Martin : « Alarme incendie ».\n"
        "Session reprise par Alice Martin après 12 min d'interruption."
    )
    comments = {row.record.candidate_id: row.values.comment for row in context["rows"]}
    assert comments[lea.pk] == "5 min ajoutées par Alice Martin (ordinateur redémarré)."
    assert comments[hugo.pk] == ""


@pytest.mark.django_db
def test_the_count_of_tests_over_time_follows_the_incidents(exam_session, alice, lea):
    """The page's head counts the tests « Temps écoulé » with the rows' own end: time added
    and a suspension keep a test out of it."""
    zoe = CandidateFactory(session=exam_session, first_name="Zoé", last_name="Martin")
    _start(lea)
    _start(zoe)
    actions.do_add_time([lea], minutes=20, reason="coupure", actor=alice)

    with time_machine.travel(T0 + dt.timedelta(minutes=110), tick=False):
        counted = session_counts(exam_session)["time_over"]
        actions.do_suspend_course(
            CertificationCourse.objects.get(candidate=zoe), reason="Malaise", actor=alice
        )
        suspended = session_counts(exam_session)["time_over"]

    assert (counted, suspended) == (1, 0)  # Zoé's 1 h 45 is over, not Léa's 2 h 05
