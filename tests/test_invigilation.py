"""The Espace Surveillant: entering a session, its live state, and the invigilator's actions.

Personas: Alice Martin and Bruno Petit entered the session (an InvigilatorAccess row each);
the `invigilator` persona did not; the centre admin opens the page as a member; the admin
of another centre and the candidate are refused.
"""

import datetime as dt
import html
from pathlib import Path

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import ratelimit
from accounts.models import Centre
from audit.events import record_event
from audit.models import AuditEvent
from audit.tags import Tag
from certification import engine
from certification.models import (
    AlertStatus,
    Answer,
    CertificationCourse,
    CourseStatus,
    IssueReport,
    LiveAlert,
)
from invigilation import actions
from invigilation.models import InvigilatorAccess, Note
from tests.factories import (
    CandidateFactory,
    CentreFactory,
    CertificationCourseFactory,
    ExamSessionFactory,
    LiveAlertFactory,
    UserFactory,
)

# The personas' passwords are not under test: hashed quickly (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fast_password_hashing")

PASSWORD = "BCDF-GHJK-MNPQ"
API = "/api/invigilation"
UNKNOWN = "Aucune session ne porte ce numéro. Vérifiez le numéro de la session."
WRONG_PASSWORD = "Le mot de passe de la session est incorrect. Vérifiez-le sur le kit surveillant."
NOT_SUPERVISABLE = (
    "Cette session n'est plus accessible : elle a été finalisée ou ses résultats sont traités."
)
TOO_MANY = (
    "Trop de tentatives de connexion à une session. Pour votre sécurité, réessayez dans 15 minutes."
)
ALREADY_BY_ALICE = "Cette action a déjà été traitée par Alice Martin."
CHOOSE_REASON = "Sélectionnez un motif pour valider le signalement."
NOTE_LENGTH = "La note doit contenir entre 1 et 2 000 caractères."
ALWAYS = ["E4", "E5", "E8", "E9", "E11", "E12"]


# --- Personas and helpers ------------------------------------------------------------------


def _grant(user, session) -> None:
    InvigilatorAccess.objects.create(session=session, user=user, via=InvigilatorAccess.Via.PASSWORD)


@pytest.fixture
def session(exam_session):
    """The exam session, with a known invigilator password."""
    exam_session.invigilator_password = PASSWORD
    exam_session.save(update_fields=["invigilator_password_encrypted"])
    return exam_session


@pytest.fixture
def alice(session):
    user = UserFactory(email="alice.martin@lycee.fr", first_name="Alice", last_name="Martin")
    _grant(user, session)
    return user


@pytest.fixture
def bruno(session):
    user = UserFactory(email="bruno.petit@lycee.fr", first_name="Bruno", last_name="Petit")
    _grant(user, session)
    return user


@pytest.fixture
def as_alice(login, alice) -> Client:
    return login(alice)


@pytest.fixture
def as_bruno(login, bruno) -> Client:
    return login(bruno)


@pytest.fixture
def runner(db):
    """The account that runs the tests built directly in the database (one is enough)."""
    return UserFactory(email="runner@lycee.fr")


@pytest.fixture
def bank(small_bank, settings):
    """The small bank plus an image question, so every reason rule can be shown."""
    directory = Path(settings.ITEM_BANK_DIR)
    (directory / "media" / "plan.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>', encoding="utf-8"
    )
    (directory / "flags.yaml").write_text(
        "version: 1\n"
        "items:\n"
        '  - id: "image-1"\n'
        '    competence: "1.1"\n'
        "    type: single\n"
        '    prompt: "Que montre le plan ?"\n'
        '    choices: ["Un lycée", "Une gare"]\n'
        "    answer: [0]\n"
        "    difficulty: 3.9\n"
        "    discrimination: 0.3\n"
        "    flags: [image]\n"
        "    media:\n"
        '      image: "plan.svg"\n'
        '      alt: "Plan du lycée"\n',
        encoding="utf-8",
    )
    engine.get_bank.cache_clear()
    yield engine.get_bank()
    engine.get_bank.cache_clear()


def _candidate(session, last_name, first_name="Camille", **fields):
    return CandidateFactory(session=session, last_name=last_name, first_name=first_name, **fields)


def _course(candidate, runner, *, at=None, **fields) -> CertificationCourse:
    return CertificationCourseFactory(
        candidate=candidate,
        user=candidate.user or runner,
        started_at=at or timezone.now(),
        **fields,
    )


def _alert(course, item_id="1.1-000", number=4, kind=LiveAlert.Kind.QUESTION) -> LiveAlert:
    CertificationCourse.objects.filter(pk=course.pk).update(
        current_item_id=item_id, current_asked_at=timezone.now()
    )
    return LiveAlertFactory(course=course, item_id=item_id, question_number=number, kind=kind)


def _post(client, url, data=None, **extra):
    return client.post(url, data or {}, content_type="application/json", **extra)


def _state(client, session) -> dict:
    response = client.get(f"{API}/sessions/{session.pk}/state")
    assert response.status_code == 200, response.content
    return response.json()


def _row(state, candidate) -> dict:
    return next(row for row in state["candidates"] if row["id"] == candidate.pk)


def _supervise(client, number, password, ip="10.0.0.1"):
    return _post(
        client,
        f"{API}/supervise",
        {"session_number": number, "password": password},
        REMOTE_ADDR=ip,
    )


def _tags(session) -> list[str]:
    return list(AuditEvent.objects.filter(session=session).values_list("tag", flat=True))


