"""Creating several sessions at once from a file, on the page and the API.

One row per session; repeating a session's columns on several rows enrols one candidate per
row. All sessions are created, or none, and each error names its row and column.
"""

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from odf.opendocument import load as load_ods
from odf.table import Table, TableCell, TableRow
from odf.text import P
from python_calamine import CalamineWorkbook

from audit.models import AuditEvent
from exams.models import Candidate, ExamSession
from lib.codes import PASSWORD_ALPHABET
from tests.spreadsheets import SESSION_HEADERS, candidate_row, make_csv, make_ods

SESSION_COLUMN_COUNT = 7
ACCESS_CODE = re.compile(r"^[BCDFGHJKMPQRTVWXY]{4}[2346789]{2}$")
INVIGILATOR_PASSWORD = re.compile(
    rf"^[{PASSWORD_ALPHABET}]{{4}}(-[{PASSWORD_ALPHABET}]{{4}}){{2}}$"
)
NO_CANDIDATE = [""] * len(candidate_row())


@pytest.fixture(autouse=True)
def frozen_today():
    """Every test runs on Monday 3 March 2025 in Paris, so « past » and « future » are fixed."""
    with time_machine.travel(dt.datetime(2025, 3, 3, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))):
        yield


# --- Helpers ------------------------------------------------------------------------------


def session_row(
    room: str = "B12",
    date: object = "10/03/2025",
    time: object = "14:00",
    examiner: str = "Mme Martin",
    site: str = "Lycée Victor Hugo",
    address: str = "1 rue de la République, 69001 Lyon",
    description: str = "",
) -> list[object]:
    return [site, address, room, date, time, examiner, description]


def plan_csv(*rows: list[object]) -> bytes:
    return make_csv([SESSION_HEADERS, *rows])


def sessions_of(centre) -> list[ExamSession]:
    return list(ExamSession.objects.filter(centre=centre).order_by("room", "date", "time"))


def page_url(centre) -> str:
    return reverse("exams:session_import", args=[centre.pk])


def api_url(centre) -> str:
    return f"/api/centres/{centre.pk}/sessions/import"


def post_file(client, url: str, name: str, data: bytes):
    return client.post(url, {"file": SimpleUploadedFile(name, data)})


def errors_of(response) -> list[str]:
    if response["Content-Type"].startswith("application/json"):
        return response.json()["errors"]
    return list(response.context["errors"])


class Channel:
    """The page and the API accept the same files: most rules are checked through both."""

    def __init__(self, kind: str, client) -> None:
        self.kind = kind
        self.client = client

    def send(self, centre, name: str, data: bytes):
        url = page_url(centre) if self.kind == "page" else api_url(centre)
        return post_file(self.client, url, name, data)

    def succeeded(self, response, centre) -> bool:
        if self.kind == "page":
            return response.status_code == 302 and response["Location"] == reverse(
                "exams:session_list", args=[centre.pk]
            )
        return response.status_code == 201


@pytest.fixture(params=["page", "api"])
def channel(request, client, centre_admin) -> Channel:
    client.force_login(centre_admin)
    return Channel(request.param, client)


@pytest.fixture
def admin_client_(client, centre_admin):
    client.force_login(centre_admin)
    return client


# --- One row per session ------------------------------------------------------------------


def test_it_creates_one_session_per_row(channel, centre, centre_admin):
    """Three rows for three rooms create three sessions of the centre, as typed."""
    data = plan_csv(
        session_row("B12", "10/03/2025", "14:00", "Mme Martin", description="3e A") + NO_CANDIDATE,
        session_row("B14", "11/03/2025", "09h30", "M. Durand, Mme Petit") + NO_CANDIDATE,
        session_row("CDI", "2025-03-12", "8:00", "M. Roux") + NO_CANDIDATE,
    )

    response = channel.send(centre, "sessions.csv", data)

    assert channel.succeeded(response, centre), response.content
    created = [
        (s.site_name, s.room, s.date, s.time, s.examiner, s.description, s.created_by)
        for s in sessions_of(centre)
    ]
    assert created == [
        (
            "Lycée Victor Hugo",
            "B12",
            dt.date(2025, 3, 10),
            dt.time(14, 0),
            "Mme Martin",
            "3e A",
            centre_admin,
        ),
        (
            "Lycée Victor Hugo",
            "B14",
            dt.date(2025, 3, 11),
            dt.time(9, 30),
            "M. Durand, Mme Petit",
            "",
            centre_admin,
        ),
        (
            "Lycée Victor Hugo",
            "CDI",
            dt.date(2025, 3, 12),
            dt.time(8, 0),
            "M. Roux",
            "",
            centre_admin,
        ),
    ]


