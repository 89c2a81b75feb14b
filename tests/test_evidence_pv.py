"""Evidence turned into the PV in one tap (issue 15).

What Vigie sees during a test — a focus-mode frame left, a timed question that ran out (with
extra time or not), the companion extension lost, a resume, time added — shows on the
candidate's row with the question number. One tap (« Ajouter au PV ») makes it a line of the
digital PV d'incident with its category from the one catalogue (lib/issue_reports.py) and the
question number; a second tap makes no second line. Notes the invigilator types get a
category, a question number (for E…) and the action taken. At « Finaliser la session » these
lines pre-fill the candidate's reports (seed 002: nobody copies question numbers by hand),
and « Écran de fin de test vu » comes ticked where Vigie showed the end of the test.

Personas: the candidate (answers; refused the invigilator's routes), Alice (entered the
session's password), Bruno (entered another centre's session: refused), the centre admin
(finalizes).
"""

import datetime as dt
import hashlib
import html
import io
from pathlib import Path

import pypdf
import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.tags import Tag
from certification import actions as test_actions
from certification import engine
from certification.models import CertificationCourse, CourseStatus, IssueReport
from finalization import validation
from finalization.models import SessionRecord
from invigilation.history import session_history
from invigilation.models import InvigilatorAccess, Note
from tests.factories import ExamSessionFactory, UserFactory

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

API = "/api/invigilation"


@pytest.fixture
def bank(small_bank, settings):
    """The small bank (« timed-1 » is timed and in focus mode) plus « focus-2 », in focus
    mode without a countdown."""
    (Path(settings.ITEM_BANK_DIR) / "focus.yaml").write_text(
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
        "    flags: [focus]\n",
        encoding="utf-8",
    )
    engine.get_bank.cache_clear()
    yield engine.get_bank()
    engine.get_bank.cache_clear()


@pytest.fixture
def alice(exam_session):
    user = UserFactory(email="alice.martin@lycee.fr", first_name="Alice", last_name="Martin")
    InvigilatorAccess.objects.create(
        session=exam_session, user=user, via=InvigilatorAccess.Via.PASSWORD
    )
    return user


@pytest.fixture
def bruno(db):
    """An invigilator who entered a session of another centre."""
    user = UserFactory(email="bruno.petit@college.fr", first_name="Bruno", last_name="Petit")
    InvigilatorAccess.objects.create(
        session=ExamSessionFactory(), user=user, via=InvigilatorAccess.Via.PASSWORD
    )
    return user


def _show(course_id: int, item_id: str, *, asked: dt.datetime | None = None) -> None:
    CertificationCourse.objects.filter(pk=course_id).update(
        current_item_id=item_id, current_asked_at=asked or timezone.now(), current_choice_order=[]
    )


@pytest.fixture
def started(login, bank, joined_candidate, alice):
    """The candidate's test started (Alice confirmed the presence); « focus-2 » on screen."""
    test_actions.do_confirm_presence(joined_candidate, actor=alice)
    client = login(joined_candidate.user)
    body = client.post(
        f"/api/certification/candidates/{joined_candidate.pk}/start",
        {"access_code": joined_candidate.session.access_code},
        content_type="application/json",
    ).json()
    _show(body["course_id"], "focus-2")
    return client, body["course_id"], body["run_token"]


def _answer(client, course_id, token, item_id, response, **extra):
    response = client.post(
        f"/api/certification/courses/{course_id}/answers",
        {"item_id": item_id, "response": response, **extra},
        content_type="application/json",
        headers={"X-Run-Token": token},
    )
    assert response.status_code == 200, response.content
    return response


def _row(client, session, candidate) -> dict:
    state = client.get(f"{API}/sessions/{session.pk}/state").json()
    return next(row for row in state["candidates"] if row["id"] == candidate.pk)


def _left_focus(started) -> AuditEvent:
    """The candidate leaves the frame of question 1 (focus mode)."""
    client, course_id, token = started
    _answer(client, course_id, token, "focus-2", [0], focus_lost=True)
    return AuditEvent.objects.get(tag=Tag.Candidate.FOCUS_LEAVE)


