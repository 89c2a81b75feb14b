"""« Finaliser la session »: the centre states, per started test, what happened, pre-filled
from the session's live record; finalizing ends the tests still running and closes the
session.

Personas: the centre admin finalizes; the admin of another centre, an invigilator of the
session, a candidate and a jury member (not a centre member) are refused with 404.
"""

import pytest

from audit.models import AuditEvent
from certification import actions as test_actions
from certification import engine
from certification.errors import AlreadyHandled, CertificationSessionClosed
from certification.models import (
    AlertStatus,
    CertificationCourse,
    CertificationReport,
    CourseStatus,
    IssueReport,
    LiveAlert,
)
from exams.models import ExamSession
from finalization import errors as finalization_errors
from finalization import validation
from finalization.actions import do_finalize_session
from finalization.models import SessionRecord
from invigilation.models import InvigilatorAccess
from lib import issue_reports
from tests import live_record as live

API = "/api"
REFERENCE_LABELS = [
    ("C1", "Modification des prénom/nom/date de naissance"),
    ("C2", "Ajout/modification du temps majoré"),
    ("C4", "Était présent(e) mais a oublié de signer, ou a signé sur la mauvaise ligne"),
    ("C6", "Suspicion de fraude"),
    ("C7", "Incident technique non bloquant"),
    ("C8", "Incident lié au candidat non bloquant"),
    ("E1", "L'image ne s'affiche pas"),
    ("E2", "Le simulateur/l'application ne s'affiche pas"),
    ("E3", "Le fichier à télécharger ne se télécharge pas ou ne s'ouvre pas"),
    ("E4", "Le site à visiter est indisponible/en maintenance/inaccessible"),
    (
        "E5",
        "Le site est bloqué par les restrictions réseau de l'établissement (réseaux sociaux par ex.)",
    ),
    (
        "E8",
        "Le candidat bénéficie d'un temps majoré et n'a pas pu répondre à la question dans le temps imparti",
    ),
    ("E9", "Le logiciel installé sur l'ordinateur n'a pas fonctionné"),
    (
        "E10",
        "Le candidat a été contraint de cliquer en dehors du cadre autorisé pour une question en mode focus",
    ),
    (
        "E11",
        "Une page «Oups une erreur est survenue» ou tout autre problème technique lié à la plateforme a empêché le candidat de répondre à la question",
    ),
    ("E12", "Problème avec l’accessibilité de la question (ex : daltonisme)"),
]
REFERENCE_CATEGORIES = {
    "CANDIDATE_INFORMATIONS_CHANGES": "Modification infos candidat",
    "SIGNATURE_ISSUE": "Était présent(e) mais a oublié de signer, ou a signé sur la mauvaise ligne",
    "FRAUD": "Suspicion de fraude",
    "NON_BLOCKING_TECHNICAL_ISSUE": "Incident technique non bloquant",
    "NON_BLOCKING_CANDIDATE_ISSUE": "Incident lié au candidat non bloquant",
    "IN_CHALLENGE": "Problème technique sur une question",
}
NO_STARTED_TEST = "Aucun candidat n'a commencé son test : la session ne peut pas être finalisée."
ALREADY = "Cette session a déjà été finalisée."
FINALIZED_END = "La session a été finalisée par votre centre de certification."


@pytest.fixture
def room(small_bank, exam_session, invigilator):
    """Three started tests: Léa completed hers, Hugo's was ended by the invigilator after a
    refused alert, Zoé's still runs after a validated alert and a resume; notes taken."""
    InvigilatorAccess.objects.create(session=exam_session, user=invigilator, via="password")
    lea = live.joined(exam_session, "Léa", "Dupont")
    hugo = live.joined(exam_session, "Hugo", "Abadi")
    zoe = live.joined(exam_session, "Zoé", "Martin")
    live.joined(exam_session, "Noé", "Absent")  # enrolled, never started: no report expected
    lea_run = live.start(lea, invigilator)
    live.answer(lea_run, 32)
    hugo_run = live.start(hugo, invigilator)
    live.answer(hugo_run, 3)
    live.refused_alert(hugo_run, invigilator)
    live.end(hugo_run, invigilator)
    zoe_run = live.start(zoe, invigilator)
    live.answer(zoe_run, 2)
    live.validated_alert(zoe_run, invigilator, reason="E4")
    test_actions.do_authorize_resume(zoe, actor=invigilator)
    live.note(exam_session, invigilator, "Zoé a changé de poste (écran noir).", candidate=zoe)
    live.note(exam_session, invigilator, "Alarme incendie à 14 h 20, 5 minutes.")
    return exam_session, {"lea": lea, "hugo": hugo, "zoe": zoe}, zoe_run


