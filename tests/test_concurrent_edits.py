"""Editing and deleting the same candidate or session at the same time, with real threads on
PostgreSQL (issue 13: found by fuzzing the API, `DoesNotExist` → 500 in 6 runs out of 18).

Each write re-reads its rows under lock in its transaction (exams/actions.py): whichever
request commits first wins, the other finds the row gone and answers 404; nothing is
written twice, and a deleted row never comes back. Each race runs ROUNDS times on fresh
rows; both requests wait at a barrier so they reach the database together.
"""

import pytest
from django.db import connection
from django.test import Client

from audit.models import AuditEvent
from exams.models import Candidate, ExamSession
from tests.concurrency import race
from tests.factories import CandidateFactory, ExamSessionFactory

pytestmark = [
    pytest.mark.usefixtures("fast_password_hashing"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="real concurrency needs PostgreSQL (set DATABASE_URL); SQLite serializes writers",
    ),
]

ROUNDS = 8


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _patch(user, path: str, body: dict):
    return lambda: _client(user).patch(path, body, content_type="application/json").status_code


def _post(user, path: str, body: dict):
    return lambda: _client(user).post(path, body, content_type="application/json").status_code


def _delete(user, path: str):
    return lambda: _client(user).delete(path).status_code


def _tags(tag: str) -> int:
    return AuditEvent.objects.filter(tag=tag).count()


def test_it_patches_and_deletes_the_same_candidate_at_once(
    centre, centre_admin, other_centre_admin
):
    session = ExamSessionFactory(centre=centre, created_by=centre_admin)
    updates = 0
    for n in range(ROUNDS):
        candidate = CandidateFactory(session=session, last_name=f"Course{n}")
        path = f"/api/candidates/{candidate.pk}"

        patched, deleted = race(
            _patch(centre_admin, path, {"external_id": f"X{n}"}), _delete(centre_admin, path)
        )

        updates += patched == 200
        assert (patched, deleted) in {(200, 204), (404, 204)}, (patched, deleted)
        assert not Candidate.objects.filter(pk=candidate.pk).exists()  # never inserted again
    assert _tags("centre:candidate:delete") == ROUNDS
    assert _tags("centre:candidate:update") == updates  # a 404 wrote nothing
    # The stranger learns nothing, before or after.
    assert _client(other_centre_admin).delete(path).status_code == 404


def test_it_deletes_the_same_candidate_twice_at_once(centre, centre_admin):
    session = ExamSessionFactory(centre=centre, created_by=centre_admin)
    for n in range(ROUNDS):
        candidate = CandidateFactory(session=session, last_name=f"Twice{n}")
        path = f"/api/candidates/{candidate.pk}"

        statuses = race(_delete(centre_admin, path), _delete(centre_admin, path))

        assert sorted(statuses) == [204, 404], statuses
    assert _tags("centre:candidate:delete") == ROUNDS  # one audit row per deletion


def test_it_patches_and_deletes_the_same_session_at_once(centre, centre_admin, other_centre_admin):
    for n in range(ROUNDS):
        session = ExamSessionFactory(centre=centre, created_by=centre_admin)
        CandidateFactory(session=session, last_name=f"Enrolled{n}")
        path = f"/api/sessions/{session.pk}"

        patched, deleted = race(
            _patch(centre_admin, path, {"room": f"B{n}"}), _delete(centre_admin, path)
        )

        assert (patched, deleted) in {(200, 204), (404, 204)}, (patched, deleted)
        assert not ExamSession.objects.filter(pk=session.pk).exists()
    assert _tags("centre:session:delete") == ROUNDS
    assert (
        _client(other_centre_admin)
        .patch(path, {"room": "C1"}, content_type="application/json")
        .status_code
        == 404
    )


def test_it_deletes_the_same_session_twice_at_once(centre, centre_admin):
    for _n in range(ROUNDS):
        session = ExamSessionFactory(centre=centre, created_by=centre_admin)
        path = f"/api/sessions/{session.pk}"

        statuses = race(_delete(centre_admin, path), _delete(centre_admin, path))

        assert sorted(statuses) == [204, 404], statuses
    assert _tags("centre:session:delete") == ROUNDS


def test_it_edits_enrols_or_unenrols_in_a_session_being_deleted(centre, centre_admin):
    """The candidate's writes lock the session first: a session deleted meanwhile is a 404
    for them, and no candidate is added to a deleted session."""
    for n in range(ROUNDS):
        session = ExamSessionFactory(centre=centre, created_by=centre_admin)
        candidate = CandidateFactory(session=session, last_name=f"Gone{n}")
        session_path = f"/api/sessions/{session.pk}"
        candidate_path = f"/api/candidates/{candidate.pk}"
        enrol = {
            "first_name": "Léa",
            "last_name": f"Nouvelle{n}",
            "birthdate": "2008-03-14",
            "sex": "F",
            "birth_city": "Lille",
            "birth_postal_code": "59000",
        }

        deleted, patched, removed, enrolled = race(
            _delete(centre_admin, session_path),
            _patch(centre_admin, candidate_path, {"external_id": "X"}),
            _delete(centre_admin, candidate_path),
            _post(centre_admin, f"{session_path}/candidates", enrol),
        )

        assert deleted == 204
        assert patched in (200, 404) and removed in (204, 404) and enrolled in (201, 404)
        assert not ExamSession.objects.filter(pk=session.pk).exists()
        assert not Candidate.objects.filter(session_id=session.pk).exists()
