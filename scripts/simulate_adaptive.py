"""Simulate candidates taking the 32-question adaptive certification and measure recovery.

    python scripts/simulate_adaptive.py --candidates 1000 --seed 1 [--bank DIR] [--json out.json]
                                        [--top-k 2] [--no-exposure-control]
    python scripts/simulate_adaptive.py --calibrate-exposure [--target 0.22]

Each simulated candidate has a true capacity theta ~ N(0, 1) and answers each item right
with the 2PL probability (one fixed draw per candidate and item, so every engine meets the
same candidates giving the same answers). Reports how well the engine recovers theta (RMSE,
correlation, bias, posterior sd), the score error and level agreement, item exposure and
test overlap, competence coverage and gap. Uses the real bank (load_bank) with its exposure
parameters (certification/bank/exposure.json), and falls back to a synthetic bank of 240
items when the bank cannot be loaded. `--calibrate-exposure` recomputes those parameters
(docs/scoring.md, « Exposure control »).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy
from catsim.estimation import NumericalSearchEstimator
from catsim.item_bank import ItemBank
from catsim.selection import MaxInfoSelector

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from certification.bank import (  # noqa: E402
    DEFAULT_DIR,
    EXPOSURE_FILE,
    BankError,
    Item,
    load_bank,
    parameters_digest,
)
from certification.irt import (  # noqa: E402
    COMPETENCE_GAP,
    TEST_LENGTH,
    TOP_K,
    blocked_by_exposure,
    estimate,
    information,
    lottery_draw,
    probability,
    select_next,
)
from certification.scoring import level_for, score_for  # noqa: E402
from lib.framework import COMPETENCE_CODES  # noqa: E402

# Issue 18's bound: no item seen by more than a quarter of the candidates.
MAX_EXPOSURE = 0.25
# The Sympson–Hetter target, below the bound: the rates of a new sample of candidates
# scatter around it (binomial sd ~0.013 at 1,000 candidates).
EXPOSURE_TARGET = 0.19
# Calibration candidates come from seeds 1000, 1001, ...: never the evaluation's seed 1.
CALIBRATION_SEED = 1000


@dataclass(frozen=True)
class Simulation:
    engine: str
    bank: str
    bank_size: int
    candidates: int
    seed: int
    test_length: int
    top_k: int
    exposure_control: str
    rmse: float
    correlation: float
    bias: float
    mean_sd: float
    mean_abs_score_error: float
    level_agreement: float
    max_exposure: float
    mean_exposure: float
    items_over_25_percent: int
    overlap_rate: float
    unused_items: int
    min_items_per_competence: int
    tests_covering_every_competence: int
    gap_violations: int
    seconds: float
    true_thetas: tuple[float, ...] = ()
    estimated_thetas: tuple[float, ...] = ()
    exposure_rates: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Candidate:
    """A simulated candidate: a true capacity, and a fixed draw for each item, so the same
    candidate gives the same answer to an item whichever engine asks it."""

    number: int
    theta: float
    seed: str

    def answers_right(self, item: Item) -> bool:
        draw = lottery_draw(f"{self.seed}:answer", item.id)
        return draw < probability(self.theta, item.discrimination, item.difficulty)


def candidates_for(count: int, seed: int) -> list[Candidate]:
    """`count` candidates with theta ~ N(0, 1), the same for a given seed."""
    rng = random.Random(seed)
    return [Candidate(n, rng.gauss(0.0, 1.0), f"{seed}:{n}") for n in range(count)]


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


def overlap_rate(counts: Sequence[int], candidates: int, mean_length: float) -> float:
    """Mean share of a test's items that another candidate's test also has, over all pairs
    of candidates (Chen, Ankenmann & Spray 2003): sum c(c - 1) / (N (N - 1) L)."""
    if candidates < 2 or mean_length == 0:
        return 0.0
    shared = sum(c * (c - 1) for c in counts)
    return shared / (candidates * (candidates - 1) * mean_length)


# One engine: given the bank, a candidate and its seed-derived randomness, the items asked in
# order with the answers, and the final estimate (theta, sd).
Engine = Callable[[Sequence[Item], Candidate], tuple[list[tuple[Item, bool]], float, float]]


def vigie_engine(
    *,
    top_k: int = TOP_K,
    exposure: Mapping[str, float] | None = None,
    test_length: int = TEST_LENGTH,
    cover: bool = True,
) -> Engine:
    """Vigie's engine as certification/engine.py drives it: the same seeds per step, the
    Sympson–Hetter lottery drawn from the test's seed, coverage of the 16 competences."""
    parameters = dict(exposure or {})

    def run(
        items: Sequence[Item], candidate: Candidate
    ) -> tuple[list[tuple[Item, bool]], float, float]:
        blocked = blocked_by_exposure(items, parameters, candidate.seed)
        history: list[tuple[Item, bool]] = []
        current = 0.0
        for step in range(test_length):
            item = select_next(
                items,
                history,
                rng=random.Random(f"{candidate.seed}:{step}:0"),
                top_k=top_k,
                theta=current,
                blocked=blocked,
                cover=COMPETENCE_CODES if cover else (),
                test_length=test_length,
            )
            if item is None:
                break
            history.append((item, candidate.answers_right(item)))
            current = estimate(history).theta
        final = estimate(history)
        return history, final.theta, final.sd

    return run


