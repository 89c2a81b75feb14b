"""Recalibration (certification/calibration.py): 2PL parameters estimated from answers by
marginal maximum likelihood, beside the bank's, written to a new version of the bank only on
the operator's demand, audited; each test records the bank version it was taken with."""

import json
import random
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from audit.tags import Tag
from certification import actions, calibration, engine, irt
from certification.bank import load_bank
from certification.models import CertificationCourse
from scripts.simulate_adaptive import pearson
from tests.factories import AnswerFactory, CertificationCourseFactory


def test_it_recovers_the_difficulties_of_simulated_answers():
    """2,000 candidates answer half of 30 items (the others are missing, as in an adaptive
    test) with known parameters: the difficulties come back with r >= 0.95."""
    rng = random.Random(18)
    a = [rng.uniform(0.8, 1.6) for _ in range(30)]
    b = [rng.uniform(-2.5, 2.5) for _ in range(30)]
    matrix: list[list[int | None]] = [[] for _ in range(30)]
    for _ in range(2000):
        theta = rng.gauss(0, 1)
        for i in range(30):
            asked = rng.random() < 0.5
            right = rng.random() < irt.probability(theta, a[i], b[i])
            matrix[i].append(int(right) if asked else None)
    est_a, est_b = calibration.estimate(matrix)
    assert pearson(b, est_b) >= 0.95
    assert pearson(a, est_a) > 0.5
    # Labels shuffled (the answers of other items): the same check fails.
    assert pearson(b, est_b[1:] + est_b[:1]) < 0.95


@pytest.fixture
def answered(small_bank):
    """80 tests; "1.1-001" and "1.2-001" answered by all, "1.3-001" by 10 only."""
    rng = random.Random(5)
    items = small_bank.by_id()
    for n in range(80):
        theta = rng.gauss(0, 1)
        course = CertificationCourseFactory(theta=theta)
        for position, item_id in enumerate(("1.1-001", "1.2-001", "1.3-001"), start=1):
            if item_id == "1.3-001" and n >= 10:
                continue
            item = items[item_id]
            p = irt.probability(theta, item.discrimination, item.difficulty)
            AnswerFactory(
                course=course, position=position, item_id=item_id, correct=rng.random() < p
            )


@pytest.mark.django_db
def test_it_estimates_only_the_items_with_enough_answers(answered, small_bank):
    estimated = {e.item_id: e for e in calibration.recalibrate(small_bank, min_answers=50)}
    assert len(estimated) == len(small_bank.items)
    assert estimated["1.1-001"].answers == 80 and estimated["1.1-001"].b is not None
    assert estimated["1.3-001"].answers == 10 and estimated["1.3-001"].b is None
    assert estimated["1.3-001"].bank_b == small_bank.by_id()["1.3-001"].difficulty


@pytest.mark.django_db
def test_it_writes_a_new_version_of_the_bank_only_when_asked(answered, small_bank, tmp_path):
    source = Path(small_bank.directory)
    before = source.joinpath("items.yaml").read_text(encoding="utf-8")
    call_command("recalibrate_bank", "--min-answers", "50")
    assert source.joinpath("items.yaml").read_text(encoding="utf-8") == before
    assert not AuditEvent.objects.filter(tag=Tag.System.BANK_RECALIBRATE).exists()
    target = tmp_path / "bank-v1"
    with pytest.raises(CommandError, match="operator"):
        call_command("recalibrate_bank", "--min-answers", "50", "--write", str(target))
    assert not target.exists()
    call_command(
        "recalibrate_bank", "--min-answers", "50", "--write", str(target), "--operator", "Zoé"
    )
    new = load_bank(target)
    assert new.version == 1
    estimated = {e.item_id: e for e in calibration.recalibrate(small_bank, min_answers=50)}
    changed = new.by_id()["1.1-001"]
    assert (changed.discrimination, changed.difficulty) == (
        estimated["1.1-001"].a,
        estimated["1.1-001"].b,
    )
    assert new.by_id()["1.3-001"] == small_bank.by_id()["1.3-001"]
    assert source.joinpath("items.yaml").read_text(encoding="utf-8") == before
    event = AuditEvent.objects.get(tag=Tag.System.BANK_RECALIBRATE)
    assert event.data["operator"] == "Zoé" and event.data["version"] == 1
    meta = json.loads((target / "calibration.json").read_text(encoding="utf-8"))
    assert meta["items_changed"] == ["1.1-001", "1.2-001"]
    with pytest.raises(CommandError, match="already exists"):
        call_command(
            "recalibrate_bank", "--min-answers", "50", "--write", str(target), "--operator", "Z"
        )


@pytest.mark.django_db
def test_it_records_the_bank_version_a_test_is_taken_with(
    client, small_bank, joined_candidate, invigilator
):
    Path(small_bank.directory, "calibration.json").write_text('{"version": 3}', encoding="utf-8")
    engine.get_bank.cache_clear()
    actions.do_confirm_presence(joined_candidate, actor=invigilator)
    client.force_login(joined_candidate.user)
    started = client.post(
        f"/api/certification/candidates/{joined_candidate.pk}/start",
        {"access_code": joined_candidate.session.access_code.lower()},
        content_type="application/json",
    )
    assert started.status_code == 200
    assert CertificationCourse.objects.get().bank_version == 3
