"""Evidence turned into the PV in one tap (issue 15), in real browsers: Léa leaves the frame
of a focus-mode question on her phone; the invigilator's page (a phone too) shows it on her
row at once,
with the question number; one tap puts it in the PV d'incident; at « Finaliser la session »
the centre finds the report pre-filled (E10, question 1) and finalizes with it. An
invigilator of another centre and the candidate are refused the Espace Surveillant."""

from pathlib import Path

from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from certification import engine
from certification.models import CertificationCourse, IssueReport
from invigilation.models import InvigilatorAccess, Note
from tests import live_record as live
from tests.browser.conftest import AccessibilityChecker, screenshot
from tests.browser.test_incidents import _act
from tests.factories import ExamSessionFactory, MembershipFactory, UserFactory

FOCUS_ITEM = (
    "version: 1\n"
    "items:\n"
    '  - id: "focus-2"\n'
    '    competence: "2.1"\n'
    "    type: single\n"
    '    prompt: "Sans quitter le cadre"\n'
    '    choices: ["Oui", "Non"]\n'
    "    answer: [0]\n"
    "    difficulty: 3.9\n"
    "    discrimination: 0.3\n"
    "    flags: [focus]\n"
)


def test_a_focus_leave_becomes_a_pv_line_pre_filled_at_finalization(
    browser_as, axe: AccessibilityChecker, asgi_server: str, small_bank
) -> None:
    (Path(settings.ITEM_BANK_DIR) / "focus.yaml").write_text(FOCUS_ITEM, encoding="utf-8")
    engine.get_bank.cache_clear()
    admin = MembershipFactory(user__first_name="Claire", user__last_name="Admin").user
    session = ExamSessionFactory(centre=admin.centres.get(), companion_required=False)
    alice = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=session, user=alice, via="password")
    bruno = UserFactory(first_name="Bruno", last_name="Petit")
    InvigilatorAccess.objects.create(session=ExamSessionFactory(), user=bruno, via="password")
    lea = live.joined(session, "Léa", "Dupont")

    # Léa starts on her phone; her first question is one in focus mode.
    run = _act(live.start, lea, alice)
    CertificationCourse.objects.filter(candidate=lea).update(
        current_item_id="focus-2", current_asked_at=timezone.now(), current_choice_order=[]
    )
    student = browser_as(lea.user, phone=True)
    student.goto(f"{asgi_server}/certification/candidats/{lea.pk}/commencer/")
    axe.check(student)
    # The test was started by `live.start`: its run token goes to the page, as the start's
    # answer would have put it, and the page opens the test.
    student.evaluate(f"sessionStorage.setItem('vigie-run-{run.course.pk}', '{run.token}')")
    student.goto(f"{asgi_server}/certification/tests/{run.course.pk}/")
    expect(student.locator("#question-prompt")).to_have_text("Sans quitter le cadre")
    axe.check(student)

    invigilator = browser_as(alice, phone=True)  # the invigilator's phone, 360 px
    invigilator.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
    row = invigilator.locator(f"#candidate-{lea.pk}")
    expect(row).to_be_visible()

    # She leaves the frame (the window loses focus), then answers.
    student.evaluate("window.dispatchEvent(new Event('blur'))")
    student.locator("#choices input").first.check()
    student.get_by_role("button", name="Je valide ma réponse").click()
    expect(student.locator("#progress")).to_have_text("Question 2 / 32")

    # Pushed to the invigilator's page: on Léa's row, with the question number.
    evidence = row.locator('[data-evidence="focus_leave"]')
    expect(evidence).to_contain_text("Sortie du cadre d'une question en mode focus — question 1")
    axe.check(invigilator)
    evidence.get_by_role("button").click()
    expect(evidence).to_contain_text("Au PV (E10)")
    expect(row.get_by_test_id(f"pv-lines-{lea.pk}")).to_contain_text("E10 · question 1")
    screenshot(invigilator, "evidence-pv-line-phone")
    width = invigilator.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width
    assert Note.objects.filter(candidate=lea, code="E10", question_number=1).count() == 1

    # Refused: an invigilator of another centre, and the candidate.
    for outsider in (bruno, lea.user):
        other = browser_as(outsider)
        response = other.goto(f"{asgi_server}/surveillance/sessions/{session.pk}/")
        assert response is not None and response.status == 404

    # The invigilator's page is closed (the finalization would send it back to « Surveiller
    # une session »). The centre finalizes: the report comes pre-filled, nobody typed the
    # number.
    invigilator.goto("about:blank")
    centre = browser_as(admin)
    centre.goto(f"{asgi_server}/sessions/{session.pk}/finaliser/")
    expect(centre.locator(f"#c{lea.pk}-r1-subcategory")).to_have_value("E10")
    expect(centre.locator(f"#c{lea.pk}-r1-question_number")).to_have_value("1")
    axe.check(centre)
    centre.locator(f"#c{lea.pk}-abort_reason").select_option("candidate")
    centre.get_by_role("button", name="Finaliser la session").click()
    expect(centre.get_by_text(f"La session {session.number} a été finalisée.")).to_be_visible()
    axe.check(centre)
    report = IssueReport.objects.get(course__candidate=lea)
    assert (report.subcategory, report.question_number) == ("E10", 1)