def _valid_post(candidates, **extra) -> dict[str, str]:
    data = {
        f"c{candidates['hugo'].pk}-abort_reason": "candidate",
        f"c{candidates['zoe'].pk}-abort_reason": "technical",
        f"c{candidates['lea'].pk}-has_seen_end_screen": "on",
        "global_comment": "Alarme incendie.",
    }
    data.update(extra)
    return data


def _payload(candidates, **extra) -> dict:
    data = {
        "global_comment": "",
        "has_incident": False,
        "has_joining_issue": False,
        "reports": [
            {"candidate_id": candidates["lea"].pk, "has_seen_end_screen": True},
            {"candidate_id": candidates["hugo"].pk, "abort_reason": "candidate"},
            {"candidate_id": candidates["zoe"].pk, "abort_reason": "technical"},
        ],
    }
    data.update(extra)
    return data


def _put(client, session, payload):
    return client.put(
        f"{API}/sessions/{session.pk}/finalization", payload, content_type="application/json"
    )


# --- Reference labels ----------------------------------------------------------------------


def test_it_offers_exactly_the_reference_categories_and_labels():
    """Codes and French labels are those of the reference table, in its order."""
    offered = [
        (code, label)
        for _group, options in issue_reports.category_choices()
        for code, label in options
    ]
    assert offered == [(code, f"{code} — {label}") for code, label in REFERENCE_LABELS]
    assert issue_reports.CATEGORY_LABELS == REFERENCE_CATEGORIES
    assert [group for group, _options in issue_reports.category_choices()] == list(
        REFERENCE_CATEGORIES.values()
    )


# --- Who may finalize ------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_everyone_but_the_centre_admin(
    login, room, centre_admin, other_centre_admin, invigilator, candidate_user, jury
):
    """Other centre's admin, invigilator, candidate and jury get 404 on the page and the API."""
    session, candidates, _run = room
    page = f"/sessions/{session.pk}/finaliser/"
    for outsider in (other_centre_admin, invigilator, candidate_user, jury, candidates["lea"].user):
        client = login(outsider)
        assert client.get(page).status_code == 404
        assert client.post(page, _valid_post(candidates)).status_code == 404
        assert client.get(f"{API}/sessions/{session.pk}/finalization").status_code == 404
        assert _put(client, session, _payload(candidates)).status_code == 404
    session.refresh_from_db()
    assert session.finalized_at is None
    assert login(centre_admin).get(page).status_code == 200


# --- Pre-filled from the live record -----------------------------------------------------


@pytest.mark.django_db
def test_it_prefills_the_page_from_the_live_record(login, room, centre_admin):
    """Validated report, refused alert, resume, end by the invigilator and notes are shown;
    notes pre-fill the comments; only unfinished tests ask for an abort reason."""
    session, candidates, _run = room
    client = login(centre_admin)

    detail = client.get(f"/sessions/{session.pk}/").content.decode()
    assert f'href="/sessions/{session.pk}/finaliser/"' in detail
    html = client.get(f"/sessions/{session.pk}/finaliser/").content.decode()

    assert "E4 — Le site à visiter est indisponible/en maintenance/inaccessible" in html
    assert "validé pendant la session" in html
    assert "Signalement sur la question 4 refusé par" in html
    assert "Reprise du test autorisée par" in html
    assert "Test terminé par" in html
    assert "Zoé a changé de poste (écran noir).</textarea>" in html
    assert "Alarme incendie à 14 h 20, 5 minutes.</textarea>" in html
    assert "Absent" not in html  # never started: nothing to state
    for name in ("hugo", "zoe"):
        assert f'name="c{candidates[name].pk}-abort_reason"' in html
    assert f'name="c{candidates["lea"].pk}-abort_reason"' not in html
    assert '<optgroup label="Problème technique sur une question">' in html