def test_it_gives_each_created_session_a_number_an_access_code_and_a_password(
    admin_client_, centre
):
    """Each session gets its own digits-only number, access code and invigilator password."""
    rows = [session_row(f"Salle {i}") + NO_CANDIDATE for i in range(5)]

    post_file(admin_client_, page_url(centre), "sessions.csv", plan_csv(*rows))

    sessions = sessions_of(centre)
    assert len(sessions) == 5
    assert all(s.number.isdigit() and s.number.isascii() for s in sessions)
    assert all(ACCESS_CODE.match(s.access_code) for s in sessions)
    assert all(INVIGILATOR_PASSWORD.match(s.invigilator_password) for s in sessions)
    assert len({s.number for s in sessions}) == 5
    assert len({s.invigilator_password for s in sessions}) == 5


def test_it_returns_the_created_sessions_from_the_api(client, centre_admin, centre):
    """The API answers 201 with the created sessions, status « created »."""
    client.force_login(centre_admin)
    data = plan_csv(session_row("B12") + NO_CANDIDATE, session_row("B14") + NO_CANDIDATE)

    response = post_file(client, api_url(centre), "sessions.csv", data)

    assert response.status_code == 201
    body = response.json()
    assert sorted(s["room"] for s in body) == ["B12", "B14"]
    assert {s["status"] for s in body} == {"created"}
    assert {s["centre_id"] for s in body} == {centre.pk}
    assert {s["id"] for s in body} == {s.pk for s in sessions_of(centre)}


def test_it_groups_rows_of_the_same_session_into_one_session_with_its_candidates(channel, centre):
    """Rows repeating site, room, date, time and invigilators are one session, one candidate each."""
    data = plan_csv(
        session_row("B12") + candidate_row("Léa", "Dupont"),
        session_row("B12") + candidate_row("Zoé", "Martin", sex="Homme", extra_time="33"),
        session_row("B14") + candidate_row("Noé", "Bernard"),
        session_row("B12") + candidate_row("Inès", "Petit", complementary="Pix+ Droit"),
    )

    response = channel.send(centre, "sessions.csv", data)

    assert channel.succeeded(response, centre), response.content
    b12, b14 = sessions_of(centre)
    assert sorted(
        (c.first_name, c.sex, c.extra_time_percentage, c.complementary_certification)
        for c in b12.candidates.all()
    ) == [("Inès", "F", 0, "DROIT"), ("Léa", "F", 0, ""), ("Zoé", "M", 33, "")]
    assert [c.first_name for c in b14.candidates.all()] == ["Noé"]


@pytest.mark.parametrize(
    ("change", "value"),
    [
        ("date", "11/03/2025"),
        ("time", "15:00"),
        ("examiner", "M. Durand"),
        ("site", "Collège Jean Moulin"),
    ],
)
def test_it_makes_another_session_when_one_grouping_column_differs(
    admin_client_, centre, change, value
):
    """Same room but another date, time, invigilator or site is another session."""
    data = plan_csv(
        session_row("B12") + candidate_row("Léa"),
        session_row("B12", **{change: value}) + candidate_row("Zoé"),
    )

    post_file(admin_client_, page_url(centre), "sessions.csv", data)

    assert [s.candidates.count() for s in sessions_of(centre)] == [1, 1]


def test_it_creates_sessions_without_candidates_from_a_file_without_candidate_columns(
    channel, centre
):
    """A file with only the session columns creates sessions with no candidate."""
    headers = SESSION_HEADERS[:SESSION_COLUMN_COUNT]
    data = make_csv([headers, session_row("B12"), session_row("B14")])

    response = channel.send(centre, "sessions.csv", data)

    assert channel.succeeded(response, centre), response.content
    sessions = sessions_of(centre)
    assert [s.room for s in sessions] == ["B12", "B14"]
    assert not Candidate.objects.filter(session__in=sessions).exists()


def test_it_creates_a_session_without_candidates_when_its_candidate_cells_are_blank(
    admin_client_, centre
):
    """A session row whose candidate cells are empty creates the session alone."""
    data = plan_csv(session_row("B12") + NO_CANDIDATE, session_row("B14") + candidate_row())

    post_file(admin_client_, page_url(centre), "sessions.csv", data)

    assert [s.candidates.count() for s in sessions_of(centre)] == [0, 1]


