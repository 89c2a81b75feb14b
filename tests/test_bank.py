"""The shipped item bank and the bank format's validation."""

import shutil
from collections import Counter

import pytest

from certification import engine
from certification.bank import DEFAULT_DIR, BankError, load_bank, parameters_digest
from certification.checks import item_bank_check
from lib.framework import COMPETENCE_CODES
from tests.journey import write_bank


def test_it_ships_at_least_300_questions_over_the_16_competences():
    """The real bank: ≥ 300 items, every competence, every type and flag represented;
    half of them in the middle of the scale, where most candidates are (issue 18: below
    that, exposure control costs precision)."""
    bank = load_bank()
    assert len(bank.items) >= 300
    per_competence = Counter(item.competence for item in bank.items)
    assert set(per_competence) == set(COMPETENCE_CODES)
    assert min(per_competence.values()) >= 19
    assert sum(1 for item in bank.items if -1 <= item.difficulty <= 1) >= 150
    assert max(item.discrimination for item in bank.items) <= 1.5
    assert {item.type for item in bank.items} == {"single", "multiple", "free"}
    flags = Counter(flag for item in bank.items for flag in item.flags)
    assert all(flags[f] >= 5 for f in ("image", "attachment", "simulator", "focus"))
    assert sum(1 for item in bank.items if item.timed) >= 10


# What the engine used of the bank as first shipped (222 items, area-1-2.yaml and
# area-3-5.yaml): ids, competences, a and b (certification.bank.parameters_digest).
FIRST_SHIPPED = ("area-1-2.yaml", "area-3-5.yaml")
FIRST_SHIPPED_DIGEST = "661772acc790e433"


def test_it_grows_the_shipped_bank_without_changing_what_a_version_0_test_was_scored_with(
    tmp_path,
):
    """A test records its bank version (0: as shipped) and is scored again against the
    running bank by item id (results/compute.py). So growing the shipped bank adds items
    under new ids and keeps the first items' parameters; new parameters only come through a
    recalibration, as a new version (docs/scoring.md, « Recalibration »)."""
    first = tmp_path / "first"
    shutil.copytree(DEFAULT_DIR, first, ignore=shutil.ignore_patterns("*.yaml", "*.json"))
    for name in FIRST_SHIPPED:
        shutil.copy(DEFAULT_DIR / name, first / name)
    before = load_bank(first)
    assert len(before.items) == 222
    assert parameters_digest(list(before.items)) == FIRST_SHIPPED_DIGEST
    running = load_bank()
    assert running.version == before.version == 0
    grown = running.by_id()
    for item in before.items:
        kept = grown[item.id]
        assert (kept.competence, kept.difficulty, kept.discrimination) == (
            item.competence,
            item.difficulty,
            item.discrimination,
        )
    assert len(grown) > len(before.items)


def test_it_has_media_for_every_flagged_question():
    """Images have a text alternative; every referenced file exists (checked at load)."""
    bank = load_bank()
    for item in bank.items:
        if "image" in item.flags:
            assert item.media["alt"].strip()
            assert (bank.directory / "media" / item.media["image"]).is_file()


def test_it_marks_answers_right_or_wrong():
    """A multiple-choice answer must be the exact set; free answers are normalized."""
    bank = load_bank().by_id()
    multiple = next(i for i in bank.values() if i.type == "multiple")
    assert multiple.is_correct(list(multiple.answer))
    assert not multiple.is_correct(list(multiple.answer)[:-1] or [99])
    free = next(i for i in bank.values() if i.type == "free")
    assert free.is_correct(free.accepted[0].lower())
    assert not free.is_correct("")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace('competence: "1.1"', 'competence: "9.9"', 1),
            "'competence' must be one of",
        ),
        (lambda t: t.replace("answer: [0]", "answer: [7]", 1), "'answer' must list indices"),
        (lambda t: t.replace("type: single", "type: essay", 1), "'type' must be one of"),
        (
            lambda t: t.replace("difficulty: -2.00", "difficulty: 12", 1),
            "'difficulty' must be a number",
        ),
        (lambda t: t.replace('  - id: "1.1-001"', '  - id: "1.1-000"', 1), "duplicate id"),
        (lambda t: t.replace("    timed: 30", "    timed: 5", 1), "'timed' must be"),
        (lambda t: t.replace("flags: [focus]", "flags: [image]", 1), "needs 'media.image'"),
        (lambda t: t + "  - oops\n", "an item must be a mapping"),
        (lambda t: t.replace("version: 1", "version: 2"), "expected 'version: 1'"),
        (lambda t: t + "  - id: [broken\n", "not valid YAML"),
    ],
)
def test_it_refuses_a_broken_bank_naming_file_item_and_field(tmp_path, edit, message):
    """Any problem refuses the whole bank with a message naming where it is."""
    directory = write_bank(tmp_path / "bank")
    path = directory / "items.yaml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(BankError) as error:
        load_bank(directory)
    assert any(message in line and line.startswith("items.yaml") for line in error.value.errors), (
        error.value.errors
    )


def test_it_refuses_an_empty_folder(tmp_path):
    """No YAML file: a clear error, not an empty test."""
    with pytest.raises(BankError, match=r"no \*\.yaml file"):
        load_bank(tmp_path)


def test_it_reports_a_broken_bank_in_the_system_check(settings, tmp_path):
    """`manage.py check` (run by make run) lists the bank's problems."""

    directory = write_bank(tmp_path / "bank")
    (directory / "items.yaml").write_text("version: 1\nitems: 3\n", encoding="utf-8")
    settings.ITEM_BANK_DIR = str(directory)
    try:
        errors = item_bank_check(None)
        assert [e.id for e in errors] == ["vigie.E001"]
        assert "'items' must be a list" in errors[0].msg
    finally:
        engine.get_bank.cache_clear()
