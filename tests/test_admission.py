"""Admission under overload (issue 17, vigie/admission.py): at nine o'clock the starts of
tests take the worker's threads after every other request, in their own lane; a start that
finds the lane full, or waits there too long, is answered at once with 503 and Retry-After,
and the candidate's page waits and tries again; a started candidate is never refused, and
nobody is refused for good.

Personas: Léa, who has started and answers; Hugo and Inès, who start while the worker is
saturated; the worker's only thread held by a request in progress."""

import asyncio
import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.utils import timezone

from certification import actions
from certification.models import CertificationCourse
from tests.factories import CandidateFactory, UserFactory
from tests.signed_in import session_cookie, signed_in_headers
from vigie import admission

BUSY_FR = (
    "Trop de candidats démarrent en même temps : patientez quelques secondes, votre test va "
    "démarrer."
)
BUSY_EN = (
    "Too many candidates are starting at the same time: please wait a few seconds, your test "
    "will start."
)


def _first_served(threads: admission.Threads, held: Any, start_held: bool) -> list[str]:
    """A start then an answer wait for a thread; `held` is released: who goes first?"""

    async def scenario() -> list[str]:
        order: list[str] = []

        async def start() -> None:
            executor = await threads.acquire_for_start()
            order.append("start")
            await asyncio.sleep(0)
            threads.release(executor, start=True)

        async def answer() -> None:
            executor = await threads.acquire()
            order.append("answer")
            await asyncio.sleep(0)
            threads.release(executor)

        tasks = [asyncio.ensure_future(start()), asyncio.ensure_future(answer())]
        await asyncio.sleep(0.01)
        assert order == [] and len(threads.starts) == 1 and len(threads.waiting) == 1
        threads.release(held, start=start_held)
        await asyncio.gather(*tasks)
        return order

    return asyncio.run(scenario())


def test_it_keeps_the_starts_share_of_the_threads_however_busy_the_worker(settings):
    """No start holds a thread: the one freed goes to the start waiting, even though an
    answer waits too (or the starts would wait for a moment when nobody else does)."""
    settings.ADMISSION_STARTS_AT_ONCE = 1

    async def prepare() -> tuple[admission.Threads, Any]:
        threads = admission.Threads(1)
        return threads, await threads.acquire()

    threads, held = asyncio.run(prepare())
    assert _first_served(threads, held, start_held=False) == ["start", "answer"]
    assert (len(threads.free), threads.starts_running) == (1, 0)


def test_it_serves_the_others_first_once_the_starts_have_their_share(settings):
    """The one thread serves a start already: the answer goes before the next start."""
    settings.ADMISSION_STARTS_AT_ONCE = 1

    async def prepare() -> tuple[admission.Threads, Any]:
        threads = admission.Threads(2)
        return threads, await threads.acquire_for_start()

    threads, held = asyncio.run(prepare())
    # The second thread is busy too, with an ordinary request.
    other = threads.free.pop()
    assert _first_served(threads, held, start_held=True) == ["start", "answer"]
    threads.free.append(other)
    assert (len(threads.free), threads.starts_running) == (2, 0)


def test_it_lets_only_so_many_starts_hold_a_thread_at_once(settings):
    settings.ADMISSION_STARTS_AT_ONCE = 2

    async def scenario() -> None:
        threads = admission.Threads(4)
        first, second = await threads.acquire_for_start(), await threads.acquire_for_start()
        assert threads.starts_running == 2 and not threads.start_goes_now()
        third = asyncio.ensure_future(threads.acquire_for_start())
        await asyncio.sleep(0.01)
        assert not third.done() and len(threads.free) == 2  # threads free, yet it waits
        # …while any other request still gets a thread at once.
        other = await asyncio.wait_for(threads.acquire(), 1)
        threads.release(first, start=True)
        assert (await asyncio.wait_for(third, 1)) is first
        for executor, start in ((second, True), (first, True), (other, False)):
            threads.release(executor, start=start)
        assert (len(threads.free), threads.starts_running) == (4, 0)

    asyncio.run(scenario())