def ods_cell(value: object) -> TableCell:
    """A typed cell, as LibreOffice stores a date, a time, a number or text."""
    if isinstance(value, dt.time):
        cell = TableCell(valuetype="time", timevalue=f"PT{value:%H}H{value:%M}M00S")
    elif isinstance(value, dt.date):
        cell = TableCell(valuetype="date", datevalue=value.isoformat())
    elif isinstance(value, int):
        cell = TableCell(valuetype="float", value=str(value))
    else:
        cell = TableCell(valuetype="string")
    cell.addElement(P(text=str(value)))
    return cell


def test_it_reads_session_dates_and_times_from_ods_cells(admin_client_, centre):
    """An .ods with date, time and number cells imports like typed text."""
    document = load_ods(io.BytesIO(make_ods([SESSION_HEADERS])))
    (sheet,) = document.spreadsheet.getElementsByType(Table)
    row = TableRow()
    values = session_row("B12", dt.date(2025, 3, 10), dt.time(14, 30)) + candidate_row(
        "Léa", birthdate=dt.date(2008, 3, 14), postal=69001, extra_time=33
    )
    for value in values:
        row.addElement(ods_cell(value))
    sheet.addElement(row)
    out = io.BytesIO()
    document.write(out)

    response = post_file(admin_client_, page_url(centre), "sessions.ods", out.getvalue())

    assert response.status_code == 302, errors_of(response)
    (session,) = sessions_of(centre)
    assert (session.date, session.time) == (dt.date(2025, 3, 10), dt.time(14, 30))
    (candidate,) = session.candidates.all()
    assert (candidate.birthdate, candidate.birth_postal_code, candidate.extra_time_percentage) == (
        dt.date(2008, 3, 14),
        "69001",
        33,
    )


def test_it_records_an_audit_event_per_created_session(admin_client_, centre, centre_admin):
    """Each created session gets a `centre:session:import` event naming the file."""
    data = plan_csv(session_row("B12") + candidate_row(), session_row("B14") + NO_CANDIDATE)

    post_file(admin_client_, page_url(centre), "plan.csv", data)

    events = AuditEvent.objects.filter(tag="centre:session:import").order_by("session__room")
    assert [
        (e.session.room, e.actor, e.data["filename"], e.data["candidates"]) for e in events
    ] == [
        ("B12", centre_admin, "plan.csv", 1),
        ("B14", centre_admin, "plan.csv", 0),
    ]


# --- All or nothing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (session_row(date="31/02/2025"), "Date", "Saisissez une date valide (JJ/MM/AAAA)."),
        (session_row(date="2025-13-01"), "Date", "Saisissez une date valide (JJ/MM/AAAA)."),
        (
            session_row(date="02/03/2025"),
            "Date",
            "La date de la session ne peut pas être dans le passé.",
        ),
        (session_row(date="01/01/2028"), "Date", "plus de deux ans."),
        (session_row(time="25:00"), "Heure", "Saisissez une heure valide (HH:MM)."),
        (session_row(time="midi"), "Heure", "Saisissez une heure valide (HH:MM)."),
        (session_row(room=""), "Salle", "Ce champ est obligatoire."),
        (session_row(examiner=""), "Surveillant(s)", "Ce champ est obligatoire."),
        (session_row(site=""), "Nom du site", "Ce champ est obligatoire."),
    ],
    ids=[
        "impossible-date",
        "month-13",
        "past-date",
        "beyond-two-years",
        "hour-25",
        "not-a-time",
        "missing-room",
        "missing-invigilator",
        "missing-site",
    ],
)
def test_it_creates_nothing_when_one_session_row_is_wrong(channel, centre, row, column, message):
    """One wrong session row among good ones: 400, its line and column named, nothing created."""
    data = plan_csv(
        session_row("A1") + candidate_row("Léa"),
        row + candidate_row("Zoé"),
        session_row("A3") + candidate_row("Noé"),
    )

    response = channel.send(centre, "sessions.csv", data)

    assert response.status_code == 400
    (error,) = errors_of(response)
    headers = {
        "Date": "Date de la session (JJ/MM/AAAA)",
        "Heure": "Heure de début (HH:MM)",
    }
    assert error.startswith(f"Ligne 3, colonne « {headers.get(column, column)} » : ")
    assert error.endswith(message)
    assert sessions_of(centre) == []
    assert not Candidate.objects.exists()


def test_it_accepts_today_as_a_session_date(admin_client_, centre):
    """A session may be planned for today."""
    data = plan_csv(session_row(date="03/03/2025") + NO_CANDIDATE)

    response = post_file(admin_client_, page_url(centre), "sessions.csv", data)

    assert response.status_code == 302
    assert [s.date for s in sessions_of(centre)] == [dt.date(2025, 3, 3)]


