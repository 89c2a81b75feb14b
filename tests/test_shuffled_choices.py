"""Shuffled choices: each candidate sees a question's choices in an order drawn for them,
recorded with the answer, checked against what was shown, and shown again to the jury and
in the archived records (certification/engine.py, certification/review.py)."""

import pytest

from certification import actions, engine, review
from certification.models import Answer, CertificationCourse, IssueReport
from lib import issue_reports
from tests.journey import right_response, wrong_response
from tests.test_course import _answer, _start, _state


@pytest.fixture
def started(client, small_bank, joined_candidate, invigilator):
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    client.force_login(joined_candidate.user)
    body = _start(client, joined_candidate).json()
    return body["course_id"], body["run_token"]


def test_it_draws_a_permutation_per_test_and_item(small_bank):
    item = next(i for i in small_bank.items if i.type == "single")
    orders = {tuple(engine.choice_order(seed, item)) for seed in range(60)}
    assert all(sorted(order) == list(range(len(item.choices))) for order in orders)
    assert len(orders) == 6  # every order of 3 choices happens
    assert engine.choice_order(7, item) == engine.choice_order(7, item)


def test_it_keeps_free_answers_unshuffled(small_bank):
    assert engine.choice_order(7, small_bank.by_id()["free-1"]) == []


@pytest.mark.django_db
def test_it_shows_the_choices_in_the_order_drawn_for_the_candidate(client, started):
    course_id, token = started
    course = CertificationCourse.objects.get(pk=course_id)
    question = _state(client, course_id, token)["question"]
    item = engine.item(question["id"])
    assert course.current_choice_order == engine.choice_order(course.seed, item)
    assert question["choices"] == [item.choices[i] for i in course.current_choice_order]


@pytest.mark.django_db
def test_it_checks_the_answer_against_the_order_shown(client, started):
    """Ticking the shown positions of the right choices is right, other positions wrong;
    the answer is stored as the bank's indices, with the order seen."""
    course_id, token = started
    for n in range(12):
        question = _state(client, course_id, token)["question"]
        order = list(CertificationCourse.objects.get(pk=course_id).current_choice_order)
        item = engine.item(question["id"])
        expect = n % 2 == 0
        response = right_response(question) if expect else wrong_response(question)
        assert _answer(client, course_id, token, item.id, response).status_code == 200
        saved = Answer.objects.get(course_id=course_id, item_id=item.id)
        assert saved.correct is expect
        assert saved.choice_order == order
        if item.type != "free":
            assert saved.response == sorted(order[i] for i in response)


@pytest.mark.django_db
def test_it_is_wrong_to_tick_the_bank_position_where_another_choice_is_shown(client, started):
    course_id, token = started
    for _ in range(20):
        question = _state(client, course_id, token)["question"]
        course = CertificationCourse.objects.get(pk=course_id)
        item = engine.item(question["id"])
        order = list(course.current_choice_order)
        if item.type == "single" and order[item.answer[0]] != item.answer[0]:
            response = [item.answer[0]]  # the bank's index, not where the right choice is
            _answer(client, course_id, token, item.id, response)
            assert Answer.objects.get(course_id=course_id, item_id=item.id).correct is False
            return
        _answer(client, course_id, token, item.id, right_response(question))
    pytest.fail("no shuffled single-choice question in 20")


@pytest.mark.django_db
def test_it_accepts_the_same_answer_sent_twice_on_the_shown_order(client, started):
    course_id, token = started
    question = _state(client, course_id, token)["question"]
    response = right_response(question)
    first = _answer(client, course_id, token, question["id"], response)
    again = _answer(client, course_id, token, question["id"], response)
    assert first.status_code == again.status_code == 200
    assert Answer.objects.filter(course_id=course_id).count() == 1


@pytest.mark.django_db
def test_it_shows_the_jury_and_the_records_the_question_as_seen(client, started, invigilator):
    course_id, token = started
    question = _state(client, course_id, token)["question"]
    item = engine.item(question["id"])
    response = wrong_response(question)
    _answer(client, course_id, token, item.id, response)
    answer = Answer.objects.get(course_id=course_id, item_id=item.id)
    seen = review.answer_as_seen(answer)
    assert [c.text for c in seen.choices] == question["choices"]
    assert [n for n, c in enumerate(seen.choices) if c.chosen] == response
    assert [c.text for c in seen.choices if c.right] == [item.choices[i] for i in item.answer]
    report = IssueReport.objects.create(
        course_id=course_id,
        category=issue_reports.IN_CHALLENGE,
        subcategory="E1",
        question_number=1,
        created_by=invigilator,
    )
    line = review.reported_question(report).summary()
    assert line.index(question["choices"][0]) < line.index(question["choices"][-1])
    assert "[x] " + question["choices"][response[0]] in line


@pytest.mark.django_db
def test_it_ignores_a_stored_order_that_does_not_fit_the_question(client, started):
    """An order for another number of choices (a bank changed under a running test) is not
    applied: the bank's order is shown and checked, never an error."""
    course_id, token = started
    CertificationCourse.objects.filter(pk=course_id).update(current_choice_order=[1, 0])
    question = _state(client, course_id, token)["question"]
    item = engine.item(question["id"])
    assert question["choices"] == list(item.choices)
    response = [len(item.choices) - 1]
    assert _answer(client, course_id, token, item.id, response).status_code == 200
    assert Answer.objects.get(item_id=item.id).response == response
