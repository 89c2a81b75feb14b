"""Issue 16, « How to show it works »: the 25-candidate room at the three sizes an
invigilator uses. On a phone (360 × 740) twenty candidates fit in three screens (the 20th
row ends within 3 × 740 px of the top of the page), nothing is wider than the screen and
the bar stays at the top; on a tablet
(768 × 1024) and a desktop (1280 × 800) the same page uses the width (rows side by side),
so it is shorter still."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from certification.models import CourseStatus
from invigilation.models import InvigilatorAccess
from tests.browser.conftest import AccessibilityChecker
from tests.factories import (
    CandidateFactory,
    CertificationCourseFactory,
    ExamSessionFactory,
    UserFactory,
)

FIRST = ["Éloïse", "Hugo", "Marie-Bénédicte", "Noah", "Inès", "Théo", "Louise", "Mohamed"]
LAST = ["André", "Bernard", "Nguyen", "de La Fontaine", "Lefèvre", "Ben Ali", "Rousseau"]


@pytest.fixture
def room_of_25(small_bank):
    """25 candidates as at 20 minutes into the test: 4 not yet confirmed, 4 confirmed, 14
    answering (every other one with extra time), 3 done."""
    session = ExamSessionFactory(site_name="Lycée Victor Hugo — salle 12")
    invigilator = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=session, user=invigilator, via="password")
    started = timezone.now() - dt.timedelta(minutes=20)
    for index in range(25):
        candidate = CandidateFactory(
            session=session,
            first_name=FIRST[index % len(FIRST)],
            last_name=f"{LAST[index % len(LAST)]} {index}",
            extra_time_percentage=33 if index % 2 else 0,
        )
        if index < 4:
            continue
        candidate.authorized_to_start_at = timezone.now()
        candidate.save(update_fields=["authorized_to_start_at"])
        if index < 8:
            continue
        done = index >= 22
        CertificationCourseFactory(
            candidate=candidate,
            started_at=started,
            status=CourseStatus.COMPLETED if done else CourseStatus.STARTED,
            ended_at=timezone.now() if done else None,
            current_item_id="" if done else "1.1-000",
        )
    return session, invigilator


def _open(page: Page, base: str, session, width: int, height: int) -> dict:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{base}/surveillance/sessions/{session.pk}/")
    expect(page.locator("#link-status")).to_have_text("Mises à jour en direct.")
    expect(page.locator("li.candidate")).to_have_count(25)
    return page.evaluate(
        "() => ({height: document.documentElement.scrollHeight,"
        " width: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),"
        " columns: new Set([...document.querySelectorAll('li.candidate')]"
        "   .map(li => Math.round(li.getBoundingClientRect().left))).size,"
        " twentieth: document.querySelectorAll('li.candidate')[19].getBoundingClientRect().bottom"
        "   + window.scrollY})"
    )


def test_it_fits_twenty_candidates_in_three_phone_screens_and_uses_the_width_beyond(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room_of_25
) -> None:
    session, invigilator = room_of_25
    page = browser_as(invigilator, phone=True)

    phone = _open(page, asgi_server, session, 360, 740)
    axe.check(page)
    assert phone["width"] <= 360, phone
    assert phone["twentieth"] <= 3 * 740, phone
    assert phone["columns"] == 1, phone
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    bar = page.locator(".es-bar")
    expect(bar).to_be_in_viewport()
    box = bar.bounding_box()
    assert box is not None and box["y"] <= 1, box

    tablet = _open(page, asgi_server, session, 768, 1024)
    axe.check(page)
    assert tablet["width"] <= 768, tablet
    assert tablet["columns"] >= 2, tablet
    assert tablet["height"] < phone["height"], (tablet, phone)

    desktop = _open(page, asgi_server, session, 1280, 800)
    axe.check(page)
    assert desktop["width"] <= 1280, desktop
    assert desktop["columns"] >= tablet["columns"], (desktop, tablet)
    assert desktop["height"] <= tablet["height"], (desktop, tablet)