def _tap(client, session, candidate, event):
    return client.post(
        f"/surveillance/sessions/{session.pk}/candidats/{candidate.pk}/constats/{event.pk}/au-pv/",
        HTTP_HX_REQUEST="true",
    )


# --- On the candidate's row, as it happens ------------------------------------------------


@pytest.mark.django_db
def test_it_shows_on_the_row_what_vigie_saw_with_the_question_number(
    login, started, joined_candidate, exam_session, alice
):
    """Focus leave on question 1, a timed question running out on question 2 for a
    candidate with extra time (E8), the extension lost, a resume and time added on question
    3: each on the row, newest first, with its number and the category it would take."""
    client, course_id, token = started
    joined_candidate.extra_time_percentage = 33
    joined_candidate.save(update_fields=["extra_time_percentage"])
    _answer(client, course_id, token, "focus-2", [0], focus_lost=True)
    _show(course_id, "timed-1", asked=timezone.now() - dt.timedelta(minutes=5))
    _answer(client, course_id, token, "timed-1", [])
    course = CertificationCourse.objects.get(pk=course_id)
    test_actions.do_raise_companion_alert(course, user=joined_candidate.user, token=token)
    test_actions.do_clear_companion_alert(course.alerts.get(), actor=alice)
    test_actions.do_add_time([joined_candidate], minutes=10, reason="Coupure réseau", actor=alice)
    test_actions.do_authorize_resume(joined_candidate, actor=alice)

    as_alice = login(alice)
    row = _row(as_alice, exam_session, joined_candidate)
    seen = [(e["kind"], e["code"], e["question_number"]) for e in row["evidence"]]
    assert seen == [
        ("resume", "C7", 3),
        ("time_added", "C7", 3),
        ("companion_lost", "C7", 3),
        ("timeout_extra_time", "E8", 2),
        ("focus_leave", "E10", 1),
    ]
    assert not any(e["in_pv"] for e in row["evidence"])
    timeout = row["evidence"][3]
    assert timeout["text"] == (
        "Temps écoulé sur une question chronométrée — question 2 (temps majoré de 33 %)"
    )

    page = html.unescape(
        as_alice.get(f"/surveillance/sessions/{exam_session.pk}/").content.decode()
    )
    assert "Constats de Vigie" in page
    assert "Sortie du cadre d'une question en mode focus — question 1" in page
    assert "Ajouter au PV (E10)" in page and "Ajouter au PV (E8)" in page


@pytest.mark.django_db
def test_it_gives_a_timeout_without_extra_time_as_a_candidate_incident(
    login, started, joined_candidate, exam_session, alice
):
    client, course_id, token = started
    _show(course_id, "timed-1", asked=timezone.now() - dt.timedelta(minutes=5))
    _answer(client, course_id, token, "timed-1", [])
    (item,) = _row(login(alice), exam_session, joined_candidate)["evidence"]
    assert (item["kind"], item["code"], item["question_number"]) == ("timeout", "C8", 1)


# --- One tap: a line of the PV ---------------------------------------------------------------


@pytest.mark.django_db
def test_it_turns_evidence_into_one_line_of_the_pv_even_tapped_twice(
    login, started, joined_candidate, exam_session, alice, sent_events
):
    event = _left_focus(started)
    as_alice = login(alice)
    with sent_events() as events:
        first = _tap(as_alice, exam_session, joined_candidate, event)
    assert first.status_code == 200
    assert "Ajouté au PV d'incident de" in html.unescape(first.content.decode())
    with sent_events() as again:
        second = _tap(as_alice, exam_session, joined_candidate, event)
    assert second.status_code == 200

    line = Note.objects.get()
    assert (line.candidate, line.author, line.code, line.question_number, line.evidence) == (
        joined_candidate,
        alice,
        "E10",
        1,
        event,
    )
    assert line.text == "Sortie du cadre d'une question en mode focus — question 1"
    audit = AuditEvent.objects.filter(tag=Tag.Invigilator.PV_LINE_ADD)
    assert [(a.actor, a.data["code"], a.data["question_number"]) for a in audit] == [
        (alice, "E10", 1)
    ]
    assert [e["op"] for _g, e in events] == ["pv_line"]
    assert again == []
    row = _row(as_alice, exam_session, joined_candidate)
    assert row["evidence"][0]["in_pv"] is True
    assert "Au PV (E10)" in html.unescape(second.content.decode())