def catsim_engine(
    items: Sequence[Item], *, candidates: int, r_max: float = 1.0, test_length: int = TEST_LENGTH
) -> Engine:
    """catsim's components driven by the same loop, candidates and stopping rule (the test
    length): its maximum-information selector, with `r_max` its exposure cap (an item used
    by r_max x N of the N candidates is no longer selected, as catsim's own Simulator counts
    it), and its estimator (maximum likelihood by bounded search, Dodd's heuristic for
    all-right or all-wrong patterns). It starts at theta = 0 like Vigie. It knows nothing of
    competences: no gap, no coverage."""
    bank = ItemBank(numpy.array([[i.discrimination, i.difficulty, 0.0, 1.0] for i in items]))
    index = {item.id: n for n, item in enumerate(items)}
    selector = MaxInfoSelector(r_max=r_max)
    estimator = NumericalSearchEstimator()
    usage = [0] * len(items)

    def run(
        bank_items: Sequence[Item], candidate: Candidate
    ) -> tuple[list[tuple[Item, bool]], float, float]:
        administered: list[int] = []
        responses: list[bool] = []
        theta = 0.0
        for _step in range(test_length):
            chosen = selector.select(
                item_bank=bank, administered_items=administered, est_theta=theta
            )
            if chosen is None:
                break
            item = bank_items[int(chosen)]
            administered.append(index[item.id])
            responses.append(candidate.answers_right(item))
            theta = float(
                estimator.estimate(
                    item_bank=bank,
                    administered_items=administered,
                    response_vector=responses,
                    est_theta=theta,
                )
            )
            usage[index[item.id]] += 1
            bank.update_exposure_rate(index[item.id], usage[index[item.id]] / candidates)
        history = [(bank_items[n], right) for n, right in zip(administered, responses, strict=True)]
        # The standard error of the ML estimate: 1 / sqrt(test information).
        total = sum(information(theta, i.discrimination, i.difficulty) for i, _ in history)
        return history, theta, 1 / math.sqrt(total) if total else float("inf")

    return run


def simulate(
    items: Sequence[Item],
    *,
    candidates: int,
    seed: int,
    test_length: int = TEST_LENGTH,
    top_k: int = TOP_K,
    exposure: Mapping[str, float] | None = None,
    engine: Engine | None = None,
    engine_label: str = "Vigie",
    exposure_label: str | None = None,
    bank_label: str = "",
) -> Simulation:
    """Run `candidates` simulated candidates (from `seed`) through an engine (Vigie's by
    default, with these `top_k` and `exposure` parameters) and measure the result."""
    started = time.perf_counter()
    run = engine or vigie_engine(top_k=top_k, exposure=exposure, test_length=test_length)
    if exposure_label is None:
        exposure_label = "Sympson-Hetter" if exposure else "none"
    truths: list[float] = []
    estimates: list[float] = []
    sds: list[float] = []
    exposure_counts: Counter[str] = Counter()
    lengths: list[int] = []
    min_per_competence: list[int] = []
    violations = 0
    for candidate in candidates_for(candidates, seed):
        history, theta, sd = run(items, candidate)
        truths.append(candidate.theta)
        estimates.append(theta)
        sds.append(sd)
        lengths.append(len(history))
        exposure_counts.update(item.id for item, _ in history)
        per_competence = Counter(item.competence for item, _ in history)
        min_per_competence.append(min(per_competence[code] for code in COMPETENCE_CODES))
        if not gap_respected([item.competence for item, _ in history]):
            violations += 1
    score_errors = [
        abs(score_for(e) - score_for(t)) for t, e in zip(truths, estimates, strict=True)
    ]
    same_level = [
        level_for(score_for(e)) == level_for(score_for(t))
        for t, e in zip(truths, estimates, strict=True)
    ]
    rates = [exposure_counts[item.id] / candidates for item in items]
    return Simulation(
        engine=engine_label,
        bank=bank_label,
        bank_size=len(items),
        candidates=candidates,
        seed=seed,
        test_length=test_length,
        top_k=top_k,
        exposure_control=exposure_label,
        rmse=rmse(truths, estimates),
        correlation=pearson(truths, estimates),
        bias=sum(e - t for t, e in zip(truths, estimates, strict=True)) / candidates,
        mean_sd=sum(sds) / candidates,
        mean_abs_score_error=sum(score_errors) / candidates,
        level_agreement=sum(same_level) / candidates,
        max_exposure=max(rates),
        mean_exposure=sum(rates) / len(rates),
        items_over_25_percent=sum(1 for rate in rates if rate > MAX_EXPOSURE),
        overlap_rate=overlap_rate(
            [exposure_counts[item.id] for item in items], candidates, sum(lengths) / candidates
        ),
        unused_items=sum(1 for rate in rates if rate == 0),
        min_items_per_competence=min(min_per_competence),
        tests_covering_every_competence=sum(1 for m in min_per_competence if m >= 1),
        gap_violations=violations,
        seconds=time.perf_counter() - started,
        true_thetas=tuple(truths),
        estimated_thetas=tuple(estimates),
        exposure_rates=tuple((item.id, rate) for item, rate in zip(items, rates, strict=True)),
    )


