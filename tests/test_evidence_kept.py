"""A started test's evidence is never deleted (issue 13, « Data that can be lost »).

The session stays `created` while its tests run, so « Désinscrire », « Supprimer la session »
and identity edits were still open then, and a candidate's deletion cascaded to the course,
its answers, alerts, issue reports, the centre's report and the certificate. Now:

- unenrolling a candidate, deleting a session and editing a candidate's identity are refused
  once a test exists, with a message saying what to do instead (identity corrections go
  through the finalization's C1 report); the page shows it before anyone clicks;
- in the database, every relation from a test's evidence to what could be deleted is PROTECT:
  whatever deletes (an action, the Django admin, a script), the evidence stays.

Personas: the centre admin (acts), the admin of another centre (refused, as everywhere), the
candidate who started, an invigilator, a jury member, a superuser in the Django admin.
"""

import datetime as dt
import html

import pytest
from django.contrib.messages import get_messages
from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from certification.models import (
    Answer,
    CertificationCourse,
    CertificationReport,
    IssueReport,
    LiveAlert,
)
from exams.models import Candidate, ExamSession
from invigilation.models import InvigilatorAccess, Note
from results.models import Certificate
from tests.factories import CandidateFactory, UserFactory

# The personas' passwords are not under test: hashed quickly (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("fast_password_hashing")

UNENROL_REFUSED = (
    "DUPONT Léa a commencé son test : sa désinscription effacerait ses réponses. "
    "Un candidat qui a commencé son test reste inscrit ; s'il a abandonné, indiquez-le "
    "à la finalisation de la session."
)
IDENTITY_REFUSED = (
    "DUPONT Léa a commencé son test : son identité (nom, prénom, date, sexe et lieu de "
    "naissance) ne se modifie plus ici. Signalez la correction à la finalisation de la "
    "session (signalement C1 « Modification des prénom/nom/date de naissance »)."
)
SESSION_REFUSED = (
    "Cette session ne peut pas être supprimée : 1 candidat a commencé son test, "
    "ses réponses sont conservées. Finalisez la session."
)


def _start(candidate, user) -> CertificationCourse:
    course = CertificationCourse.objects.create(
        candidate=candidate, user=user, started_at=timezone.now(), seed=1
    )
    Answer.objects.create(
        course=course,
        position=1,
        item_id="1.1-000",
        competence="1.1",
        response=[0],
        correct=True,
        asked_at=timezone.now(),
        answered_at=timezone.now(),
    )
    return course


@pytest.fixture
def started(candidate, candidate_user):
    """Léa Dupont (the `candidate` persona's line) has started her test and answered once."""
    candidate.user = candidate_user
    candidate.save()
    return _start(candidate, candidate_user)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Unenrolment ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_to_unenrol_a_candidate_whose_test_started(
    login, exam_session, candidate, started, centre_admin, other_centre_admin
):
    """Page and API: refused with the reason, nothing deleted, no audit row; the session page
    offers no « Désinscrire » for her but still for a candidate who has not started."""
    waiting = CandidateFactory(session=exam_session, first_name="Hugo", last_name="Bernard")
    client = login(centre_admin)
    assert (
        login(other_centre_admin).post(f"/candidats/{candidate.pk}/supprimer/").status_code == 404
    )

    page = client.post(f"/candidats/{candidate.pk}/supprimer/")
    api = client.delete(f"/api/candidates/{candidate.pk}")

    assert page.status_code == 302 and page["Location"] == f"/sessions/{exam_session.pk}/"
    assert _messages(page) == [UNENROL_REFUSED]
    assert api.status_code == 409 and api.json()["detail"] == UNENROL_REFUSED
    assert Candidate.objects.filter(pk=candidate.pk).exists()
    assert Answer.objects.filter(course=started).count() == 1
    assert not AuditEvent.objects.filter(tag="centre:candidate:delete").exists()
    detail = html.unescape(client.get(f"/sessions/{exam_session.pk}/").content.decode())
    assert f"/candidats/{candidate.pk}/supprimer/" not in detail
    assert f"/candidats/{waiting.pk}/supprimer/" in detail
    assert "Test commencé" in detail

    assert client.delete(f"/api/candidates/{waiting.pk}").status_code == 204
    assert not Candidate.objects.filter(pk=waiting.pk).exists()


NOTED = (
    "Une note des surveillants concerne NOM0 Hugo : elle fait partie du PV d'incident de la "
    "session, le candidat reste inscrit (il figurera absent s'il n'a pas passé son test)."
)


