"""The answer's statements (issue 17): the request a national peak sends most, pinned one by
one — the log-in session, the user, the course locked with its access check, its answers,
its alerts, the INSERT of the answer and the UPDATE of the course, in one transaction —
and its two writes through the SQL written once per process (lib/prepared.py,
`PreparedWrite`), which must write what the ORM writes.

Personas: Léa, who answers; another candidate, whose answer is refused and writes nothing."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.events import _INSERT_EVENT
from audit.models import AuditEvent
from certification import actions, engine
from certification.models import Answer, CertificationCourse, CourseStatus
from lib.prepared import PreparedWrite
from tests.factories import CandidateFactory, UserFactory
from tests.project import module_level


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


def _fields(instance) -> dict:
    return {
        f.attname: getattr(instance, f.attname)
        for f in type(instance)._meta.concrete_fields
        if not f.primary_key
    }


def _answer(client, course_id, token, item_id, response):
    return client.post(
        f"/api/certification/courses/{course_id}/answers",
        {"item_id": item_id, "response": response},
        content_type="application/json",
        headers={"X-Run-Token": token},
    )


def _kind(sql: str) -> str:
    """What a statement does, named by its verb and table."""
    sql = sql.strip()
    if sql.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT")):
        return sql.split()[0]
    verb = sql.split()[0]
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql)
    return f"{verb} {table.group(1) if table else '?'}"


def _current(course_id: int) -> engine.Item:
    return engine.item(CertificationCourse.objects.get(pk=course_id).current_item_id)


@pytest.mark.django_db
def test_it_answers_in_these_statements_and_no_other(client, started):
    _candidate, course_id, token = started
    item = _current(course_id)
    with CaptureQueriesContext(connection) as queries:
        assert _answer(client, course_id, token, item.id, [0]).status_code == 200
    sqls = [q["sql"] for q in queries.captured_queries]
    sqls = [s for s in sqls if _kind(s) not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")]
    assert [_kind(s) for s in sqls] == [
        "SELECT django_session",
        "SELECT accounts_user",
        "SELECT certification_certificationcourse",
        "SELECT certification_answer",
        "SELECT certification_livealert",
        "INSERT certification_answer",
        "UPDATE certification_certificationcourse",
    ]
    # The course's row is locked by the query that checks the access (PostgreSQL).
    assert ("FOR UPDATE" in sqls[2]) == connection.features.has_select_for_update


@pytest.mark.django_db
def test_it_writes_the_answer_and_the_course_as_the_orm_would(client, started):
    """Each column of the row written through the prepared INSERT and UPDATE, read back by
    the ORM, is what the answer says (JSON, dates, booleans, the next question)."""
    _candidate, course_id, token = started
    item = _current(course_id)
    before = CertificationCourse.objects.get(pk=course_id)
    body = _answer(client, course_id, token, item.id, [0]).json()
    saved = Answer.objects.get(course_id=course_id, position=1)
    assert body["item_id"] == saved.item_id == item.id
    assert saved.competence == item.competence
    assert saved.response == engine.to_bank_indices([0], before.current_choice_order or [])
    assert saved.choice_order == (before.current_choice_order or [])
    assert saved.correct == item.is_correct(saved.response)
    assert (saved.timed_out, saved.focus_lost, saved.neutralized) == (False, False, False)
    assert saved.asked_at == before.current_asked_at
    assert saved.answered_at >= saved.asked_at
    after = CertificationCourse.objects.get(pk=course_id)
    assert after.current_item_id == body["state"]["question"]["id"] != item.id
    assert after.current_asked_at is not None and after.current_asked_at >= saved.answered_at
    assert after.theta != before.theta or after.theta_sd != before.theta_sd
    assert after.status == CourseStatus.STARTED


@pytest.mark.django_db
def test_it_ends_the_test_with_the_last_answer(client, started):
    _candidate, course_id, token = started
    for _ in range(engine.TEST_LENGTH):
        item = _current(course_id)
        response = "x" if item.type == "free" else [0]
        assert _answer(client, course_id, token, item.id, response).status_code == 200
    course = CertificationCourse.objects.get(pk=course_id)
    assert course.status == CourseStatus.COMPLETED
    assert course.ended_at is not None
    assert course.current_item_id == "" and course.current_asked_at is None
    assert course.answers.count() == engine.TEST_LENGTH


@pytest.mark.django_db
def test_it_refuses_another_candidate_s_answer_and_writes_nothing(client, started, login):
    _candidate, course_id, token = started
    other = CandidateFactory(
        session=started[0].session, user=UserFactory(certifiable=True), first_name="Hugo"
    )
    item = _current(course_id)
    assert _answer(login(other.user), course_id, token, item.id, [0]).status_code == 404
    assert not Answer.objects.filter(course_id=course_id).exists()


@pytest.mark.django_db
def test_it_keeps_one_answer_per_position_when_a_write_collides(started):
    """The INSERT raises what the database raises: a second row for the same position is
    refused by its constraint, as through the ORM."""
    from django.db import IntegrityError, transaction

    _candidate, course_id, _token = started
    course = CertificationCourse.objects.get(pk=course_id)
    first = Answer.objects.create(
        course=course,
        position=1,
        item_id="a",
        competence="1.1",
        response=[0],
        correct=True,
        asked_at=course.started_at,
        answered_at=course.started_at,
    )
    again = Answer(
        course=course,
        position=1,
        item_id="b",
        competence="1.1",
        response=[0],
        correct=True,
        asked_at=course.started_at,
        answered_at=course.started_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        actions._INSERT_ANSWER.save(again)
    assert list(Answer.objects.filter(course=course)) == [first]


def test_it_writes_only_models_no_save_signal_listens_to():
    """`PreparedWrite` sends no `pre_save`/`post_save`: a receiver added later for these
    models would be skipped silently; this fails first."""
    from django.db.models.signals import post_save, pre_save

    written = {write.model for write in module_level(PreparedWrite).values()}

    assert {Answer, CertificationCourse, AuditEvent} <= written
    for model in written:
        assert not pre_save.has_listeners(model), model
        assert not post_save.has_listeners(model), model


@pytest.mark.django_db
def test_it_sends_the_very_statements_the_orm_sends(started):
    """The guard for an upgrade of Django (tests/test_private_apis.py's rule): the INSERT and
    both UPDATEs, run through the ORM and through the SQL written once, give the same
    statement text with the same values, on this database."""
    from django.db import transaction
    from django.utils import timezone

    _candidate, course_id, _token = started
    course = CertificationCourse.objects.get(pk=course_id)
    now = timezone.now()
    values = {
        "course": course,
        "position": 1,
        "item_id": "q1",
        "competence": "1.1",
        "response": [2, 0],
        "choice_order": [3, 1, 0, 2],
        "correct": False,
        "timed_out": True,
        "focus_lost": False,
        "asked_at": course.started_at,
        "answered_at": now,
    }

    def statements(write) -> list[str]:
        with CaptureQueriesContext(connection) as queries, transaction.atomic():
            write()
            transaction.set_rollback(True)
        return [
            q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))
        ]

    assert statements(lambda: Answer.objects.create(**values)) == statements(
        lambda: actions._INSERT_ANSWER.save(Answer(**values))
    )
    course.theta, course.theta_sd, course.avoid_competence = 0.25, 0.9, ""
    course.current_item_id, course.current_asked_at = "q2", now
    course.current_choice_order = [1, 0]
    course.status, course.ended_at = CourseStatus.COMPLETED, now
    # The start's INSERT of the course and every action's audit row (issue 17's burst).
    columns = _fields(course)
    CertificationCourse.objects.filter(pk=course.pk).delete()  # its candidate has one at most
    assert statements(lambda: CertificationCourse(**columns).save()) == statements(
        lambda: actions._INSERT_COURSE.save(CertificationCourse(**columns))
    )
    event = {
        "tag": "candidate:course:start",
        "actor": course.user,
        "session": course.candidate.session,
    }
    event |= {"session_number": "1234567", "data": {"candidate": 5, "answers": [1, "é"]}}
    with time_machine.travel(now, tick=False):
        assert statements(lambda: AuditEvent.objects.create(**event)) == statements(
            lambda: _INSERT_EVENT.save(AuditEvent(**event))
        )
    course = CertificationCourse.objects.create(**columns)
    for prepared in (actions._UPDATE_AFTER_ANSWER, actions._UPDATE_AFTER_LAST_ANSWER):
        fields = [f.name for f in prepared.fields]
        assert statements(lambda fields=fields: course.save(update_fields=fields)) == statements(
            lambda prepared=prepared: prepared.save(course)
        )
