"""The Espace Surveillant on a phone (issues 13 and 16): on the narrowest phones (320 px
wide, 740 high) no page, row, dialog or message is wider than the screen, whatever the
candidates' statuses, the longest names, tags and messages included (« Terminé par … »
used to stretch the page to 450 px and cut every dialog off); every dialog's buttons are
on screen without scrolling."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from certification.models import CourseStatus, LiveAlert
from invigilation.models import InvigilatorAccess
from invigilation.rows import Status
from tests.browser.conftest import AccessibilityChecker, row_action
from tests.factories import (
    CandidateFactory,
    CertificationCourseFactory,
    ExamSessionFactory,
    LiveAlertFactory,
    MessageReceiptFactory,
    NoteFactory,
    RoomMessageFactory,
    SuspensionFactory,
    UserFactory,
)

WIDTH, HEIGHT = 320, 740
LONG = "Marie-Bénédicte-Hortense"
LONGER = "de La Tour d'Auvergne-Lauraguais"


@pytest.fixture
def crowded(small_bank):
    """A candidate at each status, with long names, extra time, notes, time over."""
    session = ExamSessionFactory(site_name="Lycée polyvalent Jean-Baptiste de La Salle")
    invigilator = UserFactory(first_name=LONG, last_name=LONGER)
    InvigilatorAccess.objects.create(session=session, user=invigilator, via="password")
    long_ago = timezone.now() - dt.timedelta(hours=3)
    made = {}
    for index, status in enumerate(Status):
        candidate = CandidateFactory(
            session=session,
            first_name=f"{LONG}{index}",
            last_name=f"{LONGER} {status.value}",
            extra_time_percentage=33 if index % 2 else 0,
        )
        NoteFactory(session=session, candidate=candidate, author=invigilator, text="x" * 300)
        made[status] = candidate
        if status == Status.CONFIRMED:
            candidate.authorized_to_start_at = timezone.now()
            candidate.save(update_fields=["authorized_to_start_at"])
        if status in (Status.NOT_CONFIRMED, Status.CONFIRMED):
            continue
        ended = status in (
            Status.COMPLETED,
            Status.ENDED_BY_INVIGILATOR,
            Status.ENDED_DUE_TO_FINALIZATION,
        )
        course = CertificationCourseFactory(
            candidate=candidate,
            started_at=long_ago,  # time over for the running ones
            status=status.value if ended else CourseStatus.STARTED,
            ended_at=timezone.now() if ended else None,
            ended_by=invigilator if status == Status.ENDED_BY_INVIGILATOR else None,
            current_item_id="" if ended else "1.1-000",
        )
        if status == Status.RESUME_AUTHORIZED:
            candidate.authorized_to_start_at = timezone.now()
            candidate.save(update_fields=["authorized_to_start_at"])
        if status == Status.ALERT:
            LiveAlertFactory(course=course, item_id="1.1-000", question_number=12)
        if status == Status.COMPANION:
            LiveAlertFactory(course=course, kind=LiveAlert.Kind.COMPANION)
        if status == Status.SUSPENDED:
            SuspensionFactory(course=course, reason="Malaise : " + "x" * 200)
    # The longest message there may be, read by one, not by the others.
    message = RoomMessageFactory(session=session, text="Rangez " + "x" * 293, sent_by=invigilator)
    for index, candidate in enumerate(made.values()):
        receipt = MessageReceiptFactory(message=message, candidate=candidate)
        if index == 0:
            receipt.read_at = timezone.now()
            receipt.save(update_fields=["read_at"])
    return session, invigilator, made


def _fits(page: Page, what: str) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.body.scrollWidth, innerWidth]"
    )
    wide = page.evaluate(
        "() => { const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT); const out = [];"
        " while (w.nextNode()) { const r = document.createRange(); r.selectNodeContents(w.currentNode);"
        " const b = r.getBoundingClientRect(); if (b.right > 320.5) out.push(w.currentNode.parentElement.className + ':' + w.currentNode.textContent.slice(0, 40) + ' ' + b.right); }"
        " return out.slice(0, 8); }"
    )
    assert max(widths[:2]) <= WIDTH, f"{what}: page {widths}, {wide}"


def _dialog_fits(page: Page, what: str) -> None:
    """The open dialog is within the screen, and so is each of its buttons: « Valider »
    without scrolling (issue 16)."""
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box is not None
    inner = dialog.evaluate("d => [d.scrollWidth, d.clientWidth]")
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, f"{what}: dialog {box}"
    assert box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT, f"{what}: dialog {box}"
    assert inner[0] <= inner[1], f"{what}: dialog content {inner}"
    buttons = dialog.locator(".actions button")
    assert buttons.count() >= 1, what
    for index in range(buttons.count()):
        button = buttons.nth(index).bounding_box()
        assert button is not None, what
        assert button["y"] >= 0 and button["y"] + button["height"] <= HEIGHT, (what, button)
        assert button["x"] >= 0 and button["x"] + button["width"] <= WIDTH, (what, button)
    _fits(page, what)


def _row(page: Page, candidate) -> object:
    return page.locator(f"#candidate-{candidate.pk}")


def test_it_keeps_every_page_and_dialog_within_a_phone_screen_for_every_status(
    browser_as, axe: AccessibilityChecker, asgi_server: str, crowded
) -> None:
    session, invigilator, made = crowded
    phone = browser_as(invigilator, phone=True)
    phone.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    phone.goto(f"{asgi_server}/surveillance/")
    _fits(phone, "« Surveiller une session »")
    axe.check(phone)
    phone.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    expect(phone.locator("li.candidate")).to_have_count(len(Status))
    # The link up, its resynchronization (every row read again) done: rows stay put.
    expect(phone.locator("#link-status")).to_have_text("Mises à jour en direct.")
    phone.wait_for_load_state("networkidle")
    for status, candidate in made.items():
        row = _row(phone, candidate)
        row_action(row, re.compile("Détails et notes")).click()  # the details and notes, open
        expect(row.locator("details.row-details")).to_have_attribute("open", "")
        # The form of a line of the PV (issue 15), open from « ⋯ » too.
        row_action(row, "Ajouter une ligne au PV d'incident").click()
        expect(row.locator("details.pv-line-box")).to_have_attribute("open", "")
        expect(row).to_be_visible()
        box = row.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, (status, box)
        menu = row.locator("details.menu > summary")
        if menu.count():  # the « ⋯ » menu, open: its buttons too
            menu.click()
            for button in row.locator(".menu-items button").all():
                item = button.bounding_box()
                assert item and item["x"] >= 0 and item["x"] + item["width"] <= WIDTH, status
            menu.click()
    expect(_row(phone, made[Status.ENDED_BY_INVIGILATOR])).to_contain_text(
        f"Terminé par {LONG} {LONGER}"
    )
    phone.locator("#messages-panel > summary").click()  # the messages, folded on the page
    phone.locator("#messages details > summary").click()  # who read the longest message
    expect(phone.locator("#messages")).to_contain_text("Lu par 1 / 10")
    _fits(phone, "Espace Surveillant")
    axe.check(phone)

    # Every dialog a row opens, at each status that offers it.
    buttons = {
        Status.CONFIRMED: "Annuler la confirmation",
        Status.STARTED: "Autoriser la reprise du test",
        Status.RESUME_AUTHORIZED: "Terminer le test",
        Status.COMPANION: "Confirmer la présence de l'extension",
        Status.ALERT: "Gérer le signalement",
        Status.SUSPENDED: "Reprendre ce test",
    }
    dialogs = [(status, label) for status, label in buttons.items()]
    dialogs += [
        (Status.STARTED, "Ajouter du temps"),
        (Status.STARTED, "Suspendre ce test"),
        (Status.CONFIRMED, "Envoyer un message"),
    ]
    for status, label in dialogs:
        row_action(_row(phone, made[status]), label).click()
        _dialog_fits(phone, f"{status}: {label}")
        axe.check(phone)
        phone.keyboard.press("Escape")
        expect(phone.locator("dialog[open]")).to_have_count(0)

    # The room's: suspend it, a message to everyone.
    for label in ("Suspendre la session", "Message à tous"):
        phone.get_by_role("button", name=label).click()
        _dialog_fits(phone, label)
        axe.check(phone)
        phone.keyboard.press("Escape")

    end_all = phone.get_by_role("button", name="Terminer les tests dont le temps est écoulé")
    end_all.click()
    _dialog_fits(phone, "bulk end")
    # Plural, and styled as a dangerous action (issue 13).
    yes = phone.locator("#confirm-yes")
    expect(yes).to_have_text("Terminer les 4 tests")
    expect(yes).to_have_class("danger-action")
    phone.keyboard.press("Escape")

    phone.locator("details.session-head > summary").click()
    phone.get_by_role("button", name="Quitter la surveillance").first.click()
    _dialog_fits(phone, "leave")


def test_each_filter_chip_counts_and_shows_its_rows_and_the_bar_stays_in_view(
    browser_as, axe: AccessibilityChecker, asgi_server: str, crowded
) -> None:
    """Issue 16: the bar's chips count the rows of each state and, pressed, show only those
    (pressed again, all); scrolled to the bottom, the bar is still at the top."""
    session, invigilator, _made = crowded
    phone = browser_as(invigilator, phone=True)
    phone.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    phone.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    expect(phone.locator("#link-status")).to_have_text("Mises à jour en direct.")
    rows = phone.locator("li.candidate")
    expect(rows).to_have_count(len(Status))
    chips = phone.locator(".chips .chip")
    total = 0
    for index in range(chips.count()):
        chip = chips.nth(index)
        group = chip.get_attribute("data-group")
        count = int(chip.locator(".chip-count").inner_text())
        expected = phone.locator(f'li.candidate[data-group="{group}"]').count()
        assert count == expected, (group, count, expected)
        chip.click()
        expect(chip).to_have_attribute("aria-pressed", "true")
        expect(phone.locator("li.candidate:visible")).to_have_count(count)
        for row in phone.locator("li.candidate:visible").all():
            assert row.get_attribute("data-group") == group
        axe.check(phone)
        chip.click()  # pressed again: every row
        expect(chip).to_have_attribute("aria-pressed", "false")
        expect(phone.locator("li.candidate:visible")).to_have_count(len(Status))
        total += count
    assert total == len(Status)
    phone.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    phone.wait_for_function("window.scrollY > 0")
    bar = phone.locator("#es-bar").bounding_box()
    assert bar is not None and abs(bar["y"]) < 1 and bar["height"] < HEIGHT / 4, bar