# --- Entering a session ------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lets_an_invigilator_enter_through_the_page_with_number_and_password(
    login, client, session, invigilator, candidate_user
):
    """The page accepts the password in any case and without dashes, then opens the session."""
    outsider = login(candidate_user)
    assert outsider.get(f"/surveillance/sessions/{session.pk}/").status_code == 404
    client.force_login(invigilator)
    assert client.get(f"/surveillance/sessions/{session.pk}/").status_code == 404
    assert client.get("/surveillance/").status_code == 200

    response = client.post(
        "/surveillance/",
        {"session_number": f" {session.number} ", "password": "bcdfghjk-mnpq"},
        REMOTE_ADDR="192.0.2.7",
    )

    assert response.status_code == 302
    assert response["Location"] == f"/surveillance/sessions/{session.pk}/"
    access = InvigilatorAccess.objects.get(session=session, user=invigilator)
    assert access.via == "password" and access.ip_address == "192.0.2.7"
    event = AuditEvent.objects.get(tag="invigilator:session:enter")
    assert event.actor == invigilator and event.session == session
    assert event.data == {"via": "password", "ip": "192.0.2.7"}
    page = client.get(f"/surveillance/sessions/{session.pk}/")
    assert page.status_code == 200
    assert session.number in page.content.decode()
    assert outsider.get(f"/surveillance/sessions/{session.pk}/").status_code == 404


@pytest.mark.django_db
def test_it_lets_an_invigilator_enter_through_the_api(login, client, session, invigilator, jury):
    """POST /supervise returns the session; the state is readable afterwards, not before."""
    client.force_login(invigilator)
    assert client.get(f"{API}/sessions/{session.pk}/state").status_code == 404

    response = _supervise(client, session.number, "bcdf ghjk mnpq")

    assert response.status_code == 200
    assert response.json() == {"session_id": session.pk, "number": session.number}
    assert _state(client, session)["session"]["number"] == session.number
    assert InvigilatorAccess.objects.filter(session=session, user=invigilator).count() == 1
    assert _tags(session) == ["invigilator:session:enter"]
    assert login(jury).get(f"{API}/sessions/{session.pk}/state").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("situation", "status", "message"),
    [
        ("unknown number", 404, UNKNOWN),
        ("wrong password", 403, WRONG_PASSWORD),
        ("finalized session", 412, NOT_SUPERVISABLE),
    ],
)
def test_it_explains_why_entering_fails(client, session, invigilator, situation, status, message):
    """Unknown number, wrong password and finalized session each have their own message."""
    number, password = session.number, PASSWORD
    if situation == "unknown number":
        number = "9999999"
    elif situation == "wrong password":
        password = "BCDF-GHJK-MNPP"
    else:
        session.finalized_at = timezone.now()
        session.save(update_fields=["finalized_at"])
    client.force_login(invigilator)

    response = _supervise(client, number, password)
    page = client.post("/surveillance/", {"session_number": number, "password": password})

    assert response.status_code == status
    assert response.json()["detail"] == message
    assert page.status_code == 200
    assert message in html.unescape(page.content.decode())
    assert not InvigilatorAccess.objects.exists()
    assert not AuditEvent.objects.filter(tag="invigilator:session:enter").exists()
    assert len({UNKNOWN, WRONG_PASSWORD, NOT_SUPERVISABLE}) == 3


@pytest.mark.django_db
def test_it_locks_an_account_after_ten_failures_even_with_the_right_password(
    client, session, invigilator
):
    """The 11th attempt within 15 minutes is refused, on the API and the page, from any address."""
    client.force_login(invigilator)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(10):
            assert _supervise(client, session.number, "WRONG-WRONG-WRONG").status_code == 403

        locked = _supervise(client, session.number, PASSWORD)
        page = client.post(
            "/surveillance/",
            {"session_number": session.number, "password": PASSWORD},
            REMOTE_ADDR="198.51.100.9",
        )

    assert locked.status_code == 429
    assert locked.json()["detail"] == TOO_MANY
    assert TOO_MANY in html.unescape(page.content.decode())
    assert not InvigilatorAccess.objects.exists()
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert _supervise(client, session.number, PASSWORD).status_code == 429
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert _supervise(client, session.number, PASSWORD).status_code == 200
    assert InvigilatorAccess.objects.filter(user=invigilator).count() == 1


@pytest.mark.django_db
def test_it_locks_an_address_after_a_school_s_worth_of_failures_across_accounts(
    login, session, alice
):
    """Ten accounts failing ten times each from one address (100, the per-address limit:
    a school shares one address) lock that address only, for everyone on it; ten failures
    there do not (tests/test_lockouts.py)."""
    guessers = [login(UserFactory()) for _ in range(10)]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for client in guessers:
            for _ in range(10):
                assert (
                    _supervise(client, session.number, "NOPE", ip="203.0.113.5").status_code == 403
                )

        refused = _supervise(login(alice), session.number, PASSWORD, ip="203.0.113.5")
        elsewhere = _supervise(login(alice), session.number, PASSWORD, ip="203.0.113.6")

    assert refused.status_code == 429 and refused.json()["detail"] == TOO_MANY
    assert elsewhere.status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert (
            _supervise(login(alice), session.number, PASSWORD, ip="203.0.113.5").status_code == 200
        )


@pytest.mark.django_db
def test_it_does_not_lock_another_account_on_another_address(login, session, alice, bruno):
    """Alice's failures lock Alice everywhere, never Bruno on his own address."""
    for _ in range(10):
        _supervise(login(alice), session.number, "NOPE", ip="203.0.113.5")

    assert _supervise(login(bruno), session.number, PASSWORD, ip="203.0.113.77").status_code == 200
    assert _supervise(login(alice), session.number, PASSWORD, ip="203.0.113.78").status_code == 429
    assert ratelimit.count(f"supervise:user:{bruno.pk}") == 0


# --- Membership, no access, sessions that left `created` ---------------------------------


