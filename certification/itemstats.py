"""Item statistics for the operator: how each question of the bank behaves with real
candidates (docs/scoring.md, « Item statistics »). A read over the answers and the alerts.

- shown: answers, plus reports validated live (the question was on screen, then replaced);
- exposure: shown / started tests;
- success rate: right answers / scored answers (neutralized ones left out);
- point-biserial: correlation between right/wrong on the item and the candidate's final
  capacity estimate (an adaptive test has no common total score to correlate with);
- infit / outfit: the Rasch-family mean squares of the residuals against the 2PL model with
  the bank's parameters at the candidate's final estimate: outfit = mean of z², infit =
  Σ (x − P)² / Σ P (1 − P); 1 is a perfect fit, the usual acceptable range is 0.7–1.3
  (Wright & Linacre 1994, « Reasonable mean-square fit values »);
- median response time: from the question shown to the answer saved;
- reported: live alerts on the item; neutralized: answers the jury neutralized.
"""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from certification import engine, irt
from certification.models import Answer, CertificationCourse, LiveAlert
from lib.spreadsheets import Cell

# Under this many scored answers the statistics are too noisy to flag an item on.
MIN_ANSWERS = 20
FIT_RANGE = (0.7, 1.3)
MIN_POINT_BISERIAL = 0.1
SUCCESS_RANGE = (0.05, 0.95)
REPORTED_SHARE = 0.05


@dataclass
class ItemStatistics:
    item_id: str
    competence: str
    difficulty: float
    discrimination: float
    shown: int = 0
    answered: int = 0
    right: int = 0
    point_biserial: float | None = None
    infit: float | None = None
    outfit: float | None = None
    median_seconds: float | None = None
    exposure: float = 0.0
    reported: int = 0
    neutralized: int = 0
    flags: list[str] = field(default_factory=list)

    @property
    def success_rate(self) -> float | None:
        return self.right / self.answered if self.answered else None


def _pearson(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / math.sqrt(sxx * syy)


def _flags(stat: ItemStatistics) -> list[str]:
    """Why an item misbehaves, most serious first; nothing under MIN_ANSWERS but neutralizing
    and reports, which need no sample."""
    flags = []
    if stat.neutralized:
        flags.append("neutralized")
    if stat.shown and stat.reported / stat.shown > REPORTED_SHARE:
        flags.append("reported")
    if stat.answered >= MIN_ANSWERS:
        if stat.point_biserial is not None and stat.point_biserial < MIN_POINT_BISERIAL:
            flags.append("point_biserial")
        if stat.outfit is not None and not FIT_RANGE[0] <= stat.outfit <= FIT_RANGE[1]:
            flags.append("outfit")
        if stat.infit is not None and not FIT_RANGE[0] <= stat.infit <= FIT_RANGE[1]:
            flags.append("infit")
        rate = stat.success_rate
        if rate is not None and not SUCCESS_RANGE[0] <= rate <= SUCCESS_RANGE[1]:
            flags.append("success_rate")
    return flags


FLAG_LABELS = {
    "neutralized": "neutralisée par le jury",
    "reported": "signalée par plus de 5 % des candidats",
    "point_biserial": "corrélation point-bisériale < 0,1",
    "outfit": "outfit hors de 0,7–1,3",
    "infit": "infit hors de 0,7–1,3",
    "success_rate": "réussite sous 5 % ou au-dessus de 95 %",
}


def item_statistics() -> list[ItemStatistics]:
    """Every item of the bank, the misbehaving ones first (most flags, then most shown)."""
    bank = engine.get_bank()
    stats = {
        item.id: ItemStatistics(item.id, item.competence, item.difficulty, item.discrimination)
        for item in bank.items
    }
    tests = CertificationCourse.objects.count()
    thetas: dict[str, list[float]] = defaultdict(list)
    scores: dict[str, list[float]] = defaultdict(list)
    seconds: dict[str, list[float]] = defaultdict(list)
    squares: dict[str, list[float]] = defaultdict(list)
    variances: dict[str, list[float]] = defaultdict(list)
    rows = Answer.objects.values_list(
        "item_id", "correct", "neutralized", "asked_at", "answered_at", "course__theta"
    )
    for item_id, correct, neutralized, asked_at, answered_at, theta in rows.iterator():
        stat = stats.get(item_id)
        if stat is None:  # an item since removed from the bank
            continue
        stat.shown += 1
        seconds[item_id].append((answered_at - asked_at).total_seconds())
        if neutralized:
            stat.neutralized += 1
            continue
        stat.answered += 1
        stat.right += int(correct)
        thetas[item_id].append(theta)
        scores[item_id].append(1.0 if correct else 0.0)
        p = irt.probability(theta, stat.discrimination, stat.difficulty)
        variance = max(p * (1 - p), 1e-9)
        squares[item_id].append((float(correct) - p) ** 2)
        variances[item_id].append(variance)
    alerts = LiveAlert.objects.filter(kind=LiveAlert.Kind.QUESTION).values_list("item_id", "status")
    for item_id, status in alerts:
        stat = stats.get(item_id)
        if stat is None:
            continue
        stat.reported += 1
        if status == "validated":
            stat.shown += 1  # shown, then replaced: no answer row
    for item_id, stat in stats.items():
        stat.exposure = stat.shown / tests if tests else 0.0
        if seconds[item_id]:
            stat.median_seconds = statistics.median(seconds[item_id])
        stat.point_biserial = _pearson(scores[item_id], thetas[item_id])
        if variances[item_id]:
            stat.outfit = sum(
                s / v for s, v in zip(squares[item_id], variances[item_id], strict=True)
            ) / len(variances[item_id])
            stat.infit = sum(squares[item_id]) / sum(variances[item_id])
        stat.flags = _flags(stat)
    return sorted(stats.values(), key=lambda s: (-len(s.flags), -s.shown, s.item_id))


HEADERS: list[Cell] = [
    "Question",
    "Compétence",
    "Difficulté (b)",
    "Discrimination (a)",
    "Présentée",
    "Exposition",
    "Réponses comptées",
    "Taux de réussite",
    "Point-bisériale",
    "Infit",
    "Outfit",
    "Temps médian (s)",
    "Signalée",
    "Neutralisée",
    "Alertes",
]


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def rows(stats: list[ItemStatistics]) -> list[list[Cell]]:
    """The table written to .csv / .ods and shown on the page."""
    return [
        [
            s.item_id,
            s.competence,
            s.difficulty,
            s.discrimination,
            s.shown,
            _round(s.exposure),
            s.answered,
            _round(s.success_rate),
            _round(s.point_biserial),
            _round(s.infit),
            _round(s.outfit),
            _round(s.median_seconds, 1),
            s.reported,
            s.neutralized,
            "; ".join(FLAG_LABELS[f] for f in s.flags),
        ]
        for s in stats
    ]


def table(stats: list[ItemStatistics]) -> list[list[Cell]]:
    """The headers and the rows, for lib/spreadsheets.py."""
    return [HEADERS, *rows(stats)]
