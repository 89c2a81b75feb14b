"""« Documents archivés »: finalizing a session keeps its attendance sheet as lived, its
procès-verbal and its timeline as PDFs, with their SHA-256, until 5 years after the
finalization (seed 004); `purge_records` deletes them once that date is past.

Personas: the centre admin and the jury download; the admin of another centre, the
session's invigilator and its candidate get 404, an anonymous visitor the log-in page.
"""

import datetime as dt
import hashlib
import io
from io import StringIO

import pypdf
import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from audit.models import AuditEvent
from certification import actions as test_actions
from certification import engine
from certification.models import AbortReason, AlertStatus, LiveAlert
from exams.models import Candidate
from finalization import records
from finalization.actions import do_archive_session_records
from finalization.models import SessionRecord
from invigilation.models import InvigilatorAccess
from tests import live_record as live
from tests.factories import CandidateFactory, ExamSessionFactory, UserFactory

INJECTED = "<img src=x onerror=alert(1)>"
REUNION = "Indian/Reunion"  # UTC+4, no daylight saving: the server's zone is Paris
START = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)  # 14:00 at La Réunion
FINALIZED_AT = dt.datetime(2026, 6, 15, 12, 30, tzinfo=dt.UTC)  # 16:30 at La Réunion
KINDS = ["feuille-emargement", "proces-verbal", "deroulement"]


def _text(pdf: bytes) -> str:
    # pypdf turns the no-break spaces of « 33 % » into \xa0.
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text().replace("\xa0", " ") for page in reader.pages)


def _compact(text: str) -> str:
    """Without whitespace, so a value wrapped inside a table cell still reads as one."""
    return "".join(text.split())


def _pdf(session, kind: str) -> bytes:
    return bytes(SessionRecord.objects.get(session=session, kind=kind).content)


@pytest.fixture
def day(login, small_bank, centre, centre_admin, exam_session):
    """A session at La Réunion, lived from 14:00 and finalized by the centre at 16:30.

    Léa (33 % extra time) has an alert refused and her test ended by Alice at 14:40;
    « <img…> » has an alert validated (E4), a resume authorized, then reports a question
    nobody decides on and is still running; Inès is present but never starts; Noé is absent.
    """
    centre.time_zone = REUNION
    centre.save(update_fields=["time_zone"])
    centre_admin.first_name, centre_admin.last_name = "Claire", "Admin"
    centre_admin.save(update_fields=["first_name", "last_name"])
    alice = UserFactory(first_name="Alice", last_name="Martin")
    lea = live.joined(exam_session, "Léa", "Dupont")
    Candidate.objects.filter(pk=lea.pk).update(extra_time_percentage=33)
    odd = live.joined(exam_session, INJECTED, "Injection")
    ines = live.joined(exam_session, "Inès", "Présente")
    CandidateFactory(session=exam_session, first_name="Noé", last_name="Absent")
    with time_machine.travel(START, tick=False) as clock:
        InvigilatorAccess.objects.create(session=exam_session, user=alice, via="password")
        lea_run = live.start(lea, alice)
        odd_run = live.start(odd, alice)
        test_actions.do_confirm_presence(ines, actor=alice)
        clock.shift(dt.timedelta(minutes=5))
        live.answer(lea_run, 2)
        live.answer(odd_run, 1)
        live.validated_alert(odd_run, alice, reason="E4")
        clock.shift(dt.timedelta(minutes=15))
        live.refused_alert(lea_run, alice)
        clock.shift(dt.timedelta(minutes=10))
        test_actions.do_authorize_resume(odd, actor=alice)
        live.note(exam_session, alice, "Écran noir, poste changé.", candidate=odd)
        live.note(exam_session, alice, "Alarme incendie à 14 h 20.")
        clock.shift(dt.timedelta(minutes=10))
        live.end(lea_run, alice)
        clock.shift(dt.timedelta(minutes=5))
        course = odd_run.course
        course.refresh_from_db()
        question = engine.current_item(course)
        assert question is not None
        test_actions.do_report_problem(
            course, user=course.user, token=odd_run.token, item_id=question.id
        )
        clock.move_to(FINALIZED_AT)
        response = login(centre_admin).post(
            f"/sessions/{exam_session.pk}/finaliser/",
            {
                f"c{lea.pk}-abort_reason": "candidate",
                f"c{odd.pk}-abort_reason": "technical",
                f"c{odd.pk}-has_seen_end_screen": "on",
                f"c{odd.pk}-comment": "Poste changé à 14 h 30.",
                f"c{odd.pk}-r1-subcategory": "C7",
                f"c{odd.pk}-r1-description": "Souris défectueuse.",
                "global_comment": "Alarme incendie.",
                "has_incident": "on",
            },
        )
    assert response.status_code == 302, response.content.decode()
    exam_session.refresh_from_db()
    return exam_session, {"lea": lea, "odd": odd, "ines": ines, "alice": alice}