def test_it_serves_the_starts_in_order_of_arrival(settings):
    settings.ADMISSION_STARTS_AT_ONCE = 1

    async def scenario() -> list[int]:
        threads = admission.Threads(1)
        held = await threads.acquire()
        order: list[int] = []

        async def start(number: int) -> None:
            executor = await threads.acquire_for_start()
            order.append(number)
            await asyncio.sleep(0)
            threads.release(executor, start=True)

        tasks = []
        for number in range(5):
            tasks.append(asyncio.ensure_future(start(number)))
            await asyncio.sleep(0)
        threads.release(held)
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == [0, 1, 2, 3, 4]


def test_it_gives_back_a_thread_handed_to_a_start_that_gave_up(settings):
    """A start whose wait is over just as a thread is handed to it: the next in line gets
    the thread; nothing is lost."""
    settings.ADMISSION_STARTS_AT_ONCE = 1

    async def scenario() -> None:
        threads = admission.Threads(1)
        held = await threads.acquire()
        gives_up = asyncio.ensure_future(threads.acquire_for_start())
        patient = asyncio.ensure_future(threads.acquire_for_start())
        await asyncio.sleep(0)
        threads.release(held)  # handed to the first start…
        gives_up.cancel()  # …which is cancelled before it runs
        executor = await asyncio.wait_for(patient, 1)
        assert executor is held and threads.starts_running == 1
        threads.release(executor, start=True)
        assert (len(threads.free), threads.starts_running, len(threads.starts)) == (1, 0, 0)

    asyncio.run(scenario())


