"""Results: issuing certificates from the answers, the candidate's results page and PDF
certificate, the public verification of a code, and the centre's exports.

Personas: the candidate persona owns the certificate; another candidate of the session, the
admin of another centre, an invigilator and anonymous visitors are refused.
"""

import csv
import datetime as dt
import html
import io
import re

import pypdf
import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from python_calamine import CalamineWorkbook

from accounts.models import RateLimitCounter
from audit.models import AuditEvent
from audit.tags import Tag
from certification import irt
from certification.models import Answer, CertificationCourse, CourseStatus
from certification.scoring import level_for, score_for
from invigilation.models import InvigilatorAccess
from jury.actions import do_publish_session, do_unpublish_session
from lib.framework import COMPETENCE_CODES
from results import actions
from results.documents import certificate_pdf, verification_url
from results.models import Certificate, CertificateStatus, Visibility
from tests.factories import CandidateFactory, UserFactory

# The personas' passwords are not under test: hashed quickly (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fast_password_hashing")

SITE_URL = "https://vigie.example.fr"
CODE = re.compile(r"^V-[2346789BCDEFGHJKMNPQRTVWXY]{10}$")
UNKNOWN = "Aucun certificat ne correspond à ce code de vérification."
WITHDRAWN = "Ce certificat a été retiré : ses résultats ne sont plus publiés."
TOO_MANY = "Trop de vérifications depuis votre connexion."
NOT_PUBLISHED = "Les résultats de cette session ne sont pas encore publiés."
INJECTION = '=HYPERLINK("http://x")'


# --- Helpers ---------------------------------------------------------------------------------


def make_course(candidate, bank, *, right, wrong=0, status=CourseStatus.COMPLETED):
    """A course with `right` right answers then `wrong` wrong ones, on distinct items."""
    now = timezone.now()
    course = CertificationCourse.objects.create(
        candidate=candidate, user=candidate.user, started_at=now, seed=1, status=status
    )
    items = [item for item in bank.items if item.type == "single"][: right + wrong]
    Answer.objects.bulk_create(
        Answer(
            course=course,
            position=position,
            item_id=item.id,
            competence=item.competence,
            response=[0] if position <= right else [1],
            correct=position <= right,
            asked_at=now,
            answered_at=now,
        )
        for position, item in enumerate(items, start=1)
    )
    return course


def neutralize(course, positions):
    """The jury's « Neutraliser la question »: the answer stays but no longer counts."""
    Answer.objects.filter(course=course, position__in=positions).update(neutralized=True)


def history(course, bank, skip=()):
    by_id = bank.by_id()
    return [(by_id[a.item_id], a.correct) for a in course.answers.all() if a.position not in skip]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def publish(session, jury):
    """What the jury's publication does: issue the certificates, date the publication."""
    certificates = actions.do_issue_certificates(session, actor=jury)
    session.published_at = timezone.now()
    session.save(update_fields=["published_at"])
    return certificates


def pdf_text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text().replace("\xa0", " ") for page in reader.pages)


