"""The Espace Surveillant when nobody answers an alert, and when the push link drops."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, WebSocketRoute, expect

from invigilation.models import InvigilatorAccess
from tests.browser.conftest import AccessibilityChecker
from tests.factories import CandidateFactory, ExamSessionFactory, UserFactory


@pytest.fixture
def room(small_bank):
    session = ExamSessionFactory()
    invigilator = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=session, user=invigilator, via="password")
    user = UserFactory(first_name="Léa", last_name="Dupont", certifiable=True)
    candidate = CandidateFactory(
        session=session,
        first_name="Léa",
        last_name="Dupont",
        user=user,
        instructions_accepted_at=timezone.now(),
    )
    return session, invigilator, candidate


def _start(student: Page, axe: AccessibilityChecker, base: str, candidate) -> None:
    student.goto(f"{base}/certification/candidats/{candidate.pk}/commencer/")
    axe.check(student)
    student.get_by_label("Code d'accès communiqué par le surveillant").fill(
        candidate.session.access_code
    )
    student.get_by_role("button", name="Commencer mon test").click()
    expect(student.locator("#progress")).to_have_text("Question 1 / 32")
    axe.check(student)


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
    _start(student, axe, asgi_server, candidate)
    student.get_by_text("Signaler un problème avec la question").click()
    student.get_by_role("button", name="Oui, je suis sûr(e)").click()
    expect(
        inv.get_by_role("status").filter(has_text="Nouveau signalement : Léa DUPONT")
    ).to_be_attached()
    expect(inv).to_have_title(re.compile(r"^Session \d+ · Espace Surveillant"))

    inv.clock.run_for("01:01")
    expect(inv).to_have_title(re.compile(r"^\(1\) Session \d+ · Espace Surveillant"))
    row = inv.locator("li.candidate").filter(has_text="DUPONT Léa")
    row.get_by_role("button", name=re.compile("Gérer le signalement")).click()
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
    _start(student, axe, asgi_server, candidate)
    row = inv.locator("li.candidate").filter(has_text="DUPONT Léa")
    expect(row).to_contain_text("En cours", timeout=8000)

    link["blocked"] = False
    expect(inv.locator("#link-status")).to_have_text("Mises à jour en direct.", timeout=15000)
    student.locator("#choices input").first.check()
    student.get_by_role("button", name="Je valide ma réponse").click()
    expect(row).to_contain_text("1 / 32 questions")
    axe.check(inv)