@pytest.mark.django_db
def test_it_turns_evidence_into_a_line_through_the_api_the_same_line_twice(
    login, started, joined_candidate, exam_session, alice
):
    event = _left_focus(started)
    as_alice = login(alice)
    url = f"{API}/candidates/{joined_candidate.pk}/evidence/{event.pk}/pv"
    first = as_alice.post(url, content_type="application/json")
    second = as_alice.post(url, content_type="application/json")
    assert first.status_code == second.status_code == 200
    assert first.json()["note_id"] == second.json()["note_id"] == Note.objects.get().pk
    assert (first.json()["code"], first.json()["question_number"]) == ("E10", 1)


@pytest.mark.django_db
def test_it_refuses_the_tap_to_another_centre_s_invigilator_and_to_the_candidate(
    login, started, joined_candidate, exam_session, bruno
):
    event = _left_focus(started)
    for user in (bruno, joined_candidate.user):
        client = login(user)
        assert _tap(client, exam_session, joined_candidate, event).status_code == 404
        url = f"{API}/candidates/{joined_candidate.pk}/evidence/{event.pk}/pv"
        assert client.post(url, content_type="application/json").status_code == 404
    assert not Note.objects.exists()
    assert not AuditEvent.objects.filter(tag=Tag.Invigilator.PV_LINE_ADD).exists()


@pytest.mark.django_db
def test_it_refuses_an_event_that_is_not_evidence_about_this_candidate(
    login, started, joined_candidate, exam_session, alice, candidate
):
    """A note's audit row is no evidence; another candidate's evidence is not this one's."""
    event = _left_focus(started)
    as_alice = login(alice)
    note_event = AuditEvent.objects.get(tag=Tag.Invigilator.PRESENCE_CONFIRM)
    assert _tap(as_alice, exam_session, joined_candidate, note_event).status_code == 404
    response = as_alice.post(
        f"{API}/candidates/{candidate.pk}/evidence/{event.pk}/pv", content_type="application/json"
    )
    assert response.status_code == 404
    assert not Note.objects.exists()


# --- Notes with a category, a question and the action taken ----------------------------------


