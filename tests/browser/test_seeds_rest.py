"""Issue 20's pages in real browsers, axe-core on each: the centre imports its pupils'
levels and reads « n / 5 » (phone), attaches a signed scan to a finalized session and reads
the establishment's results; the jury accepts an identity correction."""

import datetime as dt

from playwright.sync_api import expect

from exams.models import StudentLevel
from finalization import validation
from finalization.actions import do_finalize_session
from finalization.models import IdentityCorrection, SessionRecord
from jury.actions import do_publish_session
from tests import live_record as live
from tests.browser.conftest import AccessibilityChecker, screenshot
from tests.factories import ExamSessionFactory, MembershipFactory, UserFactory
from tests.spreadsheets import make_ods

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)


def test_it_imports_levels_on_a_phone_and_shows_the_count(
    browser_as, axe: AccessibilityChecker, asgi_server: str, tmp_path
) -> None:
    admin = MembershipFactory().user
    centre = admin.centres.get()
    phone = browser_as(admin, phone=True)

    phone.goto(f"{asgi_server}/centres/{centre.pk}/sessions/")
    axe.check(phone)
    phone.get_by_role("link", name="Éligibilité des élèves").click()
    expect(phone.get_by_role("heading", name="Éligibilité des élèves")).to_be_visible()
    axe.check(phone)
    rows = [["Élève", "Nom de naissance", "Prénom", "Compétence", "Niveau", "Atteint le"]]
    rows += [
        ["zoe@lycee.fr", "Martin", "Zoé", code, 1, dt.date(2026, 1, 15)]
        for code in ("1.1", "1.2", "2.1", "3.1", "4.1")
    ]
    rows += [["hugo@lycee.fr", "Abadi", "Hugo", "9.9", 1, dt.date(2026, 1, 15)]]
    bad = tmp_path / "niveaux.ods"
    bad.write_bytes(make_ods(rows))
    phone.get_by_label("Fichier (.ods ou .csv)").set_input_files(str(bad))
    phone.get_by_role("button", name="Importer").click()
    expect(phone.get_by_text("Ligne 7, colonne « Compétence »")).to_be_visible()
    axe.check(phone)
    assert not StudentLevel.objects.exists()

    good = tmp_path / "niveaux-ok.ods"
    good.write_bytes(make_ods(rows[:-1]))
    phone.get_by_label("Fichier (.ods ou .csv)").set_input_files(str(good))
    phone.get_by_role("button", name="Importer").click()
    expect(phone.get_by_text("5 niveaux enregistrés ou modifiés.")).to_be_visible()
    expect(phone.locator(".tag.ok").filter(has_text="5 / 5")).to_be_visible()
    axe.check(phone)
    screenshot(phone, "pupils-phone")


def test_it_attaches_a_scan_reads_results_and_the_jury_accepts_a_correction(
    browser_as, axe: AccessibilityChecker, asgi_server: str, small_bank, tmp_path
) -> None:
    admin = MembershipFactory().user
    centre = admin.centres.get()
    session = ExamSessionFactory(centre=centre, companion_required=False)
    invigilator = UserFactory()
    jury = UserFactory(first_name="Jeanne", last_name="Jury", is_staff=True)
    lea = live.joined(session, "Lea", "Dupont")
    lea.school_class = "3e A"
    lea.save()
    live.answer(live.start(lea, invigilator), 32)
    report = validation.CandidateReportInput(
        candidate_id=lea.pk,
        has_seen_end_screen=True,
        issue_reports=[
            validation.IssueReportInput(subcategory="C1", correction={"first_name": "Léa"})
        ],
    )
    do_finalize_session(session, validation.FinalizationInput(reports=[report]), actor=admin)

    centre_page = browser_as(admin)
    centre_page.goto(f"{asgi_server}/sessions/{session.pk}/")
    axe.check(centre_page)
    scan = tmp_path / "emargement-signe.png"
    scan.write_bytes(PNG)
    form = centre_page.get_by_test_id("scan-form")
    form.get_by_label("Document").select_option("emargement-signe")
    form.get_by_label("Fichier (PDF, PNG ou JPEG)").set_input_files(str(scan))
    centre_page.get_by_role("button", name="Ajouter aux documents archivés").click()
    expect(centre_page.get_by_text("a été ajouté aux documents archivés")).to_be_visible()
    expect(
        centre_page.get_by_role("link", name="Feuille d'émargement signée (scan) (PNG)")
    ).to_be_visible()
    axe.check(centre_page)
    assert SessionRecord.objects.filter(session=session, kind="emargement-signe").exists()

    jury_page = browser_as(jury)
    jury_page.goto(f"{asgi_server}/jury/sessions/{session.pk}/")
    expect(jury_page.get_by_test_id("identity-correction")).to_contain_text("Léa")
    axe.check(jury_page)
    jury_page.get_by_text("Accepter la modification", exact=True).click()
    jury_page.get_by_role("button", name="Confirmer la modification").click()
    expect(
        jury_page.get_by_text("La modification des informations du candidat est acceptée.")
    ).to_be_visible()
    axe.check(jury_page)
    assert IdentityCorrection.objects.get().status == "accepted"
    session.refresh_from_db()
    do_publish_session(session, actor=jury)

    centre_page.goto(f"{asgi_server}/centres/{centre.pk}/resultats/?school_class=3e A")
    expect(centre_page.get_by_role("cell", name="Léa", exact=True)).to_be_visible()
    axe.check(centre_page)
    screenshot(centre_page, "establishment-results")
