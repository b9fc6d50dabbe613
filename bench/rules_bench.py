"""Time the rules over synthetic portfolios: figures to read, not assertions.

    python bench/rules_bench.py [--sizes 500,5000,50000] [--seed 7]

Builds a seeded portfolio in memory (3 dependencies per feature, acyclic so
dependency-respecting ranking succeeds) and prints median and p95 times of
evaluate (all rules, defaults), rank (plain and respecting dependencies, whole
portfolio and one PI) and impact (with a slip) on a feature many depend on.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graph.model import (
    Epic,
    EpicState,
    Feature,
    FeatureState,
    Horizon,
    KeyResult,
    Objective,
    Portfolio,
    ProgramIncrement,
    ReleaseTrain,
    Team,
    Theme,
    ValueStream,
    WorkType,
    Wsjf,
)
from rules.evaluate import evaluate
from rules.impact import impact
from rules.policy import Policy, default_policy
from rules.ranking import rank

SCALE = (1, 2, 3, 5, 8, 13, 20)


def build(n_features: int, seed: int) -> Portfolio:
    rng = random.Random(seed)
    n_epics = max(5, n_features // 10)
    n_teams = max(3, n_features // 50)
    n_arts = max(1, n_teams // 8)
    n_streams = max(1, n_arts // 2)
    p = Portfolio()
    for i in range(10):
        p.themes[f"TH-{i}"] = Theme(id=f"TH-{i}", name=f"Theme {i}")
    for i in range(20):
        p.objectives[f"O-{i}"] = Objective(
            id=f"O-{i}", title=f"Objective {i}", themes=(f"TH-{i % 10}",) if i % 3 else ()
        )
    for i in range(60):
        p.key_results[f"KR-{i}"] = KeyResult(id=f"KR-{i}", title=f"KR {i}", objective=f"O-{i % 20}")
    for i in range(n_streams):
        p.value_streams[f"VS-{i}"] = ValueStream(
            id=f"VS-{i}", name=f"Stream {i}", budget=rng.choice([None, 5e6, 2e7])
        )
    for i in range(n_arts):
        p.arts[f"ART-{i}"] = ReleaseTrain(
            id=f"ART-{i}", name=f"Train {i}", value_stream=f"VS-{i % n_streams}"
        )
    start = date(2026, 1, 5)
    for i in range(8):
        first = start + timedelta(weeks=10 * i)
        p.pis[f"PI-{i}"] = ProgramIncrement(
            id=f"PI-{i}", name=f"PI 26.{i + 1}", start=first, end=first + timedelta(weeks=9)
        )
    for i in range(n_teams):
        p.teams[f"T-{i}"] = Team(
            id=f"T-{i}",
            name=f"Team {i}",
            art=f"ART-{i % n_arts}",
            capacity={f"PI-{k}": float(rng.choice([30, 40, 50])) for k in range(8)},
        )

    def wsjf() -> Wsjf | None:
        if rng.random() < 0.1:
            return None
        return Wsjf(
            user_business_value=rng.choice(SCALE),
            time_criticality=rng.choice(SCALE),
            risk_reduction_opportunity_enablement=rng.choice(SCALE),
            job_size=rng.choice(SCALE),
        )

    epic_states = list(EpicState)
    for i in range(n_epics):
        p.epics[f"E-{i}"] = Epic(
            id=f"E-{i}",
            name=f"Epic {i}",
            type=rng.choice(list(WorkType)),
            state=rng.choice(epic_states),
            horizon=rng.choice([None, *Horizon]),
            estimated_cost=rng.choice([None, 2e5, 8e5, 1.5e6]),
            approved=rng.random() < 0.5,
            business_owner=rng.choice([None, "Ada"]),
            value_stream=f"VS-{i % n_streams}",
            themes=(f"TH-{i % 10}",) if i % 4 == 0 else (),
            key_results=(f"KR-{i % 60}",) if i % 2 else (),
            wsjf=wsjf(),
        )
    feature_states = list(FeatureState)
    for i in range(n_features):
        p.features[f"F-{i}"] = Feature(
            id=f"F-{i}",
            name=f"Feature {i}",
            type=WorkType.ENABLER if rng.random() < 0.2 else WorkType.BUSINESS,
            state=rng.choice(feature_states),
            points=rng.choice([None, 3.0, 5.0, 8.0, 13.0]),
            epic=f"E-{rng.randrange(n_epics)}" if rng.random() < 0.95 else None,
            team=f"T-{rng.randrange(n_teams)}",
            pi=f"PI-{rng.randrange(8)}" if rng.random() < 0.8 else None,
            wsjf=wsjf(),
        )
    # Later features depend on earlier ones, so the graph is acyclic.
    while len(p.dependencies) < 3 * n_features:
        a = rng.randrange(1, n_features)
        b = rng.randrange(max(0, a - 500), a)
        p.dependencies.add((f"F-{a}", f"F-{b}"))
    return p


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def cases(portfolio: Portfolio, policy: Policy) -> list[tuple[str, Callable[[], object]]]:
    return [
        ("evaluate (12 rules)", lambda: evaluate(portfolio, policy)),
        ("rank FEATURE plain", lambda: rank(portfolio, "FEATURE", limit=1000)),
        (
            "rank FEATURE respectDependencies",
            lambda: rank(portfolio, "FEATURE", None, None, True, 1000),
        ),
        (
            "rank FEATURE PI-3 respectDeps",
            lambda: rank(portfolio, "FEATURE", None, "PI-3", True, 1000),
        ),
        ("rank EPIC plain", lambda: rank(portfolio, "EPIC", limit=1000)),
        ("impact F-0 depth 10, slip PI-7", lambda: impact(portfolio, "F-0", 10, "PI-7")),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="500,5000,50000")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    policy = default_policy()
    print(f"{'features':>9} {'case':<32} {'median ms':>10} {'p95 ms':>10}")
    for size in (int(s) for s in args.sizes.split(",")):
        portfolio = build(size, args.seed)
        repeat = 5 if size > 10_000 else 21
        for name, run in cases(portfolio, policy):
            median, p95 = timed(run, repeat)
            print(f"{size:>9} {name:<32} {median:>10.1f} {p95:>10.1f}")
        result = impact(portfolio, "F-0", 10, "PI-7")
        assert result is not None
        print(
            f"{size:>9} ({len(portfolio.dependencies)} dependencies, "
            f"{len(evaluate(portfolio, policy))} violations, impact of F-0: "
            f"{len(result.items)} items, {len(result.slips)} slips)"
        )


if __name__ == "__main__":
    main()