@pytest.mark.django_db
def test_it_gives_the_live_record_through_the_api(login, room, centre_admin, invigilator):
    """GET /sessions/{id}/finalization lists started tests, their reports and record lines."""
    session, candidates, _run = room

    body = login(centre_admin).get(f"{API}/sessions/{session.pk}/finalization").json()

    rows = {row["candidate_id"]: row for row in body["candidates"]}
    assert set(rows) == {c.pk for c in candidates.values()}
    zoe = rows[candidates["zoe"].pk]
    assert zoe["unfinished"] is True and zoe["status"] == "started"
    assert [
        (r["subcategory"], r["question_number"], r["from_live_alert"]) for r in zoe["issue_reports"]
    ] == [("E4", 3, True)]
    assert zoe["notes"] == "Zoé a changé de poste (écran noir)."
    assert rows[candidates["lea"].pk]["unfinished"] is False
    assert body["session_record"] == [
        f"{invigilator.first_name} {invigilator.last_name} a noté : « Alarme incendie à 14 h 20, 5 minutes. »"
    ]


# --- Validation --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_names_the_candidate_and_the_field_of_each_error(login, room, centre_admin):
    """Missing abort reasons, missing description or question number, unknown category and
    a long comment are all reported at once, and nothing is written."""
    session, candidates, _run = room
    hugo, zoe, lea = candidates["hugo"], candidates["zoe"], candidates["lea"]
    data = {
        f"c{lea.pk}-r1-subcategory": "C7",
        f"c{lea.pk}-r2-subcategory": "E5",
        f"c{lea.pk}-r2-question_number": "501",
        f"c{hugo.pk}-r1-subcategory": "Z9",
        "global_comment": "x" * 501,
    }

    response = login(centre_admin).post(f"/sessions/{session.pk}/finaliser/", data)

    assert response.status_code == 400
    html = response.content.decode()
    for expected in (
        "ABADI Hugo — Motif d&#x27;abandon : obligatoire, le test n&#x27;est pas terminé",
        "MARTIN Zoé — Motif d&#x27;abandon : obligatoire",
        "DUPONT Léa — Signalement 1 (C7) : la description est obligatoire.",
        "DUPONT Léa — Signalement 2 (E5) : le numéro de la question est obligatoire, entre 1 et 500.",
        "ABADI Hugo — Signalement 1 : choisissez une catégorie de la liste.",
        "Commentaire global : 501 caractères, 500 au maximum.",
    ):
        assert expected in html, expected
    # What was typed is kept.
    assert 'value="501"' in html
    session.refresh_from_db()
    assert session.finalized_at is None
    assert not CertificationReport.objects.exists()
    assert IssueReport.objects.count() == 1  # the one validated during the session
    assert CertificationCourse.objects.get(candidate=zoe).status == CourseStatus.STARTED


