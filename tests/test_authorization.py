"""Who may do what in the Espace Surveillant: every invigilation operation of the OpenAPI
schema, tried by each persona on a session it may not invigilate.

Sessions: A (centre of the centre admin; Alice entered it with its password; the candidate
persona is one of its candidates), B (same centre, Alice never entered it) and C (the other
centre admin's centre). Each has one candidate in every situation an operation needs.
"""

import pytest
from django.test import Client

from audit.models import AuditEvent
from certification.models import (
    CertificationCourse,
    IssueReport,
    LiveAlert,
    RoomMessage,
    RoomSuspension,
)
from exams.models import Candidate
from invigilation.models import InvigilatorAccess, Note
from tests.factories import ExamSessionFactory, UserFactory
from tests.world import Target, build_target, suspended_room, suspended_test

# The personas' passwords are not under test: hashed quickly (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fast_password_hashing")

PASSWORD = "BCDF-GHJK-MNPQ"


# Every operation under /api/invigilation/: (method, OpenAPI path) → (URL, JSON body) on a
# target. A new endpoint without an entry here fails test_it_covers_every_operation….
OPERATIONS = {
    ("post", "/api/invigilation/supervise"): lambda t, password: (
        "/api/invigilation/supervise",
        {"session_number": t.session.number, "password": password},
    ),
    ("post", "/api/invigilation/sessions/{session_id}/enter"): lambda t, _p: (
        f"/api/invigilation/sessions/{t.session.pk}/enter",
        {},
    ),
    ("get", "/api/invigilation/sessions/{session_id}/state"): lambda t, _p: (
        f"/api/invigilation/sessions/{t.session.pk}/state",
        None,
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/confirm-presence"): lambda t, _p: (
        f"/api/invigilation/candidates/{t.absent.pk}/confirm-presence",
        {},
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/cancel-presence"): lambda t, _p: (
        f"/api/invigilation/candidates/{t.confirmed.pk}/cancel-presence",
        {},
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/authorize-resume"): lambda t, _p: (
        f"/api/invigilation/candidates/{t.running.pk}/authorize-resume",
        {},
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/end"): lambda t, _p: (
        f"/api/invigilation/candidates/{t.running.pk}/end",
        {},
    ),
    ("post", "/api/invigilation/sessions/{session_id}/end-overtime"): lambda t, _p: (
        f"/api/invigilation/sessions/{t.session.pk}/end-overtime",
        {},
    ),
    ("post", "/api/invigilation/sessions/{session_id}/add-time"): lambda t, _p: (
        f"/api/invigilation/sessions/{t.session.pk}/add-time",
        {"candidate_ids": [t.running.pk], "minutes": 10, "reason": "Coupure réseau"},
    ),
    ("post", "/api/invigilation/sessions/{session_id}/suspend"): lambda t, _p: (
        f"/api/invigilation/sessions/{t.session.pk}/suspend",
        {"message": "Alarme incendie : sortez dans le calme."},
    ),
    ("post", "/api/invigilation/sessions/{session_id}/resume"): lambda t, _p: (
        f"/api/invigilation/sessions/{suspended_room(t.session).pk}/resume",
        {"present": [t.running.pk]},
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/suspend"): lambda t, _p: (
        f"/api/invigilation/candidates/{t.running.pk}/suspend",
        {"reason": "Malaise"},
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/continue"): lambda t, _p: (
        f"/api/invigilation/candidates/{suspended_test(t.running).pk}/continue",
        {},
    ),
    ("post", "/api/invigilation/sessions/{session_id}/messages"): lambda t, _p: (
        f"/api/invigilation/sessions/{t.session.pk}/messages",
        {"text": "Il reste 10 minutes."},
    ),
    ("post", "/api/invigilation/alerts/{alert_id}/validate"): lambda t, _p: (
        f"/api/invigilation/alerts/{t.alert.pk}/validate",
        {"reason": "E11"},
    ),
    ("post", "/api/invigilation/alerts/{alert_id}/companion"): lambda t, _p: (
        f"/api/invigilation/alerts/{t.companion.pk}/companion",
        {},
    ),
    ("post", "/api/invigilation/alerts/{alert_id}/refuse"): lambda t, _p: (
        f"/api/invigilation/alerts/{t.alert.pk}/refuse",
        {},
    ),
    ("post", "/api/invigilation/candidates/{candidate_id}/evidence/{event_id}/pv"): lambda t, _p: (
        f"/api/invigilation/candidates/{t.running.pk}/evidence/{t.evidence.pk}/pv",
        {},
    ),
    ("post", "/api/invigilation/alerts/{alert_id}/claim"): lambda t, _p: (
        f"/api/invigilation/alerts/{t.alert.pk}/claim",
        {},
    ),
    ("post", "/api/invigilation/sessions/{session_id}/room-screen"): lambda t, _p: (
        f"/api/invigilation/sessions/{t.session.pk}/room-screen",
        {"access_code_shown": True},
    ),
    ("post", "/api/invigilation/sessions/{session_id}/notes"): lambda t, _p: (
        f"/api/invigilation/sessions/{t.session.pk}/notes",
        {"text": "Incident", "candidate_id": t.running.pk},
    ),
}

