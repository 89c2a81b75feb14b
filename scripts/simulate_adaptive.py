"""Simulate candidates taking the 32-question adaptive certification and measure recovery.

    python scripts/simulate_adaptive.py --candidates 1000 --seed 1 [--bank DIR] [--json out.json]
                                        [--top-k 5]

Each simulated candidate has a true capacity theta ~ N(0, 1) and answers each item right
with the 2PL probability. Reports how well the engine recovers theta (RMSE, correlation,
bias, posterior sd), the score error, item exposure, and whether the competence gap held
in every test. Uses the real bank (load_bank) and falls back to a synthetic bank of 240
items when the bank cannot be loaded.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from certification.bank import DEFAULT_DIR, BankError, Item, load_bank  # noqa: E402
from certification.irt import (  # noqa: E402
    COMPETENCE_GAP,
    TEST_LENGTH,
    TOP_K,
    estimate,
    probability,
    select_next,
)
from certification.scoring import level_for, score_for  # noqa: E402
from lib.framework import COMPETENCE_CODES  # noqa: E402


@dataclass(frozen=True)
class Simulation:
    bank: str
    bank_size: int
    candidates: int
    seed: int
    test_length: int
    top_k: int
    rmse: float
    correlation: float
    bias: float
    mean_sd: float
    mean_abs_score_error: float
    level_agreement: float
    max_exposure: float
    mean_exposure: float
    unused_items: int
    gap_violations: int
    seconds: float
    true_thetas: tuple[float, ...] = ()
    estimated_thetas: tuple[float, ...] = ()


def synthetic_bank(seed: int = 0, size: int = 240) -> list[Item]:
    """`size` items spread evenly over the 16 competences, b ~ U(-3, 3), a ~ U(0.7, 2.0)."""
    rng = random.Random(seed)
    return [
        Item(
            id=f"syn-{n:03d}",
            competence=COMPETENCE_CODES[n % len(COMPETENCE_CODES)],
            type="single",
            prompt="Question synthétique",
            difficulty=rng.uniform(-3.0, 3.0),
            discrimination=rng.uniform(0.7, 2.0),
            choices=("A", "B"),
            answer=(0,),
        )
        for n in range(size)
    ]


def rmse(truths: Sequence[float], estimates: Sequence[float]) -> float:
    return math.sqrt(
        sum((e - t) ** 2 for t, e in zip(truths, estimates, strict=True)) / len(truths)
    )


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Pearson correlation; 0.0 when either series is constant (no linear information)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return 0.0
    return sxy / math.sqrt(sxx * syy)


def gap_respected(competences: Sequence[str], gap: int = COMPETENCE_GAP) -> bool:
    """Every window of gap + 1 consecutive questions has distinct competences."""
    return all(
        len(set(competences[i : i + gap + 1])) == len(competences[i : i + gap + 1])
        for i in range(len(competences))
    )


def simulate(
    items: Sequence[Item],
    *,
    candidates: int,
    seed: int,
    test_length: int = TEST_LENGTH,
    top_k: int = TOP_K,
    bank_label: str = "",
) -> Simulation:
    rng = random.Random(seed)
    started = time.perf_counter()
    truths: list[float] = []
    estimates: list[float] = []
    sds: list[float] = []
    exposure: Counter[str] = Counter()
    violations = 0
    for _ in range(candidates):
        theta = rng.gauss(0.0, 1.0)
        history: list[tuple[Item, bool | None]] = []
        current = 0.0
        for _ in range(test_length):
            item = select_next(items, history, rng=rng, top_k=top_k, theta=current)
            if item is None:
                break
            correct = rng.random() < probability(theta, item.discrimination, item.difficulty)
            history.append((item, correct))
            current = estimate(history).theta
        final = estimate(history)
        truths.append(theta)
        estimates.append(final.theta)
        sds.append(final.sd)
        exposure.update(item.id for item, _ in history)
        if not gap_respected([item.competence for item, _ in history]):
            violations += 1
    score_errors = [
        abs(score_for(e) - score_for(t)) for t, e in zip(truths, estimates, strict=True)
    ]
    same_level = [
        level_for(score_for(e)) == level_for(score_for(t))
        for t, e in zip(truths, estimates, strict=True)
    ]
    rates = [exposure[item.id] / candidates for item in items]
    return Simulation(
        bank=bank_label,
        bank_size=len(items),
        candidates=candidates,
        seed=seed,
        test_length=test_length,
        top_k=top_k,
        rmse=rmse(truths, estimates),
        correlation=pearson(truths, estimates),
        bias=sum(e - t for t, e in zip(truths, estimates, strict=True)) / candidates,
        mean_sd=sum(sds) / candidates,
        mean_abs_score_error=sum(score_errors) / candidates,
        level_agreement=sum(same_level) / candidates,
        max_exposure=max(rates),
        mean_exposure=sum(rates) / len(rates),
        unused_items=sum(1 for rate in rates if rate == 0),
        gap_violations=violations,
        seconds=time.perf_counter() - started,
        true_thetas=tuple(truths),
        estimated_thetas=tuple(estimates),
    )


def load_items(directory: Path) -> tuple[list[Item], str]:
    """The bank's items, or a synthetic bank (and a line saying so) when it cannot load."""
    try:
        bank = load_bank(directory)
    except (BankError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"Real bank not loaded ({first}): using a synthetic bank of 240 items.")
        return synthetic_bank(), "synthetic, b~U(-3,3), a~U(0.7,2.0)"
    return list(bank.items), str(directory)


def report(result: Simulation) -> str:
    rows = [
        ("Bank", f"{result.bank} ({result.bank_size} items)"),
        ("Candidates / questions", f"{result.candidates} x {result.test_length}"),
        ("Draw among the best (top_k)", str(result.top_k)),
        ("RMSE (theta)", f"{result.rmse:.3f}"),
        ("Correlation (true, estimated)", f"{result.correlation:.3f}"),
        ("Bias (estimated - true)", f"{result.bias:+.3f}"),
        ("Mean posterior sd", f"{result.mean_sd:.3f}"),
        ("Mean |score error| (0-895)", f"{result.mean_abs_score_error:.1f}"),
        ("Same level as true theta", f"{result.level_agreement:.1%}"),
        ("Max item exposure rate", f"{result.max_exposure:.1%}"),
        ("Mean item exposure rate", f"{result.mean_exposure:.1%}"),
        ("Items never used", str(result.unused_items)),
        (
            "Competence gap held",
            "every test" if not result.gap_violations else f"{result.gap_violations} violations",
        ),
        ("Time", f"{result.seconds:.1f} s"),
    ]
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bank", type=Path, default=DEFAULT_DIR, help="item bank folder")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--top-k", type=int, default=TOP_K, help="draw among this many best items")
    args = parser.parse_args(argv)
    if args.candidates < 1 or args.top_k < 1:
        parser.error("--candidates and --top-k must be at least 1")
    items, label = load_items(args.bank)
    result = simulate(
        items, candidates=args.candidates, seed=args.seed, top_k=args.top_k, bank_label=label
    )
    print(report(result))
    if args.json:
        figures = asdict(result)
        del figures["true_thetas"], figures["estimated_thetas"]
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