@pytest.mark.django_db
def test_it_refuses_an_abort_reason_for_a_completed_test_and_strangers_through_the_api(
    login, room, centre_admin
):
    """API: a reason on a completed test, a candidate who never started, a C2 without a
    description and an E report without a number are 400 with one message each."""
    session, candidates, _run = room
    absent = session.candidates.get(last_name="Absent")
    payload = _payload(candidates)
    payload["reports"][0].update(
        abort_reason="technical",
        issue_reports=[{"subcategory": "C2"}, {"subcategory": "E1", "question_number": 0}],
    )
    payload["reports"].append({"candidate_id": absent.pk})

    response = _put(login(centre_admin), session, payload)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "finalization_invalid"
    assert body["detail"] == "La session n'a pas été finalisée : corrigez les erreurs signalées."
    assert body["errors"] == [
        f"Candidat n° {absent.pk} : il n'a pas commencé de test dans cette session, aucun compte rendu n'est attendu.",
        "DUPONT Léa — Motif d'abandon : le test est terminé, aucun motif n'est à indiquer.",
        "DUPONT Léa — Signalement 1 (C2) : la description est obligatoire.",
        "DUPONT Léa — Signalement 2 (E1) : le numéro de la question est obligatoire, entre 1 et 500.",
    ]
    assert ExamSession.objects.get(pk=session.pk).finalized_at is None


# --- Finalizing ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_finalizes_ends_running_tests_and_tells_the_candidate(
    login, room, centre_admin, sent_events, client
):
    """Reports are stored, the running test ends `ended_due_to_finalization` with a push to
    its candidate, the others keep their status, and the session leaves `created`."""
    session, candidates, zoe_run = room
    hugo, zoe, lea = candidates["hugo"], candidates["zoe"], candidates["lea"]
    data = _valid_post(
        candidates,
        **{
            f"c{lea.pk}-r1-subcategory": "C7",
            f"c{lea.pk}-r1-description": "Souris défectueuse, changée.",
            f"c{zoe.pk}-r1-subcategory": "E9",
            f"c{zoe.pk}-r1-question_number": "2",
            f"c{zoe.pk}-comment": "Écran noir, poste changé.",
            "has_incident": "on",
        },
    )

    with sent_events() as events:
        response = login(centre_admin).post(f"/sessions/{session.pk}/finaliser/", data)

    assert response.status_code == 302
    assert response["Location"] == f"/sessions/{session.pk}/"
    session.refresh_from_db()
    assert session.finalized_at is not None
    assert session.status == "finalized" and session.is_accessible is False
    assert session.examiner_global_comment == "Alarme incendie."
    assert (session.has_incident, session.has_joining_issue) == (True, False)
    courses = {c.candidate_id: c for c in CertificationCourse.objects.all()}
    assert courses[zoe.pk].status == CourseStatus.ENDED_DUE_TO_FINALIZATION
    assert courses[zoe.pk].ended_at == session.finalized_at
    assert courses[hugo.pk].status == CourseStatus.ENDED_BY_INVIGILATOR
    assert courses[lea.pk].status == CourseStatus.COMPLETED
    reports = {
        r.course.candidate_id: r for r in CertificationReport.objects.select_related("course")
    }
    assert (reports[lea.pk].has_seen_end_screen, reports[lea.pk].abort_reason) == (True, "")
    assert reports[hugo.pk].abort_reason == "candidate"
    assert (reports[zoe.pk].abort_reason, reports[zoe.pk].comment) == (
        "technical",
        "Écran noir, poste changé.",
    )
    new = IssueReport.objects.filter(live_alert__isnull=True).order_by("subcategory")
    assert [
        (r.course.candidate_id, r.category, r.subcategory, r.question_number, r.description)
        for r in new
    ] == [
        (lea.pk, "NON_BLOCKING_TECHNICAL_ISSUE", "C7", None, "Souris défectueuse, changée."),
        (zoe.pk, "IN_CHALLENGE", "E9", 2, ""),
    ]
    event = AuditEvent.objects.get(session=session, tag="centre:session:finalize")
    assert event.actor == centre_admin
    assert (
        event.data["tests"] == 3 and event.data["ended"] == 1 and event.data["issue_reports"] == 2
    )
    ended = {
        "type": "candidate",
        "op": "ended",
        "candidate_id": zoe.pk,
        "status": "ended_due_to_finalization",
    }
    assert sorted(g for g, e in events if e == ended) == [
        f"candidate-{zoe.pk}",
        f"session-{session.pk}",
    ]
    assert not any(e.get("candidate_id") in (hugo.pk, lea.pk) for _g, e in events)
    # The candidate's page reads the finalization message.
    client.force_login(zoe.user)
    state = client.get(
        f"/api/certification/courses/{zoe_run.course.pk}/state",
        headers={"X-Run-Token": zoe_run.token},
    ).json()
    assert state["running"] is False
    assert state["end_message"].startswith(FINALIZED_END)


