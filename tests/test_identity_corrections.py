"""Identity corrections (report C1, « Modification des informations du candidat »): the
centre writes the corrected identity at finalization, the jury accepts or refuses it, and an
accepted correction is the identity the certificate is issued with, audited before/after.

Personas: the centre admin finalizes; the jury decides; the centre admin and the admin of
another centre cannot decide (404), and a correction the candidate form would refuse never
reaches the jury.
"""

import datetime as dt

import pytest

from audit.models import AuditEvent
from audit.tags import Tag
from certification.models import IssueReport
from exams.models import Candidate
from finalization.models import IdentityCorrection, SessionRecord
from jury import actions
from jury import errors as e
from results.documents import certificate_pdf
from results.models import Certificate
from tests import live_record as live
from tests.factories import CandidateFactory
from tests.test_documents import all_text, compact

API = "/api"


@pytest.fixture
def completed(small_bank, exam_session, invigilator):
    """« Lea Dupond » (should read « Léa Dupont », born 14/03/2008 → 15/03/2008) completed
    her test; the session is not finalized yet."""
    lea = live.joined(exam_session, "Lea", "Dupond")
    live.answer(live.start(lea, invigilator), 32)
    return exam_session, lea


def _finalize_page(client, session, lea, **fix):
    data = {f"c{lea.pk}-has_seen_end_screen": "on"}
    data.update({f"c{lea.pk}-fix-{name}": value for name, value in fix.items()})
    return client.post(f"/sessions/{session.pk}/finaliser/", data)


def _finalize_api(client, session, lea, correction, subcategory="C1"):
    payload = {
        "reports": [
            {
                "candidate_id": lea.pk,
                "has_seen_end_screen": True,
                "issue_reports": [{"subcategory": subcategory, "correction": correction}],
            }
        ]
    }
    return client.put(
        f"{API}/sessions/{session.pk}/finalization", payload, content_type="application/json"
    )


@pytest.fixture
def corrected(login, completed, centre_admin):
    session, lea = completed
    response = _finalize_page(
        login(centre_admin),
        session,
        lea,
        first_name="Léa",
        last_name="Dupont",
        birthdate="2008-03-15",
    )
    assert response.status_code == 302, response.content[:2000]
    session.refresh_from_db()
    return session, lea, IssueReport.objects.get(course__candidate=lea, subcategory="C1")


# --- The centre writes the correction --------------------------------------------------------


def test_it_offers_the_identity_block_prefilled_with_the_current_values(
    login, completed, centre_admin
):
    session, lea = completed

    page = login(centre_admin).get(f"/sessions/{session.pk}/finaliser/").content.decode()

    assert "Modification des informations du candidat (C1)" in page
    assert f'name="c{lea.pk}-fix-first_name"' in page
    assert "actuellement : Lea" in page
    assert "actuellement : 14/03/2008" in page
    assert "actuellement : Femme" in page


def test_it_stores_a_c1_report_with_only_the_fields_that_change(corrected):
    session, lea, report = corrected

    assert session.finalized_at is not None
    assert report.category == "CANDIDATE_INFORMATIONS_CHANGES"
    correction = IdentityCorrection.objects.get(report=report)
    assert correction.status == IdentityCorrection.Status.PENDING
    assert correction.changes == {
        "first_name": "Léa",
        "last_name": "Dupont",
        "birthdate": "2008-03-15",
    }
    assert Candidate.objects.get(pk=lea.pk).first_name == "Lea"  # until the jury accepts
    event = AuditEvent.objects.get(tag=Tag.Centre.SESSION_FINALIZE)
    assert event.data["identity_corrections"] == [
        {"candidate": lea.pk, "changes": correction.changes}
    ]


