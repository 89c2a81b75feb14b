"""Issue 18's study: can another exposure-control or selection method hold RMSE <= 0.30 and
a maximum exposure <= 25 % on seeds 1-5 of scripts/simulate_adaptive.py? (docs/scoring.md,
« What this shows, honestly »). Each subcommand prints one measured row per seed; none of
these methods is used by the engine.

    python scripts/exposure_study.py bound                 # LP bound, oracle targeting
    python scripts/exposure_study.py information --seeds 2 --candidates 400
    python scripts/exposure_study.py pwi --seeds 2         # posterior-weighted information
    python scripts/exposure_study.py eligibility --seeds 2,3 --r-max 0.22
    python scripts/exposure_study.py priced --seeds 2,3 --cap 0.21 --target 0.21
    python scripts/exposure_study.py conditional --seeds 1,2,3,4,5 --target 0.20

Candidates, answers, competence gap, coverage and the EAP estimator are those of
scripts/simulate_adaptive.py (the same `simulate`, the same `Candidate.answers_right`).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy
from scipy.optimize import linprog
from scipy.sparse import coo_matrix
from scipy.stats import norm

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from simulate_adaptive import (  # noqa: E402
    Candidate,
    Engine,
    Simulation,
    candidates_for,
    load_items,
    simulate,
    vigie_engine,
)

from certification.bank import DEFAULT_DIR, Item  # noqa: E402
from certification.irt import (  # noqa: E402
    COMPETENCE_GAP,
    GRID,
    TEST_LENGTH,
    blocked_by_exposure,
    estimate,
    information,
    lottery_draw,
    probability,
)
from lib.framework import COMPETENCE_CODES  # noqa: E402


def eligible(
    items: Sequence[Item], history: Sequence[tuple[Item, bool]], blocked: Collection[str]
) -> list[Item]:
    """The items `certification.irt.select_next` would rank: same rules, same relaxation."""
    asked = {item.id for item, _ in history}
    pool = [item for item in items if item.id not in asked]
    recent = [item.competence for item, _ in history]
    uncovered = (set(COMPETENCE_CODES) - set(recent)) & {item.competence for item in pool}
    must_cover = bool(uncovered) and TEST_LENGTH - len(history) <= len(uncovered)
    steps = [(g, must_cover) for g in range(COMPETENCE_GAP, -1, -1)]
    if must_cover:
        steps.append((0, False))
    for gap, covering in steps:
        forbidden = set(recent[-gap:]) if gap else set()
        allowed = [
            item
            for item in pool
            if item.competence not in forbidden and (not covering or item.competence in uncovered)
        ]
        chosen = [item for item in allowed if item.id not in blocked] or allowed
        if chosen:
            return chosen
    return []


def posterior(history: Sequence[tuple[Item, bool]]) -> list[float]:
    """The EAP posterior on the estimator's grid (prior N(0, 1))."""
    logs = [-0.5 * t * t for t in GRID]
    for item, right in history:
        for k, t in enumerate(GRID):
            p = probability(t, item.discrimination, item.difficulty)
            logs[k] += math.log(p if right else 1.0 - p)
    top = max(logs)
    weights = [math.exp(v - top) for v in logs]
    total = sum(weights)
    return [w / total for w in weights]


def engine(
    *,
    criterion: str = "fisher",
    blocked_for: Mapping[str, float] | None = None,
    price: Mapping[str, float] | None = None,
    r_max: float | None = None,
    top_k: int = 1,
) -> Engine:
    """A 32-question engine with one of the studied variations:

    - `criterion="pwi"`: Fisher information averaged over the posterior (van der Linden
      1998; Chang & Ying 1996's motivation), else Fisher information at the EAP;
    - `blocked_for`: Sympson-Hetter parameters (lottery drawn from the candidate's seed);
    - `price`: information minus the item's price (the LP's shadow price of its exposure);
    - `r_max`: the item-eligibility method (van der Linden & Veldkamp 2004): at the start
      of each test item i is eligible with probability min(1, r_max x eligible_i /
      administered_i), counted over the candidates before (the counts every test shares).
    """
    administered: dict[str, int] = {}
    eligible_count: dict[str, int] = {}
    info_grid: dict[str, list[float]] = {}

    def run(
        items: Sequence[Item], candidate: Candidate
    ) -> tuple[list[tuple[Item, bool]], float, float]:
        blocked: set[str] = set()
        if blocked_for:
            blocked = set(blocked_by_exposure(items, blocked_for, candidate.seed))
        if r_max is not None:
            for item in items:
                seen = administered.get(item.id, 0)
                chance = 1.0 if not seen else min(1.0, r_max * eligible_count[item.id] / seen)
                if lottery_draw(candidate.seed, item.id) >= chance:
                    blocked.add(item.id)
                else:
                    eligible_count[item.id] = eligible_count.get(item.id, 0) + 1
        history: list[tuple[Item, bool]] = []
        for step in range(TEST_LENGTH):
            choices = eligible(items, history, blocked)
            if not choices:
                break
            scores: dict[str, float] = {}
            if criterion == "pwi":
                weights = posterior(history)
                near = [k for k, w in enumerate(weights) if w > 1e-5]
                for item in choices:
                    if item.id not in info_grid:
                        a, b = item.discrimination, item.difficulty
                        info_grid[item.id] = [information(t, a, b) for t in GRID]
                    scores[item.id] = sum(weights[k] * info_grid[item.id][k] for k in near)
            else:
                theta = estimate(history).theta
                for item in choices:
                    value = information(theta, item.discrimination, item.difficulty)
                    scores[item.id] = value - (price or {}).get(item.id, 0.0)
            ranked = sorted(choices, key=lambda item: (-scores[item.id], item.id))
            item = random.Random(f"{candidate.seed}:{step}:0").choice(ranked[:top_k])
            history.append((item, candidate.answers_right(item)))
        if r_max is not None:
            for item, _ in history:
                administered[item.id] = administered.get(item.id, 0) + 1
        final = estimate(history)
        return history, final.theta, final.sd

    return run


