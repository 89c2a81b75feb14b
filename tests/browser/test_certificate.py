"""After publication, in real browsers: the candidate opens « Mes résultats » and downloads
the PDF certificate, then anyone verifies its code on the public page."""

import io

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from certification import actions as course_actions
from certification import engine
from certification.models import CourseStatus
from results.actions import do_issue_certificates
from tests.browser.conftest import AccessibilityChecker, screenshot
from tests.factories import CandidateFactory, ExamSessionFactory, UserFactory


def _response(item, position: int, order: list[int]) -> list[int] | str:
    """Right answers, except one single-choice question in three; positions in the order
    the choices are shown (drawn per candidate)."""
    if item.type == "free":
        return "pdf"
    shown = order or list(range(len(item.choices)))
    right = sorted(shown.index(i) for i in item.answer)
    if item.type == "single" and position % 3 == 0:
        return [next(n for n in range(len(shown)) if n not in right)]
    return right


@pytest.fixture
def published(small_bank):
    """A session whose only candidate answered every question, published by the jury."""
    session = ExamSessionFactory()
    user = UserFactory(first_name="Léa", last_name="Dupont", certifiable=True)
    candidate = CandidateFactory(
        session=session,
        first_name="Léa",
        last_name="Dupont",
        user=user,
        instructions_accepted_at=timezone.now(),
    )
    invigilator = UserFactory()
    course_actions.do_confirm_presence(candidate, actor=invigilator)
    run = course_actions.do_start_or_resume(candidate, user=user, access_code=session.access_code)
    course = run.course
    while (item := engine.current_item(course)) is not None:
        course_actions.do_answer(
            course.pk,
            user=user,
            token=run.token,
            item_id=item.id,
            response=_response(item, course.answers.count(), course.current_choice_order),
        )
        course.refresh_from_db()
    assert course.status == CourseStatus.COMPLETED
    [certificate] = do_issue_certificates(session, actor=UserFactory(is_staff=True))
    session.published_at = timezone.now()
    session.save(update_fields=["published_at"])
    return certificate


def test_it_shows_the_results_downloads_the_certificate_and_verifies_it(
    browser_as, published, axe: AccessibilityChecker, asgi_server: str, page: Page
) -> None:
    certificate = published
    code = certificate.verification_code
    candidate_page = browser_as(certificate.course.user, phone=True)

    candidate_page.goto(f"{asgi_server}/")
    axe.check(candidate_page)
    candidate_page.get_by_role("link", name="Mes résultats").click()
    expect(
        candidate_page.get_by_role("heading", name="Mes résultats de certification")
    ).to_be_visible()
    axe.check(candidate_page)
    expect(candidate_page.get_by_test_id("score")).to_have_text(f"{certificate.score} / 895")
    expect(candidate_page.get_by_test_id("status")).to_contain_text("Certification validée")
    expect(candidate_page.get_by_test_id("code")).to_have_text(code)
    expect(candidate_page.get_by_role("heading", name="4. Protection et sécurité")).to_be_visible()
    screenshot(candidate_page, "results-phone")

    with candidate_page.expect_download() as download_info:
        candidate_page.get_by_role("link", name="Télécharger mon certificat (PDF)").click()
    reader = PdfReader(io.BytesIO(download_info.value.path().read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "DUPONT Léa" in text
    assert f"Score : {certificate.score} / 895" in text
    assert code in text

    # Anyone, without an account: first a mistyped code, then the right one.
    page.goto(f"{asgi_server}/verifier/")
    axe.check(page)
    page.get_by_label("Code de vérification").fill("V-BCDFGHJKMN")
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_role("alert")).to_contain_text("Aucun certificat ne correspond")
    axe.check(page)
    page.get_by_label("Code de vérification").fill(code.lower())
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_role("heading", name="Certificat authentique")).to_be_visible()
    axe.check(page)
    result = page.get_by_test_id("certificate")
    expect(result).to_contain_text("DUPONT Léa")
    expect(result).to_contain_text(certificate.candidate.birthdate.strftime("%d/%m/%Y"))
    expect(page.get_by_test_id("score")).to_have_text(f"{certificate.score} / 895")
    expect(page.get_by_test_id("status")).to_contain_text("Certification validée")
    screenshot(page, "verify-certificate")