# --- Archiving at finalization -------------------------------------------------------------


@pytest.mark.django_db
def test_it_archives_three_pdfs_kept_five_years_with_their_hashes(day, centre_admin):
    """Three records, retention = finalization date + 5 years, SHA-256 and size of the
    bytes kept, and one audit row « Documents archivés » naming their hashes."""
    session, _people = day

    kept = list(SessionRecord.objects.filter(session=session))

    assert sorted(r.kind for r in kept) == sorted(KINDS)
    for record in kept:
        content = bytes(record.content)
        assert content.startswith(b"%PDF")
        assert record.sha256 == hashlib.sha256(content).hexdigest()
        assert record.size == len(content)
        assert record.created_at == FINALIZED_AT
        assert record.retain_until == dt.date(2031, 6, 15)
        assert "À conserver jusqu'au 15/06/2031 (5 ans)" in _text(content)
    event = AuditEvent.objects.get(session=session, tag="centre:records:archive")
    assert event.actor == centre_admin
    assert event.data["retain_until"] == "2031-06-15"
    assert sorted((r["kind"], r["sha256"], r["size"]) for r in event.data["records"]) == sorted(
        (r.kind, r.sha256, r.size) for r in kept
    )


@pytest.mark.parametrize(
    ("finalized_at", "zone", "expected"),
    [
        # 23:30 UTC is already the next day in Paris (summer time).
        (dt.datetime(2026, 6, 15, 23, 30, tzinfo=dt.UTC), "Europe/Paris", dt.date(2031, 6, 16)),
        # 05:00 UTC is still the day before in Tahiti (UTC-10).
        (dt.datetime(2026, 6, 16, 5, 0, tzinfo=dt.UTC), "Pacific/Tahiti", dt.date(2031, 6, 15)),
        # No 29 February in 2033: kept one day longer, never one day short.
        (dt.datetime(2028, 2, 29, 10, 0, tzinfo=dt.UTC), "Europe/Paris", dt.date(2033, 3, 1)),
    ],
)
def test_it_counts_the_five_years_from_the_date_in_the_centre_time_zone(
    finalized_at, zone, expected
):
    """The retention date follows the centre's calendar, and a leap day never shortens it."""
    from zoneinfo import ZoneInfo

    assert records.RETENTION_YEARS == 5
    assert records.retain_until(finalized_at, ZoneInfo(zone)) == expected


