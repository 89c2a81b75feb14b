"""A centre member enters the Espace Surveillant without the password: an explicit
« Surveiller cette session », on a phone; opening or reloading the room records nothing."""

import re

from playwright.sync_api import expect

from invigilation.models import InvigilatorAccess
from tests.browser.conftest import AccessibilityChecker
from tests.factories import CandidateFactory, ExamSessionFactory, MembershipFactory


def test_it_lets_a_centre_member_enter_from_the_session_page_on_a_phone(
    browser_as, axe: AccessibilityChecker, asgi_server: str, small_bank
) -> None:
    session = ExamSessionFactory()
    CandidateFactory(session=session, first_name="Léa", last_name="Dupont")
    admin = MembershipFactory(centre=session.centre).user
    room_title = re.compile(rf"^Session {session.number} · Espace Surveillant")
    page = browser_as(admin, phone=True)
    page.goto(f"{asgi_server}/sessions/{session.pk}/")
    axe.check(page)

    page.get_by_role("link", name="Ouvrir l'Espace Surveillant").click()
    enter = page.get_by_role("button", name="Surveiller cette session")
    expect(enter).to_be_visible()
    axe.check(page)
    assert not InvigilatorAccess.objects.filter(user=admin).exists()
    enter.click()

    expect(page).to_have_title(room_title)
    expect(page.get_by_text("DUPONT Léa", exact=True)).to_be_visible()
    expect(enter).to_have_count(0)
    axe.check(page)
    page.reload()
    expect(page).to_have_title(room_title)
    expect(page.get_by_text("DUPONT Léa", exact=True)).to_be_visible()
    vias = InvigilatorAccess.objects.filter(user=admin).values_list("via", flat=True)
    assert list(vias) == ["membership"]
