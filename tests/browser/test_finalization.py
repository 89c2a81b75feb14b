"""After the session, in real browsers: the centre finalizes it from its live record (the
candidate's page switches by itself) and downloads a document archived at finalization,
then a jury member resolves a report and publishes."""

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from certification import actions as test_actions
from certification.models import CertificationCourse, CourseStatus, IssueReport
from exams.models import ExamSession
from finalization.models import SessionRecord
from invigilation.models import InvigilatorAccess
from tests import live_record as live
from tests.browser.conftest import AccessibilityChecker, screenshot
from tests.factories import ExamSessionFactory, MembershipFactory, UserFactory


def test_it_finalizes_from_the_live_record_then_the_jury_publishes(
    browser_as, axe: AccessibilityChecker, asgi_server: str, small_bank
) -> None:
    admin = MembershipFactory(user__first_name="Claire", user__last_name="Admin").user
    session = ExamSessionFactory(centre=admin.centres.get(), companion_required=False)
    invigilator = UserFactory(first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(session=session, user=invigilator, via="password")
    jury = UserFactory(first_name="Jeanne", last_name="Jury", is_staff=True)
    zoe = live.joined(session, "Zoé", "Martin")

    # The day of the session: Zoé starts in her browser, answers, reports a problem that
    # the invigilator validates; the invigilator writes a note.
    test_actions.do_confirm_presence(zoe, actor=invigilator)
    student = browser_as(zoe.user)
    student.goto(f"{asgi_server}/certification/candidats/{zoe.pk}/commencer/")
    axe.check(student)
    student.get_by_label("Code d'accès communiqué par le surveillant").fill(session.access_code)
    student.get_by_role("button", name="Commencer mon test").click()
    expect(student.locator("#progress")).to_have_text("Question 1 / 32")
    axe.check(student)
    course = CertificationCourse.objects.get(candidate=zoe)
    token = student.evaluate(f"sessionStorage.getItem('vigie-run-{course.pk}')")
    run = test_actions.Run(course, token, resumed=False)
    live.answer(run, 2)
    live.validated_alert(run, invigilator, reason="E4")
    live.note(session, invigilator, "Écran noir à 14 h 30, poste changé.", candidate=zoe)
    # Those actions ran in this thread, whose event loop is Playwright's: no push, re-read.
    student.reload()
    expect(student.locator("#progress")).to_have_text("Question 3 / 32")
    axe.check(student)

    # The centre finalizes: the page shows what was recorded live.
    centre = browser_as(admin)
    centre.goto(f"{asgi_server}/sessions/{session.pk}/")
    axe.check(centre)
    centre.get_by_role("link", name="Finaliser la session").click()
    expect(
        centre.get_by_role("heading", name=f"Finaliser la session {session.number}")
    ).to_be_visible()
    axe.check(centre)
    screenshot(centre, "finalization-form")
    candidate_box = centre.get_by_role("group", name="MARTIN Zoé")
    expect(candidate_box.get_by_test_id("live-report")).to_contain_text(
        "E4 — Le site à visiter est indisponible/en maintenance/inaccessible"
    )
    expect(candidate_box).to_contain_text("Signalement sur la question 3 validé par Alice Martin")
    expect(candidate_box.get_by_label(re.compile("^Commentaire"))).to_have_value(
        "Écran noir à 14 h 30, poste changé."
    )
    centre.get_by_role("button", name="Finaliser la session").click()
    expect(centre.get_by_role("alert")).to_contain_text(
        "MARTIN Zoé — Motif d'abandon : obligatoire, le test n'est pas terminé"
    )
    axe.check(centre)
    centre.get_by_label("Motif d'abandon").select_option(label="Problème technique")
    centre.get_by_label(re.compile("^Incident")).check()
    centre.get_by_role("button", name="Finaliser la session").click()
    expect(centre.get_by_text(f"La session {session.number} a été finalisée.")).to_be_visible()
    expect(centre.get_by_role("heading", name=re.compile("Session"))).to_contain_text("Finalisée")
    axe.check(centre)
    screenshot(centre, "finalized-session")

    # The documents archived at finalization: listed with their retention date, and the
    # download is the archived PDF itself.
    archived = centre.get_by_test_id("records")
    expect(archived.get_by_role("heading", name="Documents archivés")).to_be_visible()
    expect(archived.get_by_test_id("record")).to_have_count(3)
    pv = SessionRecord.objects.get(session=session, kind="proces-verbal")
    expect(archived).to_contain_text(pv.retain_until.strftime("%d/%m/%Y"))
    with centre.expect_download() as download_info:
        archived.get_by_role("link", name=re.compile("^Procès-verbal de session")).click()
    download = download_info.value
    assert download.suggested_filename == f"proces-verbal-session-{session.number}.pdf"
    content = download.path().read_bytes()
    assert content == bytes(pv.content)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Procès-verbal de session" in text
    assert "Motif d'abandon Problème technique" in text

    # Pushed: the candidate's page switches to the finalization message by itself.
    expect(student.locator("#end-message")).to_contain_text(
        "La session a été finalisée par votre centre de certification."
    )
    axe.check(student)
    course.refresh_from_db()
    assert course.status == CourseStatus.ENDED_DUE_TO_FINALIZATION

    # The jury resolves the validated report and publishes.
    reviewer = browser_as(jury, phone=True)
    reviewer.goto(f"{asgi_server}/")
    axe.check(reviewer)
    reviewer.get_by_role("link", name="Jury").click()
    expect(reviewer.get_by_role("heading", name="Jury : sessions finalisées")).to_be_visible()
    axe.check(reviewer)
    expect(reviewer.get_by_test_id("jury-session")).to_contain_text("Attention requise")
    reviewer.get_by_role("link", name=f"Session {session.number}").click()
    axe.check(reviewer)
    reviewer.get_by_role("button", name="Publier les résultats").click()
    expect(reviewer.get_by_text(re.compile("Publication impossible .* MARTIN Zoé"))).to_be_visible()
    axe.check(reviewer)
    reviewer.get_by_role("button", name="Attribuer la session").click()
    expect(reviewer.get_by_test_id("session-status")).to_have_text("En cours de traitement")
    axe.check(reviewer)
    report = reviewer.get_by_test_id("report")
    expect(report.get_by_role("textbox")).to_have_value(
        "Le signalement a été validé par le surveillant pendant la session. "
        "Une nouvelle question a été proposée au candidat."
    )
    report.get_by_role("button", name="Résoudre le signalement").click()
    expect(reviewer.get_by_text("Le signalement est résolu.")).to_be_visible()
    axe.check(reviewer)
    reviewer.get_by_role("button", name="Publier les résultats").click()
    expect(reviewer.get_by_test_id("session-status")).to_have_text("Résultats publiés")
    axe.check(reviewer)
    screenshot(reviewer, "jury-published")

    session = ExamSession.objects.get(pk=session.pk)
    assert session.published_at is not None and session.assigned_officer == jury
    assert IssueReport.objects.get().resolved_by == jury