def compact(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def course(small_bank, joined_candidate):
    joined_candidate.birthdate = dt.date(2008, 3, 14)
    joined_candidate.save()
    return make_course(joined_candidate, small_bank, right=24, wrong=8)


@pytest.fixture
def certificate(course, jury):
    [issued] = publish(course.candidate.session, jury)
    return issued


@pytest.fixture
def other_candidate(exam_session):
    return CandidateFactory(session=exam_session, first_name="Hugo", user=UserFactory())


# --- Computation -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_computes_the_result_from_the_answers(course, small_bank, jury):
    """Score, level and competence levels come from the EAP estimate of the answers."""
    [certificate] = actions.do_issue_certificates(course.candidate.session, actor=jury)

    theta = irt.estimate(history(course, small_bank)).theta
    assert certificate.theta == pytest.approx(theta)
    assert certificate.score == score_for(theta)
    assert certificate.level == level_for(certificate.score)
    assert certificate.answer_count == 32
    assert certificate.status == CertificateStatus.VALIDATED
    assert set(certificate.competence_levels) == set(COMPETENCE_CODES)
    assert all(0 <= level <= 7 for level in certificate.competence_levels.values())
    assert certificate.visibility == Visibility.PUBLISHED
    assert CODE.match(certificate.verification_code)


@pytest.mark.django_db
def test_it_leaves_neutralized_answers_out_of_the_score(small_bank, joined_candidate, jury):
    """Neutralized answers do not count in the estimate, but still count as answers."""
    course = make_course(joined_candidate, small_bank, right=10, wrong=14)
    before = actions.do_issue_certificates(joined_candidate.session, actor=jury)[0].score
    wrong_ones = range(11, 25)
    neutralize(course, wrong_ones)

    [certificate] = actions.do_issue_certificates(joined_candidate.session, actor=jury)

    theta = irt.estimate(history(course, small_bank, skip=wrong_ones)).theta
    assert certificate.theta == pytest.approx(theta)
    assert certificate.score == score_for(theta)
    assert certificate.score > before
    assert certificate.answer_count == 24


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answers", "status", "expected"),
    [
        (19, CourseStatus.ENDED_BY_INVIGILATOR, CertificateStatus.REJECTED),
        (19, CourseStatus.ENDED_DUE_TO_FINALIZATION, CertificateStatus.REJECTED),
        (20, CourseStatus.ENDED_BY_INVIGILATOR, CertificateStatus.VALIDATED),
        (19, CourseStatus.COMPLETED, CertificateStatus.VALIDATED),
    ],
)
def test_it_rejects_an_aborted_course_with_fewer_than_20_answers(
    small_bank, joined_candidate, jury, answers, status, expected
):
    """Rejected only when the course was not completed and has fewer than 20 answers."""
    make_course(joined_candidate, small_bank, right=answers, status=status)

    [certificate] = actions.do_issue_certificates(joined_candidate.session, actor=jury)

    assert certificate.status == expected


@pytest.mark.django_db
def test_it_issues_one_certificate_per_course_only(
    small_bank, joined_candidate, other_candidate, jury
):
    """A candidate who never started has no certificate; each course gets its own code."""
    make_course(joined_candidate, small_bank, right=20)
    make_course(other_candidate, small_bank, right=5, wrong=20)
    CandidateFactory(session=joined_candidate.session)

    certificates = actions.do_issue_certificates(joined_candidate.session, actor=jury)

    assert len(certificates) == 2
    assert len({c.verification_code for c in certificates}) == 2
    assert certificates[0].score != certificates[1].score


@pytest.mark.django_db
def test_it_reissues_idempotently_with_a_stable_code(course, small_bank, jury):
    """Issuing again updates the same certificate and keeps its verification code."""
    session = course.candidate.session
    [first] = actions.do_issue_certificates(session, actor=jury)
    course.answers.filter(position__gt=24).update(correct=True)

    [again] = actions.do_issue_certificates(session, actor=jury)

    assert Certificate.objects.count() == 1
    assert again.pk == first.pk
    assert again.verification_code == first.verification_code
    assert again.score > first.score
    events = AuditEvent.objects.filter(tag=Tag.Jury.CERTIFICATES_ISSUE, session=session)
    assert events.count() == 2
    assert events.last().actor == jury
    assert events.last().data["reissued"] == 1
    assert events.last().data["certificates"][0]["score"] == again.score


@pytest.mark.django_db
def test_it_tells_the_candidate_live_when_results_are_published(course, jury, sent_events):
    """The candidate's pages get a « results published » event after commit."""
    with sent_events() as events:
        actions.do_issue_certificates(course.candidate.session, actor=jury)

    assert events == [(f"candidate-{course.candidate_id}", {"type": "results", "op": "published"})]


@pytest.mark.django_db
def test_it_withdraws_then_republishes_with_the_same_code(certificate, jury):
    """Unpublishing keeps the row, marked withdrawn; publishing again restores it."""
    session = certificate.session

    assert actions.do_withdraw_certificates(session, actor=jury) == 1
    assert actions.do_withdraw_certificates(session, actor=jury) == 0

    certificate.refresh_from_db()
    assert certificate.visibility == Visibility.WITHDRAWN
    assert certificate.withdrawn_by == jury
    assert AuditEvent.objects.filter(tag=Tag.Jury.CERTIFICATES_WITHDRAW).count() == 1
    [again] = actions.do_issue_certificates(session, actor=jury)
    assert again.visibility == Visibility.PUBLISHED
    assert again.withdrawn_at is None
    assert again.verification_code == certificate.verification_code