@pytest.mark.django_db
def test_it_prints_the_attendance_sheet_as_lived(day):
    """Each candidate: present or absent, start and end (centre's time), how the test
    ended, extra time; an HTML-looking name is printed as typed."""
    session, _people = day

    text = _text(_pdf(session, "feuille-emargement"))
    flat = _compact(text)

    assert "Feuille d'émargement (session réalisée)" in text
    assert "4 candidats inscrits · 3 présents · 1 absent" in text
    assert _compact("DUPONT Léa 14/03/2008 33 % Présent 14:00 14:40 2") in flat
    assert _compact("Terminé par le surveillant (Alice Martin)") in flat
    assert _compact(f"INJECTION {INJECTED} 14/03/2008 Présent 14:00 16:30") in flat
    assert _compact("Terminé à la finalisation") in flat
    assert _compact("PRÉSENTE Inès 14/03/2008 Présent — — — Présent, test non commencé") in flat
    assert _compact("ABSENT Noé 14/03/2008 Absent") in flat
    assert "Heures en La Réunion, Indian/Reunion" in text


@pytest.mark.django_db
def test_it_writes_the_session_pv(day):
    """Session details, who finalized, invigilators who entered, global comment and flags,
    then per started test: end screen, abort reason, reports with their codes and labels,
    resumes, end by an invigilator, closed alert, notes."""
    session, people = day

    text = _text(_pdf(session, "proces-verbal"))
    flat = _compact(text)

    assert "Procès-verbal de session" in text
    assert session.number in text and "Lycée Victor Hugo" in text
    for expected in (
        "Finalisée le 15/06/2026 16:30",
        "Par Claire Admin",
        "Incident pendant la session Oui",
        "Problème d'accès à la session Non",
        "Commentaire global Alarme incendie.",
        # Invigilators who entered the Espace Surveillant, and how.
        "Alice Martin 15/06/2026 14:00 1 Numéro et mot de passe de la session",
        "14:30 — Alice Martin : « Alarme incendie à 14 h 20. »",
        # Léa: ended by Alice, no end screen, « Abandon ».
        "DUPONT Léa",
        "Test Terminé par le surveillant, 2 réponses",
        "Écran de fin de test vu Non",
        "Motif d'abandon Abandon",
        "Test terminé par un surveillant Oui, par Alice Martin à 14:40",
        # « <img…> »: end screen seen, technical problem, live and new reports, resume,
        # the alert left undecided, the note.
        f"INJECTION {INJECTED}",
        "Test Terminé à la finalisation, 1 réponse",
        "Écran de fin de test vu Oui",
        "Motif d'abandon Problème technique",
        "Commentaire du centre Poste changé à 14 h 30.",
        "Reprises autorisées (1) 14:30 par Alice Martin",
        "E4 Problème technique sur une question (IN_CHALLENGE) Le site à visiter est indisponible/en maintenance/inaccessible 2 Validé pendant la session par Alice Martin à 14:05",
        "C7 Incident technique non bloquant (NON_BLOCKING_TECHNICAL_ISSUE) Incident technique non bloquant — Souris défectueuse. — Ajouté à la finalisation",
        "Alertes closes à la finalisation, sans décision Problème signalé sur la question 2",
        "14:30 — Alice Martin : « Écran noir, poste changé. »",
        "Candidats n'ayant pas commencé de test (2)",
        "ABSENT Noé (absent), PRÉSENTE Inès (présent)",
    ):
        assert _compact(expected) in flat, expected
    assert people["odd"].first_name == INJECTED


@pytest.mark.django_db
def test_it_writes_the_timeline_in_the_centre_time_zone(day):
    """Every audit event of the session up to the finalization, in order, at La Réunion's
    time (the server's zone is Paris), with the candidate and who acted."""
    session, _people = day

    flat = _compact(_text(_pdf(session, "deroulement")))

    expected = [
        "15/06/2026 14:00:00 Présence confirmée DUPONT Léa Alice Martin",
        "15/06/2026 14:05:00 Signalement validé — question 2 (E4)",
        "15/06/2026 14:20:00 Signalement refusé — question 3 DUPONT Léa Alice Martin",
        "15/06/2026 14:30:00 Reprise du test autorisée",
        "15/06/2026 14:40:00 Test terminé par le surveillant DUPONT Léa Alice Martin",
        "15/06/2026 14:45:00 Problème signalé sur une question — question 2",
        "15/06/2026 16:30:00 Alerte close à la finalisation, sans décision du surveillant — question 2",
        "15/06/2026 16:30:00 Session finalisée par le centre Claire Admin",
    ]
    positions = [flat.find(_compact(line)) for line in expected]
    assert -1 not in positions, list(zip(expected, positions, strict=True))
    assert positions == sorted(positions)
    assert _compact("Heures en La Réunion, Indian/Reunion") in flat
    before_archive = AuditEvent.objects.filter(session=session).exclude(
        tag="centre:records:archive"
    )
    assert _compact(f"{before_archive.count()} événements") in flat


