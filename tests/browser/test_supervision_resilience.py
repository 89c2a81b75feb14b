"""The Espace Surveillant when nobody answers an alert, and when the push link drops."""

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Route, WebSocketRoute, expect
from redis.exceptions import ConnectionError as RedisConnectionError

from certification.actions import do_confirm_presence
from certification.models import Answer
from invigilation.models import InvigilatorAccess
from live.base import LiveConsumer
from tests.browser.conftest import AccessibilityChecker, in_thread, row_action, start_test
from tests.factories import UserFactory


@pytest.fixture
def room(room_of_one):
    return room_of_one


def test_it_escalates_an_alert_left_unanswered_for_60_seconds(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    session, invigilator, candidate = room
    inv = browser_as(invigilator)
    inv.clock.install()
    inv.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    axe.check(inv)
    inv.get_by_role("button", name="Confirmer la présence de l'élève Léa DUPONT").click()
    sound = inv.get_by_role("button", name="Activer le son des alertes")
    expect(sound).to_have_attribute("aria-pressed", "false")
    sound.click()
    expect(inv.get_by_role("button", name="Désactiver le son des alertes")).to_have_attribute(
        "aria-pressed", "true"
    )

    student = browser_as(candidate.user)
    start_test(student, axe, asgi_server, candidate)
    student.get_by_text("Signaler un problème avec la question").click()
    student.get_by_role("button", name="Oui, je suis sûr(e)").click()
    expect(
        inv.get_by_role("status").filter(has_text="Nouveau signalement : Léa DUPONT")
    ).to_be_attached()
    expect(inv).to_have_title(re.compile(r"^Session \d+ · Espace Surveillant"))

    inv.clock.run_for("01:01")
    expect(inv).to_have_title(re.compile(r"^\(1\) Session \d+ · Espace Surveillant"))
    row = inv.locator("li.candidate").filter(has_text="DUPONT Léa")
    row_action(row, re.compile("Gérer le signalement")).click()
    inv.get_by_role("dialog").get_by_role("button", name="Refuser le signalement").click()
    inv.clock.run_for("00:02")
    expect(inv).to_have_title(re.compile(r"^Session \d+ · Espace Surveillant"))
    axe.check(inv)


def test_it_falls_back_to_polling_when_the_push_link_drops_and_resynchronizes(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    session, invigilator, candidate = room
    inv = browser_as(invigilator)
    link = {"blocked": False, "open": []}

    def route(ws: WebSocketRoute) -> None:
        if link["blocked"]:
            ws.close()
            return
        ws.connect_to_server()
        link["open"].append(ws)

    inv.route_web_socket(re.compile(r".*/ws/surveillance/.*"), route)
    inv.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    expect(inv.locator("#link-status")).to_have_text("Mises à jour en direct.")
    axe.check(inv)
    inv.get_by_role("button", name="Confirmer la présence de l'élève Léa DUPONT").click()

    link["blocked"] = True
    for ws in link["open"]:
        ws.close()
    expect(inv.locator("#link-status")).to_contain_text("Connexion directe perdue")

    # While the link is down, the candidate starts: the page still learns it, by polling.
    student = browser_as(candidate.user)
    start_test(student, axe, asgi_server, candidate)
    row = inv.locator("li.candidate").filter(has_text="DUPONT Léa")
    expect(row).to_contain_text("En cours", timeout=8000)

    link["blocked"] = False
    expect(inv.locator("#link-status")).to_have_text("Mises à jour en direct.", timeout=15000)
    student.locator("#choices input").first.check()
    student.get_by_role("button", name="Je valide ma réponse").click()
    expect(row).to_contain_text("1 / 32 questions")
    axe.check(inv)


def test_it_polls_and_waits_before_trying_again_when_the_server_closes_the_link_with_4503(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room, monkeypatch
) -> None:
    """Redis down (live/base.py): the server accepts the push link and closes it at once
    with 4503. The page says the link is down and polls, and tries again 15 s later, then
    30 s (± 25 %; a plain drop is retried after 0.5 s, 1 s, 2 s…): 2,000 pages do not
    hammer the server. When Redis is back, the next try brings the link up."""

    session, invigilator, candidate = room
    redis_down = {"on": True, "refused": 0}
    original_join = LiveConsumer.join

    async def join(self, group):
        if redis_down["on"]:
            # The candidate's pages are refused too; count the invigilator's link.
            redis_down["refused"] += group.startswith("session-")
            raise RedisConnectionError("Error 111 connecting to redis. Connection refused.")
        await original_join(self, group)

    monkeypatch.setattr(LiveConsumer, "join", join)
    inv = browser_as(invigilator)
    # When the page opens each link, by its own (fake) clock.
    inv.add_init_script(
        "window.__links = []; const Native = window.WebSocket;"
        "window.WebSocket = function (url) { window.__links.push(Date.now()); return new Native(url); };"
        "window.WebSocket.OPEN = Native.OPEN;"
    )
    inv.clock.install()
    inv.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    expect(inv.locator("#link-status")).to_contain_text("Connexion directe perdue")
    axe.check(inv)

    def links() -> list[int]:
        return inv.evaluate("window.__links")

    # Polling goes on meanwhile: the candidate's start shows up.
    student = browser_as(candidate.user)
    inv.get_by_role("button", name="Confirmer la présence de l'élève Léa DUPONT").click()
    start_test(student, axe, asgi_server, candidate)
    row = inv.locator("li.candidate").filter(has_text="DUPONT Léa")
    inv.clock.run_for(6000)
    expect(row).to_contain_text("En cours")

    def advance_until(count: int) -> None:
        for _ in range(60):
            if len(links()) >= count:
                return
            inv.clock.run_for(1000)
        raise AssertionError(f"links opened: {links()}")

    advance_until(2)
    deadline = time.monotonic() + 10
    while redis_down["refused"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the second handshake reaching the server
    redis_down["on"] = False  # the next try is 22.5 s away at the earliest
    advance_until(3)
    inv.clock.run_for(1000)  # the link counts as up once it has stayed open 300 ms
    expect(inv.locator("#link-status")).to_have_text("Mises à jour en direct.")
    first, second, third = links()
    assert 11_250 <= second - first <= 18_750 + 1000
    assert 22_500 <= third - second <= 37_500 + 1000
    student.locator("#choices input").first.check()
    student.get_by_role("button", name="Je valide ma réponse").click()
    expect(row).to_contain_text("1 / 32 questions")  # pushed again
    assert len(links()) == 3
    assert redis_down["refused"] == 2
    axe.check(inv)


def test_it_sends_an_answer_again_when_the_server_answers_503(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    """The database unreachable for a moment (vigie/errors.py): the answer's request gets a
    503 with Retry-After; the page sends it again by itself and goes on, and the answer is
    saved once."""

    _session, invigilator, candidate = room
    student = browser_as(candidate.user)
    do_confirm_presence(candidate, actor=invigilator)
    start_test(student, axe, asgi_server, candidate)
    refused: list[str] = []

    def database_away_once(route) -> None:
        if not refused:
            refused.append(route.request.url)
            route.fulfill(
                status=503,
                headers={"Retry-After": "1"},
                content_type="application/json",
                body='{"detail": "Vigie ne parvient pas à joindre sa base de données.",'
                ' "code": "database_unavailable"}',
            )
            return
        route.continue_()

    student.route(re.compile(r".*/answers$"), database_away_once)
    student.locator("#choices input").first.check()
    student.get_by_role("button", name="Je valide ma réponse").click()
    expect(student.locator("#progress")).to_have_text("Question 2 / 32")
    assert len(refused) == 1
    expect(student.locator("#answer-error")).to_be_hidden()
    assert Answer.objects.filter(course__candidate=candidate).count() == 1
    axe.check(student)


def test_it_never_puts_back_a_question_already_answered_when_a_slow_read_comes_back_late(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    """A read of the test's state sent before an answer (polling while the push link is
    down; a read retried after a 503 comes back seconds later) returns after the answer's
    own response: it used to show the previous question again, and the next answer, sent
    for that question, was refused as stale."""

    _session, invigilator, candidate = room
    do_confirm_presence(candidate, actor=invigilator)
    student = browser_as(candidate.user)
    student.route_web_socket(re.compile(r".*/ws/candidats/.*"), lambda ws: ws.close())
    held: list[tuple[Any, Any]] = []
    holding = {"on": False}

    def state(route: Route) -> None:
        if holding["on"] and not held:
            held.append((route, route.fetch()))  # answered now, delivered later
            return
        route.continue_()

    student.route(re.compile(r".*/state$"), state)
    start_test(student, axe, asgi_server, candidate)
    holding["on"] = True
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        student.wait_for_timeout(100)  # the page polls every 3 s while the link is down
    assert held, "no state read while the link was down"
    student.locator("#choices input").first.check()
    student.get_by_role("button", name="Je valide ma réponse").click()
    expect(student.locator("#progress")).to_have_text("Question 2 / 32")
    route, late = held[0]
    with student.expect_response(re.compile(r".*/state$")):
        route.fulfill(response=late)
    student.locator("#choices input").first.check()
    student.get_by_role("button", name="Je valide ma réponse").click()
    expect(student.locator("#progress")).to_have_text("Question 3 / 32")
    axe.check(student)


# The page's view of its own visibility, under the test's control (a phone's screen off,
# then on): `window.__setVisibility('hidden' | 'visible')` sets it and fires the event.
VISIBILITY = """
window.__visibility = "visible";
Object.defineProperty(document, "visibilityState", { get: function () { return window.__visibility; } });
Object.defineProperty(document, "hidden", { get: function () { return window.__visibility === "hidden"; } });
window.__setVisibility = function (state) {
  window.__visibility = state; document.dispatchEvent(new Event("visibilitychange"));
};
"""


def test_it_resynchronizes_when_the_phone_wakes_up_and_says_so(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    """The phone sleeps: its screen off, its push link still open but silent (nothing it is
    sent arrives). Bruno confirms Léa's presence from his laptop meanwhile. When the screen
    comes back on, the page reads every row again at once and says « Page resynchronisée. »
    (issue 16) — without waiting for the link or the minute's refresh."""
    session, alice, lea = room
    bruno = UserFactory(first_name="Bruno", last_name="Petit")
    InvigilatorAccess.objects.create(session=session, user=bruno, via="password")
    phone = browser_as(alice, phone=True)
    link = {"asleep": False, "lost": 0}

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def from_server(message: str | bytes) -> None:
            if link["asleep"]:
                link["lost"] += 1  # never reaches the page
                return
            ws.send(message)

        server.on_message(from_server)

    phone.route_web_socket(re.compile(r".*/ws/surveillance/.*"), route)
    phone.add_init_script(VISIBILITY)
    phone.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    status = phone.locator("#link-status")
    expect(status).to_have_text("Mises à jour en direct.")
    axe.check(phone)
    row = phone.locator(f"#candidate-{lea.pk}")
    confirm = row.get_by_role("button", name="Confirmer la présence de l'élève Léa DUPONT")
    expect(confirm).to_be_visible()

    phone.evaluate("window.__setVisibility('hidden')")
    link["asleep"] = True
    in_thread(do_confirm_presence, lea, actor=bruno)
    deadline = time.monotonic() + 10
    while not link["lost"] and time.monotonic() < deadline:
        phone.wait_for_timeout(100)  # lets Playwright take the server's message in
    assert link["lost"], "the server never sent the confirmation to the page"
    # Asleep: the page has not learnt it.
    expect(row).not_to_contain_text("Présence confirmée")
    expect(confirm).to_be_visible()

    link["asleep"] = False
    phone.evaluate("window.__setVisibility('visible')")
    expect(row).to_contain_text("Présence confirmée")
    expect(confirm).to_have_count(0)
    expect(status).to_have_text("Page resynchronisée.")
    expect(phone.locator("#counter")).to_have_text("1 / 1 candidats présents")
    axe.check(phone)