@pytest.mark.django_db
def test_it_opens_the_session_page_for_a_centre_member_and_records_it(
    login, session, centre_admin, other_centre_admin
):
    """A centre admin needs no password; the entry is recorded (via=membership) by the
    page's « Surveiller cette session » (a POST: opening the page records nothing)."""
    assert login(other_centre_admin).get(f"/surveillance/sessions/{session.pk}/").status_code == 404
    client = login(centre_admin)
    assert client.get(f"/surveillance/sessions/{session.pk}/").status_code == 200
    assert not InvigilatorAccess.objects.exists()

    entered = client.post(f"/surveillance/sessions/{session.pk}/entrer/", REMOTE_ADDR="192.0.2.44")
    page = client.get(f"/surveillance/sessions/{session.pk}/")

    assert entered.status_code == 302
    assert page.status_code == 200
    access = InvigilatorAccess.objects.get()
    assert (access.user, access.via, access.ip_address) == (
        centre_admin,
        "membership",
        "192.0.2.44",
    )
    event = AuditEvent.objects.get(tag="invigilator:session:enter")
    assert event.actor == centre_admin and event.data["via"] == "membership"
    assert _state(login(centre_admin), session)["session"]["id"] == session.pk


def _every_action(session, candidate, alert) -> list[tuple[str, dict]]:
    return [
        (f"{API}/candidates/{candidate.pk}/confirm-presence", {}),
        (f"{API}/candidates/{candidate.pk}/cancel-presence", {}),
        (f"{API}/candidates/{candidate.pk}/authorize-resume", {}),
        (f"{API}/candidates/{candidate.pk}/end", {}),
        (f"{API}/sessions/{session.pk}/end-overtime", {}),
        (f"{API}/alerts/{alert.pk}/validate", {"reason": "E11"}),
        (f"{API}/alerts/{alert.pk}/refuse", {}),
        (f"{API}/sessions/{session.pk}/notes", {"text": "Retard de 10 minutes"}),
        (f"{API}/sessions/{session.pk}/notes", {"text": "Retard", "candidate_id": candidate.pk}),
    ]


@pytest.mark.django_db
def test_it_hides_the_session_from_a_user_without_access(
    login, session, invigilator, candidate, runner, bank, alice
):
    """No access row: 404 on the page, the state and every action, and nothing changes."""
    course = _course(candidate, runner, at=timezone.now() - dt.timedelta(hours=3))
    alert = _alert(course)
    client = login(invigilator)
    before = _tags(session)

    assert client.get(f"/surveillance/sessions/{session.pk}/").status_code == 404
    assert client.get(f"/surveillance/sessions/{session.pk}/kit.pdf").status_code == 404
    assert client.post(f"/surveillance/sessions/{session.pk}/quitter/").status_code == 404
    assert client.get(f"{API}/sessions/{session.pk}/state").status_code == 404
    for url, data in _every_action(session, candidate, alert):
        assert _post(client, url, data).status_code == 404, url

    assert _tags(session) == before
    alert.refresh_from_db()
    course.refresh_from_db()
    assert alert.status == AlertStatus.ONGOING and course.status == CourseStatus.STARTED
    assert not Note.objects.exists() and not IssueReport.objects.exists()
    assert _state(login(alice), session)["counts"]["alerts"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("stage", ["finalized", "in_process", "published"])
def test_it_closes_the_espace_surveillant_once_the_session_left_created(
    login, session, alice, candidate, runner, bank, jury, stage
):
    """Page and kit: back to « Surveiller une session » with a message; the state and every
    action: 412 (the state no longer shows names, birthdates nor the access code)."""
    course = _course(candidate, runner, at=timezone.now() - dt.timedelta(hours=3))
    alert = _alert(course)
    session.finalized_at = timezone.now()
    if stage != "finalized":
        session.assigned_officer = jury
    if stage == "published":
        session.published_at = timezone.now()
    session.save()
    client = login(alice)
    before = _tags(session)

    page = client.get(f"/surveillance/sessions/{session.pk}/")

    assert page.status_code == 302 and page["Location"] == "/surveillance/"
    assert [str(m) for m in get_messages(page.wsgi_request)] == [NOT_SUPERVISABLE]
    kit = login(alice).get(f"/surveillance/sessions/{session.pk}/kit.pdf")
    assert kit.status_code == 302 and kit["Location"] == "/surveillance/"
    for url, data in _every_action(session, candidate, alert):
        response = _post(client, url, data)
        assert response.status_code == 412, url
        assert response.json()["detail"] == NOT_SUPERVISABLE
    assert _supervise(client, session.number, PASSWORD).status_code == 412
    assert _tags(session) == before
    assert not Note.objects.exists()
    state = client.get(f"{API}/sessions/{session.pk}/state")
    assert state.status_code == 412 and state.json()["detail"] == NOT_SUPERVISABLE
    assert login(jury).get(f"{API}/sessions/{session.pk}/state").status_code == 404


# --- The state JSON ------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_counts_present_candidates_and_gives_each_situation_its_status(
    login, session, as_alice, alice, bruno, runner, bank, invigilator
):
    """Present = confirmed or started; each situation has its status, « ended by » its name."""
    now = timezone.now()
    absent = _candidate(session, "Absent")
    confirmed = _candidate(session, "Confirme", authorized_to_start_at=now, authorized_by=alice)
    started = _candidate(session, "Commence")
    _course(started, runner)
    alerted = _candidate(session, "Signale")
    _alert(_course(alerted, runner), number=7)
    resuming = _candidate(session, "Reprise", authorized_to_start_at=now, authorized_by=alice)
    _course(resuming, runner)
    done = _candidate(session, "Fini")
    _course(done, runner, status=CourseStatus.COMPLETED, ended_at=now)
    stopped = _candidate(session, "Arrete")
    _course(stopped, runner, status=CourseStatus.ENDED_BY_INVIGILATOR, ended_at=now, ended_by=bruno)

    state = _state(as_alice, session)

    assert state["counts"] == {"present": 6, "total": 7, "alerts": 1, "time_over": 0}
    expected = {
        absent: ("not_confirmed", "Présence non confirmée"),
        confirmed: ("confirmed", "Présence confirmée"),
        started: ("started", "En cours"),
        alerted: ("alert", "Signalement en cours"),
        resuming: ("resume_authorized", "Autorisé à reprendre"),
        done: ("completed", "Terminé"),
        stopped: ("ended_by_invigilator", "Terminé par le surveillant"),
    }
    for candidate, (status, label) in expected.items():
        row = _row(state, candidate)
        assert (row["status"], row["status_label"]) == (status, label), candidate
    assert _row(state, stopped)["ended_by"] == "Bruno Petit"
    assert _row(state, done)["ended_by"] == ""
    assert _row(state, alerted)["alert"]["question_number"] == 7
    assert _row(state, absent)["last_name"] == "ABSENT"
    assert _row(state, absent)["total"] == engine.TEST_LENGTH
    assert login(invigilator).get(f"{API}/sessions/{session.pk}/state").status_code == 404


