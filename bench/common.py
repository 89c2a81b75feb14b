"""Shared by the benchmarks and the multi-process tests: data set-up, servers, statistics.

`create_session` builds a session whose candidates joined, read the instructions and had
their presence confirmed, with ready-made log-in cookies (database sessions), so a load
generator starts from « the test can start » without replaying the whole journey.
"""

import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def django_setup() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigie.settings")
    django.setup()


def cookie_for(user: Any) -> str:
    """A logged-in session for `user`, as the `sessionid` cookie value."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.EmailBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key or ""


def create_session(candidates: int, invigilators: int, *, tag: str | None = None) -> dict:
    """One session, its invigilators and its confirmed candidates, with their cookies."""
    from django.utils import timezone

    from accounts.models import Centre, CompetenceLevel, User
    from certification.actions import do_confirm_presence
    from exams.actions import do_create_session, do_enrol_candidate
    from invigilation.models import InvigilatorAccess

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    port: int, *, workers: int = 1, env: dict[str, str] | None = None, log: Any = None
) -> subprocess.Popen:
    """The production command (scripts/serve.py) without its set-up step, on one port."""
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [
            sys.executable,
            str(ROOT / "scripts" / "serve.py"),
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--skip-setup",
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=log if log is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
    )


def wait_ready(base: str, timeout: float = 30.0, path: str = "/healthz") -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{base} did not become ready in {timeout} s")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def summary(values: list[float]) -> dict:
    if not values:
        return {"count": 0}  # NaN is not JSON
    return {
        "count": len(values),
        "p50_ms": round(percentile(values, 50) * 1000, 1),
        "p95_ms": round(percentile(values, 95) * 1000, 1),
        "p99_ms": round(percentile(values, 99) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1) if values else None,
        "mean_ms": round(statistics.fmean(values) * 1000, 1) if values else None,
    }
