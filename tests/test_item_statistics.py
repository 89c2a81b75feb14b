"""Item statistics for the operator (certification/itemstats.py): the staff page, its files
and `manage.py item_statistics`."""

import datetime as dt
import math
import random

import pytest
from django.core.management import call_command
from django.utils import timezone

from certification import irt, itemstats
from certification.models import LiveAlert
from lib.spreadsheets import read_table
from tests.factories import AnswerFactory, CertificationCourseFactory, LiveAlertFactory


@pytest.fixture
def answered(small_bank):
    """60 tests of the small bank. "1.1-001" behaves as the 2PL says; "1.2-000" is right for
    the weak and wrong for the strong (a miskeyed question); "1.3-000" was neutralized once
    and reported by many."""
    rng = random.Random(3)
    good = small_bank.by_id()["1.1-001"]
    now = timezone.now()
    courses = []
    for n in range(60):
        theta = rng.gauss(0, 1)
        course = CertificationCourseFactory(theta=theta)
        courses.append(course)
        p = irt.probability(theta, good.discrimination, good.difficulty)
        AnswerFactory(
            course=course,
            position=1,
            item_id="1.1-001",
            correct=rng.random() < p,
            asked_at=now - dt.timedelta(seconds=10 + n),
            answered_at=now,
        )
        AnswerFactory(course=course, position=2, item_id="1.2-000", correct=theta < 0)
        if n < 10:
            AnswerFactory(course=course, position=3, item_id="1.3-000", neutralized=n == 0)
            LiveAlertFactory(course=course, item_id="1.3-000", kind=LiveAlert.Kind.QUESTION)
    return courses


@pytest.mark.django_db
def test_it_counts_and_measures_each_item(answered):
    stats = {s.item_id: s for s in itemstats.item_statistics()}
    good = stats["1.1-001"]
    assert good.shown == good.answered == 60
    assert good.exposure == 1.0
    assert good.median_seconds == pytest.approx(39.5, abs=0.5)
    assert 0.1 < good.point_biserial < 0.8
    assert 0.7 < good.outfit < 1.3 and 0.7 < good.infit < 1.3
    assert not good.flags
    untouched = stats["2.1-000"]
    assert untouched.shown == 0 and untouched.success_rate is None and untouched.flags == []


@pytest.mark.django_db
def test_it_computes_infit_and_outfit_from_the_residuals(answered):
    """Against a hand computation over the same answers."""
    item = next(s for s in itemstats.item_statistics() if s.item_id == "1.2-000")
    squares, variances = [], []
    for course in answered:
        p = irt.probability(course.theta, item.discrimination, item.difficulty)
        squares.append((float(course.theta < 0) - p) ** 2)
        variances.append(p * (1 - p))
    assert item.outfit == pytest.approx(
        sum(s / v for s, v in zip(squares, variances, strict=True)) / 60
    )
    assert item.infit == pytest.approx(sum(squares) / sum(variances))


@pytest.mark.django_db
def test_it_flags_misbehaving_items_first(answered):
    stats = itemstats.item_statistics()
    flagged = [s.item_id for s in stats if s.flags]
    assert set(flagged) == {"1.2-000", "1.3-000"}
    assert [s.item_id for s in stats[:2]] == flagged
    miskeyed = stats[flagged.index("1.2-000")]
    assert miskeyed.point_biserial < 0 and "point_biserial" in miskeyed.flags
    assert "outfit" in miskeyed.flags
    reported = stats[flagged.index("1.3-000")]
    assert reported.neutralized == 1 and reported.reported == 10
    assert reported.flags[:2] == ["neutralized", "reported"]


@pytest.mark.django_db
def test_it_writes_csv_and_ods(answered, tmp_path):
    csv_path, ods_path = tmp_path / "items.csv", tmp_path / "items.ods"
    call_command("item_statistics", str(csv_path), str(ods_path))
    for path in (csv_path, ods_path):
        table = read_table(path.name, path.read_bytes(), max_bytes=10**7)
        assert table.headers == itemstats.HEADERS
        assert len(table.rows) == 50  # every item of the small bank
        assert {table.rows[0][1][0], table.rows[1][1][0]} == {"1.2-000", "1.3-000"}


@pytest.mark.django_db
def test_it_refuses_other_file_types(tmp_path):
    with pytest.raises(Exception, match=r"only \.csv and \.ods"):
        call_command("item_statistics", str(tmp_path / "items.xlsx"))


@pytest.mark.django_db
def test_it_shows_the_page_and_files_to_the_jury_only(
    client, answered, jury, centre_admin, invigilator, candidate_user
):
    client.force_login(jury)
    page = client.get("/jury/questions/")
    assert page.status_code == 200
    assert "1.2-000" in page.content.decode()
    assert client.get("/jury/questions/statistiques.csv").status_code == 200
    assert client.get("/jury/questions/statistiques.xlsx").status_code == 404
    for refused in (centre_admin, invigilator, candidate_user):
        client.force_login(refused)
        assert client.get("/jury/questions/").status_code == 404
        assert client.get("/jury/questions/statistiques.ods").status_code == 404
    client.logout()
    assert client.get("/jury/questions/").status_code == 302


def test_it_needs_enough_answers_to_flag_on_statistics():
    stat = itemstats.ItemStatistics("x", "1.1", 0.0, 1.0, shown=5, answered=5, right=0)
    stat.point_biserial, stat.outfit = -0.5, 3.0
    assert itemstats._flags(stat) == []
    assert math.isclose(itemstats.MIN_ANSWERS, 20)
