"""Issue 16 in real browsers: « Je m'en occupe » seen by the other invigilator, and the
escalation (tab title) counting only unclaimed alerts."""

import re

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from certification import actions as test_actions
from invigilation import actions as invigilation_actions
from invigilation.models import InvigilatorAccess
from live.events import publish_on_commit, session_group
from tests.browser.conftest import AccessibilityChecker, _new_page, in_thread, screenshot
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
        # As do_report_problem tells the room.
        row = page.locator("li.candidate").filter(has_text=first)
        event = {"type": "candidate", "op": "alert", "candidate_id": candidate.pk}
        in_thread(publish_on_commit, [session_group(session.pk)], event)
        # Wait until the page has taken the new alert in (claims.js marks it seen).
        expect(row.locator(".alert-mark[data-seen]")).to_have_count(1)

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


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)], ids=["1920x1080", "1280x720"])
def test_the_wall_screen_is_readable_and_follows_a_suspension_and_a_message(
    browser, axe: AccessibilityChecker, asgi_server: str, transactional_db, reported, size
) -> None:
    session, alice, _bruno, _alert = reported
    lea = session.candidates.get()
    type(lea).objects.filter(pk=lea.pk).update(extra_time_percentage=33)
    width, height = size
    client = Client()
    client.force_login(alice)
    wall = _new_page(browser, axe, viewport={"width": width, "height": height})
    wall.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": asgi_server}]
    )
    try:
        wall.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/affichage-salle/")
        axe.check(wall)
        expect(wall.get_by_role("heading", name=f"Session {session.number}")).to_be_visible()
        expect(wall.locator("#wall-clock")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
        expect(wall.locator(".wall-end-list")).to_contain_text("temps majoré (33 %)")
        expect(wall.locator("body")).not_to_contain_text("Dupont")
        screenshot(wall, f"wall-{width}x{height}")
        _fits_and_reads(wall, height)

        in_thread(test_actions.do_send_message, session, text="Il reste 10 minutes.", actor=alice)
        expect(wall.locator(".wall-messages")).to_contain_text("Il reste 10 minutes.")
        in_thread(
            test_actions.do_suspend_session,
            session,
            message="Alarme incendie : évacuation",
            actor=alice,
        )
        banner = wall.get_by_role("alert")
        expect(banner).to_contain_text("Session suspendue depuis")
        expect(banner).to_contain_text("Alarme incendie : évacuation")
        axe.check(wall)
        _fits_and_reads(wall, height)
        screenshot(wall, f"wall-{width}x{height}-suspended")
        in_thread(test_actions.do_resume_session, session, present=[lea.pk], actor=alice)
        expect(banner).to_have_count(0)
        in_thread(test_actions.do_suspend_session, session, message="Coupure réseau", actor=alice)
        in_thread(invigilation_actions.do_show_access_code, session, shown=True, actor=alice)
        expect(wall.get_by_test_id("wall-access-code")).to_have_text(session.access_code)
        # Everything at once (suspended, code shown, a message) still fits the screen.
        expect(banner).to_contain_text("Coupure réseau")
        _fits_and_reads(wall, height)
        screenshot(wall, f"wall-{width}x{height}-everything")
    finally:
        wall.context.close()


def _fits_and_reads(page, height: int) -> None:
    """Nothing wider or taller than the screen; the clock at least a sixth of the screen's
    height and every text at least 1/40 of it (about 27 px at 1080: readable from the back
    of a room)."""
    sizes = page.evaluate(
        """() => ({
          width: document.documentElement.scrollWidth, viewport: innerWidth,
          height: document.documentElement.scrollHeight, viewportHeight: innerHeight,
          lowest: Math.max(...[...document.querySelectorAll('body *')].map(n => n.getBoundingClientRect().bottom)),
          lowestWhat: [...document.querySelectorAll('body *')].sort((a, b) => b.getBoundingClientRect().bottom - a.getBoundingClientRect().bottom).slice(0, 3).map(n => n.tagName + '#' + n.id + '.' + n.className),
          clock: parseFloat(getComputedStyle(document.getElementById('wall-clock')).fontSize),
          smallest: Math.min(...[...document.querySelectorAll('#wall-content *')]
            .filter(n => n.offsetParent && n.childNodes.length && [...n.childNodes].some(c => c.nodeType === 3 && c.textContent.trim()))
            .map(n => parseFloat(getComputedStyle(n).fontSize))),
        })"""
    )
    assert sizes["width"] <= sizes["viewport"], sizes
    assert sizes["height"] <= sizes["viewportHeight"], repr(sizes)
    assert sizes["clock"] >= height / 6, sizes
    assert sizes["smallest"] >= height / 40, sizes


def test_the_room_s_pages_fit_a_phone_and_pass_axe(
    browser_as, axe: AccessibilityChecker, asgi_server: str, reported
) -> None:
    """The panel « La salle », « Avant le début », « Avant de partir » and « Aide » at
    360 × 740: nothing wider than the screen, no axe-core violation."""
    session, alice, _bruno, _alert = reported
    session.centre.sos_campaign_code = "SOSXYZ123"
    session.centre.save(update_fields=["sos_campaign_code"])
    phone = browser_as(alice, phone=True)
    base = f"{asgi_server}/surveillance/sessions/{session.pk}/"
    phone.goto(base)
    expect(phone.locator("#salle")).to_contain_text("SOSXYZ123")
    pages = {
        base: "La salle",
        base + "avant-le-debut/": "Avant le début",
        base + "avant-de-partir/": "Avant de partir",
        f"{asgi_server}/surveillance/aide/": "Guide du surveillant",
        f"{asgi_server}/surveillance/": "Surveiller une session",
    }
    for url, heading in pages.items():
        if phone.url != url:
            phone.goto(url)
        expect(phone.get_by_role("heading", name=heading)).to_be_visible()
        width = phone.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 360, (url, width)
        axe.check(phone)
    # « Avant le début » shows the code to the room from the phone.
    phone.goto(base + "avant-le-debut/")
    axe.check(phone)
    phone.get_by_role("button", name="Afficher le code d'accès sur l'affichage salle").click()
    expect(
        phone.get_by_text("Le code d'accès est affiché sur l'affichage salle.").first
    ).to_be_visible()
    axe.check(phone)
