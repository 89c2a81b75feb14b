"""The README's screenshots of the wall screen (« Affichage salle », issue 16), taken on the
demo data (`manage.py demo`): the 8-candidate session under way, two tests started, a
message to the room, the access code shown, then a suspension.

    VIGIE_REQUIRE_BROWSER=1 VIGIE_DOCS_SCREENSHOTS=docs/screenshots \\
        .venv/bin/pytest -p no:cacheprovider -n 0 tests/browser/test_docs_screenshots.py

Without VIGIE_DOCS_SCREENSHOTS the pictures go to the test results (VIGIE_SCREENSHOTS)."""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from certification import actions as test_actions
from exams.models import ExamSession
from invigilation import actions as invigilation_actions
from tests.browser.conftest import SCREENSHOTS, AccessibilityChecker, _new_page, in_thread
from tests.factories import CertificationCourseFactory

OUT = Path(os.environ.get("VIGIE_DOCS_SCREENSHOTS", str(SCREENSHOTS)))


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 720)], ids=["1920x1080", "1280x720"])
def test_it_takes_the_wall_screen_s_screenshots_on_the_demo_data(
    browser, axe: AccessibilityChecker, asgi_server: str, transactional_db, size
) -> None:
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - closed with the process
    session = ExamSession.objects.filter(candidates__isnull=False).order_by("date", "time")[0]
    paul = User.objects.get(email="surveillant@vigie.test")
    invigilation_actions.do_supervise(
        paul, number=session.number, password=session.invigilator_password, ip=None
    )
    now = timezone.now()
    for candidate in session.candidates.order_by("last_name_key")[1:3]:
        CertificationCourseFactory(candidate=candidate, started_at=now)
    test_actions.do_send_message(session, text="Il reste 10 minutes.", actor=paul)
    invigilation_actions.do_show_access_code(session, shown=True, actor=paul)

    width, height = size
    client = Client()
    client.force_login(paul)
    wall = _new_page(browser, axe, viewport={"width": width, "height": height})
    wall.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": asgi_server}]
    )
    try:
        wall.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/affichage-salle/")
        axe.check(wall)
        expect(wall.get_by_test_id("wall-access-code")).to_have_text(session.access_code)
        expect(wall.locator(".wall-end-list")).to_contain_text("temps majoré (33 %)")
        OUT.mkdir(parents=True, exist_ok=True)
        wall.screenshot(path=str(OUT / f"wall-{width}x{height}.png"))
        in_thread(
            test_actions.do_suspend_session,
            session,
            message="Alarme incendie : sortez dans le calme.",
            actor=paul,
        )
        expect(wall.get_by_role("alert")).to_contain_text("Alarme incendie")
        axe.check(wall)
        wall.screenshot(path=str(OUT / f"wall-{width}x{height}-suspended.png"))
    finally:
        wall.context.close()