def test_it_lists_the_errors_of_every_row(channel, centre):
    """Errors of several rows, session or candidate columns, are all listed in file order."""
    data = plan_csv(
        session_row("A1", date="01/01/2025") + candidate_row("Léa"),
        session_row("A2") + candidate_row("Zoé", birthdate="31/02/2008"),
        session_row("A3", time="") + candidate_row("Noé"),
        session_row("A4") + candidate_row("Inès", sex="X"),
    )

    response = channel.send(centre, "sessions.csv", data)

    assert [
        re.match(r"Ligne (\d+), colonne « (.+?) » : ", e).groups() for e in errors_of(response)
    ] == [
        ("2", "Date de la session (JJ/MM/AAAA)"),
        ("3", "Date de naissance (JJ/MM/AAAA)"),
        ("4", "Heure de début (HH:MM)"),
        ("5", "Sexe (M/F)"),
    ]
    assert sessions_of(centre) == []


def test_it_creates_nothing_when_a_candidate_of_a_good_session_is_wrong(admin_client_, centre):
    """A wrong candidate row refuses the whole file, its session included."""
    data = plan_csv(
        session_row("B12") + candidate_row("Léa"),
        session_row("B12") + candidate_row("Zoé", extra_time="150"),
    )

    response = post_file(admin_client_, page_url(centre), "sessions.csv", data)

    assert errors_of(response) == [
        "Ligne 3, colonne « Temps majoré (%) » : Saisissez un pourcentage entier entre 0 et 100."
    ]
    assert sessions_of(centre) == []
    assert not AuditEvent.objects.filter(tag="centre:session:import").exists()


@pytest.mark.parametrize(
    ("missing", "header"),
    [
        (0, "Nom du site"),
        (2, "Salle"),
        (3, "Date de la session (JJ/MM/AAAA)"),
        (4, "Heure de début (HH:MM)"),
        (5, "Surveillant(s)"),
    ],
)
def test_it_names_a_missing_required_session_column(channel, centre, missing, header):
    """A file without a required session column is refused with the column's name."""
    headers = [h for i, h in enumerate(SESSION_HEADERS) if i != missing]
    row = [v for i, v in enumerate(session_row() + NO_CANDIDATE) if i != missing]

    response = channel.send(centre, "sessions.csv", make_csv([headers, row]))

    assert response.status_code == 400
    assert errors_of(response) == [f"Colonne obligatoire manquante : « {header} »."]
    assert sessions_of(centre) == []


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("sessions.csv", b"", "Le fichier est vide."),
        ("sessions.txt", b"Salle;Date\nB12;10/03/2025\n", "Format non pris en charge"),
        ("sessions.ods", b"PK\x03\x04 not really a zip", "n'est pas un classeur"),
        ("sessions.csv", "\n".join(SESSION_HEADERS).encode(), "Colonne obligatoire manquante"),
    ],
    ids=["empty", "txt", "broken-ods", "headers-in-one-column"],
)
def test_it_refuses_a_file_it_cannot_read(channel, centre, name, data, message):
    """An empty, unsupported or unreadable file is refused with a message, nothing created."""
    response = channel.send(centre, name, data)

    assert response.status_code == 400
    assert any(message in error for error in errors_of(response))
    assert sessions_of(centre) == []


def test_it_asks_for_a_file_when_none_is_sent(admin_client_, centre):
    """Submitting the form without a file asks for one."""
    response = admin_client_.post(page_url(centre), {})

    assert response.status_code == 400
    (error,) = errors_of(response)
    assert error.startswith("Choisissez un fichier")
    assert sessions_of(centre) == []


# --- Candidates across sessions -----------------------------------------------------------


def test_it_refuses_the_same_candidate_twice_in_one_session(channel, centre):
    """The same person (names normalized, same birthdate) twice in a session: both lines named."""
    data = plan_csv(
        session_row("B12") + candidate_row("Zoé", "Martin"),
        session_row("B14") + candidate_row("Léa", "Dupont"),
        session_row("B12") + candidate_row("zoe", "MARTIN"),
    )

    response = channel.send(centre, "sessions.csv", data)

    assert response.status_code == 400
    assert errors_of(response) == [
        "Ligne 4 : même candidat qu'à la ligne 2 (nom, prénom et date de naissance)."
    ]
    assert sessions_of(centre) == []


def test_it_accepts_the_same_person_in_two_different_sessions(channel, centre):
    """The same person may be enrolled in two different sessions of the file."""
    data = plan_csv(
        session_row("B12") + candidate_row("Zoé", "Martin"),
        session_row("B14") + candidate_row("Zoé", "Martin"),
    )

    response = channel.send(centre, "sessions.csv", data)

    assert channel.succeeded(response, centre), response.content
    assert [[c.first_name for c in s.candidates.all()] for s in sessions_of(centre)] == [
        ["Zoé"],
        ["Zoé"],
    ]


