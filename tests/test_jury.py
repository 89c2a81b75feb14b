"""The jury: finalized sessions (those needing attention first), one session's review,
decisions on issue reports, assignment, publication and unpublication.

Personas: the jury member (staff) decides; the centre admin, the admin of another centre,
an invigilator and a candidate are not staff and get 404 on every jury page and API.
"""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from certification.models import Answer, CourseStatus, IssueReport
from exams.models import ExamSession
from finalization import validation
from finalization.actions import do_finalize_session
from jury import actions
from jury import errors as e
from tests import live_record as live
from tests.factories import ExamSessionFactory, UserFactory

API = "/api/jury"


def _issue(subcategory, description="", question_number=None):
    return validation.IssueReportInput(
        subcategory=subcategory, description=description, question_number=question_number
    )


@pytest.fixture
def finalized(small_bank, exam_session, centre_admin, invigilator):
    """Léa completed her test (C2 reported); Hugo's was ended after 3 answers (abandon, E9
    on question 2, E5 on question 30); Zoé's validated alert (E4) and a fraud suspicion,
    her test ended at finalization (technical problem)."""
    lea = live.joined(exam_session, "Léa", "Dupont")
    hugo = live.joined(exam_session, "Hugo", "Abadi")
    zoe = live.joined(exam_session, "Zoé", "Martin")
    live.answer(live.start(lea, invigilator), 32)
    hugo_run = live.start(hugo, invigilator)
    live.answer(hugo_run, 3)
    live.end(hugo_run, invigilator)
    zoe_run = live.start(zoe, invigilator)
    live.answer(zoe_run, 2)
    live.validated_alert(zoe_run, invigilator, reason="E4")
    data = validation.FinalizationInput(
        global_comment="Alarme incendie à 14 h 20.",
        reports=[
            validation.CandidateReportInput(
                candidate_id=lea.pk,
                has_seen_end_screen=True,
                issue_reports=[_issue("C2", "Tiers temps oublié à l'inscription.")],
            ),
            validation.CandidateReportInput(
                candidate_id=hugo.pk,
                abort_reason="candidate",
                issue_reports=[_issue("E9", question_number=2), _issue("E5", question_number=30)],
            ),
            validation.CandidateReportInput(
                candidate_id=zoe.pk,
                abort_reason="technical",
                issue_reports=[_issue("C6")],
            ),
        ],
    )
    do_finalize_session(exam_session, data, actor=centre_admin)
    exam_session.refresh_from_db()
    return exam_session, {"lea": lea, "hugo": hugo, "zoe": zoe}


def _report(candidate, subcategory) -> IssueReport:
    return IssueReport.objects.get(course__candidate=candidate, subcategory=subcategory)


def _resolve_impactful(session, jury) -> None:
    for report in actions.unresolved_impactful(session):
        actions.do_resolve_report(report, actor=jury, comment="Vu.")


# --- Who may act -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_every_non_staff_user(
    login, finalized, centre_admin, other_centre_admin, invigilator, candidate_user, jury
):
    """Pages and API answer 404 to non-staff users, and nothing changes."""
    session, candidates = finalized
    report = _report(candidates["hugo"], "E9")
    pages = ["/jury/", f"/jury/sessions/{session.pk}/"]
    posts = [
        (f"/jury/sessions/{session.pk}/attribuer/", {}),
        (f"/jury/sessions/{session.pk}/publier/", {}),
        (f"/jury/sessions/{session.pk}/depublier/", {}),
        (f"/jury/signalements/{report.pk}/traiter/", {"decision": "neutralize"}),
    ]
    api_posts = [
        f"{API}/sessions/{session.pk}/assign",
        f"{API}/sessions/{session.pk}/publish",
        f"{API}/reports/{report.pk}/neutralize",
    ]
    for outsider in (centre_admin, other_centre_admin, invigilator, candidate_user):
        client = login(outsider)
        for url in pages:
            assert client.get(url).status_code == 404, url
        for url, data in posts:
            assert client.post(url, data).status_code == 404, url
        assert client.get(f"{API}/sessions").status_code == 404
        assert client.get(f"{API}/sessions/{session.pk}").status_code == 404
        for url in api_posts:
            assert client.post(url, {}, content_type="application/json").status_code == 404
    assert Client().get("/jury/").status_code == 302  # anonymous: to the log-in page
    session.refresh_from_db()
    assert session.published_at is None and session.assigned_officer is None
    assert not Answer.objects.filter(neutralized=True).exists()
    centre_page = login(centre_admin).get(f"/centres/{session.centre_id}/sessions/")
    assert centre_page.status_code == 200 and 'href="/jury/"' not in centre_page.content.decode()
    jury_home = login(jury).get("/jury/").content.decode()
    assert 'href="/jury/">Jury</a>' in jury_home