@pytest.mark.django_db
def test_it_computes_the_theoretical_end_with_extra_time_in_the_centre_time_zone(
    login, runner, other_centre_admin
):
    """End = start + 1 h 45 + extra time (33 % → 35 min), shown in the centre's own time zone."""
    reunion = CentreFactory(time_zone=Centre.TimeZone.REUNION)
    session = ExamSessionFactory(centre=reunion)
    alice = UserFactory(first_name="Alice", last_name="Martin")
    _grant(alice, session)
    plain = _candidate(session, "Sans")
    third = _candidate(session, "Tiers", extra_time_percentage=33)
    double = _candidate(session, "Double", extra_time_percentage=100)
    not_started = _candidate(session, "Attente", extra_time_percentage=33)
    start = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)  # 14:00 in La Réunion
    with time_machine.travel(start, tick=False):
        for candidate in (plain, third, double):
            _course(candidate, runner, at=start)
        state = _state(login(alice), session)

    row = _row(state, third)
    assert row["started_at"] == "14:00"
    assert row["theoretical_end"] == "16:19"  # 14:00 + 105 min + 34 min 39 s
    expected_end = start + dt.timedelta(minutes=105) + dt.timedelta(minutes=105) * 33 / 100
    assert dt.datetime.fromisoformat(row["theoretical_end_iso"]) == expected_end
    assert row["breakdown"] == "1 h 45 + 35 min de temps majoré (33 %)"
    assert row["extra_time_percentage"] == 33
    assert (_row(state, plain)["theoretical_end"], _row(state, plain)["breakdown"]) == (
        "15:45",
        "1 h 45",
    )
    assert _row(state, double)["theoretical_end"] == "17:30"
    assert _row(state, double)["breakdown"] == "1 h 45 + 1 h 45 de temps majoré (100 %)"
    assert _row(state, not_started)["theoretical_end"] is None
    assert _row(state, not_started)["breakdown"] is None
    assert state["session"]["duration"] == "1 h 45" and state["session"]["duration_minutes"] == 105
    assert login(other_centre_admin).get(f"{API}/sessions/{session.pk}/state").status_code == 404


@pytest.mark.django_db
def test_it_flags_time_over_and_sorts_candidates_needing_attention_first(
    login, session, as_alice, runner, bank, candidate_user
):
    """Alert first, then time over, then the others by name; time over follows the clock."""
    start = timezone.now().replace(microsecond=0)
    _candidate(session, "Albert")
    late = _candidate(session, "Yvon")
    extra = _candidate(session, "Bernard", extra_time_percentage=33)
    alerted = _candidate(session, "Zola")
    first_alerted = _candidate(session, "Xavier")
    for candidate in (late, extra, alerted, first_alerted):
        _course(candidate, runner, at=start)
    _alert(CertificationCourse.objects.get(candidate=alerted))
    _alert(CertificationCourse.objects.get(candidate=first_alerted))
    finished = _candidate(session, "Claude")
    _course(finished, runner, at=start, status=CourseStatus.COMPLETED, ended_at=start)

    with time_machine.travel(start + dt.timedelta(minutes=104), tick=False):
        before = _state(as_alice, session)
    with time_machine.travel(start + dt.timedelta(minutes=110), tick=False):
        after = _state(as_alice, session)
    with time_machine.travel(start + dt.timedelta(minutes=140), tick=False):
        later = _state(as_alice, session)

    assert not any(row["time_over"] for row in before["candidates"])
    order = [row["last_name"] for row in after["candidates"]]
    assert order == ["XAVIER", "ZOLA", "YVON", "ALBERT", "BERNARD", "CLAUDE"]
    assert _row(after, late)["time_over"] is True
    assert _row(after, extra)["time_over"] is False  # 1 h 45 + 35 min not over yet
    assert _row(after, finished)["time_over"] is False  # a finished test is never « over »
    assert after["counts"]["time_over"] == 3  # the two alerted tests are over too
    assert _row(later, extra)["time_over"] is True
    assert [row["last_name"] for row in later["candidates"]][:2] == ["XAVIER", "ZOLA"]
    refused = login(candidate_user).get(f"{API}/sessions/{session.pk}/state")
    assert refused.status_code == 404