@pytest.mark.django_db
def test_it_closes_the_session_after_finalization(login, room, centre_admin, invigilator):
    """No edit, no invigilation, no new start once finalized; the page shows the summary."""
    session, candidates, _run = room
    do_finalize_session(
        session,
        validation.from_post(_valid_post(candidates), [c.pk for c in candidates.values()]),
        actor=centre_admin,
    )
    admin = login(centre_admin)

    edit = admin.get(f"/sessions/{session.pk}/modifier/")
    assert edit.status_code == 302
    assert login(invigilator).get(f"/surveillance/sessions/{session.pk}/").status_code == 302
    absent = session.candidates.get(last_name="Absent")
    with pytest.raises(CertificationSessionClosed):
        test_actions.do_start_or_resume(absent, user=absent.user, access_code=session.access_code)
    summary = admin.get(f"/sessions/{session.pk}/finaliser/").content.decode()
    assert "Session finalisée" in summary
    assert "Alarme incendie." in summary
    assert 'name="global_comment"' not in summary


@pytest.mark.django_db
def test_it_refuses_to_finalize_twice(login, room, centre_admin):
    """The second finalization (page, API or a stale object) is refused and changes nothing."""
    session, candidates, _run = room
    stale = ExamSession.objects.get(pk=session.pk)
    admin = login(centre_admin)
    assert _put(admin, session, _payload(candidates)).status_code == 200
    first = ExamSession.objects.get(pk=session.pk).finalized_at

    again = _put(admin, session, _payload(candidates, global_comment="Autre"))
    page = admin.post(f"/sessions/{session.pk}/finaliser/", _valid_post(candidates))
    with pytest.raises(finalization_errors.AlreadyFinalized):
        do_finalize_session(stale, validation.FinalizationInput(), actor=centre_admin)

    assert again.status_code == 409
    assert again.json() == {"detail": ALREADY, "code": "already_finalized"}
    assert page.status_code == 400 and ALREADY in page.content.decode()
    session.refresh_from_db()
    assert session.finalized_at == first and session.examiner_global_comment == ""
    assert CertificationReport.objects.count() == 3
    assert AuditEvent.objects.filter(tag="centre:session:finalize").count() == 1


@pytest.mark.django_db
def test_it_refuses_a_session_where_no_test_started(login, exam_session, candidate, centre_admin):
    """No started test: the page says so, the API answers 409, nothing changes."""
    admin = login(centre_admin)

    page = admin.get(f"/sessions/{exam_session.pk}/finaliser/")
    posted = admin.post(f"/sessions/{exam_session.pk}/finaliser/", {"global_comment": "x"})
    api = _put(admin, exam_session, {"reports": []})

    assert NO_STARTED_TEST in page.content.decode()
    assert posted.status_code == 400
    assert NO_STARTED_TEST in posted.content.decode()
    assert api.status_code == 409
    assert api.json() == {"detail": NO_STARTED_TEST, "code": "no_started_test"}
    exam_session.refresh_from_db()
    assert exam_session.finalized_at is None


@pytest.mark.django_db
def test_it_asks_a_reason_for_a_test_started_after_the_page_was_opened(
    room, centre_admin, invigilator
):
    """A candidate starting between display and submit is named in the errors."""
    session, candidates, _run = room
    late = live.joined(session, "Inès", "Tardif")
    live.start(late, invigilator)
    data = validation.from_post(_valid_post(candidates), [c.pk for c in candidates.values()])

    with pytest.raises(finalization_errors.FinalizationInvalid) as refused:
        do_finalize_session(session, data, actor=centre_admin)

    assert refused.value.errors == [
        "TARDIF Inès — Motif d'abandon : obligatoire, le test n'est pas terminé "
        "(choisissez « Abandon » ou « Problème technique »)."
    ]


