"""Admission under overload (issue 17, vigie/admission.py): at nine o'clock a saturated
worker answers a start at once with 503 and Retry-After, and the candidate's page waits
and tries again; a started candidate is never refused, and nobody is refused for good.

Personas: Léa, who has started and answers; Hugo, who starts while the worker is
saturated; the worker's only thread held by a request in progress."""

import asyncio
import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from certification import actions
from certification.models import CertificationCourse
from tests.factories import CandidateFactory, UserFactory
from vigie import admission

BUSY_FR = (
    "Trop de candidats démarrent en même temps : patientez quelques secondes, votre test va "
    "démarrer."
)
BUSY_EN = (
    "Too many candidates are starting at the same time: please wait a few seconds, your test "
    "will start."
)


def test_it_admits_a_start_while_fewer_requests_than_the_limit_are_in_flight():
    assert admission.admits_start(in_flight=0, limit=10)
    assert admission.admits_start(in_flight=9, limit=10)
    assert not admission.admits_start(in_flight=10, limit=10)
    assert not admission.admits_start(in_flight=250, limit=10)


def test_it_admits_a_start_that_has_waited_long_enough_whatever_the_load():
    assert admission.admits_start(in_flight=250, limit=10, waited=15, max_wait=15)
    assert not admission.admits_start(in_flight=250, limit=10, waited=14.9, max_wait=15)
    # max_wait 0: no bound.
    assert not admission.admits_start(in_flight=250, limit=10, waited=3600, max_wait=0)