@pytest.mark.django_db
def test_it_offers_alert_reasons_that_depend_on_the_question_flags(
    login, session, as_alice, runner, bank, invigilator
):
    """E10 only for a focus question, E1 only for an image question, the rest always."""
    plain = _candidate(session, "Simple")
    focus = _candidate(session, "Focus")
    image = _candidate(session, "Image")
    _alert(_course(plain, runner), item_id="1.1-000")
    _alert(_course(focus, runner), item_id="timed-1")
    _alert(_course(image, runner), item_id="image-1")

    state = _state(as_alice, session)

    def codes(candidate):
        return [code for code, _label in _row(state, candidate)["alert"]["reasons"]]

    assert codes(plain) == ALWAYS
    assert codes(focus) == ["E4", "E5", "E8", "E9", "E10", "E11", "E12"]
    assert codes(image) == ["E1", *ALWAYS]
    labels = dict(_row(state, image)["alert"]["reasons"])
    assert labels["E1"] == "L'image ne s'affiche pas"
    client = login(invigilator)
    alert = LiveAlert.objects.get(course__candidate=plain)
    assert _post(client, f"{API}/alerts/{alert.pk}/validate", {"reason": "E11"}).status_code == 404


@pytest.mark.django_db
def test_it_lists_the_audit_timeline_with_labels(client, session, invigilator, candidate, alice):
    """Newest first, with the French label, the actor's name and the candidate's name."""
    client.force_login(invigilator)
    assert client.get(f"{API}/sessions/{session.pk}/state").status_code == 404
    assert _supervise(client, session.number, PASSWORD).status_code == 200
    _post(client, f"{API}/candidates/{candidate.pk}/confirm-presence")
    _post(
        client, f"{API}/sessions/{session.pk}/notes", {"text": "RAS", "candidate_id": candidate.pk}
    )
    _post(client, f"{API}/candidates/{candidate.pk}/cancel-presence")

    timeline = _state(client, session)["timeline"]

    name = f"{invigilator.first_name} {invigilator.last_name}"
    assert [(e["tag"], e["label"], e["actor"], e["candidate"]) for e in timeline] == [
        ("invigilator:presence:cancel", "Confirmation de présence annulée", name, "DUPONT Léa"),
        ("invigilator:note:add", "Note ajoutée au PV", name, "DUPONT Léa"),
        ("invigilator:presence:confirm", "Présence confirmée", name, "DUPONT Léa"),
        ("invigilator:session:enter", "Entrée dans l'Espace Surveillant", name, ""),
    ]
    assert all(len(e["at"]) == 8 for e in timeline)  # HH:MM:SS


@pytest.mark.django_db
def test_it_lists_who_is_watching(
    login, session, as_alice, alice, bruno, sent_events, candidate_user
):
    """Open pages within the last minute, one name per person, sorted; a dead page drops out."""
    with time_machine.travel(timezone.now() - dt.timedelta(minutes=5)):
        actions.do_watch(session, bruno, "specific.bruno!1")
    with sent_events() as events:
        actions.do_watch(session, alice, "specific.alice!1")
        actions.do_watch(session, alice, "specific.alice!2")

    assert _state(as_alice, session)["watchers"] == ["Alice Martin"]
    assert (f"session-{session.pk}", {"type": "session", "op": "watchers"}) in events
    actions.do_touch("specific.bruno!1")
    assert _state(as_alice, session)["watchers"] == ["Alice Martin", "Bruno Petit"]
    actions.do_unwatch("specific.alice!1")
    actions.do_unwatch("specific.alice!2")
    actions.do_unwatch("specific.unknown!9")
    assert _state(as_alice, session)["watchers"] == ["Bruno Petit"]
    assert login(candidate_user).get(f"{API}/sessions/{session.pk}/state").status_code == 404


def _populate(session, size: int, runner, author) -> None:
    """Every situation in turn: absent, confirmed, started, alert + note, ended, resuming."""
    now = timezone.now()
    for i in range(size):
        kind = i % 6
        candidate = _candidate(
            session,
            f"Eleve{i:02d}",
            extra_time_percentage=33 if i % 4 == 0 else 0,
            authorized_to_start_at=now if kind in (1, 5) else None,
            authorized_by=author if kind in (1, 5) else None,
        )
        record_event(
            Tag.Invigilator.PRESENCE_CONFIRM, actor=author, session=session, candidate=candidate.pk
        )
        if kind in (0, 1):
            continue
        course = _course(
            candidate,
            runner,
            at=now - dt.timedelta(hours=2),
            status=CourseStatus.ENDED_BY_INVIGILATOR if kind == 4 else CourseStatus.STARTED,
            ended_by=author if kind == 4 else None,
        )
        Answer.objects.create(
            course=course,
            position=1,
            item_id="1.1-000",
            competence="1.1",
            response=[0],
            correct=True,
            asked_at=now,
            answered_at=now,
        )
        if kind == 3:
            _alert(course, item_id="timed-1" if i % 2 else "image-1")
            LiveAlert.objects.create(course=course, kind=LiveAlert.Kind.COMPANION)
            Note.objects.create(session=session, candidate=candidate, author=author, text="Bruit")
    Note.objects.create(session=session, author=author, text="Salle froide")
    actions.do_watch(session, author, f"specific.{session.pk}!1")


@pytest.mark.django_db
def test_it_reads_the_state_in_a_constant_number_of_queries(
    login, centre, alice, runner, bank, invigilator
):
    """40 candidates cost exactly as many queries as 5, and few of them."""
    small = ExamSessionFactory(centre=centre)
    large = ExamSessionFactory(centre=centre)
    _grant(alice, small)
    _grant(alice, large)
    _populate(small, 5, runner, alice)
    _populate(large, 40, runner, alice)
    client = login(alice)
    _state(client, small)  # warm the bank cache and the session

    with CaptureQueriesContext(connection) as few:
        small_state = _state(client, small)
    with CaptureQueriesContext(connection) as many:
        large_state = _state(client, large)

    assert len(large_state["candidates"]) == 40 and len(small_state["candidates"]) == 5
    assert large_state["counts"]["alerts"] > small_state["counts"]["alerts"] > 0
    assert len(many) == len(few), [q["sql"] for q in many]
    # 11 (the session's own notes are read apart: the journal fragment shows them alone),
    # and 3 since issue 15: the time added (its reasons), the room's suspension, the
    # messages with who read them; 1 more for what Vigie saw (the rows' evidence, issue 15);
    # 1 since the rows show each open suspension (its reason, and whether its room still holds it).
    assert len(many) <= 16, [q["sql"] for q in many]
    assert login(invigilator).get(f"{API}/sessions/{large.pk}/state").status_code == 404


