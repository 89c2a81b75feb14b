"""Nine o'clock in a real browser (issue 17): the start's response carries the test page's
first state, so Léa's page shows question 1 without reading it; it reads it once, when its
live link is up (what changed before the link was there is read then)."""

from playwright.sync_api import Route, expect

from tests.browser.conftest import AccessibilityChecker, start_test


def test_it_shows_question_1_from_the_starts_response_then_reads_once_its_link_is_up(
    browser_as, asgi_server: str, axe: AccessibilityChecker, lea
):
    student = browser_as(lea.user)
    reads: list[Route] = []

    def hold(route: Route) -> None:
        # The state reads wait: the page cannot have taken question 1 from one.
        reads.append(route)

    student.route("**/api/certification/courses/*/state", hold)
    start_test(student, axe, asgi_server, lea)
    expect(student.locator("#question-panel")).to_be_visible()
    expect(student.locator("#question-prompt")).not_to_be_empty()
    # The link comes up (live.js: 300 ms after it opened): one read, the page's only one.
    for _ in range(100):
        if reads:
            break
        student.wait_for_timeout(100)
    student.wait_for_timeout(1000)
    assert len(reads) == 1
    reads[0].continue_()
    expect(student.locator("#progress")).to_have_text("Question 1 / 32")


def test_it_reads_its_state_when_opened_again(browser_as, asgi_server: str, axe, lea):
    """A reload has no start's response: the page reads its state, and shows the same
    question."""
    student = browser_as(lea.user)
    start_test(student, axe, asgi_server, lea)
    shown = student.locator("#question-prompt").inner_text()
    with student.expect_request("**/api/certification/courses/*/state"):
        student.reload()
    expect(student.locator("#progress")).to_have_text("Question 1 / 32")
    expect(student.locator("#question-prompt")).to_have_text(shown)