@pytest.mark.django_db
def test_it_keeps_the_archived_content_when_the_data_changes_later(login, day, centre_admin):
    """Renaming a candidate afterwards changes what a new document would say, never what
    was archived: same bytes, same hash, the name of the day."""
    session, people = day
    before = {r.kind: (bytes(r.content), r.sha256) for r in SessionRecord.objects.all()}

    Candidate.objects.filter(pk=people["lea"].pk).update(last_name="Renommée")
    downloaded = login(centre_admin).get(f"/sessions/{session.pk}/archives/proces-verbal.pdf")

    after = {r.kind: (bytes(r.content), r.sha256) for r in SessionRecord.objects.all()}
    assert after == before
    assert downloaded.content == before["proces-verbal"][0]
    assert "DUPONT Léa" in _text(downloaded.content)
    rebuilt = dict(records.build(session, FINALIZED_AT)[1])
    assert "RENOMMÉE Léa" in _text(rebuilt["proces-verbal"])


@pytest.mark.django_db
def test_it_prints_in_french_whatever_the_language_of_the_page(day):
    """Evidence reads the same for everyone: a finalization from an English page still
    archives French documents."""
    session, _people = day

    with translation.override("en"):
        english = str(AbortReason.TECHNICAL.label)
        built = dict(records.build(session, FINALIZED_AT)[1])

    text = _compact(_text(built["proces-verbal"]) + _text(built["deroulement"]))
    assert english != "Problème technique"
    assert _compact("Motif d'abandon Problème technique") in text
    assert _compact(english) not in text
    assert _compact("Alerte close à la finalisation, sans décision du surveillant") in text


# --- Downloads ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lets_the_centre_admin_and_the_jury_download(login, day, centre_admin, jury):
    """The centre's session page and the jury's list the three documents with their
    retention date and link to the archived bytes; the API lists and serves them too."""
    session, _people = day
    kept = {r.kind: r for r in SessionRecord.objects.filter(session=session)}

    for user, page, prefix in (
        (centre_admin, f"/sessions/{session.pk}/", f"/sessions/{session.pk}/archives/"),
        (jury, f"/jury/sessions/{session.pk}/", f"/jury/sessions/{session.pk}/archives/"),
    ):
        client = login(user)
        html = client.get(page).content.decode()
        assert "Documents archivés" in html
        assert html.count("15/06/2031") == 3
        for kind, record in kept.items():
            assert f'href="{prefix}{kind}.pdf"' in html
            response = client.get(f"{prefix}{kind}.pdf")
            assert response.status_code == 200
            assert response["Content-Type"] == "application/pdf"
            assert response["Content-Disposition"] == (
                f'attachment; filename="{kind}-session-{session.number}.pdf"'
            )
            assert response["ETag"] == f'"{record.sha256}"'
            assert response.content == bytes(record.content)

        listed = client.get(f"/api/sessions/{session.pk}/records")
        assert listed.status_code == 200
        assert [(r["kind"], r["sha256"], r["retain_until"]) for r in listed.json()] == [
            (kind, kept[kind].sha256, "2031-06-15") for kind in KINDS
        ]
        first = listed.json()[0]
        assert first["label"] == "Feuille d'émargement"
        assert first["download_url"] == f"/api/sessions/{session.pk}/records/feuille-emargement"
        served = client.get(first["download_url"])
        assert served.status_code == 200 and served["Content-Type"] == "application/pdf"
        assert served.content == bytes(kept["feuille-emargement"].content)