@pytest.mark.django_db
def test_it_keeps_a_candidate_an_invigilator_wrote_about(
    login, exam_session, centre_admin, invigilator
):
    """A note of the PV d'incident names the candidate (absent, never started): unenrolling
    would delete it, so page and API refuse; deleting the whole session still goes, notes
    with it (nothing started there)."""
    noted = CandidateFactory(session=exam_session, first_name="Hugo", last_name="Nom0")
    Note.objects.create(session=exam_session, candidate=noted, author=invigilator, text="Absent")
    client = login(centre_admin)

    page = client.post(f"/candidats/{noted.pk}/supprimer/")
    api = client.delete(f"/api/candidates/{noted.pk}")

    assert _messages(page) == [NOTED]
    assert api.status_code == 409 and api.json()["detail"] == NOTED
    assert Note.objects.filter(candidate=noted).exists()
    with pytest.raises(RestrictedError), transaction.atomic():
        Candidate.objects.get(pk=noted.pk).delete()
    assert client.delete(f"/api/sessions/{exam_session.pk}").status_code == 204
    assert not Note.objects.exists() and not Candidate.objects.exists()


# --- Identity edits ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "Léna"),
        ("last_name", "Dupond"),
        ("birthdate", "2008-03-15"),
        ("sex", "M"),
        ("birth_city", "Villeurbanne"),
        ("birth_postal_code", "69100"),
        ("birth_country", "BELGIQUE"),
    ],
)
def test_it_refuses_identity_edits_once_the_test_started(
    login, candidate, started, centre_admin, field, value
):
    """API: 409 with the way to correct it (C1 at finalization); the line is unchanged and no
    audit row is written."""
    before = Candidate.objects.filter(pk=candidate.pk).values().get()

    response = login(centre_admin).patch(
        f"/api/candidates/{candidate.pk}", {field: value}, content_type="application/json"
    )

    assert response.status_code == 409, response.content
    assert response.json()["detail"] == IDENTITY_REFUSED
    assert Candidate.objects.filter(pk=candidate.pk).values().get() == before
    assert not AuditEvent.objects.filter(tag="centre:candidate:update").exists()