def allocation_lp(
    items: Sequence[Item], cap: float, points: int = 400
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Maximum total information at the true theta of `points` candidates (quantiles of
    N(0, 1)), 32 items each, no item to more than `cap` of them, fractional assignment, no
    estimation error, no competence rule: an upper bound on what any selection can give.
    Returns each candidate's information and each item's shadow price."""
    a = numpy.array([item.discrimination for item in items])
    b = numpy.array([item.difficulty for item in items])
    theta = norm.ppf((numpy.arange(points) + 0.5) / points)
    p = 1 / (1 + numpy.exp(-a[None, :] * (theta[:, None] - b[None, :])))
    info = a[None, :] ** 2 * p * (1 - p)
    n, m = info.shape
    columns = numpy.arange(n * m)
    per_candidate = coo_matrix((numpy.ones(n * m), (numpy.repeat(numpy.arange(n), m), columns)))
    per_item = coo_matrix((numpy.ones(n * m), (numpy.tile(numpy.arange(m), n), columns)))
    result = linprog(
        -info.ravel(),
        A_ub=per_item,
        b_ub=numpy.full(m, cap * n),
        A_eq=per_candidate,
        b_eq=numpy.full(n, float(TEST_LENGTH)),
        bounds=(0, 1),
        method="highs",
    )
    return (result.x.reshape(n, m) * info).sum(axis=1), -result.ineqlin.marginals


def calibrate(
    items: Sequence[Item], run_for: object, target: float, rounds: int
) -> dict[str, float]:
    """Sympson-Hetter's iteration (as scripts/simulate_adaptive.py) for another engine,
    1,000 candidates per round from seed 1000."""
    parameters: dict[str, float] = {}
    for number in range(rounds):
        result = simulate(items, candidates=1000, seed=1000 + number, engine=run_for(parameters))  # type: ignore[operator]
        updated = {}
        for item_id, rate in result.exposure_rates:
            selected = rate / parameters.get(item_id, 1.0)
            if selected > target:
                updated[item_id] = target / selected
        parameters = updated
        print(f"  calibration round {number + 1}/{rounds}: max exposure {result.max_exposure:.3f}")
    return parameters


# Conditional Sympson-Hetter's theta classes (bounds between them).
CLASS_BOUNDS = (-1.5, -0.9, -0.3, 0.3, 0.9, 1.5)


def theta_class(theta: float) -> int:
    return sum(1 for bound in CLASS_BOUNDS if theta > bound)


def conditional_engine(parameters: Mapping[tuple[str, int], float]) -> Engine:
    """Conditional Sympson-Hetter (Stocking & Lewis 1998): item i, selected while the
    estimate is in class g, is administered with probability K[i, g]. The candidate's draw
    for an item is fixed (as in the shipped lottery), so an item is eligible at a step when
    the draw is under K for the class of the current estimate."""

    def run(
        items: Sequence[Item], candidate: Candidate
    ) -> tuple[list[tuple[Item, bool]], float, float]:
        draws = {item.id: lottery_draw(candidate.seed, item.id) for item in items}
        history: list[tuple[Item, bool]] = []
        for step in range(TEST_LENGTH):
            theta = estimate(history).theta
            g = theta_class(theta)
            blocked = {i for i, u in draws.items() if u >= parameters.get((i, g), 1.0)}
            choices = eligible(items, history, blocked)
            if not choices:
                break
            ranked = sorted(
                choices,
                key=lambda item: (
                    -information(theta, item.discrimination, item.difficulty),
                    item.id,
                ),
            )
            item = random.Random(f"{candidate.seed}:{step}:0").choice(ranked[:2])
            history.append((item, candidate.answers_right(item)))
        final = estimate(history)
        return history, final.theta, final.sd

    return run


def calibrate_conditional(
    items: Sequence[Item], target: float, rounds: int, candidates: int = 1000
) -> dict[tuple[str, int], float]:
    """Stocking & Lewis's iteration: the selection rate of item i among the candidates of
    true-theta class g, P(S_i | g) = P(A_i | g) / K[i, g]; K[i, g] = target / P(S_i | g)
    when above the target, else 1. Holding every class under the target holds the overall
    rate under it too."""
    parameters: dict[tuple[str, int], float] = {}
    for number in range(rounds):
        run = conditional_engine(parameters)
        per_class: dict[int, int] = {}
        counts: dict[tuple[str, int], int] = {}
        for candidate in candidates_for(candidates, 1000 + number):
            g = theta_class(candidate.theta)
            per_class[g] = per_class.get(g, 0) + 1
            history, _theta, _sd = run(items, candidate)
            for item, _ in history:
                counts[item.id, g] = counts.get((item.id, g), 0) + 1
        updated = {}
        worst = 0.0
        for (item_id, g), count in counts.items():
            rate = count / per_class[g]
            worst = max(worst, rate)
            selected = rate / parameters.get((item_id, g), 1.0)
            if selected > target:
                updated[item_id, g] = target / selected
        parameters = updated
        print(f"  calibration round {number + 1}/{rounds}: max conditional exposure {worst:.3f}")
    return parameters


def line(name: str, r: Simulation) -> str:
    return (
        f"{name} seed {r.seed}: RMSE {r.rmse:.3f}  r {r.correlation:.3f}  "
        f"posterior sd {r.mean_sd:.3f}  max exposure {r.max_exposure:.3f}  "
        f"items > 25 % {r.items_over_25_percent}  overlap {r.overlap_rate:.3f}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "study", choices=["bound", "information", "pwi", "eligibility", "priced", "conditional"]
    )
    parser.add_argument("--seeds", default="2")
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--r-max", type=float, default=0.22)
    parser.add_argument("--cap", type=float, default=0.21)
    parser.add_argument("--target", type=float, default=0.21)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args(argv)
    items, _exposure, _label = load_items(DEFAULT_DIR)
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.study == "information":
        # Where the shipped engine loses precision: the information its 32 items give at
        # the candidate's true theta, without and with the shipped Sympson-Hetter parameters.
        for label, run in (
            ("no exposure control", vigie_engine(exposure={})),
            ("shipped Sympson-Hetter", vigie_engine(exposure=_exposure)),
        ):
            totals, firsts, squares = [], [], []
            for seed in seeds:
                for candidate in candidates_for(args.candidates, seed):
                    history, _theta, _sd = run(items, candidate)
                    at = [
                        information(candidate.theta, i.discrimination, i.difficulty)
                        for i, _ in history
                    ]
                    totals.append(sum(at))
                    firsts.append(sum(at[:8]))
                    squares += [i.discrimination**2 for i, _ in history]
            expected_sd = math.sqrt(sum(1 / (1 + t) for t in totals) / len(totals))
            print(
                f"{label}: information at true theta {sum(totals) / len(totals):.2f} "
                f"(first 8 questions {sum(firsts) / len(firsts):.2f}), mean a² "
                f"{sum(squares) / len(squares):.3f}, expected posterior sd {expected_sd:.3f}"
            )
        return 0
    if args.study == "bound":
        for cap in (1.0, 0.30, 0.25, 0.22, 0.21, 0.20):
            per_candidate, _prices = allocation_lp(items, cap)
            expected_sd = math.sqrt(float(numpy.mean(1 / (1 + per_candidate))))
            print(
                f"cap {cap:.2f}: mean information {per_candidate.mean():.2f}, "
                f"expected posterior sd of that allocation {expected_sd:.3f}"
            )
        return 0
    for seed in seeds:
        if args.study == "pwi":
            result = simulate(
                items, candidates=args.candidates, seed=seed, engine=engine(criterion="pwi")
            )
            print(line("posterior-weighted information, no exposure control", result))
        elif args.study == "eligibility":
            result = simulate(
                items,
                candidates=args.candidates,
                seed=seed,
                engine=engine(r_max=args.r_max, top_k=2),
            )
            print(line(f"item eligibility r_max {args.r_max}, top 2", result))
    if args.study == "conditional":
        conditional = calibrate_conditional(items, args.target, args.rounds)
        for seed in seeds:
            result = simulate(
                items, candidates=args.candidates, seed=seed, engine=conditional_engine(conditional)
            )
            print(line(f"conditional Sympson-Hetter {args.target}, top 2", result))
    if args.study == "priced":
        _info, shadow = allocation_lp(items, args.cap)
        price = {item.id: float(value) for item, value in zip(items, shadow, strict=True)}
        parameters = calibrate(
            items, lambda k: engine(price=price, blocked_for=k), args.target, args.rounds
        )
        for seed in seeds:
            result = simulate(
                items,
                candidates=args.candidates,
                seed=seed,
                engine=engine(price=price, blocked_for=parameters),
            )
            print(line(f"priced (LP cap {args.cap}) + Sympson-Hetter {args.target}", result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
