"""What the test page reads when it opens or its link comes back (issue 17: at nine o'clock
every candidate's page opens at once): the state carries the invigilators' unread
messages, one request instead of two.

Personas: the candidate (Léa), the invigilator, another candidate who must be refused."""

import pytest

from certification import actions
from tests.factories import CandidateFactory, UserFactory


def _state(client, course_id, token):
    return client.get(
        f"/api/certification/courses/{course_id}/state", headers={"X-Run-Token": token}
    )


@pytest.fixture
def started(client, small_bank, joined_candidate, invigilator):
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    client.force_login(joined_candidate.user)
    body = client.post(
        f"/api/certification/candidates/{joined_candidate.pk}/start",
        {"access_code": joined_candidate.session.access_code},
        content_type="application/json",
    ).json()
    return joined_candidate, body["course_id"], body["run_token"]


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