@pytest.mark.django_db
def test_it_still_edits_the_rest_of_a_started_candidate(login, candidate, started, centre_admin):
    """Extra time, e-mails, external id and complementary certification stay editable (the
    invigilator needs the right theoretical end); each change is audited."""
    response = login(centre_admin).patch(
        f"/api/candidates/{candidate.pk}",
        {"extra_time_percentage": 33, "email": "lea@exemple.fr", "external_id": "X-1"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    candidate.refresh_from_db()
    assert (candidate.extra_time_percentage, candidate.email, candidate.external_id) == (
        33,
        "lea@exemple.fr",
        "X-1",
    )
    assert AuditEvent.objects.filter(tag="centre:candidate:update").count() == 1


@pytest.mark.django_db
def test_it_shows_the_identity_of_a_started_candidate_read_only(
    login, candidate, started, centre_admin
):
    """The page disables the identity fields and says why; a forged POST changes nothing of
    them, while the extra time it carries is saved."""
    client = login(centre_admin)
    form = client.get(f"/candidats/{candidate.pk}/modifier/")
    text = html.unescape(form.content.decode())
    assert form.status_code == 200
    assert "Signalez la correction à la finalisation de la session" in text
    for name in ("first_name", "last_name", "birthdate", "sex", "birth_city"):
        assert f'name="{name}"' in text
    assert text.count("disabled") >= 7

    client.post(
        f"/candidats/{candidate.pk}/modifier/",
        {
            "first_name": "Léna",
            "last_name": "Dupond",
            "birthdate": "2008-03-15",
            "sex": "M",
            "birth_city": "Lyon",
            "birth_postal_code": "69001",
            "birth_country": "FRANCE",
            "extra_time_percentage": "25",
        },
    )
    candidate.refresh_from_db()
    assert (candidate.first_name, candidate.last_name) == ("Léa", "Dupont")
    assert candidate.birthdate == dt.date(2008, 3, 14) and candidate.sex == "F"
    assert candidate.extra_time_percentage == 25


# --- Deleting the session ------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_to_delete_a_session_where_a_test_started(
    login, exam_session, started, centre_admin
):
    """The confirmation page explains and offers no button; the POST and the API are refused
    (409) with the reason; nothing is deleted."""
    client = login(centre_admin)

    asked = html.unescape(client.get(f"/sessions/{exam_session.pk}/supprimer/").content.decode())
    page = client.post(f"/sessions/{exam_session.pk}/supprimer/")
    api = client.delete(f"/api/sessions/{exam_session.pk}")

    assert SESSION_REFUSED in asked
    assert "Cette action est irréversible" not in asked
    assert page.status_code == 302 and page["Location"] == f"/sessions/{exam_session.pk}/"
    assert _messages(page) == [SESSION_REFUSED]
    assert api.status_code == 409 and api.json()["detail"] == SESSION_REFUSED
    assert ExamSession.objects.filter(pk=exam_session.pk).exists()
    assert Answer.objects.count() == 1
    assert not AuditEvent.objects.filter(tag="centre:session:delete").exists()


# --- Whatever deletes: the database keeps the evidence ------------------------------------------


def _evidence() -> dict[str, object]:
    """Every row a started test's evidence is made of, with who it names."""
    return {
        "courses": list(CertificationCourse.objects.values_list("pk", "user_id", "candidate_id")),
        "answers": Answer.objects.count(),
        "alerts": LiveAlert.objects.count(),
        "issue_reports": IssueReport.objects.count(),
        "reports": CertificationReport.objects.count(),
        "certificates": Certificate.objects.count(),
        "audit": AuditEvent.objects.count(),
        "accesses": list(InvigilatorAccess.objects.values_list("pk", "user_id")),
        "notes": list(Note.objects.values_list("pk", "author_id", "candidate_id")),
        "candidates": list(Candidate.objects.filter(course__isnull=False).values_list("pk")),
    }


@pytest.fixture
def lived(exam_session, started, candidate, centre_admin, invigilator, jury):
    """A session as it is lived: the test with an alert, an issue report, a note (by the
    centre admin, opening the room as a member), the invigilator's entry (nothing else names
    the invigilator), the centre's report, a certificate and their audit rows."""
    alert = LiveAlert.objects.create(course=started, item_id="1.1-000", question_number=2)
    IssueReport.objects.create(
        course=started, category="IN_CHALLENGE", subcategory="E1", live_alert=alert
    )
    CertificationReport.objects.create(course=started, has_seen_end_screen=True)
    Note.objects.create(session=exam_session, candidate=candidate, author=centre_admin, text="Vu")
    InvigilatorAccess.objects.create(
        session=exam_session, user=invigilator, via=InvigilatorAccess.Via.PASSWORD
    )
    Certificate.objects.create(
        course=started,
        session=exam_session,
        verification_code="V-ABCDEFGHJK",
        status="validated",
        score=300,
        level=3,
        answer_count=1,
        theta=0.0,
        issued_at=timezone.now(),
        issued_by=jury,
    )
    AuditEvent.objects.create(
        tag="invigilator:session:enter", actor=invigilator, session=exam_session
    )
    return started


@pytest.mark.django_db
@pytest.mark.parametrize(
    "what",
    [
        "the candidate's line",
        "the session",
        "the test",
        "the candidate's account",
        "the invigilator's account",
        "an answer's test (bulk)",
        "the candidate's line (bulk)",
        "the session (bulk)",
    ],
)
def test_it_keeps_the_evidence_whatever_deletes(lived, candidate, invigilator, what):
    """Each deletion is refused by the database layer (ProtectedError) and every row stays:
    a script or the Django admin cannot do what the pages refuse."""
    targets = {
        "the candidate's line": lambda: Candidate.objects.get(pk=candidate.pk).delete(),
        "the session": lambda: ExamSession.objects.get(pk=candidate.session_id).delete(),
        "the test": lambda: CertificationCourse.objects.get(pk=lived.pk).delete(),
        "the candidate's account": lambda: User.objects.get(pk=candidate.user_id).delete(),
        "the invigilator's account": lambda: User.objects.get(pk=invigilator.pk).delete(),
        "an answer's test (bulk)": lambda: CertificationCourse.objects.all().delete(),
        "the candidate's line (bulk)": lambda: Candidate.objects.all().delete(),
        "the session (bulk)": lambda: ExamSession.objects.all().delete(),
    }
    before = _evidence()

    with pytest.raises(ProtectedError), transaction.atomic():
        targets[what]()

    assert _evidence() == before


@pytest.mark.django_db
def test_it_explains_in_the_django_admin_why_an_account_stays(login, lived, invigilator):
    """The admin's deletion page lists what protects the account (its entry into the session)
    and deletes nothing; an account that never acted is still deletable."""
    superuser = UserFactory(email="root@vigie.fr", is_staff=True, is_superuser=True)
    client = login(superuser)
    url = f"/admin/accounts/user/{invigilator.pk}/delete/"

    asked = html.unescape(client.get(url).content.decode())
    client.post(url, {"post": "yes"})

    assert "Entrée de" in asked and "dans l'Espace Surveillant de la session" in asked
    assert User.objects.filter(pk=invigilator.pk).exists()
    idle = UserFactory(email="jamais@lycee.fr")
    client.post(f"/admin/accounts/user/{idle.pk}/delete/", {"post": "yes"})
    assert not User.objects.filter(pk=idle.pk).exists()


@pytest.mark.django_db
def test_it_still_deletes_a_session_nobody_started(login, exam_session, candidate, centre_admin):
    """Control: a session whose candidates never started is deleted with them, audited."""
    response = login(centre_admin).delete(f"/api/sessions/{exam_session.pk}")
    assert response.status_code == 204
    assert not ExamSession.objects.exists() and not Candidate.objects.exists()
    assert AuditEvent.objects.filter(tag="centre:session:delete").count() == 1