# --- Actions on one candidate ---------------------------------------------------------------


@pytest.mark.django_db
def test_it_confirms_and_cancels_presence(
    login, session, as_alice, alice, candidate, sent_events, invigilator
):
    """Confirm then cancel: the fields, one audit row each, events to the session and the candidate."""
    assert (
        _post(login(invigilator), f"{API}/candidates/{candidate.pk}/confirm-presence").status_code
        == 404
    )
    with sent_events() as events:
        confirmed = _post(as_alice, f"{API}/candidates/{candidate.pk}/confirm-presence")
    candidate.refresh_from_db()
    assert confirmed.status_code == 200 and confirmed.json() == {"detail": "ok"}
    assert candidate.authorized_to_start_at is not None and candidate.authorized_by == alice
    assert [g for g, e in events] == [f"candidate-{candidate.pk}", f"session-{session.pk}"]
    assert events[0][1] == {"type": "candidate", "op": "authorized", "candidate_id": candidate.pk}
    assert _row(_state(as_alice, session), candidate)["status"] == "confirmed"

    with sent_events() as events:
        cancelled = _post(as_alice, f"{API}/candidates/{candidate.pk}/cancel-presence")
    candidate.refresh_from_db()
    assert cancelled.status_code == 200
    assert candidate.authorized_to_start_at is None and candidate.authorized_by is None
    assert {e["op"] for _g, e in events} == {"unauthorized"}
    assert {g for g, _e in events} == {f"candidate-{candidate.pk}", f"session-{session.pk}"}
    again = _post(as_alice, f"{API}/candidates/{candidate.pk}/cancel-presence")
    assert again.status_code == 409 and again.json()["detail"] == "Cette action a déjà été traitée."
    events_rows = AuditEvent.objects.filter(session=session).order_by("id")
    assert [(e.tag, e.actor, e.data) for e in events_rows] == [
        ("invigilator:presence:confirm", alice, {"candidate": candidate.pk}),
        ("invigilator:presence:cancel", alice, {"candidate": candidate.pk}),
    ]


@pytest.mark.django_db
def test_it_refuses_to_cancel_presence_once_the_test_started(
    session, as_alice, alice, candidate, runner
):
    """Once started, cancelling is refused (409) and the resume authorization stays."""
    _course(candidate, runner)
    assert _post(as_alice, f"{API}/candidates/{candidate.pk}/authorize-resume").status_code == 200

    refused = _post(as_alice, f"{API}/candidates/{candidate.pk}/cancel-presence")

    assert refused.status_code == 409
    candidate.refresh_from_db()
    assert candidate.authorized_to_start_at is not None
    assert "invigilator:presence:cancel" not in _tags(session)
    assert _post(as_alice, f"{API}/candidates/{candidate.pk}/confirm-presence").status_code == 409


@pytest.mark.django_db
def test_it_authorizes_a_resume_only_for_a_started_test(
    session, as_alice, alice, runner, sent_events
):
    """Not started or finished: 409; started: authorized, audited, candidate notified."""
    waiting = _candidate(session, "Attente")
    running = _candidate(session, "Encours")
    finished = _candidate(session, "Fini")
    _course(running, runner)
    _course(finished, runner, status=CourseStatus.COMPLETED, ended_at=timezone.now())

    assert _post(as_alice, f"{API}/candidates/{waiting.pk}/authorize-resume").status_code == 409
    assert _post(as_alice, f"{API}/candidates/{finished.pk}/authorize-resume").status_code == 409
    with sent_events() as events:
        response = _post(as_alice, f"{API}/candidates/{running.pk}/authorize-resume")

    assert response.status_code == 200
    running.refresh_from_db()
    assert running.authorized_to_start_at is not None and running.authorized_by == alice
    assert (f"candidate-{running.pk}", events[0][1]) in events and events[0][1][
        "op"
    ] == "authorized"
    assert _tags(session) == ["invigilator:resume:authorize"]
    assert _row(_state(as_alice, session), running)["status"] == "resume_authorized"
    waiting.refresh_from_db()
    assert waiting.authorized_to_start_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("item_id", "reason"),
    [("1.1-000", ""), ("1.1-000", "XX"), ("1.1-000", "E10"), ("1.1-000", "E1"), ("timed-1", "E1")],
)
def test_it_refuses_to_validate_an_alert_without_a_valid_reason(
    session, as_alice, candidate, runner, bank, item_id, reason
):
    """A missing reason, or one not offered for this question, is refused with 400."""
    alert = _alert(_course(candidate, runner), item_id=item_id)

    response = _post(as_alice, f"{API}/alerts/{alert.pk}/validate", {"reason": reason})

    assert response.status_code == 400
    assert response.json()["detail"] == CHOOSE_REASON
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ONGOING
    assert not IssueReport.objects.exists()
    assert _tags(session) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("item_id", "reason"), [("1.1-000", "E11"), ("timed-1", "E10"), ("image-1", "E1")]
)
def test_it_validates_an_alert_and_creates_the_issue_report(
    session, as_alice, alice, candidate, runner, bank, sent_events, item_id, reason
):
    """Validated: IssueReport IN_CHALLENGE with the reason and question number, test goes on."""
    course = _course(candidate, runner)
    alert = _alert(course, item_id=item_id, number=12)

    with sent_events() as events:
        response = _post(as_alice, f"{API}/alerts/{alert.pk}/validate", {"reason": reason})

    assert response.status_code == 200
    assert response.json() == {"detail": "Le signalement a bien été validé."}
    alert.refresh_from_db()
    assert (alert.status, alert.reason, alert.resolved_by) == (AlertStatus.VALIDATED, reason, alice)
    report = IssueReport.objects.get()
    assert (report.course, report.category, report.subcategory, report.question_number) == (
        course,
        "IN_CHALLENGE",
        reason,
        12,
    )
    assert report.live_alert == alert and report.created_by == alice and report.description
    course.refresh_from_db()
    # The replacement question, of another competence, is drawn by the validation itself.
    assert course.current_item_id not in ("", item_id) and course.avoid_competence == ""
    assert engine.item(course.current_item_id).competence != engine.item(item_id).competence
    event = AuditEvent.objects.get(tag="invigilator:alert:validate")
    assert event.actor == alice and event.data["reason"] == reason
    assert event.data["question_number"] == 12 and event.data["candidate"] == candidate.pk
    assert {g for g, _e in events} == {f"candidate-{candidate.pk}", f"session-{session.pk}"}
    assert {e["op"] for _g, e in events} == {"alert_validated"}
    assert _row(_state(as_alice, session), candidate)["status"] == "started"


