"""Adaptive test engine: 2PL item response theory, EAP estimation, next-item selection.

Pure functions, no Django: the web layer keeps the history (items asked, in order, with
their correctness) and calls `select_next` then, at the end, `estimate`. The rules are
explained in docs/scoring.md.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, TypeVar

# Pix's certification length (reference §6: numberOfChallengesPerCourse).
TEST_LENGTH = 32
# Reference §6: challengesBetweenSameCompetence = 2.
COMPETENCE_GAP = 2
# The next item is drawn among this many best items that pass the exposure lottery
# (randomesque, Kingsbury & Zara 1989): two candidates of the same level rarely take the
# same path even where Sympson–Hetter leaves an item always eligible.
TOP_K = 2

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


def lottery_draw(seed: int | str, item_id: str) -> float:
    """The candidate's uniform draw in [0, 1) for one item's Sympson–Hetter lottery.

    A pure function of the test's seed and the item: drawn once per candidate and item, so
    the lottery of an item is the same each time it comes first, which is exactly the
    original procedure (an item that loses its lottery is never offered again to that
    candidate, one that wins is administered). The engine can then recompute it at every
    step, in the action that holds the row lock, without storing anything."""
    digest = hashlib.blake2b(f"{seed}:{item_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def blocked_by_exposure(
    bank_items: Sequence[SelectableItem], parameters: Mapping[str, float], seed: int | str
) -> frozenset[str]:
    """Ids of the items that lose their Sympson–Hetter lottery for this candidate: item `i`
    is administered when selected with probability `parameters[i]` (1 when absent)."""
    return frozenset(
        item.id
        for item in bank_items
        if parameters.get(item.id, 1.0) < 1.0 and lottery_draw(seed, item.id) >= parameters[item.id]
    )


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
    blocked: Collection[str] = frozenset(),
    cover: Collection[str] = frozenset(),
    test_length: int = TEST_LENGTH,
) -> ItemT | None:
    """The next item to ask, or None when every item has been asked or excluded.

    - Never an item of `history` (already asked) nor of `excluded` (ids).
    - Its competence differs from those of the last `competence_gap` items asked, so two
      items of the same competence are always more than `competence_gap` positions apart.
    - Not from `excluded_competences`: after a validated problem report, pass the reported
      item's id in `excluded` (it is never asked again) and its competence here (the
      replacement comes from another competence); the reported item stays out of `history`.
    - **Coverage**: when the questions left (`test_length` minus those asked) are no more
      than the competences of `cover` not asked yet (and still having items), the next item
      comes from one of them, so every competence is asked at least once.
    - **Exposure** (Sympson–Hetter): not an item of `blocked`, the items that lost their
      lottery for this candidate (`blocked_by_exposure`).
    - Among the eligible items, ranks by Fisher information at the current EAP estimate
      (`theta`, computed from `history` when not given) and draws uniformly among the
      `top_k` best.

    When no item satisfies every rule (a tiny bank), the rules are relaxed in this order,
    keeping the first step that leaves a candidate, and at each step the exposure lottery
    is dropped before going on: the competence gap shrinks one step at a time down to 0
    (only the most recent competences stay forbidden), then coverage is dropped, then
    `excluded_competences`. `excluded` ids and « never twice » are never relaxed.
    """
    if top_k < 1:
        raise ValueError("top_k must be at least 1")
    asked = {item.id for item, _ in history}
    pool = [item for item in bank_items if item.id not in asked and item.id not in excluded]
    if not pool:
        return None
    recent = [item.competence for item, _ in history]
    uncovered = (set(cover) - set(recent)) & {item.competence for item in pool}
    must_cover = bool(uncovered) and test_length - len(history) <= len(uncovered)
    steps = [(g, True, must_cover) for g in range(max(competence_gap, 0), -1, -1)]
    if must_cover:
        steps.append((0, True, False))
    steps.append((0, False, False))
    eligible: list[ItemT] = []
    for gap, avoid_reported, covering in steps:
        forbidden = set(recent[-gap:]) if gap else set()
        if avoid_reported:
            forbidden |= set(excluded_competences)
        allowed = [
            item
            for item in pool
            if item.competence not in forbidden and (not covering or item.competence in uncovered)
        ]
        eligible = [item for item in allowed if item.id not in blocked] or allowed
        if eligible:
            break
    if theta is None:
        theta = estimate(history).theta
    return rng.choice(_most_informative(eligible, theta, top_k))


def _most_informative(items: Sequence[ItemT], theta: float, top_k: int) -> list[ItemT]:
    """The `top_k` items of most information at theta, ties by id: `sorted(...)[:top_k]`
    with the key `(-information(theta, a, b), id)`, computed with the same operations in
    the same order (so the same floats, tests/test_irt.py), inlined and without sorting
    the whole bank — it runs on every answer, over every eligible item of the bank
    (docs/scaling.md, « One hop less per event »)."""
    exp = math.exp
    keyed = []
    for index, item in enumerate(items):
        a = item.discrimination
        z = a * (theta - item.difficulty)
        if z >= 0:
            p = 1.0 / (1.0 + exp(-z))
        else:
            e = exp(z)
            p = e / (1.0 + e)
        # The index: equal keys keep the bank's order, as sorted() does, and the items
        # themselves are never compared.
        keyed.append((-(a * a * p * (1.0 - p)), item.id, index, item))
    return [item for *_key, item in heapq.nsmallest(top_k, keyed)]
