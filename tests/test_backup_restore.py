"""Durability: scripts/backup.sh and scripts/restore.sh round-trip a live session (sessions,
candidates, a started test and its answers) through pg_dump / pg_restore.

PostgreSQL only: the scripts back up a PostgreSQL database (SQLite is one file to copy).
The test database is committed (transactional_db) so pg_dump, another connection, sees it;
the copy goes to a database of its own, dropped afterwards.
"""

import os
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from certification import actions, engine
from tests.factories import CandidateFactory, ExamSessionFactory, UserFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_dump/pg_restore back up PostgreSQL; run with DATABASE_URL=postgres://…",
)

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
RESTORE_DB = "vigie_h7_restore"


def _url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def restore_url():
    """An empty database to restore into, dropped after the test."""
    admin = _url(connection.settings_dict["NAME"])
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}"')
        conn.execute(f'CREATE DATABASE "{RESTORE_DB}"')
    yield _url(RESTORE_DB)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{RESTORE_DB}" WITH (FORCE)')


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own scripts, arguments built here
        [*args], capture_output=True, text=True, check=False, env=env, timeout=120
    )


def test_it_restores_sessions_candidates_and_answers_from_a_backup(
    transactional_db, small_bank, fast_password_hashing, restore_url, tmp_path
):
    """Backup, restore into a fresh database: the session, candidates and answers are there."""
    session = ExamSessionFactory(number="7654321")
    invigilator = UserFactory()
    students = [UserFactory(certifiable=True) for _ in range(3)]
    candidates = [
        CandidateFactory(session=session, user=user, instructions_accepted_at=timezone.now())
        for user in students
    ]
    actions.do_confirm_presence(candidates[0], actor=invigilator)
    run = actions.do_start_or_resume(
        candidates[0], user=students[0], access_code=session.access_code
    )
    answered = []
    for _ in range(3):
        run.course.refresh_from_db()
        item = engine.current_item(run.course)
        assert item is not None
        answer = actions.do_answer(
            run.course.pk, user=students[0], token=run.token, item_id=item.id, response=[0]
        ).answer
        answered.append((answer.position, answer.item_id, answer.response))
    dump = tmp_path / "vigie.dump"

    env = {**os.environ, "DATABASE_URL": _url(connection.settings_dict["NAME"])}
    backup = _run(str(SCRIPTS / "backup.sh"), str(dump), env=env)
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0
    assert not Path(f"{dump}.partial").exists()
    restore = _run(str(SCRIPTS / "restore.sh"), str(dump), restore_url)
    assert restore.returncode == 0, restore.stderr
    again = _run(str(SCRIPTS / "restore.sh"), str(dump), restore_url)

    with psycopg.connect(restore_url) as conn:
        found = conn.execute(
            "SELECT id, access_code FROM exams_examsession WHERE number = %s", ["7654321"]
        ).fetchone()
        names = conn.execute(
            "SELECT last_name FROM exams_candidate WHERE session_id = %s ORDER BY id",
            [session.pk],
        ).fetchall()
        rows = conn.execute(
            "SELECT a.position, a.item_id, a.response FROM certification_answer a "
            "JOIN certification_certificationcourse c ON c.id = a.course_id "
            "WHERE c.candidate_id = %s ORDER BY a.position",
            [candidates[0].pk],
        ).fetchall()
        status = conn.execute(
            "SELECT status FROM certification_certificationcourse WHERE candidate_id = %s",
            [candidates[0].pk],
        ).fetchone()

    assert found == (session.pk, session.access_code)
    assert [n for (n,) in names] == [c.last_name for c in candidates]
    assert rows == answered
    assert status == ("started",)
    # Restoring over a database that is not empty stops at the first error, changes nothing.
    assert again.returncode != 0


def test_it_refuses_to_back_up_something_else_than_postgresql(tmp_path):
    """A SQLite URL or a missing backup file is refused with a message, nothing written."""
    env = {**os.environ, "DATABASE_URL": "sqlite:///vigie.sqlite3"}
    backup = _run(str(SCRIPTS / "backup.sh"), str(tmp_path / "x.dump"), env=env)
    restore = _run(str(SCRIPTS / "restore.sh"), str(tmp_path / "missing.dump"), _url("x"))

    assert backup.returncode == 2 and "PostgreSQL" in backup.stderr
    assert restore.returncode == 2 and "missing" in restore.stderr
    assert list(tmp_path.iterdir()) == []
