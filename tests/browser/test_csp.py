"""The strict Content-Security-Policy breaks nothing: the main pages load, run their scripts
and report no violation in the console; a candidate named like an HTML tag stays text."""

import pytest
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Dialog, Page, expect

from certification import actions
from invigilation.models import InvigilatorAccess
from tests.browser.conftest import AccessibilityChecker
from tests.factories import CandidateFactory, ExamSessionFactory, MembershipFactory, UserFactory

INJECTED = "<img src=x onerror=alert(1)>"


class Watch:
    """Collects CSP violations reported in the console and any JavaScript dialog opened."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.dialogs: list[str] = []

    def attach(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("dialog", self._dialog)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"{message.location.get('url')}: {message.text}")

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def room(small_bank):
    admin = MembershipFactory(user__first_name="Claire", user__last_name="Admin").user
    session = ExamSessionFactory(
        centre=admin.centres.first(), created_by=admin, companion_required=False
    )
    student = UserFactory(first_name="Léa", last_name="Dupont", certifiable=True)
    lea = CandidateFactory(
        session=session,
        first_name="Léa",
        last_name="Dupont",
        user=student,
        instructions_accepted_at=timezone.now(),
    )
    CandidateFactory(session=session, first_name="Eve", last_name=INJECTED)
    return admin, session, lea


def test_it_reports_no_csp_violation_on_the_main_pages(
    browser_as, page: Page, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    """Login, centre session page, Espace Surveillant and test page run under the policy."""
    admin, session, lea = room
    watch = Watch()

    watch.attach(page)
    response = page.goto(f"{asgi_server}/compte/connexion/")
    assert response is not None
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.get_by_label("Adresse e-mail")).to_be_visible()
    axe.check(page)

    centre = watch.attach(browser_as(admin))
    centre.goto(f"{asgi_server}/sessions/{session.pk}/")
    expect(centre.get_by_role("heading", level=1)).to_contain_text(session.number)
    expect(centre.get_by_text(INJECTED.upper()).first).to_be_visible()
    axe.check(centre)

    invigilator = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=session, user=invigilator, via="password")
    room_page = watch.attach(browser_as(invigilator))
    room_page.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    expect(room_page.locator("#counter")).to_have_text("0 / 2 candidats présents")
    candidates = room_page.locator("#candidates")
    expect(candidates).to_contain_text(INJECTED.upper())
    assert candidates.locator("img").count() == 0
    axe.check(room_page)

    actions.do_confirm_presence(lea, actor=invigilator)
    student = watch.attach(browser_as(lea.user))
    student.goto(f"{asgi_server}/certification/candidats/{lea.pk}/commencer/")
    axe.check(student)
    student.get_by_label("Code d'accès communiqué par le surveillant").fill(session.access_code)
    student.get_by_role("button", name="Commencer mon test").click()
    expect(student.locator("#progress")).to_have_text("Question 1 / 32")
    axe.check(student)
    expect(room_page.locator("li.candidate").first).to_contain_text("En cours")
    assert candidates.locator("img").count() == 0
    axe.check(room_page)

    assert watch.violations == []
    assert watch.dialogs == []
