"""What the test page reads when it opens or its link comes back (issue 17: at nine o'clock
every candidate's page opens at once): the state carries the invigilators' unread
messages, one request instead of two; and the start's response carries the page's first
state, so the page does not read it.

Personas: the candidate (Léa), the invigilator, another candidate who must be refused."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from certification import actions
from tests.factories import CandidateFactory, UserFactory


def _state(client, course_id, token):
    return client.get(
        f"/api/certification/courses/{course_id}/state", headers={"X-Run-Token": token}
    )


def _start(client, candidate):
    return client.post(
        f"/api/certification/candidates/{candidate.pk}/start",
        {"access_code": candidate.session.access_code},
        content_type="application/json",
    )


@pytest.fixture
def started(client, small_bank, joined_candidate, invigilator):
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    client.force_login(joined_candidate.user)
    body = _start(client, joined_candidate).json()
    return joined_candidate, body["course_id"], body["run_token"]


@pytest.mark.django_db
def test_it_carries_the_pages_first_state_in_the_starts_response(
    client, small_bank, joined_candidate, invigilator, django_assert_num_queries
):
    """The state `GET …/state` would give at that moment, messages sent to the room before
    the start included; one query more than the start alone (the messages)."""
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    actions.do_send_message(joined_candidate.session, text="Bonne chance.", actor=invigilator)
    client.force_login(joined_candidate.user)
    with time_machine.travel(timezone.now(), tick=False):
        with django_assert_num_queries(15):
            response = _start(client, joined_candidate)
        body = response.json()
        read = _state(client, body["course_id"], body["run_token"]).json()
    assert response.status_code == 200
    assert body["state"] == read
    assert body["state"]["question"]["number"] == 1
    assert body["state"]["run_ok"] is True
    assert [m["text"] for m in body["state"]["messages"]] == ["Bonne chance."]


@pytest.mark.django_db
def test_it_carries_the_state_in_a_resumes_response_where_the_test_stands(
    client, started, invigilator
):
    candidate, course_id, token = started
    question = _state(client, course_id, token).json()["question"]
    response = "x" if question["type"] == "free" else [0]
    client.post(
        f"/api/certification/courses/{course_id}/answers",
        {"item_id": question["id"], "response": response},
        content_type="application/json",
        headers={"X-Run-Token": token},
    )
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5), tick=False):
        actions.do_authorize_resume(candidate, actor=invigilator)
        body = _start(client, candidate).json()
        read = _state(client, course_id, body["run_token"]).json()
    assert body["resumed"] is True
    assert body["state"] == read
    assert body["state"]["answered"] == 1 and body["state"]["question"]["number"] == 2


@pytest.mark.django_db
def test_it_gives_no_state_to_a_start_refused(client, small_bank, joined_candidate):
    """Not confirmed by the invigilator: the refusal, and no course, no state."""
    client.force_login(joined_candidate.user)
    refused = _start(client, joined_candidate)
    assert refused.status_code == 403
    assert "state" not in refused.json()


@pytest.mark.django_db
def test_it_carries_the_unread_messages_in_the_state(
    client, started, invigilator, django_assert_num_queries
):
    candidate, course_id, token = started
    assert _state(client, course_id, token).json()["messages"] == []
    actions.do_send_message(candidate.session, text="Il reste 10 minutes.", actor=invigilator)

    # The log-in session, the user, the course with its candidate and session, its answers
    # and alerts (course_state), then the messages: one query more than the state alone.
    with django_assert_num_queries(6):
        state = _state(client, course_id, token).json()
    messages = client.get(f"/api/certification/candidates/{candidate.pk}/messages").json()
    assert state["messages"] == messages["messages"]
    assert [m["text"] for m in state["messages"]] == ["Il reste 10 minutes."]
    assert state["question"] is not None  # the state itself is unchanged


@pytest.mark.django_db
def test_it_does_not_add_the_messages_to_the_answers_response(client, started):
    _candidate, course_id, token = started
    question = _state(client, course_id, token).json()["question"]
    answered = client.post(
        f"/api/certification/courses/{course_id}/answers",
        {"item_id": question["id"], "response": "x" if question["type"] == "free" else [0]},
        content_type="application/json",
        headers={"X-Run-Token": token},
    ).json()
    assert "messages" not in answered["state"]


@pytest.mark.django_db
def test_it_refuses_the_state_to_another_candidate(client, started, exam_session):
    _candidate, course_id, token = started
    other = CandidateFactory(session=exam_session, user=UserFactory()).user
    client.force_login(other)
    assert _state(client, course_id, token).status_code == 404