@pytest.mark.django_db
def test_it_refuses_everyone_else_with_404(
    login, day, centre_admin, other_centre_admin, candidate_user, jury
):
    """Another centre's admin, the invigilator who entered the session and its candidate get
    404 on the pages and the API; anonymous visitors are sent to log in (401 on the API);
    the centre admin cannot use the jury's URL; unknown documents are 404."""
    session, people = day
    centre_page = f"/sessions/{session.pk}/archives/proces-verbal.pdf"
    jury_page = f"/jury/sessions/{session.pk}/archives/proces-verbal.pdf"
    api_list = f"/api/sessions/{session.pk}/records"
    api_file = f"/api/sessions/{session.pk}/records/proces-verbal"
    outsiders = (other_centre_admin, people["alice"], people["odd"].user, candidate_user)

    for outsider in outsiders:
        client = login(outsider)
        for url in (centre_page, jury_page, api_list, api_file):
            assert client.get(url).status_code == 404, (outsider, url)
        assert "Documents archivés" not in client.get(f"/sessions/{session.pk}/").content.decode()
    anonymous = Client()
    for url in (centre_page, jury_page):
        response = anonymous.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/compte/")
    assert anonymous.get(api_list).status_code == 401
    assert anonymous.get(api_file).status_code == 401
    assert login(centre_admin).get(jury_page).status_code == 404
    assert login(centre_admin).get(f"/sessions/{session.pk}/archives/pv.pdf").status_code == 404
    assert login(jury).get(f"/jury/sessions/{session.pk}/archives/pv.pdf").status_code == 404
    assert login(jury).get(f"{api_list}/pv").status_code == 404  # as on the pages
    assert login(centre_admin).get(centre_page).status_code == 200


@pytest.mark.django_db
def test_it_has_nothing_to_download_before_finalization(login, exam_session, centre_admin, jury):
    """Before finalization: no block on the page, an empty list for the centre, 404 for the
    jury (the session is not theirs yet) and for any document."""
    admin = login(centre_admin)

    page = admin.get(f"/sessions/{exam_session.pk}/").content.decode()
    listed = admin.get(f"/api/sessions/{exam_session.pk}/records")

    assert "Documents archivés" not in page
    assert listed.status_code == 200 and listed.json() == []
    assert admin.get(f"/sessions/{exam_session.pk}/archives/deroulement.pdf").status_code == 404
    assert login(jury).get(f"/api/sessions/{exam_session.pk}/records").status_code == 404


# --- Purge ---------------------------------------------------------------------------------------