# --- Alerts left undecided, documents archived ------------------------------------------------


@pytest.mark.django_db
def test_it_closes_the_alerts_still_ongoing_and_archives_the_documents(
    login, room, centre_admin, invigilator, jury, sent_events
):
    """A question report and a companion alert nobody decided on are announced on the page,
    then closed by the finalization (« clos à la finalisation », audited, pushed to the
    Espace Surveillant); the three documents are archived; no invigilator can decide any
    more on those alerts."""
    session, candidates, zoe_run = room
    course = zoe_run.course
    course.refresh_from_db()
    question = engine.current_item(course)
    assert question is not None
    reported = test_actions.do_report_problem(
        course, user=course.user, token=zoe_run.token, item_id=question.id
    )
    missing = test_actions.do_raise_companion_alert(course, user=course.user, token=zoe_run.token)
    admin = login(centre_admin)
    before = admin.get(f"/sessions/{session.pk}/finaliser/").content.decode()

    with sent_events() as events:
        assert _put(admin, session, _payload(candidates)).status_code == 200

    assert (
        "Signalement sur la question 3 en attente d&#x27;une décision du surveillant : "
        "il sera clos à la finalisation." in before
    )
    assert "Extension non détectée : l&#x27;alerte attend la confirmation" in before
    session.refresh_from_db()
    for alert in (reported, missing):
        alert.refresh_from_db()
        assert alert.status == AlertStatus.CLOSED
        assert (alert.resolved_by, alert.resolved_at) == (centre_admin, session.finalized_at)
    assert not LiveAlert.objects.filter(status=AlertStatus.ONGOING).exists()
    closed = AuditEvent.objects.filter(session=session, tag="centre:alert:close")
    assert sorted((e.data["kind"], e.data["question_number"], e.actor) for e in closed) == [
        ("companion", None, centre_admin),
        ("question", 3, centre_admin),
    ]
    assert {e.data["candidate"] for e in closed} == {candidates["zoe"].pk}
    finalized = AuditEvent.objects.get(session=session, tag="centre:session:finalize")
    assert finalized.data["closed_alerts"] == 2
    pushed = [e for g, e in events if g == f"session-{session.pk}" and e["op"] == "alert_closed"]
    zoe = candidates["zoe"]
    assert pushed == [{"type": "candidate", "op": "alert_closed", "candidate_id": zoe.pk}] * 2
    summary = admin.get(f"/sessions/{session.pk}/finaliser/").content.decode()
    assert "Signalement sur la question 3 clos à la finalisation par" in summary
    assert "Alerte « extension non détectée » close à la finalisation par" in summary
    review = login(jury).get(f"/jury/sessions/{session.pk}/").content.decode()
    assert review.count("Alerte close à la finalisation, sans décision du surveillant") == 2
    assert sorted(SessionRecord.objects.filter(session=session).values_list("kind", flat=True)) == [
        "deroulement",
        "feuille-emargement",
        "proces-verbal",
    ]
    assert AuditEvent.objects.filter(session=session, tag="centre:records:archive").count() == 1
    with pytest.raises(AlreadyHandled):
        test_actions.do_refuse_alert(reported, actor=invigilator)
    with pytest.raises(AlreadyHandled):
        test_actions.do_clear_companion_alert(missing, actor=invigilator)


@pytest.mark.django_db
def test_it_archives_nothing_when_the_finalization_is_refused(login, room, centre_admin):
    """An invalid finalization leaves no document and no closed alert behind."""
    session, candidates, zoe_run = room
    course = zoe_run.course
    course.refresh_from_db()
    missing = test_actions.do_raise_companion_alert(course, user=course.user, token=zoe_run.token)

    response = _put(login(centre_admin), session, _payload(candidates, global_comment="x" * 501))

    assert response.status_code == 400
    assert not SessionRecord.objects.exists()
    missing.refresh_from_db()
    assert missing.status == AlertStatus.ONGOING