@pytest.mark.django_db
def test_it_issues_and_withdraws_with_the_jury_publication(course, jury):
    """The jury's « Publier » issues the certificates, « Dépublier » withdraws them."""

    session = course.candidate.session
    session.finalized_at = timezone.now()
    session.save(update_fields=["finalized_at"])

    do_publish_session(session, actor=jury)
    certificate = Certificate.objects.get(course=course)
    assert certificate.visibility == Visibility.PUBLISHED
    do_unpublish_session(session, actor=jury)
    certificate.refresh_from_db()
    assert certificate.visibility == Visibility.WITHDRAWN
    assert certificate.withdrawn_by == jury


def test_it_reads_a_typed_code_however_it_was_written():
    """Case, spaces and a missing dash do not matter."""
    assert actions.canonical_code(" v-bcdf ghjk mn ") == "V-BCDFGHJKMN"
    assert actions.canonical_code("VBCDFGHJKMN") == "V-BCDFGHJKMN"
    assert actions.canonical_code("bcdfghjkmn") == "V-BCDFGHJKMN"
    assert CODE.match(actions.generate_verification_code())


# --- The candidate's results page --------------------------------------------------------------


@pytest.mark.django_db
def test_it_links_the_results_from_the_home_page_once_published(course, jury):
    """« Mes résultats » appears next to the candidacy only while the certificate is published."""
    client = login(course.user)
    assert "Mes résultats" not in client.get("/").content.decode()

    [certificate] = publish(course.candidate.session, jury)
    page = client.get("/").content.decode()
    assert "Mes résultats" in page
    assert f"/resultats/{certificate.pk}/" in page

    actions.do_withdraw_certificates(course.candidate.session, actor=jury)
    assert "Mes résultats" not in client.get("/").content.decode()


@pytest.mark.django_db
def test_it_shows_the_owner_score_level_and_competences(certificate):
    """Score, level name, status, and the 16 competences grouped by the 5 areas."""
    response = login(certificate.course.user).get(f"/resultats/{certificate.pk}/")

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert f"{certificate.score} / 895" in page
    assert "Certification validée" in page
    assert certificate.verification_code in page
    assert "1. Information et données" in page
    assert "5. Environnement numérique" in page
    assert page.count('data-testid="level-') == 16
    assert "Mener une recherche et une veille d'information" in page
    assert "/verifier/?code=" + certificate.verification_code in page


@pytest.mark.django_db
def test_it_shows_a_rejected_certification_without_score(small_bank, joined_candidate, jury):
    """A rejected certification says so, gives no score, and has no PDF."""
    make_course(joined_candidate, small_bank, right=5, status=CourseStatus.ENDED_BY_INVIGILATOR)
    [certificate] = publish(joined_candidate.session, jury)
    client = login(joined_candidate.user)

    page = client.get(f"/resultats/{certificate.pk}/").content.decode()

    assert "Certification rejetée" in page
    assert "/ 895" not in page
    assert "certificat.pdf" not in page
    assert client.get(f"/resultats/{certificate.pk}/certificat.pdf").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/resultats/{}/", "/resultats/{}/certificat.pdf"])
def test_it_hides_the_results_from_everyone_but_their_owner(
    certificate, other_candidate, centre_admin, other_centre_admin, invigilator, jury, path
):
    """Another candidate, the centre's admins, an invigilator and the jury get 404."""
    url = path.format(certificate.pk)
    for user in (other_candidate.user, centre_admin, other_centre_admin, invigilator, jury):
        assert login(user).get(url).status_code == 404, user
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/compte/")
    assert login(certificate.course.user).get(url).status_code == 200


@pytest.mark.django_db
def test_it_hides_withdrawn_results_from_their_owner(certificate, jury):
    """Once withdrawn, the owner's page and PDF are gone (404)."""
    actions.do_withdraw_certificates(certificate.session, actor=jury)
    client = login(certificate.course.user)

    assert client.get(f"/resultats/{certificate.pk}/").status_code == 404
    assert client.get(f"/resultats/{certificate.pk}/certificat.pdf").status_code == 404