# --- Templates ----------------------------------------------------------------------------


def test_it_serves_a_csv_template_that_reimports_once_filled(admin_client_, centre):
    """The .csv template, with rows appended, creates the sessions."""
    template = admin_client_.get(reverse("exams:session_template", args=[centre.pk, "csv"]))
    assert template.status_code == 200
    filled = template.content + make_csv(
        [session_row("B12") + candidate_row("Léa"), session_row("B12") + candidate_row("Zoé")]
    )

    response = post_file(admin_client_, page_url(centre), "modele-sessions.csv", filled)

    assert response.status_code == 302, errors_of(response)
    (session,) = sessions_of(centre)
    assert session.candidates.count() == 2


def test_it_serves_an_ods_template_that_reimports_once_filled(admin_client_, centre):
    """The .ods template, opened and with rows appended to its sheet, creates the sessions."""
    template = admin_client_.get(reverse("exams:session_template", args=[centre.pk, "ods"]))
    document = load_ods(io.BytesIO(template.content))
    (sheet,) = document.spreadsheet.getElementsByType(Table)
    for values in (session_row("B12") + candidate_row("Léa"), session_row("B14") + NO_CANDIDATE):
        row = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=str(value)))
            row.addElement(cell)
        sheet.addElement(row)
    out = io.BytesIO()
    document.write(out)

    response = post_file(admin_client_, page_url(centre), "modele-sessions.ods", out.getvalue())

    assert response.status_code == 302, errors_of(response)
    assert [s.candidates.count() for s in sessions_of(centre)] == [1, 0]


def test_it_serves_an_ods_template_whose_headers_calamine_reads(admin_client_, centre):
    """The .ods template lists the session columns then the candidate columns."""
    template = admin_client_.get(reverse("exams:session_template", args=[centre.pk, "ods"]))

    workbook = CalamineWorkbook.from_filelike(io.BytesIO(template.content))

    assert workbook.get_sheet_by_index(0).to_python() == [SESSION_HEADERS]
    assert SESSION_HEADERS[:SESSION_COLUMN_COUNT] == [
        "Nom du site *",
        "Adresse",
        "Salle *",
        "Date de la session (JJ/MM/AAAA) *",
        "Heure de début (HH:MM) *",
        "Surveillant(s) *",
        "Description",
    ]


# --- Who may import -----------------------------------------------------------------------


def test_it_sends_anonymous_visitors_to_the_login_page(client, centre):
    """An anonymous visitor is sent to the login page; nothing is created."""
    response = post_file(client, page_url(centre), "s.csv", plan_csv(session_row() + NO_CANDIDATE))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert sessions_of(centre) == []


def test_it_refuses_anonymous_api_calls(client, centre):
    """An anonymous API call is refused with 401; nothing is created."""
    response = post_file(client, api_url(centre), "s.csv", plan_csv(session_row() + NO_CANDIDATE))

    assert response.status_code == 401
    assert sessions_of(centre) == []


@pytest.mark.parametrize("kind", ["page", "api"])
@pytest.mark.parametrize("persona", ["invigilator", "other_centre_admin", "jury", "candidate_user"])
def test_it_hides_the_centre_from_people_outside_it(client, centre, kind, persona, request):
    """A user who is not a member of the centre gets a 404; nothing is created anywhere."""
    client.force_login(request.getfixturevalue(persona))
    url = page_url(centre) if kind == "page" else api_url(centre)

    response = post_file(client, url, "s.csv", plan_csv(session_row() + candidate_row()))

    assert response.status_code == 404
    assert not ExamSession.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("persona", ["invigilator", "other_centre_admin"])
def test_it_serves_the_template_only_to_the_centre(client, centre, persona, request):
    """Someone outside the centre cannot download its session template."""
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("exams:session_template", args=[centre.pk, "csv"]))

    assert response.status_code == 404


def test_it_imports_into_the_importing_admins_own_centre_only(client, centre, other_centre_admin):
    """The other centre's admin imports into their own centre, never into this one."""
    own_centre = other_centre_admin.centres.get()
    client.force_login(other_centre_admin)

    response = post_file(
        client, page_url(own_centre), "s.csv", plan_csv(session_row() + NO_CANDIDATE)
    )

    assert response.status_code == 302
    assert [s.centre for s in ExamSession.objects.all()] == [own_centre]
    assert sessions_of(centre) == []