@pytest.mark.django_db
def test_it_refuses_an_alert(session, as_alice, alice, candidate, runner, bank, sent_events):
    """Refused: the candidate goes back to the same question; no issue report."""
    course = _course(candidate, runner)
    alert = _alert(course, item_id="1.2-001")

    with sent_events() as events:
        response = _post(as_alice, f"{API}/alerts/{alert.pk}/refuse")

    assert response.status_code == 200
    assert response.json() == {"detail": "Le signalement a bien été refusé."}
    alert.refresh_from_db()
    assert (alert.status, alert.resolved_by) == (AlertStatus.REFUSED, alice)
    assert not IssueReport.objects.exists()
    course.refresh_from_db()
    assert course.current_item_id == "1.2-001"
    assert _tags(session) == ["invigilator:alert:refuse"]
    assert {(g, e["op"]) for g, e in events} == {
        (f"candidate-{candidate.pk}", "alert_refused"),
        (f"session-{session.pk}", "alert_refused"),
    }


@pytest.mark.django_db
def test_it_ends_one_test(
    login, session, as_alice, alice, candidate, runner, sent_events, invigilator
):
    """« Terminer le test »: ended by Alice, audited, notified; a test not started: 400."""
    waiting = _candidate(session, "Attente")
    course = _course(candidate, runner, run_token_hash="x" * 64, current_item_id="1.1-000")
    assert _post(login(invigilator), f"{API}/candidates/{candidate.pk}/end").status_code == 404

    with sent_events() as events:
        response = _post(as_alice, f"{API}/candidates/{candidate.pk}/end")

    assert response.status_code == 200
    course.refresh_from_db()
    assert course.status == CourseStatus.ENDED_BY_INVIGILATOR and course.ended_by == alice
    assert (
        course.ended_at is not None and course.run_token_hash == "" and course.current_item_id == ""
    )
    assert {(g, e["op"], e["status"]) for g, e in events} == {
        (f"candidate-{candidate.pk}", "ended", "ended_by_invigilator"),
        (f"session-{session.pk}", "ended", "ended_by_invigilator"),
    }
    assert _tags(session) == ["invigilator:course:end"]
    row = _row(_state(as_alice, session), candidate)
    assert (row["status"], row["ended_by"]) == ("ended_by_invigilator", "Alice Martin")
    not_started = _post(as_alice, f"{API}/candidates/{waiting.pk}/end")
    assert not_started.status_code == 400
    assert not_started.json()["detail"] == "Ce candidat n'a pas commencé son test."


@pytest.mark.django_db
def test_it_ends_only_the_tests_past_their_theoretical_end(
    login, session, as_alice, alice, runner, sent_events, invigilator
):
    """« Terminer les tests dont le temps est écoulé »: 1 h 50 after the start, only 0 % is over."""
    start = timezone.now()
    plain = _candidate(session, "Sans")
    extra = _candidate(session, "Tiers", extra_time_percentage=33)
    finished = _candidate(session, "Fini")
    _course(plain, runner, at=start)
    _course(extra, runner, at=start)
    _course(finished, runner, at=start, status=CourseStatus.COMPLETED, ended_at=start)
    url = f"{API}/sessions/{session.pk}/end-overtime"

    with time_machine.travel(start + dt.timedelta(minutes=110), tick=False):
        assert _post(login(invigilator), url).status_code == 404
        with sent_events() as events:
            response = _post(as_alice, url)
        nothing = _post(as_alice, url)

    assert response.status_code == 200 and response.json() == {"ended": 1}
    statuses = dict(CertificationCourse.objects.values_list("candidate__last_name", "status"))
    assert statuses == {"Sans": "ended_by_invigilator", "Tiers": "started", "Fini": "completed"}
    assert CertificationCourse.objects.get(candidate=plain).ended_by == alice
    assert {g for g, _e in events} == {f"candidate-{plain.pk}", f"session-{session.pk}"}
    assert _tags(session) == ["invigilator:course:end"]
    assert nothing.status_code == 409
    assert nothing.json()["detail"] == "Aucun test en cours n'a dépassé son heure de fin théorique."
    with time_machine.travel(start + dt.timedelta(minutes=141), tick=False):
        assert _post(as_alice, url).json() == {"ended": 1}
    assert CertificationCourse.objects.get(candidate=extra).status == "ended_by_invigilator"


