"""lib/prepared.py: the answer's queries are compiled once, and give what the ORM gives."""

import pytest
from django.db import connection, transaction
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext

from certification import actions
from certification.models import Answer, CertificationCourse
from exams.models import Candidate
from lib.prepared import Prepared
from tests.factories import CandidateFactory, UserFactory


def _started(session, n: int) -> CertificationCourse:
    user = UserFactory(certifiable=True)
    candidate = CandidateFactory(session=session, last_name=f"Prepared{n}", user=user)
    actions.do_confirm_presence(candidate, actor=UserFactory())
    return actions.do_start_or_resume(candidate, user=user, access_code=session.access_code).course


@pytest.fixture
def compilations(monkeypatch):
    calls: list[str] = []
    original = SQLCompiler.as_sql

    def counted(self, *args, **kwargs):
        calls.append(self.query.model.__name__)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counted)
    return calls


@pytest.mark.django_db
def test_it_gives_the_instances_and_relations_the_orm_gives(exam_session, small_bank):
    courses = [_started(exam_session, n) for n in range(2)]
    prepared = Prepared(
        lambda pk: CertificationCourse.objects.select_related("candidate__session__centre").filter(
            pk=pk
        )
    )

    for course in courses:
        expected = CertificationCourse.objects.select_related("candidate__session__centre").get(
            pk=course.pk
        )
        got = prepared.first(course.pk)
        assert got is not None
        with CaptureQueriesContext(connection) as queries:
            # select_related: the relations are there without a query.
            centre = got.candidate.session.centre
        assert len(queries) == 0
        assert got == expected and got.candidate == expected.candidate
        assert centre.time_zone == expected.candidate.session.centre.time_zone
        assert [f.value_from_object(got) for f in got._meta.concrete_fields] == [
            f.value_from_object(expected) for f in expected._meta.concrete_fields
        ]
    assert prepared.first(courses[-1].pk + 1000) is None
    # Beyond 64 bits no row can match: SQLite raised OverflowError (issue 13).
    for beyond in (2**63, 2**64, -(2**63) - 1):
        assert prepared.first(beyond) is None


@pytest.mark.django_db
def test_it_compiles_once_and_runs_with_each_new_id(exam_session, small_bank, compilations):
    courses = [_started(exam_session, n) for n in range(3)]
    answers = Prepared(
        lambda course_id: (
            Answer.objects.filter(course_id=course_id)
            .order_by("position")
            .values_list("position", "item_id", "correct")
        )
    )
    compilations.clear()

    for course in courses:
        at = course.started_at
        Answer.objects.create(
            course=course, position=1, item_id=f"item-{course.pk}", competence="1.1",
            response=[0], correct=True, asked_at=at, answered_at=at,
        )  # fmt: skip
    compilations.clear()
    rows = [list(answers.rows(course.pk)) for course in courses]

    assert compilations == ["Answer"]  # the first time only
    # Converted as the ORM converts them (SQLite stores booleans as integers).
    assert rows == [[(1, f"item-{course.pk}", True)] for course in courses]
    assert all(type(row[0][2]) is bool for row in rows)


@pytest.mark.django_db
def test_it_locks_the_row_when_the_queryset_says_so(exam_session, small_bank):
    course = _started(exam_session, 0)
    locked = Prepared(
        lambda pk: CertificationCourse.objects.select_for_update(of=("self",)).filter(pk=pk)
    )

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        assert locked.first(course.pk) == course

    sql = queries.captured_queries[-1]["sql"]
    assert ("FOR UPDATE" in sql) == connection.features.has_select_for_update


def test_it_refuses_a_queryset_that_does_not_use_its_argument(db):
    ignoring = Prepared(lambda pk: Candidate.objects.filter(pk=1))

    with pytest.raises(ValueError, match="each argument must appear once"):
        ignoring.first(5)


@pytest.mark.django_db
def test_it_takes_a_list_of_ids_compiled_once_per_length(exam_session, small_bank, compilations):
    candidates = [CandidateFactory(session=exam_session, last_name=f"List{n}") for n in range(4)]
    ids = [c.pk for c in candidates]
    named = Prepared(
        lambda session_id, pks: (
            Candidate.objects.filter(session_id=session_id, pk__in=pks)
            .order_by("pk")
            .values_list("pk", "last_name")
        ),
        kinds=(int, list),
    )
    compilations.clear()

    assert list(named.rows(exam_session.pk, ids[:2])) == [(ids[0], "List0"), (ids[1], "List1")]
    assert list(named.rows(exam_session.pk, [ids[3], ids[2]])) == [
        (ids[2], "List2"),
        (ids[3], "List3"),
    ]
    assert list(named.rows(exam_session.pk, [ids[1]])) == [(ids[1], "List1")]
    assert compilations == ["Candidate", "Candidate"]  # lengths 2 and 1, once each
    # Another session's candidates are not given for its ids.
    assert list(named.rows(exam_session.pk + 1000, ids)) == []


@pytest.mark.django_db
def test_it_gives_no_row_for_an_empty_list_and_the_orm_s_rows_for_a_long_one(
    exam_session, small_bank, compilations
):
    candidate = CandidateFactory(session=exam_session)
    named = Prepared(
        lambda pks: Candidate.objects.filter(pk__in=pks).values_list("pk"), kinds=(list,)
    )
    compilations.clear()

    with CaptureQueriesContext(connection) as queries:
        assert list(named.rows([])) == []
    assert len(queries) == 0
    long = [candidate.pk, *range(10**9, 10**9 + 100)]  # beyond LIST_LENGTHS
    assert list(named.rows(long)) == [(candidate.pk,)]
    assert list(named.rows(long)) == [(candidate.pk,)]
    assert compilations == ["Candidate", "Candidate"]  # the ORM's, each time
    # Beyond 64 bits no row can match: the other ids still do.
    assert list(named.rows([candidate.pk, 2**64])) == [(candidate.pk,)]
    assert list(named.rows([2**64])) == []


def test_it_refuses_a_list_the_queryset_does_not_use(db):
    ignoring = Prepared(lambda pks: Candidate.objects.filter(pk=1), kinds=(list,))

    with pytest.raises(ValueError, match="each argument must appear once"):
        ignoring.first([5, 6])


def test_it_refuses_a_call_with_another_number_of_arguments_than_declared(db):
    two = Prepared(
        lambda session_id, pk: Candidate.objects.filter(session_id=session_id, pk=pk),
        kinds=(int, int),
    )

    with pytest.raises(TypeError, match="2 arguments expected"):
        two.first(5)
