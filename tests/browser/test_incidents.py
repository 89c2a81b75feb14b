"""Incidents seen from the candidate's page (issue 15): the session suspended by the
invigilator fills the candidate's screen with « Épreuve suspendue » and the invigilator's
words, takes no answer, and the test comes back where it was once the candidate is
confirmed back in the room; a candidate not confirmed back stays suspended."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone
from playwright.sync_api import Page, expect

from certification.actions import (
    do_confirm_presence,
    do_resume_session,
    do_send_message,
    do_suspend_session,
)
from certification.models import Answer, CertificationCourse, MessageReceipt
from invigilation.models import InvigilatorAccess
from tests.browser.conftest import AccessibilityChecker, screenshot, start_test
from tests.factories import CandidateFactory, ExamSessionFactory, UserFactory


def _act(action, *args, **kwargs):
    """An invigilator's action, from another thread: Playwright keeps an event loop running
    in this one, where the live event could not be sent after commit."""

    def run():
        try:
            return action(*args, **kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


MESSAGE = "Alarme incendie : laissez vos affaires et sortez dans le calme."


@pytest.fixture
def room(small_bank):
    session = ExamSessionFactory()
    invigilator = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=session, user=invigilator, via="password")
    candidates = [
        CandidateFactory(
            session=session,
            first_name=first,
            last_name=last,
            user=UserFactory(first_name=first, last_name=last, certifiable=True),
            instructions_accepted_at=timezone.now(),
        )
        for first, last in (("Léa", "Dupont"), ("Hugo", "Bernard"))
    ]
    return session, invigilator, candidates


def _started(browser_as, axe: AccessibilityChecker, base: str, room) -> dict[int, Page]:
    """Each candidate's phone, on the first question of a started test."""
    _session, invigilator, candidates = room
    pages = {}
    for candidate in candidates:
        pages[candidate.pk] = browser_as(candidate.user, phone=True)
        do_confirm_presence(candidate, actor=invigilator)
        start_test(pages[candidate.pk], axe, base, candidate)
    return pages


def test_a_suspended_session_fills_the_candidates_screens_until_each_is_confirmed_back(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    session, invigilator, (lea, hugo) = room
    pages = _started(browser_as, axe, asgi_server, room)
    lea_page, hugo_page = pages[lea.pk], pages[hugo.pk]
    question = lea_page.locator("#question-title").inner_text()

    _act(do_suspend_session, session, message=MESSAGE, actor=invigilator)

    for student in (lea_page, hugo_page):
        expect(student.get_by_role("heading", name="Épreuve suspendue")).to_be_visible()
        expect(student.locator("#suspended-message")).to_have_text(MESSAGE)
        expect(student.locator("#question-panel")).to_be_hidden()
    axe.check(lea_page)
    screenshot(lea_page, "incident-suspended-phone")
    width = lea_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width

    # Léa is back in the room, Hugo is not (seed 004): only Léa's test goes on.
    _act(do_resume_session, session, present=[lea.pk], actor=invigilator)

    expect(lea_page.locator("#question-title")).to_have_text(question)
    expect(lea_page.locator("#suspended-panel")).to_be_hidden()
    lea_page.locator("#choices input").first.check()
    lea_page.get_by_role("button", name="Je valide ma réponse").click()
    expect(lea_page.locator("#progress")).to_have_text("Question 2 / 32")
    hugo_page.reload()
    expect(hugo_page.get_by_role("heading", name="Épreuve suspendue")).to_be_visible()
    assert Answer.objects.filter(course__candidate=lea).count() == 1
    assert CertificationCourse.objects.get(candidate=hugo).is_suspended


def test_a_message_shows_as_a_banner_until_read_and_the_invigilators_see_who_read_it(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    session, invigilator, (lea, hugo) = room
    pages = _started(browser_as, axe, asgi_server, room)

    _act(do_send_message, session, text="Il reste 10 minutes.", actor=invigilator)

    for student in pages.values():
        expect(student.get_by_role("alert").filter(has_text="Il reste 10 minutes.")).to_be_visible()
    lea_page = pages[lea.pk]
    axe.check(lea_page)
    screenshot(lea_page, "incident-message-phone")
    lea_page.get_by_role("button", name="J'ai lu").click()
    expect(lea_page.get_by_role("alert").filter(has_text="Il reste 10 minutes.")).to_have_count(0)
    # The question is still there, and answering still works.
    lea_page.locator("#choices input").first.check()
    lea_page.get_by_role("button", name="Je valide ma réponse").click()
    expect(lea_page.locator("#progress")).to_have_text("Question 2 / 32")
    receipts = dict(MessageReceipt.objects.values_list("candidate_id", "read_at"))
    assert receipts[lea.pk] is not None and receipts[hugo.pk] is None