# (persona, session it tries): refused personas first, then those allowed (the controls
# proving each URL and body is right, so a 404 above means « refused », not « mistyped »).
REFUSED = {
    "invigilator of A on B (same centre)": ("alice", "B"),
    "invigilator of A on C (other centre)": ("alice", "C"),
    "candidate on their own session": ("candidate_user", "A"),
    "admin of another centre": ("other_centre_admin", "A"),
    "centre admin on another centre's session": ("centre_admin", "C"),
}
ALLOWED = {
    "invigilator of A on A": ("alice", "A"),
    "centre admin on B (membership)": ("centre_admin", "B"),
    "other centre admin on C (membership)": ("other_centre_admin", "C"),
}
# Operations for the centre's members only: an invigilator without membership enters with
# the session's password (« supervise »), not through « Surveiller cette session ».
MEMBERS_ONLY = {("post", "/api/invigilation/sessions/{session_id}/enter")}


@pytest.fixture
def world(centre, centre_admin, other_centre_admin, joined_candidate, small_bank):
    runner = UserFactory(email="runner@lycee.fr")
    alice = UserFactory(email="alice@lycee.fr", first_name="Alice", last_name="Martin")
    session_a = joined_candidate.session
    session_a.invigilator_password = PASSWORD
    session_a.save(update_fields=["invigilator_password_encrypted"])
    InvigilatorAccess.objects.create(
        session=session_a, user=alice, via=InvigilatorAccess.Via.PASSWORD
    )
    other_centre = other_centre_admin.memberships.get().centre
    return {
        "users": {
            "alice": alice,
            "candidate_user": joined_candidate.user,
            "centre_admin": centre_admin,
            "other_centre_admin": other_centre_admin,
        },
        "A": build_target(session_a, runner, absent=joined_candidate),
        "B": build_target(ExamSessionFactory(centre=centre, password=PASSWORD), runner),
        "C": build_target(ExamSessionFactory(centre=other_centre, password=PASSWORD), runner),
    }


def _snapshot() -> tuple:
    """Everything an invigilation operation could change."""
    return (
        list(
            Candidate.objects.order_by("pk").values_list(
                "pk", "authorized_to_start_at", "authorized_by"
            )
        ),
        list(
            CertificationCourse.objects.order_by("pk").values_list(
                "pk", "status", "ended_by", "current_item_id", "added_time", "suspended_since"
            )
        ),
        list(RoomSuspension.objects.order_by("pk").values_list("pk", "ended_at")),
        list(
            LiveAlert.objects.order_by("pk").values_list(
                "pk", "status", "resolved_by", "claimed_by"
            )
        ),
        Note.objects.count(),
        RoomMessage.objects.count(),
        IssueReport.objects.count(),
        AuditEvent.objects.count(),
        InvigilatorAccess.objects.count(),
    )


def _request(operation, target: Target, password: str):
    """(URL, body) of the call; building it may set the target up (a session suspended, for
    « reprendre »): done before the snapshot, as the world is."""
    return OPERATIONS[operation](target, password)