@pytest.mark.parametrize(
    ("correction", "error"),
    [
        ({}, "Indiquez au moins une information corrigée."),
        ({"first_name": "Lea"}, "Les informations corrigées sont identiques à celles du candidat."),
        (
            {"birthdate": "2999-01-01"},
            "Date de naissance : La date de naissance doit être dans le passé.",
        ),
        (
            {"birthdate": "31/02/2008"},
            "Date de naissance : Saisissez une date valide (JJ/MM/AAAA).",
        ),
        ({"sex": "X"}, "Sexe : Sélectionnez un choix valide. X n’en fait pas partie."),
        ({"first_name": "123"}, "Prénom : Ce nom doit contenir au moins une lettre."),
        (
            {"birth_postal_code": "ABC"},
            "Code postal de naissance : Pour une naissance en France, saisissez le code postal (5 chiffres).",
        ),
        ({"email": "x@y.fr"}, "« email » n'est pas une information du candidat."),
    ],
)
def test_it_refuses_a_correction_the_candidate_form_would_refuse(
    login, completed, centre_admin, correction, error
):
    session, lea = completed

    response = _finalize_api(login(centre_admin), session, lea, correction)

    assert response.status_code == 400
    assert response.json()["errors"] == [f"DUPOND Lea — Signalement 1 (C1) : {error}"]
    session.refresh_from_db()
    assert session.finalized_at is None
    assert not IdentityCorrection.objects.exists()


def test_it_refuses_corrected_fields_on_another_report(login, completed, centre_admin):
    session, lea = completed

    response = _finalize_api(
        login(centre_admin), session, lea, {"first_name": "Léa"}, subcategory="C4"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        "DUPOND Lea — Signalement 1 (C4) : seul un signalement C1 porte des informations corrigées."
    ]


def test_it_prints_the_correction_asked_for_on_the_archived_pv(corrected):
    session, _lea, _report = corrected

    pv = compact(
        all_text(bytes(SessionRecord.objects.get(session=session, kind="proces-verbal").content))
    )

    assert (
        compact("Modification demandée : prénom : Lea → Léa ; nom de naissance : Dupond → Dupont")
        in pv
    )
    assert compact("date de naissance : 14/03/2008 → 15/03/2008") in pv


def test_it_keeps_what_was_typed_when_the_page_is_refused(login, completed, centre_admin):
    session, lea = completed

    response = _finalize_page(login(centre_admin), session, lea, birthdate="2999-01-01")

    assert response.status_code == 400
    page = response.content.decode()
    assert "La date de naissance doit être dans le passé." in page
    assert 'value="2999-01-01"' in page


# --- The jury decides ----------------------------------------------------------------------


def test_it_refuses_to_publish_while_a_correction_waits(corrected, jury):
    session, _lea, _report = corrected

    with pytest.raises(e.UnresolvedReports):
        actions.do_publish_session(session, actor=jury)


def test_it_shows_the_jury_the_current_and_corrected_values(login, corrected, jury):
    session, _lea, _report = corrected

    page = login(jury).get(f"/jury/sessions/{session.pk}/").content.decode()
    body = login(jury).get(f"{API}/jury/sessions/{session.pk}").json()

    assert 'data-testid="identity-correction"' in page
    assert "<td>14/03/2008</td><td>15/03/2008</td>" in page
    assert 'value="accept_correction"' in page
    (reported,) = body["candidates"][0]["issue_reports"]
    assert reported["identity_correction"]["status"] == "pending"
    assert reported["identity_correction"]["lines"][0] == {
        "field": "first_name",
        "label": "prénom",
        "before": "Lea",
        "after": "Léa",
    }


def test_it_issues_the_certificate_with_the_accepted_identity(login, corrected, jury):
    """Accepted on the jury's page: the line is corrected, the audit row keeps who, before
    and after, and the certificate published next bears the corrected identity."""
    session, lea, report = corrected

    response = login(jury).post(
        f"/jury/signalements/{report.pk}/traiter/", {"decision": "accept_correction"}
    )
    actions.do_publish_session(session, actor=jury)

    assert response.status_code == 302
    lea.refresh_from_db()
    assert (lea.first_name, lea.last_name, lea.birthdate) == ("Léa", "Dupont", dt.date(2008, 3, 15))
    assert lea.last_name_key == "DUPONT"
    report.refresh_from_db()
    assert report.resolved_by == jury
    assert report.resolution == "Modification des informations du candidat acceptée."
    event = AuditEvent.objects.get(tag=Tag.Jury.IDENTITY_CORRECT)
    assert event.actor == jury
    assert event.data == {
        "candidate": lea.pk,
        "report": report.pk,
        "before": {"first_name": "Lea", "last_name": "Dupond", "birthdate": "2008-03-14"},
        "after": {"first_name": "Léa", "last_name": "Dupont", "birthdate": "2008-03-15"},
    }
    correction = IdentityCorrection.objects.get(report=report)
    assert correction.before == event.data["before"]
    certificate = Certificate.objects.get(course__candidate=lea)
    text = all_text(certificate_pdf(certificate, site_url="https://vigie.example.fr"))
    assert "DUPONT Léa" in text
    assert "15/03/2008" in text
    assert "Dupond" not in text and "DUPOND" not in text


