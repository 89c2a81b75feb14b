"""Adaptive test engine: 2PL item response theory, EAP estimation, next-item selection.

Pure functions, no Django: the web layer keeps the history (items asked, in order, with
their correctness) and calls `select_next` then, at the end, `estimate`. The rules are
explained in docs/scoring.md.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, TypeVar

# Pix's certification length (reference §6: numberOfChallengesPerCourse).
TEST_LENGTH = 32
# Reference §6: challengesBetweenSameCompetence = 2.
COMPETENCE_GAP = 2
# The next item is drawn among this many best items, so the best item is not always shown.
TOP_K = 5

# Fixed quadrature grid for EAP: 81 points, every 0.1 from -4 to +4.
GRID: tuple[float, ...] = tuple(round(-4.0 + 0.1 * k, 10) for k in range(81))


class ItemLike(Protocol):
    """Anything with 2PL parameters (read-only, so frozen dataclasses qualify)."""

    @property
    def difficulty(self) -> float: ...

    @property
    def discrimination(self) -> float: ...


class SelectableItem(ItemLike, Protocol):
    """An item that can be selected: it also has an id and a competence code."""

    @property
    def id(self) -> str: ...

    @property
    def competence(self) -> str: ...


ItemT = TypeVar("ItemT", bound=SelectableItem)

# One answer: the item and whether it was right. `None` means asked but not scored (e.g.
# neutralised): it counts for « never twice » and the competence gap, not for the estimate.
Response = tuple[ItemLike, bool | None]


@dataclass(frozen=True)
class Estimate:
    """EAP estimate of the capacity theta and its posterior standard deviation."""

    theta: float
    sd: float


def probability(theta: float, a: float, b: float) -> float:
    """2PL probability of a right answer: 1 / (1 + exp(-a (theta - b))), without overflow."""
    z = a * (theta - b)
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def information(theta: float, a: float, b: float) -> float:
    """Fisher information of a 2PL item at theta: a² p (1 - p)."""
    p = probability(theta, a, b)
    return a * a * p * (1.0 - p)


def _log_sigmoid(z: float) -> float:
    """log(1 / (1 + exp(-z))) for any finite z, without overflow nor log(0)."""
    if z >= 0:
        return -math.log1p(math.exp(-z))
    return z - math.log1p(math.exp(z))


@lru_cache(maxsize=8192)
def _log_likelihoods(a: float, b: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """log P(right) and log P(wrong) of an item on every grid point (cached per (a, b))."""
    right = tuple(_log_sigmoid(a * (t - b)) for t in GRID)
    wrong = tuple(_log_sigmoid(-a * (t - b)) for t in GRID)
    return right, wrong


@lru_cache(maxsize=256)
def _log_prior(mean: float, sd: float) -> tuple[float, ...]:
    return tuple(-0.5 * ((t - mean) / sd) ** 2 for t in GRID)


def estimate(
    responses: Sequence[Response], *, prior_mean: float = 0.0, prior_sd: float = 1.0
) -> Estimate:
    """EAP of theta on the fixed grid with a normal prior N(prior_mean, prior_sd²).

    With no scored response the estimate is the prior (mean 0 and sd ~1 by default).
    Works in log space and subtracts the maximum before exponentiating, so any response
    pattern gives a finite estimate.
    """
    if not prior_sd > 0:
        raise ValueError("prior_sd must be positive")
    columns = [_log_prior(float(prior_mean), float(prior_sd))]
    for item, correct in responses:
        if correct is None:
            continue
        right, wrong = _log_likelihoods(float(item.discrimination), float(item.difficulty))
        columns.append(right if correct else wrong)
    log_post = [sum(values) for values in zip(*columns, strict=True)]
    top = max(log_post)
    weights = [math.exp(v - top) for v in log_post]
    total = sum(weights)
    mean = sum(w * t for w, t in zip(weights, GRID, strict=True)) / total
    second = sum(w * t * t for w, t in zip(weights, GRID, strict=True)) / total
    return Estimate(theta=mean, sd=math.sqrt(max(second - mean * mean, 0.0)))


def select_next(
    bank_items: Sequence[ItemT],
    history: Sequence[tuple[ItemT, bool | None]],
    *,
    rng: random.Random,
    excluded: Collection[str] = frozenset(),
    excluded_competences: Collection[str] = frozenset(),
    top_k: int = TOP_K,
    competence_gap: int = COMPETENCE_GAP,
    theta: float | None = None,
) -> ItemT | None:
    """The next item to ask, or None when every item has been asked or excluded.

    - Never an item of `history` (already asked) nor of `excluded` (ids).
    - Its competence differs from those of the last `competence_gap` items asked, so two
      items of the same competence are always more than `competence_gap` positions apart.
    - Not from `excluded_competences`: after a validated problem report, pass the reported
      item's id in `excluded` (it is never asked again) and its competence here (the
      replacement comes from another competence); the reported item stays out of `history`.
    - Among the eligible items, ranks by Fisher information at the current EAP estimate
      (`theta`, computed from `history` when not given) and draws uniformly among the
      `top_k` best, to limit the exposure of the most informative items.

    When no item satisfies every rule (a tiny bank), the rules are relaxed in this order,
    keeping the first step that leaves a candidate: the competence gap shrinks one step at a
    time down to 0 (only the most recent competences stay forbidden), then
    `excluded_competences` is dropped. `excluded` ids and « never twice » are never relaxed.
    """
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    asked = {item.id for item, _ in history}
    pool = [item for item in bank_items if item.id not in asked and item.id not in excluded]
    if not pool:
        return None
    recent = [item.competence for item, _ in history]
    eligible: list[ItemT] = []
    for gap, avoid_reported in [(g, True) for g in range(max(competence_gap, 0), -1, -1)] + [
        (0, False)
    ]:
        forbidden = set(recent[-gap:]) if gap else set()
        if avoid_reported:
            forbidden |= set(excluded_competences)
        eligible = [item for item in pool if item.competence not in forbidden]
        if eligible:
            break
    if theta is None:
        theta = estimate(history).theta
    ranked = sorted(
        eligible,
        key=lambda item: (-information(theta, item.discrimination, item.difficulty), item.id),
    )
    return rng.choice(ranked[:top_k])
