"""Recalibration: the bank's 2PL parameters estimated again from the answers collected,
by marginal maximum likelihood (Bock & Aitkin 1981) through girth's `twopl_mml`, shown
beside the bank's values; written, on the operator's demand, into a new version of the
bank (a new folder), never into the running one (docs/scoring.md, « Recalibration »).

The candidates' capacities are integrated over N(0, 1), the scale convention the bank and
the score already assume; a question not asked to a candidate is missing data (girth's
INVALID_RESPONSE), which an adaptive test's design makes ignorable (the choice of items
depends only on answers already observed)."""

import hashlib
import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy
from girth import twopl_mml
from girth.utilities import INVALID_RESPONSE

from certification.bank import VERSION_FILE, Bank, bank_version, load_bank, parameters_digest
from certification.models import Answer

# An item needs this many scored answers to be estimated (and its new values proposed).
MIN_ANSWERS = 200
A_RANGE, B_RANGE = (0.3, 3.0), (-4.0, 4.0)  # the bank format's bounds


@dataclass(frozen=True)
class Estimated:
    item_id: str
    answers: int
    bank_a: float
    bank_b: float
    a: float | None  # None: too few answers, the bank's value stays
    b: float | None

    @property
    def delta_a(self) -> float | None:
        return None if self.a is None else round(self.a - self.bank_a, 2)

    @property
    def delta_b(self) -> float | None:
        return None if self.b is None else round(self.b - self.bank_b, 2)

    @property
    def moved(self) -> bool:
        return bool(self.delta_a or self.delta_b)


def moved(estimated: Sequence[Estimated]) -> list[Estimated]:
    """The items whose estimated parameters differ from the bank's, the largest move first
    (the larger of |Δa| and |Δb|)."""
    return sorted(
        (e for e in estimated if e.moved),
        key=lambda e: (-max(abs(e.delta_a or 0), abs(e.delta_b or 0)), e.item_id),
    )


def fingerprint(estimated: Sequence[Estimated]) -> str:
    """What a proposal was computed from and proposes: the page sends it back with « Appliquer »
    so that what is written is what the jury saw (new answers since change the estimates)."""
    rows = [(e.item_id, e.answers, e.bank_a, e.bank_b, e.a, e.b) for e in estimated]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def estimate(matrix: Sequence[Sequence[int | None]]) -> tuple[list[float], list[float]]:
    """2PL MML estimates (discriminations, difficulties) from an items x candidates matrix
    of 1 (right), 0 (wrong) and None (not asked), clipped to the bank format's bounds."""
    data = numpy.array(
        [[INVALID_RESPONSE if v is None else int(v) for v in row] for row in matrix], dtype=int
    )
    result = twopl_mml(data)
    a = numpy.clip(numpy.atleast_1d(result["Discrimination"]), *A_RANGE)
    b = numpy.clip(numpy.atleast_1d(result["Difficulty"]), *B_RANGE)
    return [float(x) for x in a], [float(x) for x in b]


def collected(bank: Bank) -> tuple[list[str], list[list[int | None]]]:
    """The scored answers (neutralized ones left out) as an items x tests matrix."""
    known = bank.by_id()
    rows = Answer.objects.filter(neutralized=False).values_list("item_id", "course_id", "correct")
    cells: dict[tuple[str, int], int] = {}
    courses: dict[int, int] = {}
    for item_id, course_id, correct in rows.iterator():
        if item_id in known:
            cells[item_id, course_id] = int(correct)
            courses.setdefault(course_id, len(courses))
    item_ids = sorted({item_id for item_id, _course in cells})
    matrix: list[list[int | None]] = [[None] * len(courses) for _ in item_ids]
    index = {item_id: n for n, item_id in enumerate(item_ids)}
    for (item_id, course_id), value in cells.items():
        matrix[index[item_id]][courses[course_id]] = value
    return item_ids, matrix


def recalibrate(bank: Bank, *, min_answers: int = MIN_ANSWERS) -> list[Estimated]:
    """Every item with the bank's values and, for those with `min_answers` scored answers or
    more, the values estimated from the collected answers."""
    item_ids, matrix = collected(bank)
    counts = {i: sum(v is not None for v in row) for i, row in zip(item_ids, matrix, strict=True)}
    kept = [n for n, item_id in enumerate(item_ids) if counts[item_id] >= min_answers]
    estimates: dict[str, tuple[float, float]] = {}
    if len(kept) >= 2:
        a, b = estimate([matrix[n] for n in kept])
        estimates = {item_ids[n]: (a[k], b[k]) for k, n in enumerate(kept)}
    return [
        Estimated(
            item.id,
            counts.get(item.id, 0),
            item.discrimination,
            item.difficulty,
            round(estimates[item.id][0], 2) if item.id in estimates else None,
            round(estimates[item.id][1], 2) if item.id in estimates else None,
        )
        for item in bank.items
    ]


_ID = re.compile(r'^\s*-\s*id:\s*"?([^"\s]+)"?\s*$')
_PARAM = re.compile(r"^(\s*)(difficulty|discrimination):\s*\S+(.*)$")


def _rewrite(text: str, new: dict[str, tuple[float, float]]) -> str:
    """The YAML text with the new parameters of the items in `new`, comments kept."""
    lines, current = [], None
    for line in text.splitlines(keepends=True):
        found = _ID.match(line)
        if found:
            current = found.group(1)
        param = _PARAM.match(line)
        if param and current in new:
            a, b = new[current]
            value = b if param.group(2) == "difficulty" else a
            ending = "\n" if line.endswith("\n") else ""
            line = f"{param.group(1)}{param.group(2)}: {value}{param.group(3).rstrip()}{ending}"
        lines.append(line)
    return "".join(lines)


def write_version(
    source: Path, target: Path, estimated: list[Estimated], *, operator: str
) -> tuple[int, dict[str, tuple[float, float]]]:
    """A new bank folder: a copy of `source` (items, media) with the estimated parameters of
    the items that have them, its version one above the source's. Refuses an existing
    target; the result is loaded (and so validated) before this returns."""
    if target.exists():
        raise FileExistsError(f"{target} already exists")
    new: dict[str, tuple[float, float]] = {}
    for e in estimated:
        if e.a is not None and e.b is not None:
            new[e.item_id] = (e.a, e.b)
    before = load_bank(source)
    shutil.copytree(source, target)
    for path in sorted(target.glob("*.yaml")):
        path.write_text(_rewrite(path.read_text(encoding="utf-8"), new), encoding="utf-8")
    version = bank_version(source) + 1
    after = load_bank(target)
    (target / VERSION_FILE).write_text(
        json.dumps(
            {
                "version": version,
                "based_on": {
                    "version": bank_version(source),
                    "digest": parameters_digest(list(before.items)),
                },
                "digest": parameters_digest(list(after.items)),
                "method": "2PL marginal maximum likelihood (girth.twopl_mml)",
                "operator": operator,
                "items_changed": sorted(new),
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    return version, new