@pytest.mark.django_db
def test_it_serves_the_certificate_json_to_its_owner_only(certificate, other_candidate):
    """GET /api/results/certificates/{id}: the owner's result, 404 for others."""
    url = f"/api/results/certificates/{certificate.pk}"

    body = login(certificate.course.user).get(url).json()

    assert body["score"] == certificate.score
    assert body["verification_code"] == certificate.verification_code
    assert body["competence_levels"] == certificate.competence_levels
    assert login(other_candidate.user).get(url).status_code == 404
    assert Client().get(url).status_code == 401


# --- The PDF certificate ---------------------------------------------------------------------


@pytest.mark.django_db
def test_it_prints_the_certificate(certificate):
    """Name, birth date, session, centre, score, level, competences, code and URL."""
    text = pdf_text(certificate_pdf(certificate, site_url=SITE_URL))
    candidate = certificate.candidate

    assert "Certificat de compétences numériques" in text
    assert f"{candidate.last_name.upper()} {candidate.first_name}" in text
    assert "14/03/2008" in text
    assert certificate.session.date.strftime("%d/%m/%Y") in text
    assert "Lycée Victor Hugo" in text
    assert f"Score : {certificate.score} / 895" in text
    assert "Niveau global" in text
    assert "Certification validée" in text
    assert "4.3 Protéger la santé" in text
    assert certificate.verification_code in text
    url = f"{SITE_URL}/verifier/?code={certificate.verification_code}"
    assert url in compact(text)
    assert verification_url(certificate, SITE_URL + "/") == url


@pytest.mark.django_db
def test_it_embeds_the_qr_code_of_the_verification_url(certificate):
    """The certificate fits on one page and carries one image, the QR code."""
    reader = pypdf.PdfReader(io.BytesIO(certificate_pdf(certificate, site_url=SITE_URL)))

    assert len(reader.pages) == 1
    assert len(reader.pages[0].images) == 1


@pytest.mark.django_db
def test_it_prints_names_literally(course, jury):
    """HTML or markdown typed in a name is printed as text, not interpreted."""
    candidate = course.candidate
    candidate.first_name = "<b>Léa</b> **{nb}**"
    candidate.save()
    [certificate] = actions.do_issue_certificates(candidate.session, actor=jury)

    text = pdf_text(certificate_pdf(certificate, site_url=SITE_URL))

    assert "<b>Léa</b> **{nb}**" in text