@pytest.mark.django_db
def test_it_adds_notes_per_candidate_and_per_session(
    login, session, as_alice, alice, candidate, sent_events, invigilator
):
    """Notes carry their author and time (centre's zone); each is audited and announced."""
    at = dt.datetime(2026, 1, 15, 13, 5, tzinfo=dt.UTC)  # 14:05 in Paris
    notes = f"{API}/sessions/{session.pk}/notes"
    with time_machine.travel(at, tick=False), sent_events() as events:
        on_session = _post(as_alice, notes, {"text": "  Alarme incendie à 14 h 05  "})
        on_candidate = _post(
            as_alice, notes, {"text": "Arrivé en retard", "candidate_id": candidate.pk}
        )
        state = _state(as_alice, session)

    assert on_session.status_code == 200 and on_candidate.status_code == 200
    assert state["session_notes"] == [
        {"author": "Alice Martin", "at": "14:05", "text": "Alarme incendie à 14 h 05"}
    ]
    (note,) = _row(state, candidate)["notes"]
    # A plain note: no category, so no line of the PV (tests/test_evidence_pv.py).
    assert note == {
        "author": "Alice Martin",
        "at": "14:05",
        "text": "Arrivé en retard",
        "code": "",
        "code_label": "",
        "question_number": None,
        "action_taken": "",
        "fraud": False,
        "id": Note.objects.get(candidate=candidate).pk,
    }
    assert events == [(f"session-{session.pk}", {"type": "session", "op": "note"})] * 2
    audit = AuditEvent.objects.filter(tag="invigilator:note:add").order_by("id")
    assert [(e.actor, e.data["candidate"]) for e in audit] == [(alice, None), (alice, candidate.pk)]
    assert Note.objects.get(candidate=candidate).author == alice
    refused = _post(login(invigilator), notes, {"text": "Intrus"})
    assert refused.status_code == 404 and Note.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["", "   \n ", "x" * 2001])
def test_it_refuses_empty_or_too_long_notes(session, as_alice, candidate, text):
    """A note must have 1 to 2000 characters (spaces around do not count)."""
    notes = f"{API}/sessions/{session.pk}/notes"

    on_session = _post(as_alice, notes, {"text": text})
    on_candidate = _post(as_alice, notes, {"text": text, "candidate_id": candidate.pk})

    for response in (on_session, on_candidate):
        assert response.status_code == 400
        assert response.json()["detail"] == NOTE_LENGTH
    assert not Note.objects.exists() and _tags(session) == []
    assert _post(as_alice, notes, {"text": " " + "x" * 2000 + " "}).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["Alarme\x00", "\x1b[31mAlarme", "Alarme\x7f"])
def test_it_refuses_notes_with_control_characters(session, as_alice, text):
    """Found by the API fuzzer: a NUL byte reached PostgreSQL (500). Line breaks and tabs
    are text; other control characters would corrupt the printed incident report."""
    notes = f"{API}/sessions/{session.pk}/notes"

    refused = _post(as_alice, notes, {"text": text})

    assert refused.status_code == 422  # the rule of all free text (lib/freetext.py)
    assert refused.json()["detail"][0]["msg"].startswith(
        "Ce texte contient un caractère invisible non autorisé"
    )
    assert not Note.objects.exists() and _tags(session) == []
    assert _post(as_alice, notes, {"text": "Alarme\n\tà 14 h 05\r\n"}).status_code == 200


@pytest.mark.django_db
def test_it_refuses_a_note_on_a_candidate_of_another_session(session, as_alice, alice, centre):
    """Even when Alice invigilates both sessions, a note stays within its session."""
    other = ExamSessionFactory(centre=centre)
    stranger = CandidateFactory(session=other)
    hidden = CandidateFactory(session=ExamSessionFactory(centre=centre))
    _grant(alice, other)

    mixed = _post(
        as_alice, f"{API}/sessions/{session.pk}/notes", {"text": "RAS", "candidate_id": stranger.pk}
    )
    unseen = _post(
        as_alice, f"{API}/sessions/{session.pk}/notes", {"text": "RAS", "candidate_id": hidden.pk}
    )

    assert mixed.status_code == 400
    assert mixed.json()["detail"] == "Ce candidat n'appartient pas à cette session."
    assert unseen.status_code == 404
    assert (
        not Note.objects.exists()
        and not AuditEvent.objects.filter(tag="invigilator:note:add").exists()
    )


# --- A second invigilator acting after the first ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("validate", "validate"),
        ("validate", "refuse"),
        ("refuse", "validate"),
        ("refuse", "refuse"),
        ("end", "end"),
        ("confirm", "confirm"),
        ("resume", "resume"),
    ],
)
def test_it_tells_the_second_invigilator_who_already_acted(
    session, as_alice, as_bruno, candidate, runner, bank, first, second
):
    """The second click gets 409 « Cette action a déjà été traitée par Alice Martin. »."""
    alert = None
    if first in ("validate", "refuse", "end", "resume"):
        alert = _alert(_course(candidate, runner))
    urls = {
        "validate": (f"{API}/alerts/{alert.pk if alert else 0}/validate", {"reason": "E11"}),
        "refuse": (f"{API}/alerts/{alert.pk if alert else 0}/refuse", {}),
        "end": (f"{API}/candidates/{candidate.pk}/end", {}),
        "confirm": (f"{API}/candidates/{candidate.pk}/confirm-presence", {}),
        "resume": (f"{API}/candidates/{candidate.pk}/authorize-resume", {}),
    }
    assert _post(as_alice, *urls[first]).status_code == 200
    tags = _tags(session)
    reports = IssueReport.objects.count()

    response = _post(as_bruno, *urls[second])

    assert response.status_code == 409
    assert response.json() == {"detail": ALREADY_BY_ALICE, "code": "already_handled"}
    assert _tags(session) == tags
    assert IssueReport.objects.count() == reports