def _purge(*args: str) -> str:
    out = StringIO()
    call_command("purge_records", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def later_session(centre):
    """Another session of the centre, finalized and archived on 10 January 2027."""
    at = dt.datetime(2027, 1, 10, 9, 0, tzinfo=dt.UTC)
    session = ExamSessionFactory(centre=centre, finalized_at=at)
    with time_machine.travel(at, tick=False):
        do_archive_session_records(session, actor=None)
    return session


@pytest.mark.django_db
def test_it_purges_only_the_records_past_their_retention_date(day, later_session):
    """On the last day nothing goes; the day after, only that session's records go, with
    one audit row naming their hashes; running it again deletes nothing more."""
    session, _people = day
    hashes = sorted(r.sha256 for r in SessionRecord.objects.filter(session=session))

    # La Réunion: 15 June 2031 ends at 20:00 UTC.
    with time_machine.travel(dt.datetime(2031, 6, 15, 19, 59, tzinfo=dt.UTC), tick=False):
        kept = _purge()
    with time_machine.travel(dt.datetime(2031, 6, 16, 8, 0, tzinfo=dt.UTC), tick=False):
        output = _purge()
        again = _purge()

    assert kept == "Aucun document n'a dépassé sa durée de conservation.\n"
    assert output == (
        f"Session {session.number} : 3 documents supprimés (à conserver jusqu'au 15/06/2031).\n"
        "3 documents archivés supprimés.\n"
    )
    assert again == kept
    assert not SessionRecord.objects.filter(session=session).exists()
    assert SessionRecord.objects.filter(session=later_session).count() == 3
    purge = AuditEvent.objects.get(tag="system:records:purge")
    assert purge.session == session and purge.actor is None
    assert purge.at == dt.datetime(2031, 6, 16, 8, 0, tzinfo=dt.UTC)
    assert sorted(r["sha256"] for r in purge.data["records"]) == hashes
    assert purge.data["retain_until"] == "2031-06-15"


@pytest.mark.django_db
def test_it_purges_by_the_date_in_each_centre_time_zone(later_session):
    """At the same instant, a day already over in Paris is not over yet in Tahiti."""
    tahiti = ExamSessionFactory(
        centre__time_zone="Pacific/Tahiti",
        finalized_at=dt.datetime(2027, 1, 10, 20, 0, tzinfo=dt.UTC),  # 10:00 in Tahiti
    )
    with time_machine.travel(tahiti.finalized_at, tick=False):
        do_archive_session_records(tahiti, actor=None)
    assert {r.retain_until for r in SessionRecord.objects.all()} == {dt.date(2032, 1, 10)}

    # 11 January 2032, 08:00 in Paris; still 10 January, 21:00, in Tahiti.
    with time_machine.travel(dt.datetime(2032, 1, 11, 7, 0, tzinfo=dt.UTC), tick=False):
        _purge()

    assert not SessionRecord.objects.filter(session=later_session).exists()
    assert SessionRecord.objects.filter(session=tahiti).count() == 3


@pytest.mark.django_db
def test_it_deletes_nothing_on_a_dry_run(day):
    """--dry-run says what would go and changes nothing, audit trail included."""
    session, _people = day

    with time_machine.travel(dt.datetime(2031, 6, 16, 8, 0, tzinfo=dt.UTC), tick=False):
        output = _purge("--dry-run")

    assert output == (
        f"Session {session.number} : 3 documents seraient supprimés (à conserver jusqu'au 15/06/2031).\n"
        "Simulation : 3 documents seraient supprimés, rien n'a été supprimé.\n"
    )
    assert SessionRecord.objects.filter(session=session).count() == 3
    assert not AuditEvent.objects.filter(tag="system:records:purge").exists()


# --- The alert left undecided ----------------------------------------------------------------


@pytest.mark.django_db
def test_it_closes_the_alert_nobody_decided_on(login, day, centre_admin, jury):
    """The alert still ongoing at finalization is « clos à la finalisation » (audited), shown
    as such to the centre and the jury, and no invigilator can decide on it any more."""
    session, people = day

    alert = LiveAlert.objects.filter(course__candidate=people["odd"]).latest("created_at")
    assert alert.status == AlertStatus.CLOSED
    assert (alert.resolved_by, alert.resolved_at) == (centre_admin, FINALIZED_AT)
    assert not LiveAlert.objects.filter(status=AlertStatus.ONGOING).exists()
    summary = login(centre_admin).get(f"/sessions/{session.pk}/finaliser/").content.decode()
    assert "Signalement sur la question 2 clos à la finalisation par Claire Admin" in summary
    review = login(jury).get(f"/api/jury/sessions/{session.pk}").json()
    assert "centre:alert:close" in [event["tag"] for event in review["timeline"]]
    with pytest.raises(test_actions.e.AlreadyHandled):
        test_actions.do_validate_alert(alert, actor=people["alice"], reason="E4")
