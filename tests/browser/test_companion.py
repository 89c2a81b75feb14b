"""The Vigie Companion extension: detected when loaded, and its absence blocks the test
until the invigilator confirms it is back (seed 001)."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, Playwright, expect

from certification.models import CertificationCourse, LiveAlert
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, AccessibilityChecker, row_action
from tests.factories import CandidateFactory, UserFactory

EXTENSION = Path(__file__).resolve().parents[2] / "extension"


@pytest.fixture
def room(room_of_one):
    session = room_of_one[0]
    session.companion_required = True
    session.save(update_fields=["companion_required"])
    return room_of_one


@pytest.fixture
def with_extension(playwright: Playwright, tmp_path, asgi_server: str, axe: AccessibilityChecker):
    """`with_extension(user)` → a page in a Chromium that has the unpacked extension loaded."""
    contexts = []

    def open_page(user: object) -> Page:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / f"profile-{len(contexts)}"),
            executable_path=CHROMIUM,
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                f"--disable-extensions-except={EXTENSION}",
                f"--load-extension={EXTENSION}",
            ],
            locale="fr-FR",
        )
        contexts.append(context)
        client = Client()
        client.force_login(user)  # type: ignore[arg-type]
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": asgi_server}]
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(10_000)
        page.on(
            "framenavigated",
            lambda frame: (
                axe.visited.add(page.url.split("#")[0])
                if frame == page.main_frame and page.url.startswith("http")
                else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


def _confirm_and_start(
    inv: Page, student: Page, axe: AccessibilityChecker, base: str, candidate
) -> None:
    inv.get_by_role("button", name="Confirmer la présence de l'élève Léa DUPONT").click()
    student.goto(f"{base}/certification/candidats/{candidate.pk}/commencer/")
    axe.check(student)
    student.get_by_label("Code d'accès communiqué par le surveillant").fill(
        candidate.session.access_code
    )
    student.get_by_role("button", name="Commencer mon test").click()
    expect(student.locator("#progress")).to_have_text("Question 1 / 32")


def test_it_detects_the_loaded_extension_and_lets_the_test_run(
    browser_as, with_extension, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    session, invigilator, candidate = room
    inv = browser_as(invigilator)
    inv.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    axe.check(inv)
    student = with_extension(candidate.user)
    _confirm_and_start(inv, student, axe, asgi_server, candidate)
    assert (
        student.evaluate(
            """() => new Promise(resolve => {
            window.addEventListener("message", e => {
                if (e.data && e.data.source === "vigie-companion") resolve(e.data.version);
            });
            window.postMessage({source: "vigie-page", type: "companion:ping", nonce: "t"}, location.origin);
        })"""
        )
        == "1.0.0"
    )
    for number in (1, 2, 3):
        expect(student.locator("#progress")).to_have_text(f"Question {number} / 32")
        student.locator("#choices input").first.check()
        student.get_by_role("button", name="Je valide ma réponse").click()
    student.wait_for_timeout(3500)
    expect(student.locator("#companion-panel")).to_be_hidden()
    axe.check(student)
    assert not LiveAlert.objects.filter(kind="companion").exists()
    expect(inv.locator("li.candidate").filter(has_text="DUPONT Léa")).to_contain_text("En cours")


def test_it_blocks_without_the_extension_until_the_invigilator_confirms_it(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    session, invigilator, candidate = room
    inv = browser_as(invigilator)
    inv.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    student = browser_as(candidate.user)
    _confirm_and_start(inv, student, axe, asgi_server, candidate)

    panel = student.locator("#companion-panel")
    expect(panel).to_contain_text("L'extension Vigie Companion n'est pas détectée")
    expect(panel).to_contain_text(
        "Merci de contacter votre surveillant afin qu'il confirme la présence de l'extension."
    )
    axe.check(student)
    row = inv.locator("li.candidate").filter(has_text="DUPONT Léa")
    expect(row).to_contain_text("Extension non détectée")
    row_action(row, re.compile("Confirmer la présence de l'extension")).click()
    expect(inv.get_by_role("dialog")).to_contain_text(
        "Confirmer que Léa DUPONT a bien l'extension ?"
    )
    axe.check(inv)
    inv.get_by_role(
        "button", name="Confirmer la présence de l'extension et traiter le signalement"
    ).click()
    expect(inv.locator("#flash")).to_have_text("La présence de l'extension est confirmée.")

    # Unblocked by itself (push), back to the question...
    expect(student.locator("#question-panel")).to_be_visible()
    expect(panel).to_be_hidden()
    # ...and, the extension being still absent here, blocked again after the grace period.
    expect(panel).to_be_visible(timeout=20_000)
    assert LiveAlert.objects.filter(kind="companion").count() == 2
    axe.check(inv)


def test_it_does_not_check_when_the_centre_did_not_require_the_extension(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    session, invigilator, candidate = room
    type(session).objects.filter(pk=session.pk).update(companion_required=False)
    inv = browser_as(invigilator)
    inv.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    student = browser_as(candidate.user)
    _confirm_and_start(inv, student, axe, asgi_server, candidate)
    student.wait_for_timeout(3500)
    expect(student.locator("#question-panel")).to_be_visible()
    assert not LiveAlert.objects.exists()
    axe.check(student)
    axe.check(inv)


def test_the_readiness_board_shows_the_extension_before_the_start(
    with_extension, browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    """Issue 16: the start page checks the extension as the test page does and tells the
    board « Avant le début », which follows without a reload: Léa's Chromium has it, Hugo's
    has not; no test started."""
    session, invigilator, lea = room
    hugo_user = UserFactory(first_name="Hugo", last_name="Bernard", certifiable=True)
    hugo = CandidateFactory(
        session=session,
        first_name="Hugo",
        last_name="Bernard",
        user=hugo_user,
        instructions_accepted_at=timezone.now(),
    )
    board = browser_as(invigilator)
    url = f"{asgi_server}/surveillance/sessions/{session.pk}/avant-le-debut/"
    board.goto(url)
    axe.check(board)
    expect(board.locator("tr").filter(has_text="DUPONT Léa")).to_contain_text("Pas encore vérifiée")

    with_lea = with_extension(lea.user)
    with_lea.goto(f"{asgi_server}/certification/candidats/{lea.pk}/commencer/")
    axe.check(with_lea)
    without = browser_as(hugo_user)
    without.goto(f"{asgi_server}/certification/candidats/{hugo.pk}/commencer/")
    axe.check(without)

    # The board follows without a reload (it reads itself again every 5 s).
    row = board.locator("tr")
    expect(row.filter(has_text="DUPONT Léa")).to_contain_text("Détectée", timeout=12_000)
    expect(row.filter(has_text="BERNARD Hugo")).to_contain_text("Non détectée", timeout=12_000)
    axe.check(board)
    lea.refresh_from_db()
    hugo.refresh_from_db()
    assert (lea.companion_detected, hugo.companion_detected) == (True, False)
    assert not CertificationCourse.objects.filter(candidate__session=session).exists()
