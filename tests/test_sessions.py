"""A centre administrator plans, edits and deletes sessions."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from exams.models import ExamSession, SessionStatus
from tests.factories import CandidateFactory, ExamSessionFactory

TODAY = dt.date(2026, 11, 23)


def _form(**overrides):
    data = {
        "site_name": "Lycée Victor Hugo",
        "address": "1 rue de la République, 69001 Lyon",
        "room": "B12",
        "date": "30/11/2026",
        "time": "14:00",
        "examiner": "Mme Martin, M. Durand",
        "description": "Terminales",
    }
    return {**data, **overrides}


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.mark.django_db
def test_it_creates_a_session_with_generated_codes(client, centre, centre_admin):
    """Number (digits), invigilator password and access code are generated."""
    client.force_login(centre_admin)
    response = client.post(reverse("exams:session_create", args=[centre.pk]), _form())
    session = ExamSession.objects.get()
    assert response.url == reverse("exams:session_detail", args=[session.pk])
    assert re.fullmatch(r"[1-9][0-9]{6}", session.number)
    assert re.fullmatch(r"[BCDFGHJKMPQRTVWXY]{4}[2346789]{2}", session.access_code)
    assert re.fullmatch(
        r"([2-46-9B-HJKMNP-RT-Y]{4}-){2}[2-46-9B-HJKMNP-RT-Y]{4}", session.invigilator_password
    )
    assert session.date == dt.date(2026, 11, 30)
    assert session.created_by == centre_admin
    assert session.status == SessionStatus.CREATED
    assert AuditEvent.objects.filter(session=session, tag="centre:session:create").exists()


@pytest.mark.django_db
def test_it_stores_the_invigilator_password_encrypted(client, centre, centre_admin):
    """The password is printable in the kit but never stored in clear."""
    client.force_login(centre_admin)
    client.post(reverse("exams:session_create", args=[centre.pk]), _form())
    session = ExamSession.objects.get()
    assert session.invigilator_password not in session.invigilator_password_encrypted
    assert session.check_invigilator_password(session.invigilator_password.lower())
    assert session.check_invigilator_password(session.invigilator_password.replace("-", " "))
    assert not session.check_invigilator_password("AAAA-BBBB-CCCC")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date", "31/02/2026", "Saisissez une date valide (JJ/MM/AAAA)."),
        ("date", "22/11/2026", "ne peut pas être dans le passé"),
        ("date", "01/01/2030", "dans plus de deux ans"),
        ("time", "25:00", "Saisissez une heure valide (HH:MM)."),
        ("room", "", "Ce champ est obligatoire."),
        ("site_name", "", "Ce champ est obligatoire."),
        ("examiner", "", "Ce champ est obligatoire."),
        ("room", "B\x0712", "caractère invisible non autorisé"),
        ("room", "B\x0012", "Le caractère nul"),
    ],
)
def test_it_refuses_bad_input_in_french(client, centre, centre_admin, field, value, message):
    """Each wrong field gets its own French message; nothing is created."""
    client.force_login(centre_admin)
    response = client.post(
        reverse("exams:session_create", args=[centre.pk]), _form(**{field: value})
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ExamSession.objects.exists()


@pytest.mark.django_db
def test_it_edits_a_session_and_audits_before_and_after(client, exam_session, centre_admin):
    """Changes are saved and the audit row keeps the old and the new value."""
    client.force_login(centre_admin)
    client.post(
        reverse("exams:session_edit", args=[exam_session.pk]), _form(room="C3", date="01/12/2026")
    )
    exam_session.refresh_from_db()
    assert exam_session.room == "C3"
    event = AuditEvent.objects.get(tag="centre:session:update")
    assert event.data["before"]["room"] == "B12"
    assert event.data["after"]["room"] == "C3"
    assert event.actor == centre_admin


@pytest.mark.django_db
def test_it_keeps_a_past_date_when_editing_other_fields(client, centre, centre_admin):
    """A session planned yesterday can still get its room fixed before finalization."""
    session = ExamSessionFactory(centre=centre, date=dt.date(2026, 11, 20))
    client.force_login(centre_admin)
    client.post(
        reverse("exams:session_edit", args=[session.pk]), _form(date="20/11/2026", room="D4")
    )
    session.refresh_from_db()
    assert session.room == "D4"


@pytest.mark.django_db
def test_it_deletes_a_session_after_confirmation(client, exam_session, centre_admin):
    """GET shows the confirmation; only the POST deletes, and it is audited."""
    client.force_login(centre_admin)
    page = client.get(reverse("exams:session_delete", args=[exam_session.pk]))
    assert "Cette action est irréversible." in page.content.decode()
    assert ExamSession.objects.exists()
    client.post(reverse("exams:session_delete", args=[exam_session.pk]))
    assert not ExamSession.objects.exists()
    event = AuditEvent.objects.get(tag="centre:session:delete")
    assert event.data["number"] == exam_session.number


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "status"),
    [
        ("finalized_at", SessionStatus.FINALIZED),
        ("assigned_officer", SessionStatus.IN_PROCESS),
        ("published_at", SessionStatus.PUBLISHED),
    ],
)
def test_it_derives_the_status_and_freezes_a_session_that_left_created(
    client, exam_session, centre_admin, jury, field, status
):
    """Reference §1: published → in process → finalized → created; only created is editable."""
    setattr(exam_session, field, jury if field == "assigned_officer" else timezone.now())
    exam_session.save()
    assert exam_session.status == status
    assert not exam_session.is_accessible
    client.force_login(centre_admin)
    client.post(reverse("exams:session_edit", args=[exam_session.pk]), _form(room="Z9"))
    response = client.post(reverse("exams:session_delete", args=[exam_session.pk]), follow=True)
    exam_session.refresh_from_db()
    assert exam_session.room == "B12"
    assert "n&#x27;est plus modifiable" in response.content.decode()


@pytest.mark.django_db
def test_it_lists_the_centre_sessions_with_their_candidate_count(
    client, centre, centre_admin, django_assert_max_num_queries
):
    """The list shows every session of the centre, in a constant number of queries."""
    for _ in range(5):
        CandidateFactory.create_batch(3, session=ExamSessionFactory(centre=centre))
    ExamSessionFactory()  # another centre's session
    client.force_login(centre_admin)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("exams:session_list", args=[centre.pk]))
    assert len(response.context["sessions"]) == 5
    assert all(s.candidate_count == 3 for s in response.context["sessions"])


@pytest.mark.django_db
def test_it_warns_when_there_are_more_than_20_candidates_per_invigilator(
    client, exam_session, centre_admin
):
    """Seed 004: one invigilator for 20 candidates at most."""
    client.force_login(centre_admin)
    CandidateFactory.create_batch(20, session=exam_session)
    url = reverse("exams:session_detail", args=[exam_session.pk])
    assert 'data-testid="understaffed"' not in client.get(url).content.decode()
    CandidateFactory(session=exam_session)
    page = client.get(url).content.decode()
    assert "21 candidats pour 1 surveillant" in page
    exam_session.examiner = "Mme Martin et M. Durand"
    exam_session.save()
    assert 'data-testid="understaffed"' not in client.get(url).content.decode()


@pytest.mark.django_db
def test_it_shows_the_secrets_only_to_centre_members(
    client, exam_session, centre_admin, other_centre_admin, invigilator, candidate_user, jury
):
    """Password and access code: centre members only (and the kit)."""
    url = reverse("exams:session_detail", args=[exam_session.pk])
    client.force_login(centre_admin)
    assert exam_session.invigilator_password in client.get(url).content.decode()
    for outsider in (other_centre_admin, invigilator, candidate_user, jury):
        client.force_login(outsider)
        response = client.get(url)
        assert response.status_code == 404, outsider
        assert exam_session.invigilator_password not in response.content.decode()


@pytest.mark.django_db
def test_it_refuses_every_centre_action_to_outsiders(
    client, centre, exam_session, candidate, other_centre_admin, invigilator
):
    """Another centre's admin or a mere user can neither see nor change anything."""
    urls_get = [
        reverse("exams:session_list", args=[centre.pk]),
        reverse("exams:session_create", args=[centre.pk]),
        reverse("exams:session_import", args=[centre.pk]),
        reverse("exams:session_template", args=[centre.pk, "csv"]),
        reverse("exams:session_edit", args=[exam_session.pk]),
        reverse("exams:session_delete", args=[exam_session.pk]),
        reverse("exams:candidate_add", args=[exam_session.pk]),
        reverse("exams:candidate_import", args=[exam_session.pk]),
        reverse("exams:candidate_template", args=[exam_session.pk, "ods"]),
        reverse("exams:candidate_edit", args=[candidate.pk]),
        reverse("exams:session_document", args=[exam_session.pk, "kit-surveillant"]),
    ]
    for outsider in (other_centre_admin, invigilator):
        client.force_login(outsider)
        for url in urls_get:
            assert client.get(url).status_code == 404, url
            assert client.post(url, _form()).status_code == 404, url
        assert (
            client.post(reverse("exams:candidate_delete", args=[candidate.pk])).status_code == 404
        )
    exam_session.refresh_from_db()
    assert exam_session.room == "B12"
    assert ExamSession.objects.count() == 1
    assert exam_session.candidates.count() == 1