def calibrate_exposure(
    items: Sequence[Item],
    *,
    target: float = EXPOSURE_TARGET,
    iterations: int = 12,
    candidates: int = 2000,
    seed: int = CALIBRATION_SEED,
    top_k: int = TOP_K,
    log: Callable[[str], None] = print,
    start: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Sympson–Hetter parameters by the original iterative simulation (Sympson & Hetter
    1985): start from K = 1; simulate; the probability that item i is selected is
    P(S) = P(A) / K (administered = selected and won the lottery); K becomes r / P(S) when
    P(S) > r, else 1. Each round uses fresh candidates (seed, seed + 1, ...), none shared
    with the evaluation run (seed 1). `start`: the parameters to start from instead of
    K = 1 (--warm-start: the bank's current ones; the fixed point is the same, fewer rounds
    reach it)."""
    parameters: dict[str, float] = dict(start or {})
    for round_number in range(iterations):
        result = simulate(
            items,
            candidates=candidates,
            seed=seed + round_number,
            top_k=top_k,
            exposure=parameters,
        )
        updated: dict[str, float] = {}
        for item_id, administered in result.exposure_rates:
            k = parameters.get(item_id, 1.0)
            selected = administered / k
            if selected > target:
                updated[item_id] = target / selected
        parameters = updated
        log(
            f"round {round_number + 1}/{iterations}: max exposure {result.max_exposure:.3f}, "
            f"RMSE {result.rmse:.3f}, {len(parameters)} items with K < 1"
        )
    return parameters


def write_exposure_file(
    path: Path, items: Sequence[Item], parameters: Mapping[str, float], **settings: object
) -> None:
    document = {
        "method": "Sympson-Hetter (Sympson & Hetter 1985), docs/scoring.md",
        "bank_digest": parameters_digest(list(items)),
        **settings,
        "parameters": {k: round(v, 4) for k, v in sorted(parameters.items())},
    }
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def load_items(directory: Path) -> tuple[list[Item], dict[str, float], str]:
    """The bank's items and exposure parameters, or a synthetic bank (and a line saying so)
    when it cannot load."""
    try:
        bank = load_bank(directory)
    except (BankError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"Real bank not loaded ({first}): using a synthetic bank of 240 items.")
        return synthetic_bank(), {}, "synthetic, b~U(-3,3), a~U(0.7,2.0)"
    if not bank.exposure_current:
        print(f"{EXPOSURE_FILE} was computed for other items: run --calibrate-exposure.")
    try:
        label = str(directory.resolve().relative_to(ROOT))
    except ValueError:
        label = str(directory)
    return list(bank.items), dict(bank.exposure), label


ROWS: list[tuple[str, Callable[[Simulation], str]]] = [
    ("Exposure control", lambda r: r.exposure_control),
    ("RMSE (theta)", lambda r: f"{r.rmse:.3f}"),
    ("Correlation (true, estimated)", lambda r: f"{r.correlation:.3f}"),
    ("Bias (estimated - true)", lambda r: f"{r.bias:+.3f}"),
    ("Mean posterior sd", lambda r: f"{r.mean_sd:.3f}"),
    ("Mean |score error| (0-895)", lambda r: f"{r.mean_abs_score_error:.1f}"),
    ("Same level as true theta", lambda r: f"{r.level_agreement:.1%}"),
    ("Max item exposure rate", lambda r: f"{r.max_exposure:.1%}"),
    ("Items seen by > 25 %", lambda r: str(r.items_over_25_percent)),
    ("Mean item exposure rate", lambda r: f"{r.mean_exposure:.1%}"),
    ("Test overlap rate", lambda r: f"{r.overlap_rate:.1%}"),
    ("Items never used", lambda r: str(r.unused_items)),
    ("Min items per competence", lambda r: str(r.min_items_per_competence)),
    (
        "Tests covering all 16 competences",
        lambda r: f"{r.tests_covering_every_competence}/{r.candidates}",
    ),
    (
        "Competence gap held",
        lambda r: "every test" if not r.gap_violations else f"{r.gap_violations} violations",
    ),
    ("Time", lambda r: f"{r.seconds:.1f} s"),
]


def report(*results: Simulation) -> str:
    """A plain-text table, one column per engine."""
    first = results[0]
    header = [
        ("Bank", f"{first.bank} ({first.bank_size} items)"),
        ("Candidates / questions", f"{first.candidates} x {first.test_length}, seed {first.seed}"),
    ]
    width = max(len(label) for label, _ in ROWS + header)
    lines = [f"{label:<{width}}  {value}" for label, value in header]
    columns = [[r.engine] + [cell(r) for _label, cell in ROWS] for r in results]
    widths = [max(len(c) for c in column) for column in columns]
    labels = [""] + [label for label, _ in ROWS]
    for row, label in enumerate(labels):
        cells = "  ".join(f"{col[row]:<{w}}" for col, w in zip(columns, widths, strict=True))
        lines.append(f"{label:<{width}}  {cells}".rstrip())
    return "\n".join(lines)


def markdown(*results: Simulation) -> str:
    """The same table in Markdown, for README.md and docs/scoring.md."""
    lines = [
        "| Figure | " + " | ".join(r.engine for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    lines += [
        f"| {label.replace('|', chr(92) + '|')} | " + " | ".join(cell(r) for r in results) + " |"
        for label, cell in ROWS
        if label != "Time"
    ]
    return "\n".join(lines)


def figures(result: Simulation) -> dict[str, object]:
    values = asdict(result)
    for bulky in ("true_thetas", "estimated_thetas", "exposure_rates"):
        del values[bulky]
    return values


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bank", type=Path, default=DEFAULT_DIR, help="item bank folder")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    parser.add_argument("--top-k", type=int, default=TOP_K, help="draw among this many best items")
    parser.add_argument(
        "--no-exposure-control", action="store_true", help="ignore the bank's exposure.json"
    )
    parser.add_argument(
        "--calibrate-exposure",
        action="store_true",
        help=f"recompute the Sympson-Hetter parameters into the bank's {EXPOSURE_FILE}",
    )
    parser.add_argument(
        "--vigie-only", action="store_true", help="only Vigie's engine, with its parameters"
    )
    parser.add_argument("--target", type=float, default=EXPOSURE_TARGET)
    parser.add_argument("--iterations", type=int, default=12)
    parser.add_argument(
        "--warm-start",
        action="store_true",
        help=f"--calibrate-exposure starts from the bank's current {EXPOSURE_FILE}, not K = 1",
    )
    args = parser.parse_args(argv)
    if args.candidates < 1 or args.top_k < 1:
        parser.error("--candidates and --top-k must be at least 1")
    items, exposure, label = load_items(args.bank)
    if args.calibrate_exposure:
        calibration_candidates = 2000
        exposure = calibrate_exposure(
            items,
            target=args.target,
            iterations=args.iterations,
            candidates=calibration_candidates,
            top_k=args.top_k,
            start=exposure if args.warm_start else None,
        )
        write_exposure_file(
            args.bank / EXPOSURE_FILE,
            items,
            exposure,
            target=args.target,
            top_k=args.top_k,
            iterations=args.iterations,
            candidates_per_round=calibration_candidates,
            first_seed=CALIBRATION_SEED,
            warm_start=args.warm_start,
            command="python scripts/simulate_adaptive.py --calibrate-exposure"
            + (" --warm-start" if args.warm_start else ""),
        )
        print(f"Wrote {args.bank / EXPOSURE_FILE} ({len(exposure)} items with K < 1).")
        return 0
    if args.no_exposure_control:
        exposure = {}

    def run(engine: Engine | None = None, **options: Any) -> Simulation:
        return simulate(
            items,
            candidates=args.candidates,
            seed=args.seed,
            bank_label=label,
            engine=engine,
            **options,
        )

    results = [run(top_k=args.top_k, exposure=exposure)]
    if not args.vigie_only:
        results.insert(0, run(top_k=args.top_k, exposure={}))
        for r_max, name in ((1.0, "none"), (MAX_EXPOSURE, "r_max 0.25")):
            engine = catsim_engine(items, candidates=args.candidates, r_max=r_max)
            results.append(run(engine, engine_label="catsim", exposure_label=name, top_k=1))
    print(report(*results))
    if args.markdown:
        print()
        print(markdown(*results))
    if args.json:
        document = {"engines": [figures(r) for r in results]}
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