@pytest.mark.django_db
def test_it_downloads_the_pdf_from_the_results_page(certificate, settings):
    """The owner downloads a PDF naming the configured site's verification page."""
    settings.SITE_URL = SITE_URL
    response = login(certificate.course.user).get(f"/resultats/{certificate.pk}/certificat.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = pdf_text(response.content)
    assert certificate.verification_code in text
    assert f"{SITE_URL}/verifier/" in compact(text)


# --- Public verification ---------------------------------------------------------------------


@pytest.mark.django_db
def test_it_verifies_a_published_code_without_login(certificate):
    """Anyone sees name, birth date, session date, score, level and status."""
    typed = certificate.verification_code.lower().replace("-", " ")

    response = Client().get("/verifier/", {"code": typed})

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    candidate = certificate.candidate
    assert "Certificat authentique" in page
    assert f"{candidate.last_name.upper()} {candidate.first_name}" in page
    assert "14/03/2008" in page
    assert certificate.session.date.strftime("%d/%m/%Y") in page
    assert f"{certificate.score} / 895" in page
    assert "Certification validée" in page


@pytest.mark.django_db
def test_it_shows_an_empty_form_first():
    """Without a code, only the form: no message, no hit counted."""
    response = Client().get("/verifier/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Code de vérification" in page
    assert 'role="alert"' not in page
    assert not RateLimitCounter.objects.exists()


@pytest.mark.django_db
def test_it_says_when_a_code_is_unknown(certificate):
    """An unknown code: 404 and a clear message, distinct from a withdrawn one."""
    response = Client().get("/verifier/", {"code": "V-BCDFGHJKMN"})

    page = html.unescape(response.content.decode())
    assert response.status_code == 404
    assert UNKNOWN in page
    assert WITHDRAWN not in page
    assert certificate.candidate.last_name.upper() not in page


@pytest.mark.django_db
def test_it_says_when_a_certificate_was_withdrawn(certificate, jury):
    """A withdrawn certificate: 410, « Certificat retiré », and nothing about the person."""
    actions.do_withdraw_certificates(certificate.session, actor=jury)

    response = Client().get("/verifier/", {"code": certificate.verification_code})

    page = html.unescape(response.content.decode())
    assert response.status_code == 410
    assert "Certificat retiré" in page
    assert WITHDRAWN in page
    assert UNKNOWN not in page
    assert certificate.candidate.last_name.upper() not in page


@pytest.mark.django_db
def test_it_rate_limits_verification_per_address(certificate):
    """30 verifications per address per 15 minutes; other addresses are not affected."""
    start = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    code = certificate.verification_code
    with time_machine.travel(start, tick=False):
        for _ in range(30):
            assert (
                Client(REMOTE_ADDR="203.0.113.7").get("/verifier/", {"code": code}).status_code
                == 200
            )

        blocked = Client(REMOTE_ADDR="203.0.113.7").get("/verifier/", {"code": code})
        other = Client(REMOTE_ADDR="198.51.100.2").get("/verifier/", {"code": code})
        api = Client(REMOTE_ADDR="203.0.113.7").get(f"/api/results/verify/{code}")

    assert blocked.status_code == 429
    assert TOO_MANY in html.unescape(blocked.content.decode())
    assert certificate.candidate.last_name.upper() not in blocked.content.decode()
    assert other.status_code == 200
    assert api.status_code == 429
    assert api.json()["code"] == "too_many_verifications"
    with time_machine.travel(start + dt.timedelta(minutes=16), tick=False):
        assert (
            Client(REMOTE_ADDR="203.0.113.7").get("/verifier/", {"code": code}).status_code == 200
        )


@pytest.mark.django_db
def test_it_verifies_through_the_api_without_login(certificate, jury):
    """GET /api/results/verify/{code}: the same facts as JSON; 404 unknown, 410 withdrawn."""
    client = Client()

    body = client.get(f"/api/results/verify/{certificate.verification_code.lower()}").json()

    candidate = certificate.candidate
    assert body == {
        "verification_code": certificate.verification_code,
        "status": "validated",
        "status_label": "Validée",
        "first_name": candidate.first_name,
        "last_name": candidate.last_name,
        "birthdate": "2008-03-14",
        "session_date": certificate.session.date.isoformat(),
        "centre": "Lycée Victor Hugo",
        "score": certificate.score,
        "level": certificate.level,
        "level_name": body["level_name"],
    }
    assert body["level_name"]
    unknown = client.get("/api/results/verify/V-BCDFGHJKMN")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_certificate"
    actions.do_withdraw_certificates(certificate.session, actor=jury)
    withdrawn = client.get(f"/api/results/verify/{certificate.verification_code}")
    assert withdrawn.status_code == 410
    assert withdrawn.json()["detail"].startswith(WITHDRAWN)


# --- Centre exports --------------------------------------------------------------------------


@pytest.fixture
def published_session(small_bank, joined_candidate, jury):
    """Three candidates: the persona (validated), an injected name (rejected), an absentee."""
    session = joined_candidate.session
    make_course(joined_candidate, small_bank, right=24, wrong=8)
    injected = CandidateFactory(
        session=session,
        first_name=INJECTION,
        last_name="Zorro",
        external_id="+SUM(A1)",
        user=UserFactory(),
    )
    make_course(injected, small_bank, right=3, status=CourseStatus.ENDED_BY_INVIGILATOR)
    CandidateFactory(session=session, first_name="Absent", last_name="Yvon")
    publish(session, jury)
    return session


def _rows_by_first_name(rows):
    return {row[1]: row for row in rows[1:]}


@pytest.mark.django_db
def test_it_exports_the_results_as_csv(published_session, centre_admin, joined_candidate):
    """One row per candidate with status, score, level, the 16 competences and the code."""
    response = login(centre_admin).get(f"/sessions/{published_session.pk}/resultats.csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:8] == [
        "Nom de naissance",
        "Prénom",
        "Date de naissance",
        "Identifiant externe",
        "Statut",
        "Score",
        "Niveau",
        "Libellé du niveau",
    ]
    assert rows[0][8] == "1.1 Mener une recherche et une veille d'information"
    assert rows[0][-1] == "Code de vérification"
    assert len(rows) == 4
    assert all(len(row) == 8 + 16 + 1 for row in rows)
    certificate = joined_candidate.course.certificate
    persona = _rows_by_first_name(rows)[joined_candidate.first_name]
    assert persona[2] == "14/03/2008"
    assert persona[4:7] == ["Validée", str(certificate.score), str(certificate.level)]
    assert persona[8:24] == [str(certificate.competence_levels[c]) for c in COMPETENCE_CODES]
    assert persona[-1] == certificate.verification_code
    absent = _rows_by_first_name(rows)["Absent"]
    assert absent[4] == "Sans résultat (test non passé)"
    assert absent[5:] == [""] * 20


@pytest.mark.django_db
def test_it_neutralizes_formulas_in_the_csv(published_session, centre_admin):
    """A name typed as a formula comes out as text, quoted; a rejected one has no score."""
    response = login(centre_admin).get(f"/sessions/{published_session.pk}/resultats.csv")

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    injected = _rows_by_first_name(rows)["'" + INJECTION]
    assert injected[3] == "'+SUM(A1)"
    assert injected[4] == "Rejetée"
    assert injected[5:24] == [""] * 19
    assert CODE.match(injected[-1])
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


@pytest.mark.django_db
def test_it_exports_the_results_as_ods(published_session, centre_admin, joined_candidate):
    """The same table as an .ods: numbers as numbers, formulas neutralized."""
    response = login(centre_admin).get(f"/sessions/{published_session.pk}/resultats.ods")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = sheet.to_python()
    assert rows[0][0] == "Nom de naissance"
    assert len(rows) == 4
    by_name = _rows_by_first_name(rows)
    certificate = joined_candidate.course.certificate
    persona = by_name[joined_candidate.first_name]
    assert persona[5] == certificate.score
    assert persona[-1] == certificate.verification_code
    injected = by_name["'" + INJECTION]
    assert injected[3] == "'+SUM(A1)"
    assert b"table:formula" not in response.content


@pytest.mark.django_db
def test_it_serves_the_results_json_to_the_centre(published_session, centre_admin):
    """GET /api/results/sessions/{id}/results: the export's headers and rows."""
    body = login(centre_admin).get(f"/api/results/sessions/{published_session.pk}/results").json()

    assert body["headers"][0] == "Nom de naissance"
    assert len(body["rows"]) == 3


@pytest.mark.django_db
def test_it_offers_exports_only_once_results_are_published(
    small_bank, joined_candidate, centre_admin, jury
):
    """Before publication: no links, and the export redirects with a message (409 in JSON)."""
    session = joined_candidate.session
    make_course(joined_candidate, small_bank, right=20)
    client = login(centre_admin)
    assert "resultats.csv" not in client.get(f"/sessions/{session.pk}/").content.decode()

    response = client.get(f"/sessions/{session.pk}/resultats.csv", follow=True)
    assert response.redirect_chain == [(f"/sessions/{session.pk}/", 302)]
    assert NOT_PUBLISHED in html.unescape(response.content.decode())
    api = client.get(f"/api/results/sessions/{session.pk}/results")
    assert api.status_code == 409

    publish(session, jury)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert f"/sessions/{session.pk}/resultats.csv" in page
    assert f"/sessions/{session.pk}/resultats.ods" in page


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["csv", "ods"])
def test_it_refuses_the_exports_to_outsiders(
    published_session, joined_candidate, other_centre_admin, invigilator, kind
):
    """The admin of another centre, an invigilator of the session and the candidate: 404."""
    InvigilatorAccess.objects.create(
        session=published_session, user=invigilator, via=InvigilatorAccess.Via.PASSWORD
    )
    url = f"/sessions/{published_session.pk}/resultats.{kind}"
    api = f"/api/results/sessions/{published_session.pk}/results"
    for user in (other_centre_admin, invigilator, joined_candidate.user):
        assert login(user).get(url).status_code == 404, user
        assert login(user).get(api).status_code == 404, user
    assert Client().get(url).status_code == 302
    assert Client().get(api).status_code == 401


@pytest.mark.django_db
def test_it_refuses_an_unknown_export_format(published_session, centre_admin):
    """Only .csv and .ods exist."""
    assert (
        login(centre_admin).get(f"/sessions/{published_session.pk}/resultats.xlsx").status_code
        == 404
    )
