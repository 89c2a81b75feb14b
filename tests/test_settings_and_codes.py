"""Settings fail loudly; codes are unguessable and typable; names normalize predictably."""

import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import CompetenceLevel
from lib import codes
from lib.env import envbool, envint, envlist, envsecret
from lib.framework import COMPETENCES, is_certifiable
from lib.text import normalize_name, split_names, spreadsheet_safe


@pytest.mark.parametrize("raw", ["maybe", "2", "yes please"])
def test_it_refuses_a_malformed_boolean(monkeypatch, raw):
    """DEBUG=maybe stops the process instead of guessing."""
    monkeypatch.setenv("X_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        envbool("X_FLAG", False)


def test_it_reads_typed_values(monkeypatch, tmp_path):
    """Booleans, integers, lists and secret files are read as typed values."""
    monkeypatch.setenv("X_FLAG", "off")
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_LIST", "a.fr, b.fr,")
    secret = tmp_path / "secret"
    secret.write_text("s3cr3t\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert envbool("X_FLAG", True) is False
    assert envbool("X_UNSET", True) is True
    assert envint("X_INT", 0) == 12
    assert envlist("X_LIST", []) == ["a.fr", "b.fr"]
    assert envsecret("X_SECRET", "default") == "s3cr3t"


def test_it_refuses_a_malformed_integer(monkeypatch):
    """A pool size of « ten » or below the minimum is a configuration error."""
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ImproperlyConfigured):
        envint("X_INT", 1)
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ImproperlyConfigured):
        envint("X_INT", 1, minimum=1)


def test_it_refuses_to_start_with_the_default_secret_key_when_debug_is_off():
    """Production with the development SECRET_KEY does not start."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={"DJANGO_SETTINGS_MODULE": "vigie.settings", "DEBUG": "false", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_generates_codes_in_their_documented_alphabets():
    """Access code: 4 letters + 2 digits without ambiguous characters; number: digits."""
    for _ in range(500):
        assert re.fullmatch(r"[BCDFGHJKMPQRTVWXY]{4}[2346789]{2}", codes.generate_access_code())
        assert re.fullmatch(r"[1-9][0-9]{6}", codes.generate_session_number())
        password = codes.generate_invigilator_password()
        assert re.fullmatch(
            r"[2346789BCDEFGHJKMNPQRTVWXY]{4}(-[2346789BCDEFGHJKMNPQRTVWXY]{4}){2}", password
        )


def test_it_makes_the_invigilator_password_stronger_than_pix():
    """Pix's newest password: 6 distinct characters out of 47 (≈ 32 bits); ours ≥ 56 bits."""
    import math

    pix_bits = math.log2(math.perm(47, 6))
    ours = (
        codes.PASSWORD_GROUPS
        * codes.PASSWORD_GROUP_LENGTH
        * math.log2(len(codes.PASSWORD_ALPHABET))
    )
    assert ours >= 56 > pix_bits + 20
    assert len({codes.generate_invigilator_password() for _ in range(2000)}) == 2000


def test_it_compares_passwords_ignoring_case_and_separators_only():
    """A typed « abcd efgh » matches ABCD-EFGH; any other difference fails."""
    assert codes.password_matches("BCDF-GHJK-MNPQ", "bcdf ghjk mnpq")
    assert codes.password_matches("BCDF-GHJK-MNPQ", "BCDFGHJKMNPQ")
    assert not codes.password_matches("BCDF-GHJK-MNPQ", "BCDF-GHJK-MNPR")
    assert not codes.password_matches("BCDF-GHJK-MNPQ", "")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Zoé", "ZOE"),
        ("Jean-Pierre", "jean pierre"),
        ("N'Diaye", "ndiaye"),
        ("Lefèvre", "LEFEVRE"),
        ("Œdipe", "oedipe"),
        ("  Le   Gall ", "LEGALL"),
    ],
)
def test_it_normalizes_names_like_the_attendance_sheet_matching(a, b):
    """Case, accents, spaces, hyphens and apostrophes are ignored (reference §1)."""
    assert normalize_name(a) == normalize_name(b)


@given(st.text())
def test_it_normalizes_any_text_to_ascii_capitals_and_digits(value):
    """normalize_name is idempotent and yields only [A-Z0-9]."""
    result = normalize_name(value)
    assert re.fullmatch(r"[A-Z0-9]*", result)
    assert normalize_name(result) == result


def test_it_splits_invigilator_names():
    """« Surveillant(s) » is free text; names are split on usual separators."""
    assert split_names("Mme Martin, M. Durand et Léa Roux") == [
        "Mme Martin",
        "M. Durand",
        "Léa Roux",
    ]
    assert split_names("Paul / Anne ; Zoé") == ["Paul", "Anne", "Zoé"]
    assert split_names(" ") == []


def test_it_neutralizes_formulas_in_spreadsheet_exports():
    """=, +, -, @ at the start of a cell are prefixed with a quote."""
    assert spreadsheet_safe('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert spreadsheet_safe("Dupont") == "Dupont"


def test_it_knows_the_16_competences_of_the_5_areas():
    """The public framework: 3 + 4 + 4 + 3 + 2 competences."""
    assert len(COMPETENCES) == 16
    assert [sum(1 for c in COMPETENCES if c.area == a) for a in "12345"] == [3, 4, 4, 3, 2]


def test_it_requires_level_1_in_5_competences_to_be_certifiable():
    """Seed 004: level ≥ 1 in at least 5 competences."""
    assert is_certifiable({"1.1": 1, "1.2": 1, "2.1": 1, "3.1": 1, "4.1": 1})
    assert not is_certifiable({"1.1": 8, "1.2": 8, "2.1": 8, "3.1": 8, "4.1": 0})


@pytest.mark.django_db
def test_it_shows_eligibility_on_the_enrolment_list(client, exam_session, centre_admin):
    """Certifiable / not certifiable / unknown, from the linked or same-e-mail account."""
    from tests.factories import CandidateFactory, UserFactory

    eligible = UserFactory(email="ok@eleve.fr", certifiable=True)
    not_eligible = UserFactory(email="ko@eleve.fr")
    CompetenceLevel.objects.create(user=not_eligible, competence="1.1", level=3)
    CandidateFactory(session=exam_session, last_name="Aaa", email="OK@eleve.fr")
    CandidateFactory(session=exam_session, last_name="Bbb", user=not_eligible)
    CandidateFactory(session=exam_session, last_name="Ccc", email="inconnu@eleve.fr")
    client.force_login(centre_admin)
    response = client.get(f"/sessions/{exam_session.pk}/")
    found = [e for _c, e in response.context["candidates"]]
    assert [None if e is None else e.certifiable for e in found] == [True, False, None]
    assert [None if e is None else str(e) for e in found] == ["5 / 5", "1 / 5", None]
    page = response.content.decode()
    assert "Non certifiable (1 / 5)" in page and "Inconnu (pas de compte ni de niveaux)" in page
    assert eligible.is_certifiable() and not not_eligible.is_certifiable()