@pytest.mark.django_db
def test_it_shows_times_in_the_centre_time_zone(client, centre, centre_admin):
    """A centre in La Réunion sees its own clock (UTC+4), not Paris's."""
    centre.time_zone = "Indian/Reunion"
    centre.save()
    client.force_login(centre_admin)
    client.post(reverse("exams:session_create", args=[centre.pk]), _form(time="08:30"))
    session = ExamSession.objects.get()
    assert session.starts_at == dt.datetime(2026, 11, 30, 4, 30, tzinfo=dt.UTC)
    page = client.get(reverse("exams:session_detail", args=[session.pk])).content.decode()
    assert "08:30 (La Réunion)" in page
    # The audit entry happened at 10:00 UTC = 14:00 in La Réunion.
    assert "23/11/2026 14:00" in page


@pytest.mark.django_db
def test_it_lets_the_centre_admin_set_the_time_zone_and_sos_code(
    client, centre, centre_admin, other_centre_admin
):
    """Centre settings: time zone and « SOS élève non certifiable » code, audited."""
    url = reverse("exams:centre_settings", args=[centre.pk])
    data = {
        "name": centre.name,
        "type": "SCO",
        "time_zone": "America/Cayenne",
        "sos_campaign_code": "sos2026",
    }
    client.force_login(other_centre_admin)
    assert client.post(url, data).status_code == 404
    client.force_login(centre_admin)
    bad = client.post(url, {**data, "sos_campaign_code": "SOS 2026!"})
    assert "que des lettres et des chiffres" in bad.content.decode()
    client.post(url, data)
    centre.refresh_from_db()
    assert (centre.time_zone, centre.sos_campaign_code) == ("America/Cayenne", "SOS2026")
    assert (
        AuditEvent.objects.get(tag="centre:centre:update").data["after"]["sos_campaign_code"]
        == "SOS2026"
    )


@pytest.mark.django_db
def test_it_audits_a_candidate_edit_with_before_and_after(client, candidate, centre_admin):
    """Editing a candidate's extra time keeps the old and new values in the audit trail."""
    client.force_login(centre_admin)
    data = {
        "first_name": "Léa",
        "last_name": "Dupont",
        "birthdate": "14/03/2008",
        "sex": "F",
        "birth_city": "Lyon",
        "birth_postal_code": "69001",
        "birth_country": "FRANCE",
        "extra_time_percentage": "33",
    }
    client.post(reverse("exams:candidate_edit", args=[candidate.pk]), data)
    candidate.refresh_from_db()
    assert candidate.extra_time_percentage == 33
    event = AuditEvent.objects.get(tag="centre:candidate:update")
    assert (event.data["before"], event.data["after"]) == (
        {"extra_time_percentage": 0},
        {"extra_time_percentage": 33},
    )
