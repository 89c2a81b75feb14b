"""A centre administrator prepares a session in a real browser."""

import datetime as dt
import io
import re

from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from accounts.models import User
from exams.models import Candidate, ExamSession
from tests.browser.conftest import AccessibilityChecker, screenshot
from tests.factories import PASSWORD, MembershipFactory
from tests.spreadsheets import CANDIDATE_HEADERS, candidate_row, make_ods


def _log_in(page: Page, axe: AccessibilityChecker, base: str, email: str) -> None:
    page.goto(f"{base}/compte/connexion/")
    axe.check(page)
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Je me connecte").click()


def _pdf_text(page: Page, link_name: str) -> str:
    with page.expect_download() as download_info:
        page.get_by_role("link", name=link_name).click()
    reader = PdfReader(io.BytesIO(download_info.value.path().read_bytes()))
    return "\n".join(p.extract_text() for p in reader.pages)


def test_it_creates_a_session_imports_candidates_and_downloads_the_documents(
    page: Page, axe: AccessibilityChecker, asgi_server: str, tmp_path
) -> None:
    admin = MembershipFactory(user__email="admin@lycee.fr", centre__name="Lycée Victor Hugo").user
    _log_in(page, axe, asgi_server, admin.email)
    expect(page.get_by_role("heading", name="Sessions de certification")).to_be_visible()
    axe.check(page)

    page.get_by_role("link", name="Créer une session").click()
    axe.check(page)
    session_day = timezone.localdate() + dt.timedelta(days=3)
    page.get_by_label("Nom du site").fill("Lycée Victor Hugo")
    page.get_by_label("Salle").fill("B12")
    page.get_by_label("Date").fill(session_day.isoformat())
    page.get_by_label("Heure").fill("14:00")
    page.get_by_label("Surveillant(s)").fill("Mme Martin")
    page.get_by_role("button", name="Créer la session").click()
    expect(page.get_by_text("a été créée")).to_be_visible()
    axe.check(page)
    session = ExamSession.objects.get()

    page.get_by_role("link", name="Importer une liste (.ods ou .csv)").click()
    axe.check(page)
    ods = tmp_path / "candidats.ods"
    ods.write_bytes(
        make_ods(
            [
                CANDIDATE_HEADERS,
                candidate_row("Zoé", "Martin", dt.date(2008, 5, 2), extra_time=33),
                candidate_row("Élodie", "<b>Émery</b>", dt.date(2007, 11, 30)),
                candidate_row("Hugo", "Abadi", dt.date(2008, 1, 9), sex="M"),
            ]
        )
    )
    page.get_by_label("Fichier (.ods ou .csv)").set_input_files(str(ods))
    page.get_by_role("button", name="Importer").click()
    expect(page.get_by_text("3 candidats importés.")).to_be_visible()
    axe.check(page)
    assert Candidate.objects.filter(session=session).count() == 3
    # HTML typed in a name is shown as text, never interpreted.
    expect(page.get_by_role("cell", name="<B>ÉMERY</B>", exact=True)).to_be_visible()
    screenshot(page, "session-detail")

    kit = _pdf_text(page, "Kit surveillant (PDF)")
    assert session.number in kit
    assert session.invigilator_password in kit
    assert session.access_code in kit
    sheet = _pdf_text(page, "Feuille d'émargement (PDF)")
    assert sheet.index("ABADI") < sheet.index("<B>ÉMERY</B>") < sheet.index("MARTIN")
    incident = _pdf_text(page, "PV d'incident (PDF)")
    assert "PV d'incident" in incident
    assert session.number in incident


def test_it_reports_every_bad_row_and_imports_nothing(
    page: Page, axe: AccessibilityChecker, asgi_server: str, tmp_path
) -> None:
    membership = MembershipFactory(user__email="admin@lycee.fr")
    from tests.factories import ExamSessionFactory

    session = ExamSessionFactory(centre=membership.centre)
    _log_in(page, axe, asgi_server, membership.user.email)
    axe.check(page)
    page.goto(f"{asgi_server}/sessions/{session.pk}/candidats/import/")
    axe.check(page)
    ods = tmp_path / "erreurs.ods"
    ods.write_bytes(
        make_ods(
            [
                CANDIDATE_HEADERS,
                candidate_row("Zoé", "Martin"),
                candidate_row("Hugo", "Abadi", "31/02/2008"),
                candidate_row("zoe", "MARTIN"),
            ]
        )
    )
    page.get_by_label("Fichier (.ods ou .csv)").set_input_files(str(ods))
    page.get_by_role("button", name="Importer").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Ligne 3, colonne « Date de naissance (JJ/MM/AAAA) »")
    expect(alert).to_contain_text("Ligne 4 : même candidat qu'à la ligne 2")
    axe.check(page)
    assert not Candidate.objects.exists()


def test_it_works_on_a_360_px_phone_and_in_english(
    phone_page: Page, axe: AccessibilityChecker, asgi_server: str
) -> None:
    page = phone_page
    page.goto(f"{asgi_server}/compte/inscription/")
    axe.check(page)
    page.get_by_role("button", name="Je m'inscris").click()
    expect(page.get_by_text("Ce champ est obligatoire.").first).to_be_visible()
    expect(page.get_by_text("Vous devez accepter les conditions d'utilisation.")).to_be_visible()
    axe.check(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"horizontal scroll on a phone: {width}px"
    screenshot(page, "register-phone")

    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    expect(page.get_by_role("heading", name="Sign up")).to_be_visible()
    axe.check(page)


def test_it_signs_up_by_the_e_mailed_link_on_a_phone(
    phone_page: Page, axe: AccessibilityChecker, asgi_server: str
) -> None:
    """Sign-up (with the page's CSRF token) answers « Vérifiez votre boîte mail », the same
    for an address that already has an account; the e-mailed link's button creates the
    account and logs it in."""
    page = phone_page
    MembershipFactory(user__email="admin@lycee.fr")

    def sign_up(email: str) -> None:
        page.goto(f"{asgi_server}/compte/inscription/")
        axe.check(page)
        page.get_by_label("Prénom").fill("Léa")
        page.get_by_label("Nom (obligatoire)", exact=True).fill("Dupont")
        page.get_by_label("Adresse e-mail (ex. : nom@exemple.fr)").fill(email)
        page.get_by_label("Mot de passe (8 caractères minimum").fill("Motdepasse1")
        page.get_by_label("J'accepte les conditions d'utilisation").check()
        page.get_by_role("button", name="Je m'inscris").click()
        expect(page.get_by_role("heading", name="Vérifiez votre boîte mail")).to_be_visible()

    sign_up("admin@lycee.fr")
    taken = page.locator("main").inner_text()
    sign_up("lea.dupont@example.fr")
    assert page.locator("main").inner_text() == taken
    axe.check(page)
    assert [m.to for m in mail.outbox] == [["admin@lycee.fr"], ["lea.dupont@example.fr"]]

    link = re.search(r"https?://\S+/compte/inscription/activer/\S+/", mail.outbox[1].body)
    assert link, mail.outbox[1].body
    page.goto(link[0])
    axe.check(page)
    page.get_by_role("button", name="Activer mon compte").click()
    expect(page.get_by_text("Votre compte a été créé.")).to_be_visible()
    # With no centre yet, the account lands on the Espace Surveillant's entry (seed 001),
    # which names it (header and « Vous êtes connecté avec le compte … »).
    expect(page.get_by_text("Léa Dupont", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Surveiller une session")).to_be_visible()
    axe.check(page)
    assert User.objects.filter(email="lea.dupont@example.fr").exists()