@pytest.mark.parametrize("start", [False, True], ids=["request", "start"])
def test_it_forgets_a_waiter_cancelled_just_before_a_thread_is_released(settings, start):
    """Cancelled (the client left, or the start's wait is over), then a thread released
    before the waiter runs again: the release drops it, and its own clean-up must not fail
    on it (it did: « ValueError: <Future cancelled> is not in deque », a 500 under load)."""
    settings.ADMISSION_STARTS_AT_ONCE = 1

    async def scenario() -> None:
        threads = admission.Threads(1)
        held = await threads.acquire()
        waiter = asyncio.ensure_future(threads.acquire_for_start() if start else threads.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        threads.release(held)
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert (len(threads.free), len(threads.waiting), len(threads.starts)) == (1, 0, 0)
        assert threads.starts_running == 0

    asyncio.run(scenario())


def test_it_reads_how_long_the_page_has_waited():
    def scope(*headers: tuple[bytes, bytes]) -> dict[str, Any]:
        return {"headers": list(headers)}

    assert admission.waited(scope((b"x-start-waited", b"12"))) == 12
    assert admission.waited(scope()) == 0
    assert admission.waited(scope((b"x-start-waited", b"soon"))) == 0
    assert admission.waited(scope((b"x-start-waited", b"-40"))) == 0


def test_it_only_ever_puts_the_start_of_a_test_in_the_lane(settings):
    settings.ADMISSION_STARTS_AT_ONCE = 2
    settings.ADMISSION_MAX_WAIT = 15

    def lane(method: str, path: str, waited: str = "0") -> bool:
        headers = [(b"x-start-waited", waited.encode())]
        return admission.in_start_lane({"method": method, "path": path, "headers": headers})

    assert admission.is_start("POST", "/api/certification/candidates/7/start")
    assert lane("POST", "/api/certification/candidates/7/start")
    # Not the start page, nor anything a started candidate or an invigilator does.
    assert not admission.is_start("GET", "/api/certification/candidates/7/start")
    assert not admission.is_start("GET", "/certification/candidats/7/commencer/")
    assert not admission.is_start("POST", "/api/certification/courses/7/answers")
    assert not admission.is_start("GET", "/api/certification/courses/7/state")
    assert not admission.is_start("GET", "/surveillance/sessions/7/lignes/")
    assert not admission.is_start("POST", "/nulle-part/")
    assert not admission.is_start("POST", "/nulle-part/start")
    # A page that has been trying for ADMISSION_MAX_WAIT seconds is served as any request…
    assert not lane("POST", "/api/certification/candidates/7/start", waited="15")
    assert lane("POST", "/api/certification/candidates/7/start", waited="14.9")
    # …and with admission off, every start is.
    settings.ADMISSION_STARTS_AT_ONCE = 0
    assert not lane("POST", "/api/certification/candidates/7/start")


def test_it_has_defaults_scaled_on_the_worker_s_threads_and_can_be_turned_off():
    from tests.test_production import settings_in

    every = (
        "(s.ADMISSION_STARTS_AT_ONCE, s.ADMISSION_START_QUEUE, s.ADMISSION_START_WAIT,"
        " s.ADMISSION_RETRY_AFTER, s.ADMISSION_MAX_WAIT)"
    )
    assert settings_in({"HTTP_THREADS": "6"}, every).stdout.strip() == "(2, 24, 5, 2, 15)"
    # The lane's share is 40 % of the threads: 2 of 10 fell behind the burst (issue 17).
    assert settings_in({"HTTP_THREADS": "10"}, every).stdout.strip() == "(4, 40, 5, 2, 15)"
    assert settings_in({"HTTP_THREADS": "2"}, every).stdout.strip() == "(1, 8, 5, 2, 15)"
    off = settings_in({"ADMISSION_STARTS_AT_ONCE": "0"}, "s.ADMISSION_STARTS_AT_ONCE")
    assert off.stdout.strip() == "0"
    assert "must be >= 0" in settings_in({"ADMISSION_START_QUEUE": "-1"}, "1").stderr


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


class _Served:
    """The requests that got a thread, in order (request_started is sent on it)."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    def __call__(self, sender: Any, scope: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if scope is not None:
            self.paths.append(scope["path"])


@pytest.fixture
def served():
    from django.core.signals import request_started

    record = _Served()
    request_started.connect(record)
    yield record
    request_started.disconnect(record)


@pytest.mark.django_db(transaction=True)
def test_it_lets_a_start_wait_in_its_lane_and_refuses_one_when_the_lane_is_full(
    settings, hold, served, small_bank, exam_session, invigilator
):
    """The worker's one thread is held by a request in progress (a real request, stopped
    in the middle). Léa's answer waits for it; Hugo's start waits in the lane; Inès' start
    finds the lane full: answered 503 at once, in her language, with Retry-After, and
    nothing written. Her page's try after ADMISSION_MAX_WAIT seconds is served as any
    request. Once the thread is free: Hugo's start (the starts' share: one at a time, and
    none was running), then Léa's answer and Inès' late try in their order — all served."""
    import httpx

    from vigie.handler import SyncChainASGIHandler

    settings.HTTP_THREADS = 1
    settings.ADMISSION_STARTS_AT_ONCE = 1
    settings.ADMISSION_START_QUEUE = 1
    settings.ADMISSION_START_WAIT = 20
    settings.ADMISSION_RETRY_AFTER = 3
    settings.ADMISSION_MAX_WAIT = 15
    lea, hugo, ines = (
        _joined(exam_session, "Léa", "Dupont"),
        _joined(exam_session, "Hugo", "Abadi"),
        _joined(exam_session, "Inès", "Martin"),
    )
    for candidate in (lea, hugo, ines):
        actions.do_confirm_presence(candidate, actor=invigilator)
    run = actions.do_start_or_resume(lea, user=lea.user, access_code=exam_session.access_code)
    question = run.course.current_item_id

    holding, release = hold.holding, hold.release
    handler = SyncChainASGIHandler()
    csrf = secrets.token_hex(16)
    ines_fr, ines_en = (
        signed_in_headers(ines.user, csrf),
        signed_in_headers(ines.user, csrf, **{"Accept-Language": "en"}),
    )
    code = {"access_code": exam_session.access_code}
    answer_url = f"/api/certification/courses/{run.course.pk}/answers"
    hugo_url, ines_url = (f"/api/certification/candidates/{c.pk}/start" for c in (hugo, ines))
    lea_headers = signed_in_headers(lea.user, csrf, **{"X-Run-Token": run.token})
    hugo_headers = signed_in_headers(hugo.user, csrf)

    async def scenario() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            in_progress = asyncio.create_task(client.get("/compte/connexion/?hold=1"))
            while not holding.is_set():
                await asyncio.sleep(0.01)
            answer = asyncio.create_task(
                client.post(
                    answer_url,
                    json={"item_id": question, "response": [0]},
                    headers=lea_headers,
                )
            )
            hugo_start = asyncio.create_task(client.post(hugo_url, json=code, headers=hugo_headers))
            await asyncio.sleep(0.1)
            lane = len(handler._threads.starts) if handler._threads else 0
            # The lane is full: these are answered without a thread.
            refused = await asyncio.wait_for(client.post(ines_url, json=code, headers=ines_fr), 5)
            refused_en = await asyncio.wait_for(
                client.post(ines_url, json=code, headers=ines_en), 5
            )
            late = asyncio.create_task(
                client.post(ines_url, json=code, headers={**ines_fr, "X-Start-Waited": "15"})
            )
            await asyncio.sleep(0.2)
            waiting = [task.done() for task in (answer, hugo_start, late)]
            courses_while_refused = await asyncio.to_thread(
                CertificationCourse.objects.filter(candidate__in=[hugo, ines]).count
            )
            release.set()
            statuses = [(await task).status_code for task in (in_progress, answer, late)]
            hugo_response = await hugo_start
        return {
            "lane": lane,
            "refused": refused,
            "refused_en": refused_en,
            "waiting": waiting,
            "courses_while_refused": courses_while_refused,
            "statuses": statuses,
            "hugo": hugo_response,
        }

    with ThreadPoolExecutor(1) as pool:
        out = pool.submit(asyncio.run, scenario()).result()

    assert out["lane"] == 1  # Hugo's start, waiting
    refused = out["refused"]
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "3"
    assert refused.headers["content-type"] == "application/json"
    assert json.loads(refused.content) == {"detail": BUSY_FR, "code": "busy", "retry_after": 3}
    assert out["refused_en"].json()["detail"] == BUSY_EN
    assert out["waiting"] == [False, False, False]
    assert out["courses_while_refused"] == 0
    assert out["statuses"] == [200, 200, 200]
    assert out["hugo"].status_code == 200
    assert served.paths == ["/compte/connexion/", hugo_url, answer_url, ines_url]
    assert run.course.answers.count() == 1
    assert CertificationCourse.objects.filter(candidate__in=[hugo, ines]).count() == 2
    assert out["hugo"].json()["course_id"] == CertificationCourse.objects.get(candidate=hugo).pk
    threads = handler._threads
    assert threads is not None
    assert (len(threads.free), threads.starts_running, len(threads.starts)) == (1, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_it_refuses_a_start_that_has_waited_its_time_in_the_lane(
    settings, hold, small_bank, joined_candidate, invigilator
):
    import httpx

    from vigie.handler import SyncChainASGIHandler

    settings.HTTP_THREADS = 1
    settings.ADMISSION_STARTS_AT_ONCE = 1
    settings.ADMISSION_START_QUEUE = 10
    settings.ADMISSION_START_WAIT = 0.3
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    holding, release = hold.holding, hold.release
    csrf = secrets.token_hex(16)
    handler = SyncChainASGIHandler()
    headers = signed_in_headers(joined_candidate.user, csrf)

    async def scenario() -> tuple[int, float, int]:
        transport = httpx.ASGITransport(app=handler)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            in_progress = asyncio.create_task(client.get("/compte/connexion/?hold=1"))
            while not holding.is_set():
                await asyncio.sleep(0.01)
            loop = asyncio.get_running_loop()
            began = loop.time()
            start = await asyncio.wait_for(
                client.post(
                    f"/api/certification/candidates/{joined_candidate.pk}/start",
                    json={"access_code": joined_candidate.session.access_code},
                    headers=headers,
                ),
                5,
            )
            waited = loop.time() - began
            lane = len(handler._threads.starts) if handler._threads else -1
            release.set()
            await in_progress
            return start.status_code, waited, lane

    with ThreadPoolExecutor(1) as pool:
        status, waited, lane = pool.submit(asyncio.run, scenario()).result()
    assert status == 503
    assert 0.3 <= waited < 3
    assert lane == 0  # it left the lane
    assert not CertificationCourse.objects.filter(candidate=joined_candidate).exists()


@pytest.mark.django_db(transaction=True)
def test_it_queues_the_start_as_before_when_admission_is_off(
    settings, hold, small_bank, joined_candidate, invigilator
):
    import httpx

    from vigie.handler import SyncChainASGIHandler

    settings.HTTP_THREADS = 1
    settings.ADMISSION_STARTS_AT_ONCE = 0
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    holding, release = hold.holding, hold.release
    csrf = secrets.token_hex(16)
    cookie = session_cookie(joined_candidate.user)

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
