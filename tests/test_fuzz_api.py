"""Fuzzing the JSON API from its OpenAPI schema (schemathesis): whatever the request, Vigie
answers without a server error and with a body that matches the schema it documents.

In process, through Django's WSGI application, as the centre admin (centre and session
operations), an invigilator who entered the session (Espace Surveillant), the candidate
persona (journey) and an anonymous visitor (sign-up). Path ids point at real objects so
the bodies reach the validation and the actions, except for deletions (random ids: the
objects stay for the other operations). Bounded: 25 examples per operation.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from certification import actions
from certification.models import LiveAlert
from invigilation.models import InvigilatorAccess
from tests.factories import UserFactory

CSRF = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"  # any 32 letters: cookie and header must match


@pytest.fixture
def world(small_bank, centre, centre_admin, exam_session, joined_candidate, candidate_user):
    """A session with a joined candidate whose test has started, and its invigilator."""
    invigilator = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=exam_session, user=invigilator, via="password")
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    run = actions.do_start_or_resume(
        joined_candidate, user=candidate_user, access_code=exam_session.access_code
    )
    ids = {
        "centre_id": centre.pk,
        "session_id": exam_session.pk,
        "candidate_id": joined_candidate.pk,
        "course_id": run.course.pk,
    }
    return {
        "ids": ids,
        "admin": _session_cookie(centre_admin),
        "invigilator": _session_cookie(invigilator),
        "candidate": _session_cookie(candidate_user),
        "run_token": run.token,
    }


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture
def api_schema(world):
    # As Django's test client does: the request signals must not close the connection
    # that holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/openapi.json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _operations() -> list[tuple[str, str]]:
    from vigie.api import api

    paths = api.get_openapi_schema()["paths"]
    return sorted((method, path) for path, item in paths.items() for method in item)


OPERATIONS = _operations()
CALLS: dict[str, int] = {}


def _persona(path: str) -> str | None:
    if path.startswith("/api/accounts/register"):
        return None  # activating logs the new account in: it would replace a persona's session
    if path.startswith("/api/invigilation/"):
        return "invigilator"
    if path.startswith("/api/certification/"):
        return "candidate"
    return "admin"


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_it_answers_any_generated_request_without_error_and_as_documented(
    method, path, api_schema, world
):
    """No 500 and no response outside the documented schema, valid or invalid input."""
    operation = api_schema[path][method.upper()]
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    if operation.body or operation.path_parameters or operation.query:
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=st.one_of(strategies))
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def call(case):
        if method != "delete" and case.path_parameters:
            case.path_parameters = {
                name: world["ids"].get(name, value) for name, value in case.path_parameters.items()
            }
        persona = _persona(path)
        cookies = {"csrftoken": CSRF}
        if persona:
            cookies["sessionid"] = world[persona]
        headers = {"X-CSRFToken": CSRF, "X-Run-Token": world["run_token"]}
        response = case.call(headers=headers, cookies=cookies)
        CALLS[f"{method} {path}"] = CALLS.get(f"{method} {path}", 0) + 1
        case.validate_response(
            response,
            checks=[not_a_server_error, response_schema_conformance],
        )

    call()
    assert CALLS[f"{method} {path}"] >= 1
    print(f"fuzzed {method} {path}: {CALLS[f'{method} {path}']} requests")


@pytest.mark.django_db
@pytest.mark.parametrize("time", ["14:00:00Z", "14:00+02:00"])
def test_it_refuses_a_session_time_with_an_offset(centre, centre_admin, exam_session, time):
    """Found by the fuzzer: a time with an offset was a server error, it is now a 422."""
    admin = Client()
    admin.force_login(centre_admin)
    created = admin.post(
        f"/api/centres/{centre.pk}/sessions",
        {"site_name": "Lycée", "room": "B12", "date": "2026-12-20", "time": time, "examiner": "M"},
        content_type="application/json",
    )
    patched = admin.patch(
        f"/api/sessions/{exam_session.pk}", {"time": time}, content_type="application/json"
    )
    outsider = Client()
    outsider.force_login(UserFactory())
    refused = outsider.patch(
        f"/api/sessions/{exam_session.pk}", {"time": "10:00"}, content_type="application/json"
    )

    assert created.status_code == 422
    assert "sans fuseau horaire" in created.content.decode()
    assert patched.status_code == 422
    assert refused.status_code == 404
    exam_session.refresh_from_db()
    assert exam_session.time.tzinfo is None


@pytest.mark.django_db
def test_it_refuses_an_answer_or_a_report_before_any_question_is_drawn(world, candidate_user):
    """Found by the fuzzer: an empty item id matched « no question yet » and crashed (500)."""
    client = Client()
    client.force_login(candidate_user)
    course_id = world["ids"]["course_id"]
    headers = {"HTTP_X_RUN_TOKEN": world["run_token"]}

    answer = client.post(
        f"/api/certification/courses/{course_id}/answers",
        {"item_id": "", "response": [0]},
        content_type="application/json",
        **headers,
    )
    report = client.post(
        f"/api/certification/courses/{course_id}/alerts",
        {"item_id": ""},
        content_type="application/json",
        **headers,
    )
    stranger = Client()
    stranger.force_login(UserFactory())
    refused = stranger.post(
        f"/api/certification/courses/{course_id}/answers",
        {"item_id": "", "response": [0]},
        content_type="application/json",
    )

    assert answer.status_code == 409 and answer.json()["code"] == "not_current_question"
    assert report.status_code == 409 and report.json()["code"] == "not_current_question"
    assert refused.status_code == 404
    assert not LiveAlert.objects.exists()