@pytest.mark.django_db
def test_it_hides_sessions_not_finalized_from_the_jury(login, exam_session, jury):
    """A session still in `created` is 404 for the jury and not listed."""
    client = login(jury)
    assert client.get(f"/jury/sessions/{exam_session.pk}/").status_code == 404
    assert client.get(f"{API}/sessions/{exam_session.pk}").status_code == 404
    assert client.get(f"{API}/sessions").json() == []


# --- The list ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_lists_sessions_needing_attention_first(login, finalized, jury, centre):
    """Global comment or unresolved reports first, then quiet sessions, published last."""
    troubled, _candidates = finalized
    now = timezone.now()
    quiet = ExamSessionFactory(centre=centre, finalized_at=now - dt.timedelta(days=3))
    commented = ExamSessionFactory(
        centre=centre, finalized_at=now, examiner_global_comment="Coupure réseau."
    )
    published = ExamSessionFactory(
        centre=centre, finalized_at=now - dt.timedelta(days=9), published_at=now
    )
    ExamSessionFactory(centre=centre)  # not finalized: not listed
    client = login(jury)

    body = client.get(f"{API}/sessions").json()
    html = client.get("/jury/").content.decode()

    assert [row["id"] for row in body] == [troubled.pk, commented.pk, quiet.pk, published.pk]
    first = body[0]
    assert first["needs_attention"] is True
    assert (first["unresolved_reports"], first["impactful_unresolved_reports"]) == (5, 4)
    assert [row["needs_attention"] for row in body] == [True, True, False, False]
    positions = [html.index(f"Session {s.number}") for s in (troubled, commented, quiet, published)]
    assert positions == sorted(positions)
    assert "4 impactants" in html and "5 signalements non résolus" in html


# --- The session page -------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_shows_each_candidate_reports_answers_and_the_timeline(login, finalized, jury):
    """Reports, answers counts, the rejection mark and the audit timeline are on the page."""
    session, _candidates = finalized
    client = login(jury)

    html = client.get(f"/jury/sessions/{session.pk}/").content.decode()
    body = client.get(f"{API}/sessions/{session.pk}").json()

    assert "Alarme incendie à 14 h 20." in html
    assert "E9 — Le logiciel installé sur l&#x27;ordinateur n&#x27;a pas fonctionné" in html
    assert "C6 — Suspicion de fraude" in html
    assert "Rejetée : moins de 20 réponses et un motif d'abandon" in html
    for label in (
        "Signalement validé",
        "Test terminé par le surveillant",
        "Session finalisée par le centre",
    ):
        assert label in html
    rows = {row["name"]: row for row in body["candidates"]}
    assert (rows["DUPONT Léa"]["answers"], rows["DUPONT Léa"]["rejected"]) == (32, False)
    assert (rows["ABADI Hugo"]["answers"], rows["ABADI Hugo"]["rejected"]) == (3, True)
    assert rows["ABADI Hugo"]["abort_reason"] == "candidate"
    assert rows["MARTIN Zoé"]["status"] == CourseStatus.ENDED_DUE_TO_FINALIZATION
    zoe_reports = {r["subcategory"]: r for r in rows["MARTIN Zoé"]["issue_reports"]}
    assert zoe_reports["E4"]["from_live_alert"] is True
    assert zoe_reports["C6"]["impactful"] is True
    assert rows["DUPONT Léa"]["issue_reports"][0]["impactful"] is False  # C2
    assert [e["tag"] for e in body["timeline"]][-2:] == [
        "centre:session:finalize",
        "centre:records:archive",
    ]


# --- Issue reports ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_neutralizes_the_answer_at_the_reported_question(login, finalized, jury):
    """« Neutraliser la question »: the answer at that number is no longer counted."""
    _session, candidates = finalized
    report = _report(candidates["hugo"], "E9")

    response = login(jury).post(
        f"/jury/signalements/{report.pk}/traiter/",
        {"decision": "neutralize", "comment": "Logiciel en panne, confirmé."},
    )

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.resolved_at is not None and report.resolved_by == jury
    assert report.neutralized is True and report.resolution == "Logiciel en panne, confirmé."
    answers = list(Answer.objects.filter(course__candidate=candidates["hugo"]).order_by("position"))
    assert [a.neutralized for a in answers] == [False, True, False]
    event = AuditEvent.objects.get(tag="jury:report:neutralize")
    assert event.actor == jury and event.data["question_number"] == 2
    assert event.data["item"] == answers[1].item_id