@pytest.mark.django_db
def test_it_records_a_typed_line_of_the_pv_with_category_question_and_action(
    login, started, joined_candidate, exam_session, alice
):
    as_alice = login(alice)
    url = f"/surveillance/sessions/{exam_session.pk}/candidats/{joined_candidate.pk}/notes/"
    response = as_alice.post(
        url,
        {
            "code": "e1",
            "question_number": "7",
            "text": "L'image ne se charge pas",
            "action_taken": "Page actualisée, sans effet",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "Ligne ajoutée au PV d'incident." in html.unescape(response.content.decode())
    line = Note.objects.get()
    assert (line.code, line.question_number, line.action_taken) == (
        "E1",
        7,
        "Page actualisée, sans effet",
    )
    # A plain note stays a plain note.
    assert as_alice.post(url, {"text": "RAS"}, HTTP_HX_REQUEST="true").status_code == 200
    assert Note.objects.get(text="RAS").code == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"code": "E4", "question_number": ""},
            "E4 : indiquez le numéro de la question concernée (entre 1 et 500).",
        ),
        (
            {"code": "E4", "question_number": "²"},
            "E4 : indiquez le numéro de la question concernée (entre 1 et 500).",
        ),
        (
            {"code": "C6", "question_number": "3"},
            "C6 ne concerne pas une question : laissez le numéro vide.",
        ),
        ({"code": "Z9"}, "Choisissez une catégorie de la liste (C1 à C8, E1 à E12)."),
        ({"action_taken": "Changé de poste"}, "Choisissez la catégorie de la ligne du PV."),
    ],
)
def test_it_refuses_a_line_of_the_pv_that_misses_what_the_paper_asks(
    login, started, joined_candidate, exam_session, alice, fields, message
):
    as_alice = login(alice)
    url = f"/surveillance/sessions/{exam_session.pk}/candidats/{joined_candidate.pk}/notes/"
    response = as_alice.post(url, {"text": "Constat", **fields}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    api = as_alice.post(
        f"{API}/sessions/{exam_session.pk}/notes",
        {
            "text": "Constat",
            "candidate_id": joined_candidate.pk,
            **{
                k: (int(v) if k == "question_number" and v.isascii() and v.isdigit() else v or None)
                for k, v in fields.items()
            },
        },
        content_type="application/json",
    )
    assert api.status_code in (400, 422)
    assert not Note.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_category_on_a_note_about_the_whole_session(login, exam_session, alice):
    response = login(alice).post(
        f"{API}/sessions/{exam_session.pk}/notes",
        {"text": "Alarme incendie", "code": "C7"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "concerne un candidat" in response.json()["detail"]
    assert not Note.objects.exists()


# --- At finalization ------------------------------------------------------------------------


def _finalize_page(client, session) -> str:
    response = client.get(f"/sessions/{session.pk}/finaliser/")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.mark.django_db
def test_it_prefills_the_finalization_s_reports_with_the_pv_lines(
    login, started, joined_candidate, exam_session, alice, centre_admin
):
    """Seed 002: the question's number reaches the report without anyone copying it; the
    centre keeps, edits or removes the line before finalizing."""
    event = _left_focus(started)
    as_alice = login(alice)
    _tap(as_alice, exam_session, joined_candidate, event)
    as_alice.post(
        f"/surveillance/sessions/{exam_session.pk}/candidats/{joined_candidate.pk}/notes/",
        {"code": "C6", "text": "Téléphone sous la table", "action_taken": "Téléphone retiré"},
        HTTP_HX_REQUEST="true",
    )
    (row,) = validation.page_rows(session_history(exam_session), None)
    filled = [
        (issue.subcategory, issue.question_number, issue.description) for _n, issue in row.slots
    ]
    assert filled == [
        ("E10", 1, "Sortie du cadre d'une question en mode focus — question 1"),
        ("C6", None, "Téléphone sous la table\nMesure prise : Téléphone retiré"),
        ("", None, ""),
    ]
    # The typed line is not copied into the comment as well.
    assert "Téléphone" not in row.values.comment

    as_admin = login(centre_admin)
    page = _finalize_page(as_admin, exam_session)
    cid = joined_candidate.pk
    assert '<option value="E10" selected>' in page
    assert f'name="c{cid}-r1-question_number" id="c{cid}-r1-question_number" value="1"' in page
    assert "2 signalements repris du PV d'incident" in page

    api = as_admin.get(f"/api/sessions/{exam_session.pk}/finalization").json()
    assert [
        (r["subcategory"], r["question_number"]) for r in api["candidates"][0]["prefilled_reports"]
    ] == [("E10", 1), ("C6", None)]

    # The centre keeps the first line, removes the second and adds a fourth slot's worth.
    response = as_admin.post(
        f"/sessions/{exam_session.pk}/finaliser/",
        {
            f"c{cid}-abort_reason": "candidate",
            f"c{cid}-r1-subcategory": "E10",
            f"c{cid}-r1-question_number": "1",
            f"c{cid}-r1-description": "Sortie du cadre, question 1",
            f"c{cid}-r2-subcategory": "",
            f"c{cid}-r3-subcategory": "C8",
            f"c{cid}-r3-description": "Agité",
            f"c{cid}-r4-subcategory": "E4",
            f"c{cid}-r4-question_number": "2",
        },
    )
    assert response.status_code == 302, response.content.decode()
    reports = IssueReport.objects.order_by("pk")
    assert [(r.subcategory, r.question_number) for r in reports] == [
        ("E10", 1),
        ("C8", None),
        ("E4", 2),
    ]


@pytest.mark.django_db
def test_it_ticks_the_end_screen_where_vigie_showed_it_and_the_centre_may_untick(
    login, started, joined_candidate, exam_session, alice, centre_admin
):
    _client, course_id, _token = started
    (row,) = validation.page_rows(session_history(exam_session), None)
    assert row.values.has_seen_end_screen is False  # still running: no end screen yet

    CertificationCourse.objects.filter(pk=course_id).update(
        status=CourseStatus.COMPLETED, ended_at=timezone.now()
    )
    (row,) = validation.page_rows(session_history(exam_session), None)
    assert row.values.has_seen_end_screen is True
    as_admin = login(centre_admin)
    cid = joined_candidate.pk
    page = _finalize_page(as_admin, exam_session)
    assert f'name="c{cid}-has_seen_end_screen" id="c{cid}-has_seen_end_screen" checked' in page
    assert "coché par Vigie" in page

    # Unticked by the centre: stored as unticked.
    response = as_admin.post(f"/sessions/{exam_session.pk}/finaliser/", {})
    assert response.status_code == 302
    assert CertificationCourse.objects.get(pk=course_id).report.has_seen_end_screen is False


# --- « PV de fraude » and the other day-of documents of seed 004 ------------------------------


def _pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def _fraud_line(client, session, candidate) -> Note:
    response = client.post(
        f"/surveillance/sessions/{session.pk}/candidats/{candidate.pk}/notes/",
        {
            "code": "C6",
            "text": "Téléphone consulté sous la table",
            "action_taken": "Téléphone retiré, test poursuivi",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    return Note.objects.get(code="C6")


@pytest.mark.django_db
def test_it_prints_a_pre_filled_pv_de_fraude_from_a_fraud_line(
    login, started, joined_candidate, exam_session, alice
):
    as_alice = login(alice)
    line = _fraud_line(as_alice, exam_session, joined_candidate)
    row_html = html.unescape(
        as_alice.get(
            f"/surveillance/sessions/{exam_session.pk}/lignes/?ids={joined_candidate.pk}"
        ).content.decode()
    )
    url = f"/surveillance/sessions/{exam_session.pk}/pv-fraude/{line.pk}.pdf"
    assert url in row_html and "PV de fraude pré-rempli" in row_html

    response = as_alice.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # One sheet to print and sign.
    assert len(pypdf.PdfReader(io.BytesIO(response.content)).pages) == 1
    text = _pdf_text(response.content)
    for expected in (
        "PV de fraude",
        exam_session.number,
        joined_candidate.last_name.upper(),
        joined_candidate.first_name,
        "Téléphone consulté sous la table",
        "Téléphone retiré, test poursuivi",
        "Alice Martin",
        "Observations du candidat",
        "refuse de signer",
    ):
        assert expected in text, expected


@pytest.mark.django_db
def test_it_refuses_the_pv_de_fraude_to_others_and_for_a_line_that_is_not_fraud(
    login, started, joined_candidate, exam_session, alice, bruno
):
    line = _fraud_line(login(alice), exam_session, joined_candidate)
    url = f"/surveillance/sessions/{exam_session.pk}/pv-fraude/{line.pk}.pdf"
    assert login(bruno).get(url).status_code == 404
    assert login(joined_candidate.user).get(url).status_code == 404
    plain = Note.objects.create(
        session=exam_session, candidate=joined_candidate, author=alice, text="RAS", code="C8"
    )
    other = f"/surveillance/sessions/{exam_session.pk}/pv-fraude/{plain.pk}.pdf"
    assert login(alice).get(other).status_code == 404


@pytest.mark.django_db
def test_it_archives_each_pv_de_fraude_with_the_session_s_records(
    login, started, joined_candidate, exam_session, alice, centre_admin, other_centre_admin
):
    """Same hash, size and retention date as the other archived documents; downloaded by
    the centre, 404 for another centre."""
    _fraud_line(login(alice), exam_session, joined_candidate)
    as_admin = login(centre_admin)
    cid = joined_candidate.pk
    response = as_admin.post(
        f"/sessions/{exam_session.pk}/finaliser/",
        {f"c{cid}-abort_reason": "candidate", f"c{cid}-r1-subcategory": "C6"},
    )
    assert response.status_code == 302, response.content.decode()
    fraud = SessionRecord.objects.get(kind="pv-fraude")
    report = SessionRecord.objects.get(kind="proces-verbal")
    content = bytes(fraud.content)
    assert fraud.sha256 == hashlib.sha256(content).hexdigest() and fraud.size == len(content)
    assert fraud.retain_until == report.retain_until
    assert "Téléphone consulté sous la table" in _pdf_text(content)
    archived = AuditEvent.objects.get(tag=Tag.Centre.RECORDS_ARCHIVE)
    assert {"kind": "pv-fraude", "sha256": fraud.sha256, "size": fraud.size} in archived.data[
        "records"
    ]

    listing = as_admin.get(f"/api/sessions/{exam_session.pk}/records").json()
    (entry,) = [r for r in listing if r["kind"] == "pv-fraude"]
    assert entry["scan"] is False
    download = as_admin.get(entry["download_url"])
    assert download.status_code == 200 and download.content == content
    page = as_admin.get(f"/sessions/{exam_session.pk}/archives/scans/{fraud.pk}/")
    assert page.status_code == 200 and page.content == content
    refused = login(other_centre_admin).get(
        f"/sessions/{exam_session.pk}/archives/scans/{fraud.pk}/"
    )
    assert refused.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("pv-fraude", ["PV de fraude", "Faits constatés", "Observations du candidat"]),
        (
            "consignes-candidats",
            [
                "Consignes à lire aux candidats",
                "Éteignez votre téléphone",
                "1 h 45",
                "levez la main",
                "PV de fraude",
            ],
        ),
        (
            "notice-eleve",
            [
                "Notice pour l'élève",
                "Rejoindre une session",
                "feuille d'émargement",
                "code d'accès",
            ],
        ),
        (
            "verification-salle",
            [
                "Fiche de vérification de la salle",
                "Un surveillant pour 20 candidats au maximum.",
                "stockage communs",
                "Signature du ou des surveillants",
            ],
        ),
    ],
)
def test_it_adds_seed_004_s_day_of_documents_to_the_kit(
    login, exam_session, centre_admin, other_centre_admin, candidate, kind, expected
):
    url = f"/sessions/{exam_session.pk}/documents/{kind}.pdf"
    response = login(centre_admin).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(response.content)).pages) == 1  # one sheet
    text = _pdf_text(response.content)
    assert exam_session.number in text
    for phrase in expected:
        assert phrase in text, phrase
    assert login(candidate.user or UserFactory()).get(url).status_code == 404
    assert login(other_centre_admin).get(url).status_code == 404
    page = html.unescape(login(centre_admin).get(f"/sessions/{exam_session.pk}/").content.decode())
    assert f"/documents/{kind}.pdf" in page


@pytest.mark.django_db
def test_it_prints_the_pv_s_lines_with_their_category_in_the_archived_proces_verbal(
    login, started, joined_candidate, exam_session, alice, centre_admin
):
    event = _left_focus(started)
    as_alice = login(alice)
    _tap(as_alice, exam_session, joined_candidate, event)
    _fraud_line(as_alice, exam_session, joined_candidate)
    cid = joined_candidate.pk
    login(centre_admin).post(
        f"/sessions/{exam_session.pk}/finaliser/", {f"c{cid}-abort_reason": "candidate"}
    )
    text = _pdf_text(bytes(SessionRecord.objects.get(kind="proces-verbal").content))
    assert "E10 — Le candidat a été contraint de cliquer en dehors du cadre" in text
    assert ", question 1)" in text
    # (the line may run over a page break: its parts, each whole)
    assert "(C6 — Suspicion de fraude) — Mesure prise :" in text
    assert "Téléphone retiré, test poursuivi" in text
