"""Issue 16 in real browsers: « Je m'en occupe » seen by the other invigilator, and the
escalation (tab title) counting only unclaimed alerts."""

import re
import threading

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from invigilation.models import InvigilatorAccess
from live.events import publish_on_commit, session_group
from tests.browser.conftest import AccessibilityChecker
from tests.factories import (
    CandidateFactory,
    CertificationCourseFactory,
    ExamSessionFactory,
    LiveAlertFactory,
    UserFactory,
)


@pytest.fixture
def reported(small_bank):
    """Léa's test is running and she reported question 4; Alice and Bruno both entered."""
    session = ExamSessionFactory()
    alice = UserFactory(first_name="Alice", last_name="Martin")
    bruno = UserFactory(first_name="Bruno", last_name="Durand")
    for user in (alice, bruno):
        InvigilatorAccess.objects.create(session=session, user=user, via="password")
    lea = CandidateFactory(session=session, first_name="Léa", last_name="Dupont")
    course = CertificationCourseFactory(
        candidate=lea, started_at=timezone.now(), current_item_id="1.1-000"
    )
    alert = LiveAlertFactory(course=course, question_number=4)
    return session, alice, bruno, alert


def test_it_shows_a_claim_to_the_other_invigilator_and_stops_escalating_until_it_lapses(
    browser_as, axe: AccessibilityChecker, asgi_server: str, reported
) -> None:
    session, alice, bruno, alert = reported
    url = f"{asgi_server}/surveillance/sessions/{session.pk}/"
    inv1 = browser_as(alice)
    inv2 = browser_as(bruno, phone=True)
    inv2.clock.install()
    inv1.goto(url)
    inv2.goto(url)
    axe.check(inv1)
    title = f"Session {session.number} · Espace Surveillant · Vigie"
    # Unanswered for a minute, the alert escalates on Bruno's page.
    inv2.clock.fast_forward(61_000)
    expect(inv2).to_have_title(f"(1) {title}")

    inv1.get_by_role("button", name="Je m'en occupe — Léa DUPONT").click()
    expect(inv1.locator("#flash")).to_contain_text("Vous vous occupez de ce signalement")
    expect(inv1.locator(f'[data-claim-alert="{alert.pk}"]')).to_contain_text(
        "Vous vous en occupez depuis"
    )
    claim = inv2.locator(f'[data-claim-alert="{alert.pk}"]')
    # (Bruno's clock is a minute ahead: it was moved forward above.)
    expect(claim).to_contain_text(
        re.compile(r"Pris en charge par Alice Martin depuis 1 min \d\d s")
    )
    expect(claim.get_by_role("button", name=re.compile("Je m'en occupe"))).to_be_hidden()
    axe.check(inv2)
    # Claimed: no longer counted in Bruno's title.
    expect(inv2).to_have_title(title)

    # Three minutes without a decision: the claim lapses on its own, the alert escalates
    # again and Bruno may take it over.
    inv2.clock.fast_forward(181_000)
    expect(inv2).to_have_title(f"(1) {title}")
    expect(claim.get_by_role("button", name=re.compile("Je m'en occupe"))).to_be_visible()
    expect(claim.get_by_text("Pris en charge par Alice Martin")).to_be_hidden()


# The page's view of the Notifications API and of the tab's visibility, under the test's
# control: what was shown, what was asked, and whether the tab is in the background.
FAKE_NOTIFICATIONS = """
window.__shown = []; window.__asked = 0; window.__hidden = false;
Object.defineProperty(document, "hidden", { get: function () { return window.__hidden; } });
function FakeNotification(title, options) { window.__shown.push([title, options.body]); this.close = function () {}; }
FakeNotification.permission = "default";
FakeNotification.requestPermission = function () {
  window.__asked += 1; FakeNotification.permission = "granted"; return Promise.resolve("granted");
};
window.Notification = FakeNotification;
"""


def test_it_notifies_a_new_alert_in_the_background_only_once_the_invigilator_asked(
    browser_as, axe: AccessibilityChecker, asgi_server: str, reported
) -> None:
    session, alice, _bruno, _alert = reported
    courses = {
        first: CertificationCourseFactory(
            candidate=CandidateFactory(session=session, first_name=first, last_name="Bernard"),
            started_at=timezone.now(),
            current_item_id="1.1-000",
        )
        for first in ("Hugo", "Inès", "Jules")
    }
    page = browser_as(alice)
    page.add_init_script(FAKE_NOTIFICATIONS)
    page.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    axe.check(page)
    expect(page.locator("#link-status")).to_have_text("Mises à jour en direct.")
    toggle = page.get_by_role("button", name="Activer les notifications")
    # Never asked unprompted.
    assert page.evaluate("window.__asked") == 0

    def new_alert(first: str) -> None:
        course = courses[first]
        candidate = course.candidate
        LiveAlertFactory(course=course, question_number=2)
        # As do_report_problem tells the room (from another thread: Playwright's own event
        # loop runs in this one).
        event = {"type": "candidate", "op": "alert", "candidate_id": candidate.pk}
        sender = threading.Thread(
            target=publish_on_commit, args=([session_group(session.pk)], event)
        )
        sender.start()
        sender.join()
        row = page.locator("li.candidate").filter(has_text=first)
        expect(row.get_by_role("button", name=re.compile("Gérer le signalement"))).to_be_visible()

    # Not enabled: a new alert in the background shows nothing.
    page.evaluate("window.__hidden = true")
    new_alert("Hugo")
    assert page.evaluate("window.__shown") == []

    page.evaluate("window.__hidden = false")
    toggle.click()
    expect(page.get_by_role("button", name="Désactiver les notifications")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert page.evaluate("window.__asked") == 1
    # Enabled, the page in front: the invigilator sees it, no notification.
    new_alert("Inès")
    assert page.evaluate("window.__shown") == []
    # Enabled, in the background: one notification, in the row's words.
    page.evaluate("window.__hidden = true")
    new_alert("Jules")
    page.wait_for_function("window.__shown.length > 0")
    assert page.evaluate("window.__shown") == [
        ["Vigie : nouvelle alerte", "Nouveau signalement : Jules BERNARD, question 2."]
    ]
