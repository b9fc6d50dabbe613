"""History at 5,000 features with 1,000 changes since: reads of the past, over HTTP and in process.

    python -m bench.history_bench [--features 5000] [--changes 1000] [--repeat 30]

Imports the synthetic portfolio (version 1) and applies `--changes` changes through
the service as the API does (upserts of features, some overriding a guardrail, add
and remove dependency, deletes), measuring the append-only file (AOF) before and
after: the store's growth per change. Then starts `serve` on the data dir and times
over HTTP, at random versions (each request a version the LRU may not hold):
`violations(asOf)`, `trace(asOf)`, `violationHistory` over all the changes and
`changes(from, to)` between random pairs, plus the same use cases in process.
Targets: p50 < 100 ms for violations/trace(asOf) and changes; < 200 ms for
violationHistory. Writes bench/results/history.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from pathlib import Path
from typing import Any

from api.history import AsOfValue
from api.roles import Actor
from api.service import PortfolioService
from bench.common import (
    RESULTS,
    Server,
    client,
    commit,
    feature_input,
    gql,
    kill_engine_left,
    machine,
    measure,
    remove,
    temp_root,
)
from graph.config import EngineConfig
from graph.cypher import history as history_q
from graph.engines import create_engine
from graph.model import Kind
from graph.samples.synthetic import synthetic_document
from graph.store import Store
from rules.policy import default_policy

ACTOR = Actor(id="bench", roles=frozenset({"admin"}))
VIOLATIONS = "query($v: Int!) { violations(asOf: {version: $v}) { rule subjectId excess } }"
TRACE = """query($id: ID!, $v: Int!) { trace(id: $id, asOf: {version: $v}) {
  epic { id name } keyResults { id } objectives { id } themes { id name }
  team { id } art { id } valueStream { id } aligned } }"""
HISTORY = """query($since: Int!) { violationHistory(since: {version: $since}, limit: 1000) {
  kind version previousExcess violation { rule subjectId excess } change { version actor } } }"""
CHANGES = """query($a: Int!, $b: Int!) { changes(from: {version: $a}, to: {version: $b}) {
  added { id } removed { id } changed { id fields }
  dependenciesAdded { from to } dependenciesRemoved { from to }
  violationsOpened { rule subjectId } violationsClosed { rule subjectId } } }"""
TARGETS = {"violations(asOf)": 100.0, "trace(asOf)": 100.0, "violationHistory (all changes)": 200.0,
           "changes(from, to)": 100.0}


def aof_bytes(data_dir: Path) -> int:
    return sum(p.stat().st_size for p in data_dir.rglob("*.aof*") if p.is_file())


async def write_changes(service: PortfolioService, doc: dict[str, Any], count: int,
                        rng: random.Random) -> dict[str, int]:
    """`count` applied changes of every kind; returns how many of each."""
    features = [f for f in doc["features"]]
    pis = [p["id"] for p in doc["pis"]]
    deps = [(d["from"], d["to"]) for d in doc["dependencies"]]
    done: dict[str, int] = {}
    while sum(done.values()) < count:
        pick = rng.random()
        if pick < 0.6:
            f = rng.choice(features)
            changed = feature_input(f, points=rng.choice([3, 5, 8, 13, 21]),
                                    pi=rng.choice(pis))
            outcome = await service.upsert(Kind.FEATURE, changed, ACTOR,
                                           justification="bench override")
            kind = "upsertFeature"
        elif pick < 0.75 and deps:
            a, b = deps.pop(rng.randrange(len(deps)))
            outcome = await service.remove_dependency(a, b, ACTOR)
            kind = "removeDependency"
        elif pick < 0.95:
            a, b = rng.sample(features, 2)
            outcome = await service.add_dependency(a["id"], b["id"], ACTOR,
                                                   justification="bench override")
            if outcome.applied:
                deps.append((a["id"], b["id"]))
            kind = "addDependency"
        else:
            f = features.pop(rng.randrange(len(features)))
            outcome = await service.delete_item(f["id"], ACTOR)
            deps = [d for d in deps if f["id"] not in d]
            kind = "deleteItem"
        if outcome.applied:
            done[kind] = done.get(kind, 0) + 1
    return done


async def prepare(data_dir: Path, n: int, changes: int, seed: int) -> dict[str, Any]:
    store = Store(create_engine(EngineConfig(data_dir=data_dir)))
    await store.start()
    service = PortfolioService(store, default_policy())
    doc = synthetic_document(n, seed=seed)
    began = time.perf_counter()
    assert (await service.import_document(doc, ACTOR)).applied
    imported = time.perf_counter() - began
    before = aof_bytes(data_dir)
    began = time.perf_counter()
    kinds = await write_changes(service, doc, changes, random.Random(seed))
    took = time.perf_counter() - began
    after = aof_bytes(data_dir)
    version = await store.version()
    [size] = await store.engine.read(history_q.HISTORY_SIZE, {"after": 1})
    await store.close()
    return {"doc": doc, "version": version, "import_s": round(imported, 2),
            "changes": kinds, "changes_s": round(took, 1),
            "ms_per_change": round(took * 1000 / changes, 1),
            # The AOF is rewritten (compacted) past 4 MB, so its growth understates; what
            # history itself adds per change is the stored change and events text.
            "aof_bytes_after_import": before, "aof_bytes_after_changes": after,
            "history_chars_per_change": round((int(size["change"]) + int(size["events"]))
                                              / int(size["entries"])),
            "change_chars_per_change": round(int(size["change"]) / int(size["entries"])),
            "events_chars_per_change": round(int(size["events"]) / int(size["entries"]))}


async def over_http(url: str, doc: dict[str, Any], last: int, repeat: int,
                    rng: random.Random) -> dict[str, Any]:
    ids = [f["id"] for f in doc["features"]]
    out: dict[str, Any] = {}
    async with client(url) as http:
        async def violations() -> None:
            await gql(http, VIOLATIONS, {"v": rng.randint(1, last)})

        async def trace() -> None:
            await gql(http, TRACE, {"id": rng.choice(ids), "v": rng.randint(1, last)})

        async def history() -> None:
            events = (await gql(http, HISTORY, {"since": 1}))["violationHistory"]
            assert events

        async def changes() -> None:
            a, b = sorted(rng.sample(range(1, last + 1), 2))
            await gql(http, CHANGES, {"a": a, "b": b})

        for name, run in (("violations(asOf)", violations), ("trace(asOf)", trace),
                          ("violationHistory (all changes)", history),
                          ("changes(from, to)", changes)):
            out[name] = await measure(run, repeat)
    return out


async def in_process(data_dir: Path, doc: dict[str, Any], last: int, repeat: int,
                     rng: random.Random) -> dict[str, Any]:
    """The same use cases without HTTP, on a fresh service (reusing serve's engine)."""
    from rules.trace import trace as trace_of

    store = Store(create_engine(EngineConfig(data_dir=data_dir)))
    await store.start()
    history = PortfolioService(store, default_policy()).history
    ids = [f["id"] for f in doc["features"]]
    out: dict[str, Any] = {}

    async def violations() -> None:
        await history.violations(rng.randint(1, last))

    async def trace() -> None:
        trace_of(await history.portfolio(rng.randint(1, last)), rng.choice(ids))

    async def events() -> None:
        await history.violation_history(since=AsOfValue(version=1), limit=1000)

    async def changes() -> None:
        a, b = sorted(rng.sample(range(1, last + 1), 2))
        await history.diff(AsOfValue(version=a), AsOfValue(version=b))

    began = time.perf_counter()
    await history.portfolio(last - 1)  # the first read replays every change once
    out["first rebuild (replays all changes)"] = {"ms": round((time.perf_counter() - began)
                                                              * 1000, 1)}
    for name, run in (("violations(asOf)", violations), ("trace(asOf)", trace),
                      ("violationHistory (all changes)", events),
                      ("changes(from, to)", changes)):
        out[name] = await measure(run, repeat)
    await store.close()
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--features", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS / "history.json")
    args = parser.parse_args()
    root = temp_root("pgh-")
    data_dir = root / "data"
    server = Server(data_dir, root / "serve.log")
    try:
        prepared = await prepare(data_dir, args.features, args.changes, args.seed)
        doc, last = prepared.pop("doc"), prepared["version"]
        print(json.dumps(prepared, indent=1))
        server.start()
        await server.wait_ready()
        api = await over_http(server.url, doc, last, args.repeat, random.Random(args.seed))
        direct = await in_process(data_dir, doc, last, args.repeat, random.Random(args.seed))
    finally:
        server.stop()
        kill_engine_left(data_dir)
        remove(root)
    verdicts = {name: ("met" if api[name]["median"] < target else "MISSED")
                + f" (p50 {api[name]['median']} ms, target < {target:g})"
                for name, target in TARGETS.items()}
    for name in TARGETS:
        print(f"{name:34} API p50 {api[name]['median']:8.1f} ms  p95 {api[name]['p95']:8.1f}"
              f"   in process p50 {direct[name]['median']:8.1f} ms")
    print(json.dumps(verdicts, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine(), "commit": commit(),
                                    "features": args.features, "prepared": prepared,
                                    "api": api, "in_process": direct, "verdicts": verdicts},
                                   indent=1))
    print(f"written: {args.out}")


if __name__ == "__main__":
    asyncio.run(main())
