"""Issue 15's incidents driven from the Espace Surveillant (issue 16's phone-first page):
two invigilators — Alice on a phone, Bruno on a laptop — and the candidates on their own
pages. Time added to a selection, the room suspended and resumed with one candidate not
confirmed back, a message read by one and not the other, and « Ajouter du temps » racing
« Terminer le test » on the same candidate."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from certification.actions import do_confirm_presence
from certification.models import CertificationCourse, RoomSuspension
from invigilation.models import InvigilatorAccess
from tests.browser.conftest import AccessibilityChecker, row_action, start_test
from tests.factories import CandidateFactory, ExamSessionFactory, UserFactory


@pytest.fixture
def room(small_bank):
    session = ExamSessionFactory()
    alice = UserFactory(first_name="Alice", last_name="Martin")
    bruno = UserFactory(first_name="Bruno", last_name="Petit")
    for invigilator in (alice, bruno):
        InvigilatorAccess.objects.create(session=session, user=invigilator, via="password")
    candidates = [
        CandidateFactory(
            session=session,
            first_name=first,
            last_name=last,
            user=UserFactory(first_name=first, last_name=last, certifiable=True),
            instructions_accepted_at=timezone.now(),
        )
        for first, last in (("Léa", "Dupont"), ("Hugo", "Bernard"))
    ]
    return session, alice, bruno, candidates


def _open(browser_as, axe, base, room) -> tuple[Page, Page, dict[int, Page]]:
    """Both invigilators' pages, and each candidate on question 1 of a started test."""
    session, alice, bruno, candidates = room
    students = {}
    for candidate in candidates:
        students[candidate.pk] = browser_as(candidate.user, phone=True)
        do_confirm_presence(candidate, actor=alice)
        start_test(students[candidate.pk], axe, base, candidate)
    phone = browser_as(alice, phone=True)
    laptop = browser_as(bruno)
    for page in (phone, laptop):
        page.goto(f"{base}/surveillance/sessions/{session.pk}/")
        expect(page.locator("#link-status")).to_have_text("Mises à jour en direct.")
        axe.check(page)
    return phone, laptop, students


def _row(page: Page, candidate) -> object:
    return page.locator(f"#candidate-{candidate.pk}")


def _end_of(page: Page, candidate) -> dt.datetime:
    return dt.datetime.fromisoformat(
        _row(page, candidate).locator(".countdown").get_attribute("data-end") or ""
    )


