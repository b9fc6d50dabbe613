"""Full vs incremental evaluation of one change, per kind of change: figures, not assertions.

    python -m bench.enforce_bench [--sizes 5000,50000] [--seed 7]

On the seeded in-memory portfolio of bench/rules_bench.py, for each kind of
change: `evaluate(after)` then `introduced(before, after)` (what enforcement
did before) against `evaluate_change(before, ...)` and its `introduced()`
(what it does now), median and p95 in ms, and the ratio of the medians. Each
incremental result is checked equal to the full one. Also the time to build
the per-snapshot index from nothing (once per process, or when another
process wrote) and the memory it holds.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc
from collections.abc import Callable

from bench.rules_bench import build
from graph.model import EpicState, Portfolio
from rules.evaluate import evaluate, introduced
from rules.incremental import Touched, evaluate_change
from rules.policy import default_policy
from rules.scope import Index

Changed = tuple[Portfolio, Touched]


def changes(p: Portfolio) -> list[tuple[str, Callable[[int], Changed]]]:
    """(kind of change, sample i -> the snapshot after it and the change), all on `p`."""
    n = len(p.features)

    def feature(i: int, **update: object) -> Changed:
        after = p.copy()
        old = p.features[f"F-{(i * 7919) % n}"]
        new = old.model_copy(update=update)
        after.put(new)
        return after, Touched.of([new])

    def epic(i: int, **update: object) -> Changed:
        after = p.copy()
        old = p.epics[f"E-{(i * 31) % len(p.epics)}"]
        new = old.model_copy(update=update)
        after.put(new)
        return after, Touched.of([new])

    ordered = sorted(p.dependencies)

    def add(i: int, cycle: bool) -> Changed:
        a = (i * 7919) % (n - 600) + 600
        if cycle:  # B -> A where A -> B: a cycle of two
            b_id, a_id = ordered[(i * 7919) % len(ordered)]
            pair = (a_id, b_id)
        else:  # later -> earlier, as every dependency of the synthetic portfolio: no cycle
            pair = (f"F-{a}", f"F-{a - 550}")
        after = p.copy()
        after.dependencies.add(pair)
        return after, Touched.of(added=[pair])

    def remove(i: int) -> Changed:
        pair = ordered[(i * 7919) % len(ordered)]
        after = p.copy()
        after.dependencies.discard(pair)
        return after, Touched.of(removed=[pair])

    def team(i: int) -> Changed:
        old = p.teams[f"T-{i % len(p.teams)}"]
        new = old.model_copy(update={"capacity": {k: v + 1 for k, v in old.capacity.items()}})
        after = p.copy()
        after.put(new)
        return after, Touched.of([new])

    def rename(collection: str, prefix: str) -> Callable[[int], Changed]:
        def run(i: int) -> Changed:
            items = getattr(p, collection)
            old = items[f"{prefix}-{i % len(items)}"]
            new = old.model_copy(update={"name" if hasattr(old, "name") else "title": f"x{i}"})
            after = p.copy()
            after.put(new)
            return after, Touched.of([new])
        return run

    def key_result(i: int) -> Changed:
        old = p.key_results[f"KR-{i % len(p.key_results)}"]
        new = old.model_copy(update={"objective": f"O-{(i + 1) % len(p.objectives)}"})
        after = p.copy()
        after.put(new)
        return after, Touched.of([new])

    def delete(prefix: str, count: int) -> Callable[[int], Changed]:
        def run(i: int) -> Changed:
            item = p.get(f"{prefix}-{(i * 7919) % count}")
            assert item is not None
            after = p.without(item.id)
            return after, Touched.between(p, after)
        return run

    return [
        ("upsertFeature: name only", lambda i: feature(i, name=f"renamed {i}")),
        ("upsertFeature: points", lambda i: feature(i, points=21.0)),
        ("upsertFeature: team and PI", lambda i: feature(i, team="T-1", pi="PI-2")),
        ("upsertFeature: epic", lambda i: feature(i, epic="E-3")),
        ("upsertEpic: state", lambda i: epic(i, state=EpicState.IMPLEMENTING)),
        ("upsertEpic: cost and stream", lambda i: epic(i, estimated_cost=3e6,
                                                       value_stream="VS-0")),
        ("addDependency (no cycle)", lambda i: add(i, cycle=False)),
        ("addDependency closing a cycle", lambda i: add(i, cycle=True)),
        ("removeDependency", remove),
        ("team capacities (1-item import)", team),
        ("PI renamed", rename("pis", "PI")),
        ("ART renamed", rename("arts", "ART")),
        ("objective renamed", rename("objectives", "O")),
        ("key result moved", key_result),
        ("deleteItem feature", delete("F", n)),
        ("deleteItem epic", delete("E", len(p.epics))),
    ]


def median_p95(samples: list[float]) -> tuple[float, float]:
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="5000,50000")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    policy = default_policy()
    print(f"{'features':>8} {'change':<34} {'full p50':>9} {'p95':>8} {'incr p50':>9} "
          f"{'p95':>7} {'full÷incr':>9}")
    for size in (int(s) for s in args.sizes.split(",")):
        p = build(size, args.seed)
        known = evaluate(p, policy)
        began = time.perf_counter()
        tracemalloc.start()
        index = Index.build(p)
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        built = (time.perf_counter() - began) * 1000
        print(f"{size:>8} index built from nothing in {built:.0f} ms (under tracemalloc), "
              f"holding {held / 2**20:.1f} MiB; {len(known)} violations")
        del index
        evaluate_change(p, known, p, Touched(), policy)  # the index of `p`, as the service has it
        full_repeat, incr_repeat = (3, 11) if size > 10_000 else (7, 31)
        for name, make in changes(p):
            full_samples: list[float] = []
            incr_samples: list[float] = []
            for i in range(incr_repeat):
                after, change = make(i)
                began = time.perf_counter()
                result = evaluate_change(p, known, after, change, policy)
                new = result.introduced()
                incr_samples.append((time.perf_counter() - began) * 1000)
                if i < full_repeat:
                    began = time.perf_counter()
                    found = evaluate(after, policy)
                    expected = introduced(known, found)
                    full_samples.append((time.perf_counter() - began) * 1000)
                    if result.violations != found or new != expected:
                        raise SystemExit(f"{name}: incremental result differs from the full one")
            full, full95 = median_p95(full_samples)
            incr, incr95 = median_p95(incr_samples)
            print(f"{size:>8} {name:<34} {full:>9.1f} {full95:>8.1f} {incr:>9.2f} "
                  f"{incr95:>7.2f} {full / incr:>9.0f}")


if __name__ == "__main__":
    main()
