"""Eligibility before enrolment (seed 004: level ≥ 1 in at least 5 of the 16 competences):
the centre sends its pupils' levels (an .ods/.csv import, all or nothing, errors by row and
column; or the API, for the platform its pupils use) with the date each level was reached,
every change audited; « n / 5 » on the pupils' page (certifiable first) and on the
enrolment list.

Personas: the centre admin sends and reads; the admin of another centre, the jury, an
invigilator and a candidate get 404 and change nothing.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from accounts.actions import sign_up_token
from audit.models import AuditEvent
from audit.tags import Tag
from exams.actions import do_create_platform_token
from exams.levels import Eligibility, eligibility
from exams.models import PlatformToken, Student, StudentLevel
from exams.queries import candidates_with_eligibility
from tests.factories import CandidateFactory, CompetenceLevelFactory, UserFactory
from tests.spreadsheets import make_csv, make_ods

HEADERS = [
    "Élève (e-mail ou identifiant externe) *",
    "Nom de naissance",
    "Prénom",
    "Classe",
    "Compétence *",
    "Niveau *",
    "Atteint le (JJ/MM/AAAA) *",
]
TODAY = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(TODAY, tick=False):
        yield


def _rows(key, codes, level=1, day="15/01/2026", last="Martin", first="Léa", school_class="3e A"):
    return [[key, last, first, school_class, code, level, day] for code in codes]


def _import(client, centre, rows, name="niveaux.csv", maker=make_csv):
    data = maker([HEADERS, *rows])
    return client.post(f"/centres/{centre.pk}/eleves/", {"file": SimpleUploadedFile(name, data)})


CODES = ["1.1", "1.2", "2.1", "3.1", "4.1", "5.1"]


def test_it_counts_the_best_level_of_each_competence():
    assert eligibility([{"1.1": 0, "1.2": 1}, {"1.1": 2}]) == Eligibility(2)
    assert str(Eligibility(4)) == "4 / 5"
    assert not Eligibility(4) and Eligibility(5)


def test_it_imports_the_levels_and_lists_certifiable_pupils_first(login, centre, centre_admin):
    client = login(centre_admin)
    rows = _rows("zoe@lycee.fr", CODES[:5], first="Zoé") + _rows(
        "INE123", CODES[:4], first="Hugo", day=dt.date(2026, 2, 1)
    )

    response = _import(client, centre, rows, name="niveaux.ods", maker=make_ods)
    page = client.get(f"/centres/{centre.pk}/eleves/")

    assert response.status_code == 302
    assert StudentLevel.objects.count() == 9
    hugo = StudentLevel.objects.get(student__key="ine123", competence="1.1")
    assert hugo.reached_on == dt.date(2026, 2, 1)
    assert hugo.updated_by == centre_admin
    rows = page.context["rows"]
    assert [(r.student.first_name, str(r.eligibility)) for r in rows] == [
        ("Zoé", "5 / 5"),
        ("Hugo", "4 / 5"),
    ]
    body = page.content.decode()
    # The tick and the cross are Vigie's SVG icons (tests/test_icons.py), then the count.
    assert re.search(r'class="tag ok">\s*<svg[^>]*>.*?</svg>\s*5 / 5', body, re.S)
    assert re.search(r'class="tag ko">\s*<svg[^>]*>.*?</svg>\s*4 / 5', body, re.S)
    event = AuditEvent.objects.get(tag=Tag.Centre.LEVELS_RECORD)
    assert event.actor == centre_admin
    assert event.data["source"] == "import:niveaux.ods"
    assert len(event.data["changes"]) == 9
    assert event.data["changes"][0] == {
        "student": "zoe@lycee.fr",
        "competence": "1.1",
        "before": None,
        "after": {"level": 1, "reached_on": "2026-01-15"},
    }


def test_it_refuses_the_whole_file_naming_row_and_column(login, centre, centre_admin):
    client = login(centre_admin)
    rows = [
        ["lea@lycee.fr", "", "", "", "1.1", 1, "15/01/2026"],  # line 2: fine
        ["lea@lycee.fr", "", "", "", "6.1", 1, "15/01/2026"],
        ["lea@lycee.fr", "", "", "", "1.2", 9, "15/01/2026"],
        ["lea@lycee.fr", "", "", "", "1.3", 1, "31/02/2026"],
        ["lea@lycee.fr", "", "", "", "2.1", 1, "01/04/2026"],
        ["", "", "", "", "2.2", 1, "15/01/2026"],
        ["lea@lycee.fr", "", "", "", "1.1", 2, "16/01/2026"],
    ]

    response = _import(client, centre, rows)

    assert response.status_code == 400
    assert response.context["errors"] == [
        "Ligne 3, colonne « Compétence » : Compétence inconnue : « 6.1 » (de 1.1 à 5.2).",
        "Ligne 4, colonne « Niveau » : Saisissez un niveau entier entre 0 et 8.",
        "Ligne 5, colonne « Atteint le (JJ/MM/AAAA) » : Saisissez une date valide (JJ/MM/AAAA).",
        "Ligne 6, colonne « Atteint le (JJ/MM/AAAA) » : La date ne peut pas être dans le futur.",
        "Ligne 7, colonne « Élève (e-mail ou identifiant externe) » : Ce champ est obligatoire.",
        "Ligne 8 : même élève et même compétence qu'en Ligne 2.",
    ]
    assert not StudentLevel.objects.exists()
    assert not AuditEvent.objects.filter(tag=Tag.Centre.LEVELS_RECORD).exists()


def test_it_names_a_missing_column(login, centre, centre_admin):
    data = make_csv([["Élève", "Compétence"], ["lea@lycee.fr", "1.1"]])

    response = login(centre_admin).post(
        f"/centres/{centre.pk}/eleves/", {"file": SimpleUploadedFile("n.csv", data)}
    )

    assert response.status_code == 400
    assert response.context["errors"] == [
        "Colonne obligatoire manquante : « Niveau ».",
        "Colonne obligatoire manquante : « Atteint le (JJ/MM/AAAA) ».",
    ]


def test_it_records_levels_from_the_platform_api_and_audits_each_change(
    login, centre, centre_admin
):
    client = login(centre_admin)
    url = f"/api/centres/{centre.pk}/competence-levels"
    first = {
        "levels": [
            {"student": "Lea@Lycee.fr", "competence": c, "level": 1, "reached_on": "2026-01-15"}
            for c in CODES[:5]
        ]
    }
    again = {
        "levels": [
            {
                "student": "lea@lycee.fr",
                "competence": "1.1",
                "level": 3,
                "reached_on": "2026-02-20",
            },
            {
                "student": "lea@lycee.fr",
                "competence": "1.2",
                "level": 1,
                "reached_on": "2026-01-15",
            },
        ]
    }

    created = client.post(url, first, content_type="application/json")
    updated = client.post(url, again, content_type="application/json")
    listed = client.get(f"/api/centres/{centre.pk}/pupils").json()

    assert created.status_code == 200 and len(created.json()["changes"]) == 5
    assert updated.json() == {
        "rows": 2,
        "changes": [
            {
                "student": "lea@lycee.fr",
                "competence": "1.1",
                "before": {"level": 1, "reached_on": "2026-01-15"},
                "after": {"level": 3, "reached_on": "2026-02-20"},
            }
        ],
    }
    assert listed[0]["competences_reached"] == 5 and listed[0]["certifiable"] is True
    events = AuditEvent.objects.filter(tag=Tag.Centre.LEVELS_RECORD).order_by("pk")
    assert [len(e.data["changes"]) for e in events] == [5, 1]
    assert events[1].data["source"] == "api"


def test_it_refuses_wrong_levels_through_the_api_saving_nothing(login, centre, centre_admin):
    payload = {
        "levels": [
            {
                "student": "lea@lycee.fr",
                "competence": "1.1",
                "level": 1,
                "reached_on": "2026-01-15",
            },
            {"student": "lea@lycee.fr", "competence": "9.9", "level": -1, "reached_on": "hier"},
        ]
    }

    response = login(centre_admin).post(
        f"/api/centres/{centre.pk}/competence-levels", payload, content_type="application/json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "Aucun niveau n'a été enregistré"
    assert body["errors"] == [
        "Niveau 2, colonne « Compétence » : Compétence inconnue : « 9.9 » (de 1.1 à 5.2).",
        "Niveau 2, colonne « Niveau » : Saisissez un niveau entier entre 0 et 8.",
        "Niveau 2, colonne « Atteint le (JJ/MM/AAAA) » : Saisissez une date valide (JJ/MM/AAAA).",
    ]
    assert not Student.objects.exists()


def test_it_shows_the_count_on_the_enrolment_list(login, exam_session, centre_admin):
    """By e-mail or « identifiant externe », the account's and the centre's levels
    together; unknown without either."""
    centre = exam_session.centre
    account = UserFactory(email="hugo@lycee.fr")
    for code in ("1.1", "1.2", "1.3"):
        CompetenceLevelFactory(user=account, competence=code, level=2)
    hugo = CandidateFactory(session=exam_session, first_name="Hugo", email="hugo@lycee.fr")
    lea = CandidateFactory(session=exam_session, first_name="Léa", external_id="INE42")
    noe = CandidateFactory(session=exam_session, first_name="Noé")
    client = login(centre_admin)
    _import(client, centre, _rows("hugo@lycee.fr", ["2.1"]) + _rows("ine42", CODES))

    found = dict(candidates_with_eligibility(exam_session))
    page = client.get(f"/sessions/{exam_session.pk}/").content.decode()
    api = {
        c["first_name"]: c for c in client.get(f"/api/sessions/{exam_session.pk}/candidates").json()
    }

    assert (found[hugo], found[lea], found[noe]) == (Eligibility(4), Eligibility(6), None)
    assert "Non certifiable (4 / 5)" in page
    assert "Oui (6 / 5)" in page
    assert "Inconnu (pas de compte ni de niveaux)" in page
    assert (api["Hugo"]["competences_reached"], api["Hugo"]["certifiable"]) == (4, False)
    assert (api["Noé"]["competences_reached"], api["Noé"]["certifiable"]) == (None, None)


def test_it_keeps_each_centre_s_levels_to_itself(
    login, exam_session, other_centre_admin, centre_admin
):
    """Another centre sending levels for the same e-mail changes nothing here."""
    other = other_centre_admin.memberships.get().centre
    lea = CandidateFactory(session=exam_session, email="lea@lycee.fr")
    _import(login(other_centre_admin), other, _rows("lea@lycee.fr", CODES))

    assert dict(candidates_with_eligibility(exam_session))[lea] is None


@pytest.mark.parametrize("who", ["other_centre_admin", "jury", "invigilator", "candidate_user"])
def test_it_lets_only_the_centre_read_and_send_levels(login, centre, request, who):
    client = login(request.getfixturevalue(who))
    payload = {
        "levels": [
            {"student": "x@y.fr", "competence": "1.1", "level": 1, "reached_on": "2026-01-15"}
        ]
    }

    assert client.get(f"/centres/{centre.pk}/eleves/").status_code == 404
    assert _import(client, centre, _rows("x@y.fr", ["1.1"])).status_code == 404
    assert client.get(f"/api/centres/{centre.pk}/pupils").status_code == 404
    assert (
        client.post(
            f"/api/centres/{centre.pk}/competence-levels", payload, content_type="application/json"
        ).status_code
        == 404
    )
    assert not StudentLevel.objects.exists()


# --- The learning platform's token ---------------------------------------------------------


def _platform(client_token: str) -> Client:
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {client_token}"})


LEVELS = {
    "levels": [
        {"student": "lea@lycee.fr", "competence": "1.1", "level": 2, "reached_on": "2026-01-15"}
    ]
}


def test_it_takes_levels_from_the_centre_s_platform_by_its_token(centre, capsys):
    call_command("platform_token", "create", "--centre", str(centre.pk), "--name", "ENT Pronote")
    token = capsys.readouterr().out.splitlines()[1]
    platform = _platform(token)

    sent = platform.post(
        f"/api/centres/{centre.pk}/competence-levels", LEVELS, content_type="application/json"
    )
    read = platform.get(f"/api/centres/{centre.pk}/pupils")

    assert sent.status_code == 200, sent.content  # no CSRF token: none is needed
    assert read.json()[0]["levels"] == [
        {"competence": "1.1", "level": 2, "reached_on": "2026-01-15"}
    ]
    level = StudentLevel.objects.get()
    assert level.updated_by is None
    event = AuditEvent.objects.get(tag=Tag.Centre.LEVELS_RECORD)
    assert (event.actor, event.data["source"]) == (None, "platform:ENT Pronote")
    assert PlatformToken.objects.get().token_hash != token  # only its hash is kept
    assert AuditEvent.objects.filter(tag=Tag.System.PLATFORM_ACCESS_GRANT).count() == 1


def test_it_refuses_a_wrong_revoked_or_other_centre_token(centre, other_centre_admin, capsys):
    other = other_centre_admin.memberships.get().centre
    _row, token = do_create_platform_token(centre, name="ENT")
    _other_row, other_token = do_create_platform_token(other, name="ENT voisin")
    url = f"/api/centres/{centre.pk}/competence-levels"

    wrong = _platform("pas-un-jeton").post(url, LEVELS, content_type="application/json")
    elsewhere = _platform(other_token).post(url, LEVELS, content_type="application/json")
    call_command("platform_token", "revoke", "--id", str(_row.pk))
    revoked = _platform(token).post(url, LEVELS, content_type="application/json")
    everything_else = _platform(token).get(f"/api/centres/{centre.pk}/sessions")

    # A write the token does not authenticate falls to the session-cookie check, which
    # wants a CSRF token first (403); a read is simply not authenticated (401).
    assert (wrong.status_code, elsewhere.status_code, revoked.status_code) == (403, 404, 403)
    assert _platform(token).get(f"/api/centres/{centre.pk}/pupils").status_code == 401
    assert everything_else.status_code == 401  # the token opens only the levels
    assert not StudentLevel.objects.exists()


def test_it_never_lets_a_bearer_header_ride_on_a_session_cookie(centre, centre_admin):
    """A member's browser sending a made-up bearer token is not authenticated by its
    cookie either: no CSRF check is skipped for a cookie session."""
    client = Client(enforce_csrf_checks=True, headers={"Authorization": "Bearer x"})
    client.force_login(centre_admin)

    response = client.post(
        f"/api/centres/{centre.pk}/competence-levels", LEVELS, content_type="application/json"
    )
    without_header = Client(enforce_csrf_checks=True)
    without_header.force_login(centre_admin)
    refused = without_header.post(
        f"/api/centres/{centre.pk}/competence-levels", LEVELS, content_type="application/json"
    )

    assert response.status_code == 403
    read = client.get(f"/api/centres/{centre.pk}/pupils")
    assert read.status_code == 401  # the cookie does not authenticate it
    assert refused.status_code == 403  # the cookie alone still needs the CSRF token
    assert not StudentLevel.objects.exists()


# A bearer header and a session cookie together: the request is the platform's or nobody's,
# never the cookie's user (docs/security.md) — whatever the scheme's case, whatever the
# operation, and even where it reaches the session without a user (`auth=None`).


def _api_operations() -> list[tuple[str, str, bool]]:
    """(method, path with ids = 1, needs auth) of every operation of the schema."""
    schema = Client().get("/api/openapi.json").json()
    return [
        (method, re.sub(r"\{[^}]+\}", "1", path), bool(operation.get("security")))
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
def test_it_never_acts_as_the_cookie_user_on_any_operation_with_a_bearer_header(
    centre_admin, scheme
):
    """Every operation that needs a user, called with a made-up bearer token, a staff
    superuser's session cookie and no CSRF token: 401 (nobody), 403 (the CSRF check) or
    404 — never the cookie's user, whose session stays as it was."""
    centre_admin.is_staff = centre_admin.is_superuser = True
    centre_admin.save()
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"{scheme} x"})
    client.force_login(centre_admin)
    session_key = client.session.session_key
    events = AuditEvent.objects.count()
    answered = {}
    dropped = []

    for method, path, needs_auth in _api_operations():
        if not needs_auth:
            continue
        client.cookies["sessionid"] = session_key  # each call carries the member's cookie
        response = client.generic(method.upper(), path, "{}", content_type="application/json")
        answered[f"{method.upper()} {path}"] = response.status_code
        cookie = response.cookies.get("sessionid")
        dropped.append(cookie.value if cookie else None)  # read now: the jar reuses it

    acted = {call: status for call, status in answered.items() if status not in (401, 403, 404)}
    assert len(answered) > 50 and acted == {}
    assert AuditEvent.objects.count() == events
    assert Client().session.__class__(session_key).get("_auth_user_id") == str(centre_admin.pk)
    # The client is told to drop the cookie (an empty session's), never given another one.
    assert set(dropped) <= {"", None}


def test_it_keeps_the_cookie_session_out_of_reach_of_an_operation_without_auth(
    centre_admin, fast_password_hashing
):
    """An `auth=None` operation that logs someone in (the account's activation), called with
    a bearer header and a member's cookie, no CSRF token: the new account gets its own
    session; the member's session is neither read, flushed nor rotated (it was: `login()`
    flushed the cookie's session of another user)."""
    account = {"first_name": "Nina", "last_name": "Roy", "email": "nina@lycee.fr"}
    token = sign_up_token(account, password_hash=make_password("Nouveau-Secret-2026"))
    client = Client(enforce_csrf_checks=True, headers={"Authorization": "Bearer x"})
    client.force_login(centre_admin)
    member_session = client.session.session_key
    store = client.session.__class__

    response = client.post(
        "/api/accounts/register/activate", {"token": token}, content_type="application/json"
    )

    assert response.status_code == 201, response.content
    assert store(member_session).get("_auth_user_id") == str(centre_admin.pk)
    new_session = response.cookies["sessionid"].value
    assert new_session != member_session
    assert store(new_session).get("_auth_user_id") != str(centre_admin.pk)