@pytest.mark.django_db
def test_it_refuses_neutralizations_that_make_no_sense(login, finalized, jury):
    """Twice, a replaced question, a report not about a question, a question never answered:
    each refusal has its own message and neutralizes nothing."""
    _session, candidates = finalized
    hugo_e9 = _report(candidates["hugo"], "E9")
    actions.do_neutralize_question(hugo_e9, actor=jury)
    other = UserFactory(is_staff=True, first_name="Paul", last_name="Juge")

    with pytest.raises(e.AlreadyResolved) as twice:
        actions.do_neutralize_question(_report(candidates["hugo"], "E9"), actor=other)
    with pytest.raises(e.QuestionAlreadyReplaced):
        actions.do_neutralize_question(_report(candidates["zoe"], "E4"), actor=jury)
    with pytest.raises(e.NotAboutAQuestion):
        actions.do_neutralize_question(_report(candidates["zoe"], "C6"), actor=jury)
    with pytest.raises(e.NotAboutAQuestion):
        actions.do_reject_report(_report(candidates["lea"], "C2"), actor=jury)
    with pytest.raises(e.NoAnswerToNeutralize) as unanswered:
        actions.do_neutralize_question(_report(candidates["hugo"], "E5"), actor=jury)

    name = f"{jury.first_name} {jury.last_name}"
    assert str(twice.value) == f"Ce signalement a déjà été traité par {name}."
    assert str(unanswered.value) == (
        "Le candidat n'a pas répondu à la question n° 30 : il n'y a rien à neutraliser."
    )
    assert Answer.objects.filter(neutralized=True).count() == 1
    page = login(jury).post(
        f"/jury/signalements/{_report(candidates['zoe'], 'E4').pk}/traiter/",
        {"decision": "neutralize"},
        follow=True,
    )
    assert "La question signalée a été remplacée pendant la session" in page.content.decode()


