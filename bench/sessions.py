"""The benchmarks' and multi-process tests' data: `create_session` builds a session whose
candidates joined, read the instructions and had their presence confirmed, with ready-made
log-in cookies (database sessions), so a load generator starts from « the test can start »
without replaying the whole journey.

Import it once Django is set up (`common.django_setup()`): a benchmark sets its environment
first, then Django, then reads models."""

import secrets
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from accounts.models import Centre, CompetenceLevel, User
from certification.actions import do_confirm_presence
from exams.actions import do_create_session, do_enrol_candidate
from invigilation.models import InvigilatorAccess


def cookie_for(user: Any) -> str:
    """A logged-in session for `user`, as the `sessionid` cookie value."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.EmailBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key or ""


def create_session(candidates: int, invigilators: int, *, tag: str | None = None) -> dict:
    """One session, its invigilators and its confirmed candidates, with their cookies."""
    tag = tag or secrets.token_hex(4)
    centre = Centre.objects.create(name=f"Bench {tag}", type="SCO")
    # No password: log-ins are forged cookies, and Argon2 would cost 50 ms per account.
    admin = User.objects.create_user(f"admin-{tag}@bench.test", None, first_name="A", last_name="B")
    session = do_create_session(
        centre,
        {
            "site_name": "Bench",
            "room": "B1",
            "date": timezone.localdate(),
            "time": timezone.localtime().time().replace(microsecond=0),
            "examiner": "Bench",
        },
        actor=admin,
    )
    invigilator_cookies = []
    for i in range(invigilators):
        user = User.objects.create_user(
            f"inv{i}-{tag}@bench.test", None, first_name=f"Inv{i}", last_name="Bench"
        )
        InvigilatorAccess.objects.create(session=session, user=user, via="password")
        invigilator_cookies.append(cookie_for(user))
    people = []
    for i in range(candidates):
        user = User.objects.create_user(
            f"c{i}-{tag}@bench.test", None, first_name=f"Cand{i}", last_name="Bench"
        )
        CompetenceLevel.objects.bulk_create(
            CompetenceLevel(user=user, competence=code, level=2)
            for code in ("1.1", "1.2", "2.1", "3.1", "4.1")
        )
        line = do_enrol_candidate(
            session,
            {
                "first_name": f"Cand{i}",
                "last_name": f"Bench{i}",
                "birthdate": "2008-01-01",
                "sex": "F",
                "birth_city": "Lyon",
                "birth_postal_code": "69001",
                "birth_country": "FRANCE",
            },
            actor=admin,
        )
        type(line).objects.filter(pk=line.pk).update(
            user=user, instructions_accepted_at=timezone.now()
        )
        line.refresh_from_db()
        do_confirm_presence(line, actor=admin)
        people.append({"id": line.pk, "cookie": cookie_for(user)})
    return {
        "session_id": session.pk,
        "access_code": session.access_code,
        "admin_cookie": cookie_for(admin),
        "invigilators": invigilator_cookies,
        "candidates": people,
    }
