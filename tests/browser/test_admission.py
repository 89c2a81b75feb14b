"""Nine o'clock in a real browser (issue 17): the worker's start lane is full when Léa
clicks « Commencer mon test »; her page says « patientez », waits the Retry-After with
jitter, and starts her test by itself once the worker has room."""

import secrets
import threading
import time

import httpx
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from certification import actions
from certification.models import CertificationCourse
from tests.browser.conftest import AccessibilityChecker
from tests.factories import CandidateFactory, UserFactory

WAIT = "Trop de candidats démarrent en même temps : patientez quelques secondes"


def test_it_says_patientez_and_starts_by_itself_once_the_worker_has_room(
    browser_as, asgi_server: str, axe: AccessibilityChecker, lea, room_of_one, settings, hold
):
    # One start at a time, and none may wait: Hugo's start, a real request stopped in the
    # middle, fills the worker's start lane.
    settings.ADMISSION_STARTS_AT_ONCE = 1
    settings.ADMISSION_START_QUEUE = 0
    settings.ADMISSION_RETRY_AFTER = 1
    holding, release = hold.holding, hold.release
    hugo = CandidateFactory(
        session=lea.session,
        first_name="Hugo",
        last_name="Abadi",
        user=UserFactory(first_name="Hugo", last_name="Abadi", certifiable=True),
        instructions_accepted_at=timezone.now(),
    )
    actions.do_confirm_presence(hugo, actor=room_of_one[1])
    login = Client()
    login.force_login(hugo.user)
    csrf = secrets.token_hex(16)
    student = browser_as(lea.user)
    student.goto(f"{asgi_server}/certification/candidats/{lea.pk}/commencer/")
    in_progress = threading.Thread(
        target=httpx.post,
        args=(f"{asgi_server}/api/certification/candidates/{hugo.pk}/start?hold=1",),
        kwargs={
            "json": {"access_code": lea.session.access_code},
            "headers": {
                "Cookie": f"sessionid={login.cookies['sessionid'].value}; csrftoken={csrf}",
                "X-CSRFToken": csrf,
                "Origin": asgi_server,
                "Referer": asgi_server + "/",
            },
            "timeout": 30,
        },
    )
    in_progress.start()
    try:
        assert holding.wait(10)
        student.get_by_label("Code d'accès communiqué par le surveillant").fill(
            lea.session.access_code
        )
        student.get_by_role("button", name="Commencer mon test").click()
        status = student.locator("#start-status")
        expect(status).to_contain_text(WAIT)
        expect(student.get_by_role("button", name="Commencer mon test")).to_be_disabled()
        axe.check(student)
        # Refused, not queued: nothing started, and the page keeps trying (each try
        # refused while Hugo's start holds the lane).
        time.sleep(2.5)
        assert not CertificationCourse.objects.filter(candidate=lea).exists()
        expect(status).to_contain_text(WAIT)
    finally:
        release.set()
        in_progress.join(30)
    # Room again: the page's next try starts the test, with no click.
    expect(student.locator("#progress")).to_have_text("Question 1 / 32", timeout=15000)
    axe.check(student)
    assert CertificationCourse.objects.filter(candidate=lea).count() == 1
    assert CertificationCourse.objects.filter(candidate=hugo).count() == 1
