"""A served request leaves nothing for the garbage collector (vigie/handler.py, issue 17).

Django's request is in reference cycles: its messages' storages and its lazy user point
back to it. Each request served thus left about 65 objects (the request, its headers,
session, storages, user…) that only a collection could free, which made a worker's young
collections run about three times as often (bench/gc_garbage.py) and promote the requests
in flight into the generations whose full collections stopped a worker for up to a
second. The handler now empties the request once its response is ready; the reads of a
course with its candidate no longer cache it on the candidate (another cycle); and a
template's render no longer leaves its context in a cycle (lib/templates.py).

Personas: Léa, a candidate who answers; Léa and Hugo, who start; the invigilator, whose
page re-reads the rows; and a visitor who is not signed in."""

import asyncio
import gc
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from django.utils import timezone

from certification import actions
from certification.access import access_own_course
from certification.models import CertificationCourse
from invigilation.models import InvigilatorAccess
from tests.factories import CandidateFactory, CertificationCourseFactory, UserFactory
from tests.signed_in import signed_in_headers
from vigie.handler import SyncChainASGIHandler

# What the request's cycles used to keep: one of each per request.
REQUEST_CONTENTS = {
    "SessionStore",
    "FallbackStorage",
    "CookieStorage",
    "SessionStorage",
    "SimpleLazyObject",
    "HttpHeaders",
    "QueryDict",
}


def _left_for_the_collector(send: Callable[[httpx.AsyncClient], Any]) -> set[str]:
    """The types of what only the collector could free after the request `send` makes
    through Vigie's handler."""

    async def scenario() -> set[str]:
        transport = httpx.ASGITransport(app=SyncChainASGIHandler())
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            await send(client)  # warm: imports, compiled queries, threads
            gc.collect()
            gc.disable()
            gc.set_debug(gc.DEBUG_SAVEALL)
            try:
                response = await send(client)
                del response
                gc.collect()
                return {type(o).__name__ for o in gc.garbage}
            finally:
                gc.garbage.clear()
                gc.set_debug(0)
                gc.enable()

    return asyncio.run(scenario())


@pytest.mark.django_db(transaction=True)
def test_it_leaves_nothing_of_a_candidate_s_answer_for_the_collector(
    small_bank, joined_candidate, invigilator
) -> None:
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    run = actions.do_start_or_resume(
        joined_candidate,
        user=joined_candidate.user,
        access_code=joined_candidate.session.access_code,
    )
    headers = {
        **signed_in_headers(joined_candidate.user),
        "X-Run-Token": run.token,
    }
    course = f"/api/certification/courses/{run.course.pk}"
    statuses = []

    async def answer(client: httpx.AsyncClient) -> httpx.Response:
        state = await client.get(f"{course}/state", headers=headers)
        question = state.json()["question"]
        response = "x" if question["type"] == "free" else [0]
        answered = await client.post(
            f"{course}/answers",
            json={"item_id": question["id"], "response": response},
            headers=headers,
        )
        statuses.extend([state.status_code, answered.status_code])
        return answered

    left = _left_for_the_collector(answer)
    assert not left & (REQUEST_CONTENTS | {"ASGIRequest"}), left
    # The course, its candidate, session and centre (certification/access.py).
    assert not left & {"CertificationCourse", "Candidate", "ExamSession", "Centre"}, left
    assert statuses == [200] * 4


@pytest.mark.django_db(transaction=True)
def test_it_leaves_nothing_of_a_start_for_the_collector(small_bank, exam_session, invigilator):
    """Léa and Hugo start (the first warms the worker up): the new course, its candidate,
    session and centre are freed with the request."""
    people = [
        CandidateFactory(
            session=exam_session, user=UserFactory(certifiable=True), instructions_accepted_at=now
        )
        for now in (timezone.now(), timezone.now())
    ]
    for candidate in people:
        actions.do_confirm_presence(candidate, actor=invigilator)
    signed_in = [(candidate, signed_in_headers(candidate.user)) for candidate in people]
    statuses = []

    async def start(client: httpx.AsyncClient) -> httpx.Response:
        candidate, headers = signed_in.pop()
        started = await client.post(
            f"/api/certification/candidates/{candidate.pk}/start",
            json={"access_code": exam_session.access_code},
            headers=headers,
        )
        statuses.append(started.status_code)
        return started

    left = _left_for_the_collector(start)
    assert not left & (REQUEST_CONTENTS | {"ASGIRequest"}), left
    assert not left & {"CertificationCourse", "Candidate", "ExamSession", "Centre", "User"}, left
    assert statuses == [200, 200]


@pytest.mark.django_db(transaction=True)
def test_it_leaves_nothing_of_the_invigilator_s_rows_for_the_collector(
    small_bank, joined_candidate, invigilator
) -> None:
    """The page's re-read of every row and the journal (once a minute), with Léa's test
    running: a template's context (lib/templates.py), the rows, their candidates and
    courses (invigilation/state.py) are freed with the request."""
    session = joined_candidate.session
    InvigilatorAccess.objects.create(
        session=session, user=invigilator, via=InvigilatorAccess.Via.PASSWORD
    )
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    actions.do_start_or_resume(
        joined_candidate, user=joined_candidate.user, access_code=session.access_code
    )
    headers = signed_in_headers(invigilator)
    pages = []

    async def reread(client: httpx.AsyncClient) -> httpx.Response:
        page = await client.get(f"/surveillance/sessions/{session.pk}/lignes/", headers=headers)
        pages.append((page.status_code, f'id="candidate-{joined_candidate.pk}"' in page.text))
        return page

    left = _left_for_the_collector(reread)
    assert not left & {"RequestContext", "ContextDict", "Tag"}, left
    assert not left & {"CertificationCourse", "Candidate", "ExamSession", "Centre"}, left
    assert pages == [(200, True), (200, True)]


@pytest.mark.django_db(transaction=True)
def test_it_leaves_nothing_a_visitor_s_request_carried_for_the_collector() -> None:
    """A page's view and form are in cycles of their own, which point to the request: its
    empty shell may wait for a collection, not its session, headers, storages or user."""
    pages = []

    async def visit(client: httpx.AsyncClient) -> httpx.Response:
        page = await client.get("/compte/connexion/")
        pages.append(page.status_code)
        return page

    left = _left_for_the_collector(visit)
    assert not left & REQUEST_CONTENTS, left
    assert pages == [200, 200]


@pytest.mark.django_db
def test_it_reads_a_course_without_caching_it_on_its_candidate(joined_candidate) -> None:
    """Django caches a one-to-one read with select_related on both sides, a reference
    cycle; the candidate's own reads drop the candidate's side. Fails by name if Django's
    `delete_cached_value` stops being how."""
    course = CertificationCourseFactory(candidate=joined_candidate)
    reverse = CertificationCourse._meta.get_field("candidate").remote_field
    read = CertificationCourse.objects.select_related("candidate").get(pk=course.pk)
    assert reverse.is_cached(read.candidate)  # the cycle, as Django makes it
    own = access_own_course(joined_candidate.user, course.pk)
    assert own.candidate == joined_candidate and own.candidate.session.pk
    assert not reverse.is_cached(own.candidate)
