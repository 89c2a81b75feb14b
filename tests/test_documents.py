"""The printable kit surveillant, feuille d'émargement and PV d'incident of a session."""

import io
import re

import pypdf
import pytest

from exams.documents import (
    attendance_sheet_pdf,
    incident_report_pdf,
    invigilator_kit_pdf,
    kit_qr_url,
)
from lib.codes import canonical_password
from lib.issue_reports import CODES
from tests.factories import CandidateFactory, ExamSessionFactory

SITE_URL = "https://vigie.example.fr"


def pages_text(pdf: bytes) -> list[str]:
    # pypdf turns the no-break spaces of « 33 % » or « 1 h 45 » into \xa0.
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [page.extract_text().replace("\xa0", " ") for page in reader.pages]


def all_text(pdf: bytes) -> str:
    return "\n".join(pages_text(pdf))


def compact(text: str) -> str:
    """Without whitespace, so a value wrapped inside a table cell still reads as one."""
    return "".join(text.split())


# --- Kit surveillant ----------------------------------------------------------------------


def test_it_prints_what_the_invigilator_needs_in_the_kit(exam_session):
    """The kit gives the session number, password, access code, place, date and time."""
    text = all_text(invigilator_kit_pdf(exam_session, site_url=SITE_URL))

    assert "Kit surveillant" in text
    assert exam_session.number in text
    assert exam_session.invigilator_password in text
    assert exam_session.access_code in text
    assert "Lycée Victor Hugo" in text
    assert exam_session.site_name in text
    assert exam_session.address in text
    assert exam_session.room in text
    assert exam_session.date.strftime("%d/%m/%Y") in text
    assert "14:00 (France métropolitaine)" in text
    assert "Mme Martin" in text
    assert "Mot de passe de la session" in text
    assert "Code d'accès (candidats)" in text
    assert "au moment où l'épreuve commence" in text
    assert "Espace Surveillant" in text
    assert SITE_URL in text
    assert "1 h 45 hors temps majoré" in text


def test_it_reminds_the_invigilator_to_clear_shared_computers(exam_session):
    """Seed 004 (issue 20): after the session, shared computers are cleared."""
    text = compact(all_text(invigilator_kit_pdf(exam_session, site_url=SITE_URL)))

    assert compact("Après la session : ordinateurs partagés") in text
    assert compact("déconnectez le compte Vigie de l'élève, fermez toutes les fenêtres") in text


def test_it_prints_the_time_zone_of_the_centre(exam_session):
    """An overseas centre's session shows its own time zone next to the local time."""
    exam_session.centre.time_zone = "Indian/Reunion"
    exam_session.centre.save()

    text = all_text(invigilator_kit_pdf(exam_session, site_url=SITE_URL))

    assert "14:00 (La Réunion)" in text


def test_it_embeds_a_qr_code_image_in_the_kit(exam_session):
    """The kit carries an image: the QR code opening the Espace Surveillant."""
    reader = pypdf.PdfReader(io.BytesIO(invigilator_kit_pdf(exam_session, site_url=SITE_URL)))

    assert len(reader.pages[0].images) == 1


def test_it_points_the_qr_code_to_the_session_but_never_to_the_password(exam_session):
    """The QR code URL names the session; the password stays on paper only."""
    url = kit_qr_url(exam_session, f"{SITE_URL}/")

    assert url == f"{SITE_URL}/surveillance/?session={exam_session.number}"
    password = exam_session.invigilator_password
    assert password not in url
    assert canonical_password(password) not in canonical_password(url)


def test_it_prints_the_sos_campaign_code_when_the_centre_has_one(exam_session):
    """A centre's « SOS élève non certifiable » code appears with its explanation."""
    exam_session.centre.sos_campaign_code = "SOSXYZ42"
    exam_session.centre.save()

    text = all_text(invigilator_kit_pdf(exam_session, site_url=SITE_URL))

    assert "Code de la campagne « SOS élève non certifiable » : SOSXYZ42" in text
    assert "non certifiable le jour de la session" in text


def test_it_leaves_out_the_sos_box_when_the_centre_has_no_code(exam_session):
    """No SOS code configured: no SOS box at all."""
    text = all_text(invigilator_kit_pdf(exam_session, site_url=SITE_URL))

    assert "SOS" not in text


def test_it_fits_the_kit_on_one_page(exam_session):
    """The kit is a single sheet, even with the SOS box."""
    exam_session.centre.sos_campaign_code = "SOSXYZ42"
    exam_session.centre.save()

    assert len(pages_text(invigilator_kit_pdf(exam_session, site_url=SITE_URL))) == 1


# --- Feuille d'émargement ------------------------------------------------------------------


def test_it_lists_candidates_sorted_by_birth_name(exam_session):
    """Candidates come by last name, accents ignored: « Émery » sorts as E."""
    CandidateFactory(session=exam_session, first_name="Zoé", last_name="Zola")
    CandidateFactory(session=exam_session, first_name="Élodie", last_name="Émery")
    CandidateFactory(session=exam_session, first_name="Marc", last_name="Abadie")

    text = all_text(attendance_sheet_pdf(exam_session))

    assert text.index("ABADIE Marc") < text.index("ÉMERY Élodie") < text.index("ZOLA Zoé")
    assert "Total : 3 candidats inscrits" in text


