"""Browser tests: Debian's chromium driven by Playwright, against Vigie served over ASGI
by uvicorn in a background thread, with axe-core run on every page visited."""

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from django.db import connections
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, Playwright, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from certification import actions
from invigilation.models import InvigilatorAccess
from tests.factories import CandidateFactory, ExamSessionFactory, UserFactory

# Playwright's sync API keeps an event loop running in the test thread, which Django takes
# for async code; the test thread's ORM calls are plain synchronous ones.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("VIGIE_SCREENSHOTS", "test-results"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def asgi_server(django_db_setup: None) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(
        "vigie.asgi:application", host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does it).")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm install` (make test does it).")
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


class AccessibilityChecker:
    """Runs axe-core on a page and remembers which URLs were checked."""

    def __init__(self) -> None:
        self.visited: set[str] = set()
        self.checked: set[str] = set()
        self.script = AXE.read_text(encoding="utf-8")

    def check(self, page: Page) -> None:
        page.wait_for_load_state("load")
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated through the DevTools protocol: a <script> tag would be blocked by
            # Vigie's Content-Security-Policy (script-src 'self').
            page.evaluate(self.script)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        violations = [
            {
                "id": v["id"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]][:5],
            }
            for v in result["violations"]
        ]
        assert not violations, f"axe-core on {page.url}:\n{json.dumps(violations, indent=1)}"
        self.checked.add(page.url.split("#")[0])


def _new_page(browser: Browser, checker: AccessibilityChecker, **context_args: object) -> Page:
    context = browser.new_context(locale="fr-FR", accept_downloads=True, **context_args)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(10_000)

    def on_navigation(frame: object) -> None:
        if frame == page.main_frame and page.url.startswith("http"):
            checker.visited.add(page.url.split("#")[0])

    page.on("framenavigated", on_navigation)
    return page


@pytest.fixture
def axe() -> Iterator[AccessibilityChecker]:
    checker = AccessibilityChecker()
    yield checker
    unchecked = checker.visited - checker.checked
    assert not unchecked, f"pages visited without an axe-core check: {sorted(unchecked)}"


@pytest.fixture
def page(browser: Browser, axe: AccessibilityChecker, transactional_db: None) -> Iterator[Page]:
    page = _new_page(browser, axe)
    yield page
    page.context.close()


@pytest.fixture
def phone_page(
    browser: Browser, axe: AccessibilityChecker, transactional_db: None
) -> Iterator[Page]:
    page = _new_page(browser, axe, viewport={"width": 360, "height": 740}, is_mobile=True)
    yield page
    page.context.close()


@pytest.fixture
def browser_as(
    browser: Browser, axe: AccessibilityChecker, asgi_server: str, transactional_db: None
):
    """`browser_as(user, phone=False)` → a page already logged in as that user."""

    pages: list[Page] = []

    def open_page(user: object, *, phone: bool = False) -> Page:
        client = Client()
        client.force_login(user)  # type: ignore[arg-type]
        extra = {"viewport": {"width": 360, "height": 740}, "is_mobile": True} if phone else {}
        page = _new_page(browser, axe, **extra)
        page.context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": asgi_server}]
        )
        pages.append(page)
        return page

    yield open_page
    for page in pages:
        page.context.close()


def start_test(student: Page, axe: AccessibilityChecker, base: str, candidate: object) -> None:
    """The candidate, presence confirmed, types the access code and reaches question 1."""
    student.goto(f"{base}/certification/candidats/{candidate.pk}/commencer/")  # type: ignore[attr-defined]
    axe.check(student)
    student.get_by_label("Code d'accès communiqué par le surveillant").fill(
        candidate.session.access_code  # type: ignore[attr-defined]
    )
    student.get_by_role("button", name="Commencer mon test").click()
    expect(student.locator("#progress")).to_have_text("Question 1 / 32")
    axe.check(student)


def row_action(row: Locator, name: object) -> Locator:
    """A row's action button (issue 16: the one that matters now is on the row, the others
    behind its « ⋯ » menu, opened first when needed)."""
    button = row.get_by_role("button", name=name).first  # type: ignore[arg-type]
    try:  # on the row itself (the menu's buttons are hidden until it opens)
        button.wait_for(state="visible", timeout=2000)
    except PlaywrightTimeout:
        row.locator("details.menu > summary").click()
    return button


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def in_thread(call: Any, *args: Any, **kwargs: Any) -> None:
    """An action as another user's request would run it: its live events are sent from a
    thread of its own (Playwright's event loop runs in this one)."""

    def run() -> None:
        try:
            call(*args, **kwargs)
        finally:
            connections.close_all()  # the thread's connection back to the pool

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()


@pytest.fixture
def room_of_one(small_bank) -> tuple[Any, Any, Any]:
    """A session, its invigilator Alice Martin (by the session's password) and one candidate,
    Léa Dupont, certifiable, instructions read, presence not yet confirmed."""
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


@pytest.fixture
def lea(room_of_one) -> Any:
    """Léa Dupont of `room_of_one`, her presence confirmed by Alice: she may start."""
    _session, invigilator, candidate = room_of_one
    actions.do_confirm_presence(candidate, actor=invigilator)
    return candidate