def test_it_reads_how_long_the_page_has_waited():
    def scope(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
        return {"headers": list(headers)}

    assert admission.waited(scope((b"x-start-waited", b"12"))) == 12
    assert admission.waited(scope()) == 0
    assert admission.waited(scope((b"x-start-waited", b"soon"))) == 0
    assert admission.waited(scope((b"x-start-waited", b"-40"))) == 0


def test_it_admits_every_start_when_turned_off():
    assert admission.admits_start(in_flight=10_000, limit=0)


def test_it_only_ever_refuses_the_start_of_a_test():
    assert admission.is_start("POST", "/api/certification/candidates/7/start")
    # Not the start page, nor anything a started candidate or an invigilator does.
    assert not admission.is_start("GET", "/api/certification/candidates/7/start")
    assert not admission.is_start("GET", "/certification/candidats/7/commencer/")
    assert not admission.is_start("POST", "/api/certification/courses/7/answers")
    assert not admission.is_start("GET", "/api/certification/courses/7/state")
    assert not admission.is_start("GET", "/surveillance/sessions/7/lignes/")
    assert not admission.is_start("POST", "/nulle-part/")


def test_it_defaults_to_the_worker_s_threads_and_can_be_turned_off():
    from tests.test_production import settings_in

    both = (
        "(s.ADMISSION_START_LIMIT, s.HTTP_THREADS, s.ADMISSION_RETRY_AFTER, s.ADMISSION_MAX_WAIT)"
    )
    assert settings_in({"HTTP_THREADS": "6"}, both).stdout.strip() == "(6, 6, 2, 15)"
    off = settings_in({"ADMISSION_START_LIMIT": "0"}, "s.ADMISSION_START_LIMIT")
    assert off.stdout.strip() == "0"
    assert "must be >= 0" in settings_in({"ADMISSION_START_LIMIT": "-1"}, "1").stderr


def _joined(session, first: str, last: str):
    user = UserFactory(first_name=first, last_name=last, certifiable=True)
    candidate = CandidateFactory(
        session=session,
        first_name=first,
        last_name=last,
        user=user,
        instructions_accepted_at=timezone.now(),
    )
    return candidate


def _cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.mark.django_db(transaction=True)
def test_it_answers_a_start_at_once_when_saturated_then_lets_it_in(
    settings, hold, small_bank, exam_session, invigilator
):
    """The worker's one thread is held by a request in progress (a real request, stopped
    in the middle): Hugo's start is answered 503 at once, in his language, with
    Retry-After, and writes nothing; Léa's answer waits its turn and is saved; his page's
    try after ADMISSION_MAX_WAIT seconds is admitted and succeeds once the thread is free."""
    import httpx

    from vigie.handler import SyncChainASGIHandler

    settings.HTTP_THREADS = 1
    settings.ADMISSION_START_LIMIT = 1
    settings.ADMISSION_RETRY_AFTER = 3
    settings.ADMISSION_MAX_WAIT = 15
    lea, hugo = _joined(exam_session, "Léa", "Dupont"), _joined(exam_session, "Hugo", "Abadi")
    for candidate in (lea, hugo):
        actions.do_confirm_presence(candidate, actor=invigilator)
    run = actions.do_start_or_resume(lea, user=lea.user, access_code=exam_session.access_code)
    question = run.course.current_item_id

    holding, release = hold.holding, hold.release
    handler = SyncChainASGIHandler()
    csrf = secrets.token_hex(16)

    def headers(user, **extra: str) -> dict[str, str]:
        return {
            "Cookie": f"sessionid={_cookie(user)}; csrftoken={csrf}",
            "X-CSRFToken": csrf,
            "Origin": "http://localhost",
            "Referer": "http://localhost/",
            **extra,
        }

    hugo_fr, hugo_en, lea_headers = (
        headers(hugo.user),
        headers(hugo.user, **{"Accept-Language": "en"}),
        headers(lea.user, **{"X-Run-Token": run.token}),
    )
    start_url = f"/api/certification/candidates/{hugo.pk}/start"
    code = {"access_code": exam_session.access_code}

    async def scenario() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            in_progress = asyncio.create_task(client.get("/compte/connexion/?hold=1"))
            while not holding.is_set():
                await asyncio.sleep(0.01)
            # Léa's answer: queued behind the request in progress, never refused.
            answer = asyncio.create_task(
                client.post(
                    f"/api/certification/courses/{run.course.pk}/answers",
                    json={"item_id": question, "response": [0]},
                    headers=lea_headers,
                )
            )
            await asyncio.sleep(0.05)
            assert admission.load.in_flight == 2
            # The thread is still held: these are answered without one.
            refused = await asyncio.wait_for(client.post(start_url, json=code, headers=hugo_fr), 5)
            refused_en = await asyncio.wait_for(
                client.post(start_url, json=code, headers=hugo_en), 5
            )
            # Hugo's page has been trying for ADMISSION_MAX_WAIT: admitted, so it queues.
            patient = asyncio.create_task(
                client.post(start_url, json=code, headers={**hugo_fr, "X-Start-Waited": "15"})
            )
            await asyncio.sleep(0.2)
            assert not answer.done() and not patient.done()
            courses_while_refused = await asyncio.to_thread(
                CertificationCourse.objects.filter(candidate=hugo).count
            )
            release.set()
            served = [(await in_progress).status_code, (await answer).status_code]
            admitted = await patient
        return {
            "refused": refused,
            "refused_en": refused_en,
            "courses_while_refused": courses_while_refused,
            "served": served,
            "admitted": admitted,
        }

    with ThreadPoolExecutor(1) as pool:
        out = pool.submit(asyncio.run, scenario()).result()

    refused = out["refused"]
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "3"
    assert refused.headers["content-type"] == "application/json"
    assert json.loads(refused.content) == {"detail": BUSY_FR, "code": "busy", "retry_after": 3}
    assert out["refused_en"].json()["detail"] == BUSY_EN
    assert out["courses_while_refused"] == 0
    assert out["served"] == [200, 200]  # the request in progress and Léa's answer
    assert lea.user and run.course.answers.count() == 1
    assert out["admitted"].status_code == 200
    assert out["admitted"].json()["course_id"] == CertificationCourse.objects.get(candidate=hugo).pk
    assert admission.load.in_flight == 0


@pytest.mark.django_db(transaction=True)
def test_it_queues_the_start_as_before_when_admission_is_off(
    settings, hold, small_bank, joined_candidate, invigilator
):
    import httpx

    from vigie.handler import SyncChainASGIHandler

    settings.HTTP_THREADS = 1
    settings.ADMISSION_START_LIMIT = 0
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    holding, release = hold.holding, hold.release
    csrf = secrets.token_hex(16)
    cookie = _cookie(joined_candidate.user)

    async def scenario() -> tuple[bool, int]:
        transport = httpx.ASGITransport(app=SyncChainASGIHandler())
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            in_progress = asyncio.create_task(client.get("/compte/connexion/?hold=1"))
            while not holding.is_set():
                await asyncio.sleep(0.01)
            start = asyncio.create_task(
                client.post(
                    f"/api/certification/candidates/{joined_candidate.pk}/start",
                    json={"access_code": joined_candidate.session.access_code},
                    headers={
                        "Cookie": f"sessionid={cookie}; csrftoken={csrf}",
                        "X-CSRFToken": csrf,
                        "Origin": "http://localhost",
                        "Referer": "http://localhost/",
                    },
                )
            )
            await asyncio.sleep(0.2)
            waited = not start.done()  # queued behind the request in progress, not refused
            release.set()
            await in_progress
            return waited, (await start).status_code

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, scenario()).result() == (True, 200)