def test_time_added_to_a_selection_moves_every_end_even_on_a_timed_question(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    _session, _alice, _bruno, (lea, hugo) = room
    phone, laptop, students = _open(browser_as, axe, asgi_server, room)
    # Hugo is on a timed question (« timed-1 », 30 s) when the time is added.
    CertificationCourse.objects.filter(candidate=hugo).update(
        current_item_id="timed-1", current_asked_at=timezone.now(), current_choice_order=[]
    )
    students[hugo.pk].reload()
    question_timer = students[hugo.pk].locator("#question-timer")
    expect(question_timer).to_be_visible()
    asked = CertificationCourse.objects.get(candidate=hugo).current_asked_at
    before = {c.pk: _end_of(laptop, c) for c in (lea, hugo)}
    shown = {c.pk: students[c.pk].locator("#theoretical-end").inner_text() for c in (lea, hugo)}

    phone.get_by_role("button", name="Tout sélectionner").click()
    expect(phone.locator("#selection-count")).to_have_text("2 candidats sélectionnés")
    phone.locator("#bulk-add-time").click()
    dialog = phone.locator("#add-time-dialog")
    expect(dialog.locator(".dialog-who")).to_have_text("2 candidats : Hugo BERNARD, Léa DUPONT")
    dialog.get_by_label("Minutes à ajouter (1 à 120)").fill("10")
    dialog.get_by_label("Motif (figure au PV)").fill("coupure réseau")
    axe.check(phone)
    dialog.get_by_role("button", name="Ajouter du temps").click()

    expect(phone.locator("#flash")).to_have_text("10 min ajoutées aux tests de 2 candidats.")
    expect(dialog).to_be_hidden()
    for candidate in (lea, hugo):
        # Bruno's page: the countdown's end and the breakdown moved, at once.
        row = _row(laptop, candidate)
        expect(row.locator(".breakdown")).to_contain_text("10 min ajoutées (coupure réseau)")
        assert _end_of(laptop, candidate) - before[candidate.pk] == dt.timedelta(minutes=10)
        # The candidate's own page: its end time moved by ten minutes.
        end = students[candidate.pk].locator("#theoretical-end")
        hours, minutes = (int(part) for part in shown[candidate.pk].split(":"))
        later = (hours * 60 + minutes + 10) % (24 * 60)
        expect(end).to_have_text(f"{later // 60:02d}:{later % 60:02d}")
    # His timed question keeps its own 30 s, still counting down on his screen.
    expect(question_timer).to_be_visible()
    shown_now = question_timer.inner_text()
    expect(question_timer).not_to_have_text(shown_now)
    assert CertificationCourse.objects.get(candidate=hugo).current_asked_at == asked
    axe.check(laptop)


def test_a_suspended_room_resumes_only_those_confirmed_back(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    session, _alice, _bruno, (lea, hugo) = room
    phone, laptop, students = _open(browser_as, axe, asgi_server, room)

    phone.get_by_role("button", name="Suspendre la session").click()
    dialog = phone.locator("#suspend-session-dialog")
    dialog.get_by_label("Message affiché aux candidats").fill("Alarme incendie : sortez.")
    dialog.get_by_role("button", name="Suspendre la session").click()

    for student in students.values():
        expect(student.locator("#suspended-message")).to_have_text("Alarme incendie : sortez.")
    expect(laptop.locator("#room-bar")).to_contain_text("Session suspendue depuis")
    expect(laptop.locator("#room-bar")).to_contain_text("« Alarme incendie : sortez. »")
    axe.check(laptop)
    phone.wait_for_timeout(2500)  # the time lost, measured below

    phone.get_by_role("button", name="Reprendre la session").click()
    resume = phone.locator("#resume-session-dialog")
    expect(resume.get_by_label("BERNARD Hugo")).to_be_checked()  # « tous présents »
    resume.get_by_label("BERNARD Hugo").uncheck()  # Hugo left the room (seed 004)
    axe.check(phone)
    resume.get_by_role("button", name="Reprendre la session").click()

    expect(phone.locator("#flash")).to_contain_text("Reste suspendu : Hugo BERNARD.")
    expect(students[lea.pk].locator("#question-panel")).to_be_visible()
    expect(students[hugo.pk].locator("#suspended-panel")).to_be_visible()
    students[hugo.pk].reload()
    expect(students[hugo.pk].get_by_role("heading", name="Épreuve suspendue")).to_be_visible()
    # Bruno sees who is still out, with the decision left to an invigilator.
    hugo_row = _row(laptop, hugo)
    expect(hugo_row).to_contain_text("Suspendu avec la session")
    expect(hugo_row.get_by_role("button", name=re.compile("Reprendre ce test"))).to_be_visible()
    # Léa's end moved by exactly the time the room was stopped.
    room_stop = RoomSuspension.objects.get(session=session)
    course = CertificationCourse.objects.get(candidate=lea)
    assert course.suspended_time == room_stop.ended_at - room_stop.started_at
    assert course.suspended_time >= dt.timedelta(seconds=2)
    assert CertificationCourse.objects.get(candidate=hugo).is_suspended


def test_the_invigilators_see_who_read_a_message(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    _session, _alice, _bruno, (lea, hugo) = room
    phone, laptop, students = _open(browser_as, axe, asgi_server, room)

    phone.get_by_role("button", name="Message à tous").click()
    dialog = phone.locator("#message-dialog")
    dialog.get_by_label("Il reste 10 minutes.").check()
    dialog.get_by_role("button", name="Envoyer").click()
    expect(phone.locator("#flash")).to_have_text("Message envoyé à tous les candidats.")

    lea_page = students[lea.pk]
    lea_page.get_by_role("button", name="J'ai lu").click()
    messages = laptop.locator("#messages")
    expect(messages).to_contain_text("Lu par 1 / 2")
    laptop.locator("#messages-panel > summary").click()  # folded on the page
    messages.locator("summary").first.click()
    expect(messages).to_contain_text("Lu : DUPONT Léa")
    expect(messages).to_contain_text("Pas encore lu : BERNARD Hugo")
    expect(
        students[hugo.pk].get_by_role("alert").filter(has_text="Il reste 10 minutes.")
    ).to_be_visible()
    axe.check(laptop)


def test_adding_time_to_a_test_just_ended_is_refused_and_says_by_whom(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    _session, _alice, _bruno, (_lea, hugo) = room
    phone, laptop, students = _open(browser_as, axe, asgi_server, room)

    # Alice opens « Ajouter du temps » for Hugo while Bruno ends his test.
    row_action(_row(phone, hugo), re.compile("Ajouter du temps")).click()
    dialog = phone.locator("#add-time-dialog")
    dialog.get_by_label("Minutes à ajouter (1 à 120)").fill("5")
    dialog.get_by_label("Motif (figure au PV)").fill("retard du serveur")
    row_action(_row(laptop, hugo), re.compile("Terminer le test")).click()
    laptop.get_by_role("dialog").get_by_role("button", name="Terminer le test").click()
    expect(_row(laptop, hugo)).to_contain_text("Terminé par Bruno Petit")
    # Bruno reads the result on the row itself, under the name, the row in view.
    result = laptop.locator(f"#result-{hugo.pk}")
    expect(result).to_have_text("Le test de Hugo BERNARD est terminé.")
    expect(_row(laptop, hugo).locator("h3")).to_be_in_viewport()
    expect(laptop.locator("#flash")).to_be_hidden()

    dialog.get_by_role("button", name="Ajouter du temps").click()

    # One wins; the other is told, in the dialog still open, who ended the test.
    error = dialog.locator(".dialog-error")
    expect(error).to_have_text("Le test de BERNARD Hugo a été terminé par Bruno Petit.")
    expect(dialog).to_be_visible()
    axe.check(phone)
    expect(students[hugo.pk].get_by_role("heading", name="Test terminé !")).to_be_visible()
    course = CertificationCourse.objects.get(candidate=hugo)
    assert course.added_time == dt.timedelta() and course.status == "ended_by_invigilator"


def test_the_room_on_a_tablet_and_a_desktop_resyncs_on_wake_and_confirms_a_selection(
    browser_as, axe: AccessibilityChecker, asgi_server: str, room
) -> None:
    """Before the start: a selection confirmed behind one question naming who; the grid
    uses the width; waking up (network back) resynchronizes and says so; a refused note
    keeps its text."""
    session, alice, _bruno, (lea, hugo) = room
    page = browser_as(alice)
    for width, height, columns in ((768, 1024, 2), (1280, 800, 3)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
        expect(page.locator("#link-status")).to_have_text("Mises à jour en direct.")
        axe.check(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        template = page.locator("#candidates").evaluate(
            "list => getComputedStyle(list).gridTemplateColumns"
        )
        assert len(template.split()) == columns, (width, template)

    page.get_by_role("button", name="Tout sélectionner").click()
    page.locator("#bulk-confirm").click()
    confirm = page.locator("#confirm-dialog")
    expect(confirm.locator("#confirm-title")).to_have_text("Confirmer la présence de 2 candidats ?")
    expect(confirm.locator("#confirm-text")).to_have_text("Hugo BERNARD, Léa DUPONT")
    axe.check(page)
    confirm.get_by_role("button", name="Confirmer les présences").click()
    expect(page.locator("#flash")).to_have_text("2 présences confirmées.")
    expect(page.locator("#selection-count")).to_have_text("")
    for candidate in (lea, hugo):
        candidate.refresh_from_db()
        assert candidate.authorized_to_start_at is not None

    # The phone wakes up, or the network comes back: every row read again, and said.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#link-status")).to_have_text("Page resynchronisée.")

    # A note refused by the server (only spaces) keeps what was typed.
    page.locator("#notes-panel > summary").click()
    page.get_by_label("Ajouter une note au PV").fill("   ")
    page.get_by_role("button", name="Ajouter la note").click()
    expect(page.locator("#flash")).to_contain_text("La note doit contenir entre 1 et 2 000")
    expect(page.get_by_label("Ajouter une note au PV")).to_have_value("   ")
