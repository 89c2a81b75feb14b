"""Issue 17: a candidate's start and answers reach the invigilator's row without a request
from the invigilator's page (the row is pushed, invigilation/push.py), and a row read
earlier never replaces one read later."""

import pytest
from playwright.sync_api import Request, expect

from certification.actions import do_confirm_presence
from invigilation import push
from live import events
from tests.browser.conftest import AccessibilityChecker, start_test


@pytest.fixture(autouse=True)
def pushed():
    """LIVE_ROWS_PUSH on (the server runs in this process, on its own loop)."""
    events.set_session_relay(push.relay)
    yield
    events.set_session_relay(None)


@pytest.fixture
def room(room_of_one):
    _session, invigilator, candidate = room_of_one
    do_confirm_presence(candidate, actor=invigilator)
    return room_of_one


def test_it_updates_the_row_on_a_start_and_an_answer_without_a_fetch(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    session, invigilator, candidate = room
    inv = browser_as(invigilator)
    fetches: list[str] = []

    def seen(request: Request) -> None:
        # A fetch of rows or of the journal; not the once-a-minute re-read of everything
        # (`/lignes/` alone), which comes at a random moment.
        if "/lignes/?" in request.url:
            fetches.append(request.url)

    inv.on("request", seen)
    inv.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    expect(inv.locator("#link-status")).to_have_text("Mises à jour en direct.")
    inv.wait_for_timeout(600)  # live.js's resynchronization 300 ms after the link is up
    before = len(fetches)
    timeline = inv.locator("#timeline li")
    lines = timeline.count()
    mark_before = inv.locator("#timeline").get_attribute("data-mark")

    student = browser_as(candidate.user)
    start_test(student, axe, asgi_server, candidate)
    row = inv.locator("li.candidate").filter(has_text="DUPONT Léa")
    expect(row).to_contain_text("En cours")
    expect(row).to_contain_text("0 / 32 questions")
    # The page settled as after a fetch: the row moved to its group's chip count.
    expect(inv.locator('.chip[data-group="running"] .chip-count')).to_have_text("1")
    # The head and the timeline came with the row: the start's line, the mark moved on.
    expect(timeline).to_have_count(lines + 1)
    expect(timeline.first).to_contain_text("DUPONT Léa")
    # The journal's mark moved on: on the pushed line, or on the timeline itself when the
    # page's once-a-minute re-read of everything (at a random moment) came after the push.
    inv.wait_for_function(
        """before => {
             const timeline = document.getElementById("timeline"), first = timeline.firstElementChild;
             const mark = (first && first.dataset.mark) || timeline.dataset.mark;
             return /^\\d+-\\d+$/.test(mark) && mark !== before;
           }""",
        arg=mark_before,
        timeout=5000,
    )
    student.locator("#choices input").first.check()
    student.get_by_role("button", name="Je valide ma réponse").click()
    expect(row).to_contain_text("1 / 32 questions")
    assert fetches[before:] == []

    # A row read before the one shown (a fetch crossing a push) is not swapped in.
    version = int(row.get_attribute("data-version") or 0)
    inv.evaluate(
        """([id, version]) => {
             const html = document.getElementById("candidate-" + id).outerHTML
               .replace(/data-version="\\d+"/, 'data-version="' + version + '"')
               .replace("1 / 32 questions", "0 / 32 questions")
               .replace('<li ', '<li hx-swap-oob="true" ');
             htmx.swap(document.getElementById("supervision"), html, {swapStyle: "none"});
           }""",
        [candidate.pk, version - 1],
    )
    expect(row).to_contain_text("1 / 32 questions")
    assert int(row.get_attribute("data-version") or 0) == version
    axe.check(inv)
