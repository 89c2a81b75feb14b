"""From capacity (theta) to a Pix-like score 0-895, a global level and per-competence levels.

The mapping, its table and the reasons are in docs/scoring.md; the tests check the table.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Protocol

from certification.irt import ItemLike, estimate
from lib.framework import COMPETENCE_CODES


class CompetenceItem(ItemLike, Protocol):
    """An answered item as scoring needs it: 2PL parameters and a competence code."""

    @property
    def competence(self) -> str: ...


MAX_SCORE = 895  # Pix's cap (reference §6)
LEVEL_WIDTH = 112  # 8 levels x 112 points = 896 = MAX_SCORE + 1
# Theta at the start of each level 0..7, then the end of the scale: score = 112 x level at
# each breakpoint, linear in between, clamped to [0, 895].
LEVEL_THETAS: tuple[float, ...] = (-3.0, -2.25, -1.5, -0.75, 0.0, 0.75, 1.5, 2.25, 3.0)
LEVEL_NAMES: tuple[str, ...] = (
    "Pré-débutant",
    "Débutant 1",
    "Débutant 2",
    "Indépendant 1",
    "Indépendant 2",
    "Avancé 1",
    "Avancé 2",
    "Expert",
)
MAX_LEVEL = len(LEVEL_NAMES) - 1  # 7

# Per-competence EAP: prior centred on the global estimate, one level (0.75) wide.
COMPETENCE_PRIOR_SD = 0.75

# Reference §6: a certification with fewer than 20 answers and an abort reason is rejected.
REJECTION_MIN_ANSWERS = 20


def score_for(theta: float) -> int:
    """Score 0-895 for a capacity: piecewise-linear through LEVEL_THETAS, floored, clamped."""
    if math.isnan(theta):
        raise ValueError("theta is NaN")
    if theta <= LEVEL_THETAS[0]:
        return 0
    if theta >= LEVEL_THETAS[-1]:
        return MAX_SCORE
    for level, (low, high) in enumerate(itertools.pairwise(LEVEL_THETAS)):
        if theta < high:
            progress = (theta - low) / (high - low)
            return min(MAX_SCORE, math.floor(LEVEL_WIDTH * (level + progress)))
    return MAX_SCORE  # unreachable: theta < LEVEL_THETAS[-1] here


def level_for(score: int) -> int:
    """Level 0-7 of a score: level n covers [112 n, 112 (n + 1)); names in LEVEL_NAMES."""
    return max(0, min(MAX_LEVEL, int(score) // LEVEL_WIDTH))


def level_name(level: int) -> str:
    """French name of a level 0-7 (« Pré-débutant » … « Expert »)."""
    return LEVEL_NAMES[level]


def competence_levels(history: Sequence[tuple[CompetenceItem, bool | None]]) -> dict[str, int]:
    """Level 0-7 for each of the 16 competences of lib/framework.py.

    - A competence with scored answers: EAP of its own answers with a normal prior centred
      on the global estimate (all answers) and sd COMPETENCE_PRIOR_SD, then score_for and
      level_for: the global estimate is the starting point, the competence's own answers
      move it.
    - A competence with no scored answer: no evidence of its own, so one level below the
      global level (never below 0).

    `history` holds (item, correct) pairs; items need `competence`, `difficulty` and
    `discrimination`. `correct=None` (asked, not scored) is ignored.
    """
    scored = [(item, correct) for item, correct in history if correct is not None]
    overall = estimate(scored)
    fallback = max(0, level_for(score_for(overall.theta)) - 1)
    levels: dict[str, int] = {}
    for code in COMPETENCE_CODES:
        own = [(item, correct) for item, correct in scored if item.competence == code]
        if not own:
            levels[code] = fallback
            continue
        local = estimate(own, prior_mean=overall.theta, prior_sd=COMPETENCE_PRIOR_SD)
        levels[code] = level_for(score_for(local.theta))
    return levels


def is_rejected(answer_count: int, aborted: bool) -> bool:
    """Whether the certification is rejected.

    Reference §6 (Pix): « a certification is REJECTED with fewer than 20 answers and an
    abort reason set ». Both conditions are needed: 20 answers or more are scored even if
    the test was aborted, and an unaborted test is scored whatever its length.
    """
    return aborted and answer_count < REJECTION_MIN_ANSWERS