def test_it_keeps_the_identity_when_the_jury_refuses_with_a_reason(login, corrected, jury):
    session, lea, report = corrected
    client = login(jury)
    url = f"{API}/jury/reports/{report.pk}/refuse-correction"

    without = client.post(url, {}, content_type="application/json")
    refused = client.post(
        url, {"comment": "Pièce d'identité non présentée."}, content_type="application/json"
    )

    assert without.status_code == 400
    assert without.json()["code"] == "comment_required"
    assert refused.status_code == 200
    assert refused.json()["identity_correction"]["status"] == "refused"
    assert refused.json()["resolution"] == "Pièce d'identité non présentée."
    assert Candidate.objects.get(pk=lea.pk).first_name == "Lea"
    assert (
        AuditEvent.objects.get(tag=Tag.Jury.IDENTITY_REFUSE).data["changes"]["first_name"] == "Léa"
    )
    actions.do_publish_session(session, actor=jury)  # decided: publication goes through


def test_it_decides_a_correction_once(login, corrected, jury):
    _session, _lea, report = corrected
    actions.do_accept_identity_correction(report, actor=jury)

    second = login(jury).post(
        f"{API}/jury/reports/{report.pk}/refuse-correction",
        {"comment": "Non."},
        content_type="application/json",
    )

    assert second.status_code == 409
    assert AuditEvent.objects.filter(tag__startswith="jury:identity").count() == 1


def test_it_asks_for_a_decision_not_a_plain_resolution(corrected, jury):
    _session, _lea, report = corrected

    with pytest.raises(e.CorrectionToDecide):
        actions.do_resolve_report(report, actor=jury, comment="Vu.")


def test_it_refuses_a_correction_that_now_clashes_with_another_line(login, corrected, jury):
    """Between finalization and decision another line took the corrected identity: the
    candidate form's duplicate rule refuses it and nothing changes."""
    session, lea, report = corrected
    CandidateFactory(
        session=session, first_name="Léa", last_name="Dupont", birthdate=dt.date(2008, 3, 15)
    )

    response = login(jury).post(
        f"{API}/jury/reports/{report.pk}/accept-correction", {}, content_type="application/json"
    )

    assert response.status_code == 409
    assert "déjà inscrit" in response.json()["detail"]
    assert Candidate.objects.get(pk=lea.pk).first_name == "Lea"
    assert IdentityCorrection.objects.get(report=report).status == "pending"


def test_it_refuses_a_decision_on_a_report_without_correction(corrected, jury, invigilator):
    _session, lea, _report = corrected
    other = IssueReport.objects.create(
        course=lea.course, category="NON_BLOCKING_TECHNICAL_ISSUE", subcategory="C7"
    )

    with pytest.raises(e.NoIdentityCorrection):
        actions.do_accept_identity_correction(other, actor=jury)


@pytest.mark.parametrize("who", ["centre_admin", "other_centre_admin", "candidate_user"])
def test_it_lets_only_the_jury_decide(login, corrected, request, who):
    _session, lea, report = corrected
    client = login(request.getfixturevalue(who))

    api = client.post(
        f"{API}/jury/reports/{report.pk}/accept-correction", {}, content_type="application/json"
    )
    page = client.post(
        f"/jury/signalements/{report.pk}/traiter/", {"decision": "accept_correction"}
    )

    assert (api.status_code, page.status_code) == (404, 404)
    assert Candidate.objects.get(pk=lea.pk).first_name == "Lea"
    assert not AuditEvent.objects.filter(tag__startswith="jury:").exists()
