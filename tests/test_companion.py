"""The companion extension's alert: raised by the candidate's page, cleared by an invigilator."""

import pytest

from audit.models import AuditEvent
from certification import actions, engine
from certification.models import AlertStatus, Answer, CertificationCourse, LiveAlert
from invigilation.models import InvigilatorAccess


def _post(client, url, data=None, token=""):
    return client.post(
        url, data or {}, content_type="application/json", headers={"X-Run-Token": token}
    )


@pytest.fixture
def running(client, small_bank, joined_candidate, invigilator):
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    client.force_login(joined_candidate.user)
    body = _post(
        client,
        f"/api/certification/candidates/{joined_candidate.pk}/start",
        {"access_code": joined_candidate.session.access_code},
    ).json()
    return joined_candidate, body["course_id"], body["run_token"]


@pytest.mark.django_db
def test_it_blocks_answers_while_the_extension_is_missing(client, running, sent_events):
    """One ongoing alert at most; answers are refused with the seed's message meanwhile."""
    _candidate, course_id, token = running
    state = client.get(
        f"/api/certification/courses/{course_id}/state", headers={"X-Run-Token": token}
    ).json()
    with sent_events() as events:
        first = _post(
            client, f"/api/certification/courses/{course_id}/companion-alert", token=token
        )
    again = _post(client, f"/api/certification/courses/{course_id}/companion-alert", token=token)
    assert first.json()["id"] == again.json()["id"]
    assert any(e["op"] == "companion_alert" for _g, e in events)
    blocked = client.get(
        f"/api/certification/courses/{course_id}/state", headers={"X-Run-Token": token}
    ).json()
    assert blocked["companion_blocked"] is True
    refused = _post(
        client,
        f"/api/certification/courses/{course_id}/answers",
        {"item_id": state["question"]["id"], "response": [0]},
        token,
    )
    assert refused.status_code == 409
    assert (
        "Merci de contacter votre surveillant afin qu'il confirme la présence de l'extension."
        in refused.json()["detail"]
    )
    assert not Answer.objects.exists()
    stale = _post(client, f"/api/certification/courses/{course_id}/companion-alert", token="x")
    assert stale.status_code == 409


@pytest.mark.django_db
def test_it_lets_an_invigilator_confirm_the_extension(
    client, running, invigilator, jury, sent_events
):
    """« Confirmer la présence de l'extension »: cleared, audited, pushed; others refused."""
    candidate, course_id, token = running
    alert = actions.do_raise_companion_alert(
        CertificationCourse.objects.get(pk=course_id), user=candidate.user, token=token
    )
    client.force_login(jury)
    assert client.post(f"/api/invigilation/alerts/{alert.pk}/companion").status_code == 404
    InvigilatorAccess.objects.create(session=candidate.session, user=invigilator, via="password")
    client.force_login(invigilator)
    assert client.post(f"/api/invigilation/alerts/{alert.pk}/refuse").status_code == 400
    with sent_events() as events:
        response = client.post(f"/api/invigilation/alerts/{alert.pk}/companion")
    assert response.status_code == 200
    assert LiveAlert.objects.get().status == AlertStatus.CLEARED
    assert AuditEvent.objects.filter(tag="invigilator:companion:confirm").count() == 1
    assert (f"candidate-{candidate.pk}", events[0][1]) in events
    assert client.post(f"/api/invigilation/alerts/{alert.pk}/companion").status_code == 409


@pytest.mark.django_db
def test_it_puts_the_extension_alert_first_for_the_invigilator(
    client, running, invigilator, exam_session
):
    """Seed 001 / reference §2.8: the companion alert takes priority over a question alert."""
    from tests.factories import CandidateFactory, UserFactory

    candidate, course_id, token = running
    other_user = UserFactory(certifiable=True)
    other = CandidateFactory(
        session=exam_session,
        last_name="Aaaa",
        user=other_user,
        instructions_accepted_at=candidate.instructions_accepted_at,
    )
    actions.do_confirm_presence(other, actor=invigilator)
    run = actions.do_start_or_resume(other, user=other_user, access_code=exam_session.access_code)
    item = engine.current_item(run.course)
    actions.do_report_problem(run.course, user=other_user, token=run.token, item_id=item.id)
    actions.do_raise_companion_alert(
        CertificationCourse.objects.get(pk=course_id), user=candidate.user, token=token
    )
    InvigilatorAccess.objects.create(session=exam_session, user=invigilator, via="password")
    client.force_login(invigilator)
    rows = client.get(f"/api/invigilation/sessions/{exam_session.pk}/state").json()["candidates"]
    assert [r["status"] for r in rows[:2]] == ["companion", "alert"]
    assert rows[0]["status_label"] == "Extension non détectée"