def test_it_prints_the_sheet_columns_with_birthdate_and_extra_time(exam_session):
    """Each line shows birth name in capitals, first name, birthdate and extra time."""
    CandidateFactory(
        session=exam_session, first_name="Léa", last_name="Dupont", extra_time_percentage=33
    )

    text = all_text(attendance_sheet_pdf(exam_session))

    assert "Feuille d'émargement" in text
    assert exam_session.number in text
    assert exam_session.room in text
    assert exam_session.date.strftime("%d/%m/%Y") in text
    for heading in ("Nom de naissance", "Prénom", "Date de naissance", "Temps majoré", "Signature"):
        assert heading in text
    assert "DUPONT Léa 14/03/2008 33 %" in text
    assert "Total : 1 candidat inscrit" in text


def test_it_spreads_a_long_list_over_pages_repeating_the_headings(exam_session):
    """45 candidates need several pages, each with the table headings and « Page X / N »."""
    for _ in range(45):
        CandidateFactory(session=exam_session)

    pages = pages_text(attendance_sheet_pdf(exam_session))

    assert 3 <= len(pages) <= 4  # about 20 signing lines a page
    for number, page in enumerate(pages, start=1):
        assert "Nom de naissance" in page
        assert "Signature" in page
        assert f"Page {number} / {len(pages)}" in page
    text = "\n".join(pages)
    assert "Total : 45 candidats inscrits" in text
    assert len(re.findall(r"\bNOM\d+\b", text)) == 45


def test_it_prints_html_in_names_literally(exam_session):
    """Markup typed in a name or a room is printed as is, never interpreted."""
    exam_session.room = "<i>B12</i>"
    exam_session.save()
    CandidateFactory(
        session=exam_session, first_name="<b>Léa</b>", last_name="<script>alert(1)</script>"
    )

    text = compact(all_text(attendance_sheet_pdf(exam_session)))

    assert "<SCRIPT>ALERT(1)</SCRIPT>" in text
    assert "<b>Léa</b>" in text
    assert "<i>B12</i>" in text


def test_it_does_not_replace_a_page_count_placeholder_typed_in_a_name(exam_session):
    """fpdf2's « {nb} » page-count alias is not applied to what people typed."""
    CandidateFactory(session=exam_session, first_name="{nb}", last_name="Dupont")

    text = all_text(attendance_sheet_pdf(exam_session))

    assert "DUPONT {nb}" in text
    assert "Page 1 / 1" in text


@pytest.mark.django_db
def test_it_says_so_when_no_candidate_is_registered():
    """An empty session still gives a valid one-page sheet."""
    pages = pages_text(attendance_sheet_pdf(ExamSessionFactory()))

    assert len(pages) == 1
    assert "Aucun candidat inscrit" in pages[0]
    assert "Nom de naissance" not in pages[0]


# --- PV d'incident ---------------------------------------------------------------------------


def test_it_lists_every_issue_category_in_the_incident_report(exam_session):
    """The PV's legend gives the 16 category codes with their French labels."""
    text = all_text(incident_report_pdf(exam_session))

    codes = [
        *("C1", "C2", "C4", "C6", "C7", "C8"),
        *("E1", "E2", "E3", "E4", "E5", "E8", "E9", "E10", "E11", "E12"),
    ]
    assert [code.code for code in CODES] == codes
    assert set(re.findall(r"\b[CE]\d{1,2}\b", text)) == set(codes)
    for code in CODES:
        assert compact(str(code.label)) in compact(text)
    assert "Problème avec l’accessibilité de la question (ex : daltonisme)" in text


def test_it_prints_a_blank_incident_form_for_the_session(exam_session):
    """The PV has the session header, the incident columns, a comment box and signatures."""
    exam_session.examiner = "Mme Martin et M. Durand"
    exam_session.save()

    text = all_text(incident_report_pdf(exam_session))

    assert "PV d'incident" in text
    assert exam_session.number in text
    assert exam_session.site_name in text
    assert exam_session.date.strftime("%d/%m/%Y") in text
    for heading in ("Nom et prénom du candidat", "N° de question", "Catégorie", "Description"):
        assert compact(heading) in compact(text)
    assert "Commentaire global" in text
    assert "Signature du ou des surveillants" in text
    assert "Mme Martin" in text
    assert "M. Durand" in text


# --- All documents -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("render", "title"),
    [
        (lambda session: invigilator_kit_pdf(session, site_url=SITE_URL), "Kit surveillant"),
        (attendance_sheet_pdf, "Feuille d'émargement"),
        (incident_report_pdf, "PV d'incident"),
    ],
)
def test_it_sets_french_metadata(exam_session, render, title):
    """Each PDF is titled after the document and session, authored by Vigie, in French."""
    reader = pypdf.PdfReader(io.BytesIO(render(exam_session)))

    assert reader.metadata.title == f"{title} – session {exam_session.number}"
    assert reader.metadata.author == "Vigie"
    assert reader.trailer["/Root"]["/Lang"] == "fr"