def _call(client: Client, operation, target: Target, password: str, request=None):
    method, _path = operation
    url, body = request or _request(operation, target, password)
    if method == "get":
        return client.get(url)
    return client.post(url, body, content_type="application/json")


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
def test_it_covers_every_invigilation_operation_of_the_openapi_schema(client):
    """The table above lists exactly the schema's operations; anonymous gets 401 on each."""
    schema = client.get("/api/openapi.json").json()
    operations = {
        (method, path)
        for path, item in schema["paths"].items()
        if path.startswith("/api/invigilation/")
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert operations == set(OPERATIONS)
    for method, path in operations:
        url = path.format(session_id=1, candidate_id=1, alert_id=1, event_id=1)
        response = getattr(client, method)(url, {}, content_type="application/json")
        assert response.status_code == 401, (method, path)


@pytest.mark.django_db
@pytest.mark.parametrize("operation", list(OPERATIONS), ids=lambda op: f"{op[0]} {op[1]}")
@pytest.mark.parametrize("persona", list(REFUSED))
def test_it_refuses_every_operation_on_a_session_one_may_not_invigilate(world, operation, persona):
    """404 (403 for a wrong session password) and nothing changed, for every refused persona."""
    user_name, session_name = REFUSED[persona]
    client = _client(world["users"][user_name])
    request = _request(operation, world[session_name], "ZZZZ-ZZZZ-ZZZZ")
    before = _snapshot()

    response = _call(client, operation, world[session_name], "ZZZZ-ZZZZ-ZZZZ", request)

    expected = 403 if operation[1].endswith("/supervise") else 404
    assert response.status_code == expected, response.content
    assert _snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("operation", list(OPERATIONS), ids=lambda op: f"{op[0]} {op[1]}")
def test_it_refuses_every_operation_to_anonymous_visitors(world, operation):
    """No session cookie: 401, even with the right password, and nothing changed."""
    request = _request(operation, world["A"], PASSWORD)
    before = _snapshot()

    response = _call(_client(None), operation, world["A"], PASSWORD, request)

    assert response.status_code == 401
    assert _snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("operation", list(OPERATIONS), ids=lambda op: f"{op[0]} {op[1]}")
@pytest.mark.parametrize("persona", list(ALLOWED))
def test_it_allows_every_operation_to_who_may_invigilate(world, operation, persona):
    """Control: the same calls succeed for the session's invigilator and the centre's admin
    (a members-only operation refuses the invigilator without membership, changing nothing)."""
    user_name, session_name = ALLOWED[persona]
    request = _request(operation, world[session_name], PASSWORD)
    before = _snapshot()

    response = _call(
        _client(world["users"][user_name]), operation, world[session_name], PASSWORD, request
    )

    if operation in MEMBERS_ONLY and user_name == "alice":
        assert response.status_code == 404, response.content
        assert _snapshot() == before
        return
    assert response.status_code == 200, response.content
    if operation[0] == "post":
        assert _snapshot() != before
    assert _call(
        _client(world["users"]["candidate_user"]), operation, world[session_name], "x"
    ).status_code in (403, 404)


@pytest.mark.django_db
def test_it_refuses_a_note_on_another_sessions_candidate_from_ones_own_session(world):
    """Alice cannot reach B's candidate through A's notes endpoint."""
    target_b = world["B"]
    before = _snapshot()

    response = _client(world["users"]["alice"]).post(
        f"/api/invigilation/sessions/{world['A'].session.pk}/notes",
        {"text": "Incident", "candidate_id": target_b.running.pk},
        content_type="application/json",
    )

    assert response.status_code == 404
    assert _snapshot() == before


PAGES = [
    ("get", "/surveillance/sessions/{pk}/"),
    ("get", "/surveillance/sessions/{pk}/kit.pdf"),
    ("post", "/surveillance/sessions/{pk}/quitter/"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "page"), PAGES)
def test_it_hides_the_espace_surveillant_pages(world, method, page):
    """Refused personas get 404, anonymous a log-in redirect; the invigilator gets the page."""
    for persona, (user_name, session_name) in REFUSED.items():
        url = page.format(pk=world[session_name].session.pk)
        response = getattr(_client(world["users"][user_name]), method)(url)
        assert response.status_code == 404, persona

    url = page.format(pk=world["A"].session.pk)
    anonymous = getattr(_client(None), method)(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/compte/connexion/?next=")
    entering = _client(None).get("/surveillance/")
    assert entering.status_code == 302 and "/compte/connexion/" in entering["Location"]
    allowed = getattr(_client(world["users"]["alice"]), method)(url)
    assert allowed.status_code in (200, 302)
    if method == "post":
        assert allowed["Location"] == "/surveillance/"