@pytest.mark.django_db
def test_it_rejects_a_question_report_and_keeps_the_answer(login, finalized, jury):
    """« Rejeter le signalement » (API): resolved, nothing neutralized, audited."""
    _session, candidates = finalized
    report = _report(candidates["hugo"], "E9")

    response = login(jury).post(
        f"{API}/reports/{report.pk}/reject", {"comment": ""}, content_type="application/json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["resolution"] == "Signalement rejeté par le jury." and body["neutralized"] is False
    assert not Answer.objects.filter(neutralized=True).exists()
    assert AuditEvent.objects.filter(tag="jury:report:reject", actor=jury).count() == 1


@pytest.mark.django_db
def test_it_resolves_other_reports_with_a_required_comment(login, finalized, jury):
    """A fraud suspicion (or a replaced question) is resolved with a comment, never without."""
    _session, candidates = finalized
    fraud = _report(candidates["zoe"], "C6")
    client = login(jury)

    empty = client.post(
        f"{API}/reports/{fraud.pk}/resolve", {"comment": "  "}, content_type="application/json"
    )
    done = client.post(
        f"/jury/signalements/{fraud.pk}/traiter/",
        {"decision": "resolve", "comment": "Aucune fraude constatée."},
        follow=True,
    )

    assert empty.status_code == 400
    assert empty.json()["detail"] == "Indiquez un commentaire pour résoudre le signalement."
    assert "Le signalement est résolu." in done.content.decode()
    fraud.refresh_from_db()
    assert fraud.resolution == "Aucune fraude constatée." and fraud.resolved_by == jury
    assert AuditEvent.objects.filter(tag="jury:report:resolve").count() == 1


# --- Assignment and publication ------------------------------------------------------------------


@pytest.mark.django_db
def test_it_assigns_the_session_which_moves_it_in_process(login, finalized, jury, centre_admin):
    """Assigned to a jury member: « en cours de traitement »; a non-staff officer is refused."""
    session, _candidates = finalized
    client = login(jury)

    refused = client.post(
        f"{API}/sessions/{session.pk}/assign",
        {"officer_id": centre_admin.pk},
        content_type="application/json",
    )
    page = client.post(f"/jury/sessions/{session.pk}/attribuer/", {"officer": jury.pk}, follow=True)

    assert refused.status_code == 400
    assert refused.json()["detail"] == (
        "Ce compte n'est pas membre du jury : la session ne peut pas lui être attribuée."
    )
    session.refresh_from_db()
    assert session.assigned_officer == jury and session.status == "in_process"
    assert "En cours de traitement" in page.content.decode()
    assert AuditEvent.objects.get(tag="jury:session:assign").data == {"officer": jury.pk}


@pytest.mark.django_db
def test_it_refuses_to_publish_while_an_impactful_report_is_unresolved(login, finalized, jury):
    """The message names the candidates; the C2 report (not impactful) does not block."""
    session, candidates = finalized
    client = login(jury)

    response = client.post(f"{API}/sessions/{session.pk}/publish")
    page = client.post(f"/jury/sessions/{session.pk}/publier/", follow=True)

    expected = (
        "Publication impossible : des signalements impactants ne sont pas résolus pour "
        "ABADI Hugo, MARTIN Zoé. Traitez-les d'abord."
    )
    assert response.status_code == 409
    assert response.json() == {"detail": expected, "code": "unresolved_reports"}
    assert expected.replace("'", "&#x27;") in page.content.decode()
    session.refresh_from_db()
    assert session.published_at is None
    assert _report(candidates["lea"], "C2").resolved_at is None
    assert not AuditEvent.objects.filter(tag="jury:session:publish").exists()


@pytest.mark.django_db
def test_it_publishes_then_unpublishes(login, finalized, jury):
    """Publication sets published_at (once), freezes the reports; unpublication clears it."""
    session, candidates = finalized
    _resolve_impactful(session, jury)
    client = login(jury)

    published = client.post(f"/jury/sessions/{session.pk}/publier/", follow=True)
    session.refresh_from_db()
    assert session.published_at is not None and session.status == "published"
    assert (
        f"Les résultats de la session {session.number} sont publiés." in published.content.decode()
    )
    again = client.post(f"{API}/sessions/{session.pk}/publish")
    assert again.status_code == 409
    assert again.json()["detail"] == "Les résultats de cette session sont déjà publiés."
    with pytest.raises(e.SessionPublished):
        actions.do_resolve_report(_report(candidates["lea"], "C2"), actor=jury, comment="Vu.")

    response = client.post(f"{API}/sessions/{session.pk}/unpublish")

    assert response.status_code == 200
    assert response.json()["session"]["published_at"] is None
    assert ExamSession.objects.get(pk=session.pk).published_at is None
    twice = client.post(f"{API}/sessions/{session.pk}/unpublish")
    assert twice.json()["detail"] == "Les résultats de cette session ne sont pas publiés."
    tags = list(
        AuditEvent.objects.filter(tag__startswith="jury:session:").values_list("tag", flat=True)
    )
    assert tags == ["jury:session:publish", "jury:session:unpublish"]


@pytest.mark.django_db
def test_it_guards_every_jury_and_finalization_operation_of_the_openapi_schema(
    login, client, finalized, centre_admin, other_centre_admin
):
    """Anonymous gets 401 on every jury and finalization operation; a non-staff user 404 on
    every jury one, the admin of another centre 404 on the finalization ones."""
    session, candidates = finalized
    report = _report(candidates["hugo"], "E9")
    schema = client.get("/api/openapi.json").json()
    operations = {
        (method, path)
        for path, item in schema["paths"].items()
        if path.startswith("/api/jury/") or path.endswith("/finalization")
        for method in item
    }
    assert operations == {
        ("get", "/api/jury/sessions"),
        ("get", "/api/jury/sessions/{session_id}"),
        ("post", "/api/jury/sessions/{session_id}/assign"),
        ("post", "/api/jury/sessions/{session_id}/publish"),
        ("post", "/api/jury/sessions/{session_id}/unpublish"),
        ("post", "/api/jury/reports/{report_id}/neutralize"),
        ("post", "/api/jury/reports/{report_id}/reject"),
        ("post", "/api/jury/reports/{report_id}/resolve"),
        ("post", "/api/jury/reports/{report_id}/accept-correction"),
        ("post", "/api/jury/reports/{report_id}/refuse-correction"),
        ("get", "/api/sessions/{session_id}/finalization"),
        ("put", "/api/sessions/{session_id}/finalization"),
    }
    outsiders = {"jury": login(centre_admin), "finalization": login(other_centre_admin)}
    for method, path in sorted(operations):
        url = path.format(session_id=session.pk, report_id=report.pk)
        kind = "jury" if path.startswith("/api/jury/") else "finalization"
        anonymous = getattr(client, method)(url, {}, content_type="application/json")
        refused = getattr(outsiders[kind], method)(url, {}, content_type="application/json")
        assert (anonymous.status_code, refused.status_code) == (401, 404), (method, path)
    session.refresh_from_db()
    assert session.published_at is None and session.assigned_officer is None
    assert IssueReport.objects.filter(resolved_at__isnull=False).count() == 0
