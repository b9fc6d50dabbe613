"""Latency of the API and of the engine alone over synthetic portfolios: figures, not assertions.

    python -m bench.run [--scales 500,5000] [--large] [--repeat 30] [--out FILE.json]
                        [--engine falkordb|neo4j]

For each scale: a seeded synthetic portfolio, a fresh embedded engine in a temp
dir, the import through PortfolioService (and Store.apply_document alone), then
the API as a real `serve` subprocess on 127.0.0.1 (reusing that engine, as a
CLI process would) measured over HTTP against the same reads done directly
(engine statements, or the rules on the cached snapshot where the API computes
in Python), a naive one-call-per-field baseline for a nested query, and peak
memory of the API process and of the engine. With `--engine neo4j` one
tools/neo4j/start server serves the whole run and each "fresh engine" is that
database emptied. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from bench import queries as Q
from bench.common import (
    RESULTS,
    Server,
    client,
    commit,
    dependents_count,
    feature_input,
    gql,
    machine,
    measure,
    remove,
    stats,
    temp_root,
    vm_hwm_mb,
)
from bench.neo4j_launcher import start_neo4j
from bench.nested import nested_cases
from graph.config import EngineConfig
from graph.engines import create_engine
from graph.model import Kind
from graph.samples.synthetic import synthetic_document
from graph.store import Actor, Store
from rules.evaluate import evaluate
from rules.impact import impact
from rules.policy import default_policy
from rules.ranking import rank

ACTOR = Actor(id="bench", roles=frozenset({"admin"}))
SEED = 1
# (case, which figure, limit): checked at 5,000 features only, as the targets say.
TARGETS: list[tuple[str, str, float]] = [
    ("impact, root with most dependents", "api", 10.0),
    ("impact + slipToPi", "api", 10.0),
    ("trace x100 (one request)", "api", 50.0),
    ("violations after a change", "api", 500.0),
    ("upsertFeature (enforced)", "api", 150.0),
    ("trace x1", "ratio", 2.0),
    ("feature(id)", "ratio", 2.0),
    ("impact, typical root", "ratio", 2.0),
]
API_MEMORY_TARGET_MB = 2048.0
NESTED_THEMES = 3  # the nested query covers the first themes: the same work at every scale


# Set by --engine neo4j: the launcher's NEO4J_* variables (None: the embedded FalkorDB).
NEO4J_ENV: dict[str, str] | None = None
# A "fresh engine" on Neo4j is the one database emptied (batched: bounded transactions).
# The one-statement import of 5,000 features took 40-70 s on Neo4j on the shared
# 2-core machine: past the default 30 s statement bound (see bench/README.md).
NEO4J_IMPORT_TIMEOUT = 300.0
ENGINE_PID: list[int] = []  # the Neo4j JVM, for its peak memory
NEO4J_EMPTY = "MATCH (n) WITH n LIMIT 20000 DETACH DELETE n RETURN count(*) AS deleted"


def engine_config(data_dir: Path) -> EngineConfig:
    if NEO4J_ENV is None:
        return EngineConfig(data_dir=data_dir)
    return EngineConfig(data_dir=data_dir, neo4j_uri=NEO4J_ENV["NEO4J_URI"],
                        neo4j_user=NEO4J_ENV["NEO4J_USER"],
                        neo4j_password=NEO4J_ENV["NEO4J_PASSWORD"],
                        query_timeout=NEO4J_IMPORT_TIMEOUT)


async def open_service(data_dir: Path) -> Any:
    from api.service import PortfolioService

    engine = create_engine(engine_config(data_dir))
    if NEO4J_ENV is not None:
        await engine.start()
        while (await engine.write(NEO4J_EMPTY))[0]["deleted"]:
            pass
        await engine.close()
    store = Store(create_engine(engine_config(data_dir)))
    await store.start()
    return PortfolioService(store, default_policy())


async def bench_import(doc: dict[str, Any], root: Path, repeats: int) -> tuple[Any, dict[str, Any]]:
    """Import on `repeats` fresh engines; keep the last one open for the reads."""
    totals, applies = [], []
    service = None
    for n in range(repeats):
        if service is not None:
            await service.store.close()
            remove(root / f"import{n - 1}")
        service = await open_service(root / f"import{n}")
        store = service.store
        plain_apply = store.apply_document

        async def timed_apply(*args: Any, _apply: Any = plain_apply) -> Any:
            began = time.perf_counter()
            try:
                return await _apply(*args)
            finally:
                applies.append((time.perf_counter() - began) * 1000)

        store.apply_document = timed_apply
        began = time.perf_counter()
        outcome = await service.import_document(doc, ACTOR)
        totals.append((time.perf_counter() - began) * 1000)
        del store.apply_document
        if not outcome.applied:
            raise RuntimeError(f"import refused: {outcome.errors[:3]}")
    return service, {"import (PortfolioService.import_document)": {"direct": stats(totals)},
                     "import: Store.apply_document alone": {"direct": stats(applies)}}


def picks(doc: dict[str, Any]) -> dict[str, Any]:
    """The items the cases use: a typical feature, 100 spread ones, a root many depend on."""
    features = doc["features"]
    counts = dependents_count(doc)
    planned = [f for f in features if "pi" in f]
    root = max(planned, key=lambda f: (counts.get(f["id"], 0), f["id"]))
    pis = [p["id"] for p in doc["pis"]]
    slip = pis[min(len(pis) - 1, pis.index(root["pi"]) + 2)]
    typical = next(f for f in reversed(planned) if counts.get(f["id"], 0) == 1)
    step = max(1, len(features) // 100)
    return {
        "feature": features[len(features) // 2],
        "hundred": [f["id"] for f in features[::step][:100]],
        "root": root["id"], "root_dependents": counts.get(root["id"], 0), "slip": slip,
        "typical": typical["id"],
        "upsert_direct": features[1], "upsert_api": features[2],
        "themes": [t["id"] for t in doc["themes"][:NESTED_THEMES]],
    }


async def direct_cases(service: Any, p: dict[str, Any], repeat: int, budget: float
                       ) -> dict[str, Any]:
    """The same reads without HTTP and GraphQL: engine statements or rules on the snapshot."""
    store, policy = service.store, service.policy
    snap = await store.snapshot()
    fid = p["feature"]["id"]
    toggle = iter(range(10**9))

    async def upsert() -> None:
        points = (5, 8)[next(toggle) % 2]
        await service.upsert(Kind.FEATURE, feature_input(p["upsert_direct"], points=points), ACTOR)

    async def run(fn: Any) -> dict[str, float]:
        return await measure(fn, repeat, budget)

    async def sync(fn: Any) -> Any:
        return fn()

    out = {
        "trace x1": await run(lambda: store.traces([fid])),
        "trace x100 (one request)": await run(lambda: store.traces(p["hundred"])),
        "feature(id)": await run(lambda: store.items(Kind.FEATURE, [fid])),
        # What the resolver calls: the snapshot, the per-version index, the rules.
        "impact, root with most dependents": await run(lambda: service.impact(p["root"], 10)),
        "impact + slipToPi": await run(lambda: service.impact(p["root"], 10, p["slip"])),
        "impact, typical root": await run(lambda: service.impact(p["typical"], 10)),
        "violations after a change": await run(lambda: sync(lambda: evaluate(snap, policy))),
        "ranking": await run(lambda: sync(lambda: rank(snap, "FEATURE", limit=100))),
        "ranking respectDependencies": await run(
            lambda: sync(lambda: rank(snap, "FEATURE", respect_dependencies=True, limit=100))),
        "upsertFeature (enforced)": await run(upsert),
    }
    began = time.perf_counter()
    store._snapshot = None  # a cold load: what a process pays after another one wrote
    await store.snapshot()
    out["whole-portfolio snapshot load (cold)"] = stats([(time.perf_counter() - began) * 1000])
    return out


async def api_cases(url: str, p: dict[str, Any], repeat: int, budget: float) -> dict[str, Any]:
    fid = p["feature"]["id"]
    toggle = iter(range(10**9))
    out: dict[str, Any] = {}
    async with client(url) as http:
        began = time.perf_counter()
        await gql(http, Q.VIOLATIONS)  # the API process loads the snapshot and evaluates
        out["first violations request (cold snapshot)"] = stats(
            [(time.perf_counter() - began) * 1000])

        async def upsert() -> None:
            points = (5, 8)[next(toggle) % 2]
            data = await gql(http, Q.UPSERT_FEATURE,
                             {"input": feature_input(p["upsert_api"], points=points)})
            if not data["upsertFeature"]["applied"]:
                raise RuntimeError(f"upsert not applied: {data}")

        async def violations_after_change() -> float:
            await upsert()
            began = time.perf_counter()
            await gql(http, Q.VIOLATIONS)
            return (time.perf_counter() - began) * 1000

        async def run(query: str, variables: dict[str, Any] | None = None) -> dict[str, float]:
            return await measure(lambda: gql(http, query, variables), repeat, budget)

        out["trace x1"] = await run(Q.TRACE, {"id": fid})
        out["trace x100 (one request)"] = await run(Q.traces(p["hundred"]))
        out["feature(id)"] = await run(Q.FEATURE, {"id": fid})
        out["impact, root with most dependents"] = await run(Q.IMPACT, {"id": p["root"]})
        out["impact + slipToPi"] = await run(Q.IMPACT, {"id": p["root"], "slip": p["slip"]})
        out["impact, typical root"] = await run(Q.IMPACT, {"id": p["typical"]})
        out["violations (evaluation cached)"] = await run(Q.VIOLATIONS)
        samples = [await violations_after_change() for _ in range(min(repeat, 10))]
        out["violations after a change"] = stats(samples)
        out["ranking"] = await run(Q.RANKING, {"respect": False})
        out["ranking respectDependencies"] = await run(Q.RANKING, {"respect": True})
        out["upsertFeature (enforced)"] = await measure(upsert, repeat, budget)
    return out


async def one_scale(n: int, args: argparse.Namespace) -> dict[str, Any]:
    root = temp_root()
    server: Server | None = None
    service = None
    result: dict[str, Any] = {"features": n}
    try:
        began = time.perf_counter()
        doc = synthetic_document(n, SEED)
        result["generate_s"] = round(time.perf_counter() - began, 2)
        result["counts"] = {k: len(v) for k, v in doc.items()}
        p = picks(doc)
        result["picks"] = {k: v for k, v in p.items() if k in ("root", "root_dependents", "slip",
                                                                 "typical")}
        print(f"[{n}] generated in {result['generate_s']} s; importing x{args.import_repeat}…")
        service, cases = await bench_import(doc, root, args.import_repeat)
        reach = impact(await service.store.snapshot(), p["root"], 10)
        result["picks"]["root_impacted_items"] = len(reach.items) if reach else 0
        print(f"[{n}] direct reads…")
        direct = await direct_cases(service, p, args.repeat, args.budget)
        data_dir = service.store.engine.config.data_dir
        # The default max_aliases (30) refuses the 100-alias trace request.
        server = Server(data_dir, root / "serve.log",
                        env={"PORTFOLIO_MAX_ALIASES": "100", **(NEO4J_ENV or {})})
        server.start()
        result["api_ready_s"] = round(await server.wait_ready(), 2)
        print(f"[{n}] API on {server.url} (pid {server.pid}); GraphQL over HTTP…")
        api = await api_cases(server.url, p, args.repeat, args.budget)
        print(f"[{n}] nested query: naive vs DataLoader…")
        nested = await nested_cases(service.store, server.url, p["themes"], args.repeat,
                                    args.budget)
        for name in sorted(set(direct) | set(api)):
            cases[name] = {"api": api.get(name), "direct": direct.get(name)}
        cases.update(nested)
        result["cases"] = cases
        result["memory_mb"] = {
            "api_process_vmhwm": vm_hwm_mb(server.pid),
            "engine_vmhwm": vm_hwm_mb(ENGINE_PID[0] if ENGINE_PID
                                      else service.store.engine.server.pid),
            "bench_process_vmhwm": vm_hwm_mb(os.getpid()),
        }
    except Exception as exc:  # a figure run records what failed and moves on
        result["error"] = f"{type(exc).__name__}: {exc}"
        if server is not None:
            result["serve_log_tail"] = server.tail()
        print(f"[{n}] FAILED: {result['error']}")
    finally:
        if server is not None:
            server.stop()
        if service is not None:
            await service.store.close()
        remove(root)
    return result


def ratio(case: dict[str, Any]) -> float | None:
    api, direct = case.get("api") or {}, case.get("direct") or {}
    if api.get("median") and direct.get("median"):
        return round(api["median"] / direct["median"], 2)
    return None


def verdicts(result: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    if result["features"] == 5000 and "cases" in result:
        for name, which, limit in TARGETS:
            case = result["cases"].get(name, {})
            value = ratio(case) if which == "ratio" else (case.get("api") or {}).get("median")
            unit = "x" if which == "ratio" else " ms"
            found[name] = ("n/a" if value is None else
                           f"{'PASS' if value < limit else 'MISS'} (< {limit:g}{unit})")
    if result["features"] >= 50000 and "memory_mb" in result:
        mb = result["memory_mb"]["api_process_vmhwm"] or 0
        found["api memory"] = (f"{'PASS' if mb < API_MEMORY_TARGET_MB else 'MISS'} "
                               f"(< {API_MEMORY_TARGET_MB:g} MB)")
    return found


def show(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    n = result["features"]
    if "error" in result and "cases" not in result:
        Console(width=150).print(f"[red]{n} features: {result['error']}[/red]")
        return
    found = verdicts(result)
    table = Table(title=f"{n:,} features ({result['counts'].get('dependencies', 0):,} deps); "
                        f"impact root {result['picks']['root']} reaches "
                        f"{result['picks']['root_impacted_items']:,} items",
                  title_justify="left")
    for col in ("case", "API p50", "API p95", "direct p50", "direct p95", "API÷direct",
                "target"):
        table.add_column(col, justify="left" if col in ("case", "target") else "right")

    def ms(s: dict[str, Any] | None, key: str) -> str:
        return "" if not s or key not in s else f"{s[key]:.2f}"

    for name, case in result["cases"].items():
        r = ratio(case)
        shown = "" if r is None else f"{r:g}"
        if case.get("naive_over_api"):
            shown = f"naive÷API {case['naive_over_api']:g}"
        table.add_row(name, ms(case.get("api"), "median"), ms(case.get("api"), "p95"),
                      ms(case.get("direct"), "median"), ms(case.get("direct"), "p95"),
                      shown, found.get(name, ""))
    Console(width=150).print(table)
    mem = result["memory_mb"]
    Console(width=150).print(f"peak RSS: API process {mem['api_process_vmhwm']} MB, engine "
                    f"{mem['engine_vmhwm']} MB, bench process {mem['bench_process_vmhwm']} MB "
                    f"{found.get('api memory', '')}; API ready in {result['api_ready_s']} s")
    if "error" in result:
        Console(width=150).print(f"[red]partial: {result['error']}[/red]")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="500,5000")
    parser.add_argument("--large", action="store_true", help="add the 50,000-feature scale")
    parser.add_argument("--repeat", type=int, default=30, help="samples per case (max)")
    parser.add_argument("--budget", type=float, default=15.0,
                        help="seconds per case before stopping early (at least 3 samples)")
    parser.add_argument("--import-repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None,
                        help="default: results/latest.json (latest-neo4j.json for Neo4j)")
    parser.add_argument("--engine", choices=("falkordb", "neo4j"), default="falkordb",
                        help="neo4j: one tools/neo4j/start server for the run (Java 17+, Maven)")
    args = parser.parse_args()
    if args.out is None:
        args.out = RESULTS / ("latest.json" if args.engine == "falkordb" else "latest-neo4j.json")
    scales = [int(s) for s in args.scales.split(",") if s]
    if args.large and 50000 not in scales:
        scales.append(50000)
    launcher = None
    launcher_root = temp_root("pgb-neo4j-")
    if args.engine == "neo4j":
        global NEO4J_ENV
        launcher = start_neo4j(launcher_root / "neo4j")
        NEO4J_ENV = {**launcher.env(), "PORTFOLIO_QUERY_TIMEOUT": str(NEO4J_IMPORT_TIMEOUT)}
        ENGINE_PID.append(launcher.process.pid)
        print(f"Neo4j at {launcher.uri} (pid {launcher.process.pid})")
    try:
        results = [await one_scale(n, args) for n in scales]
    finally:
        if launcher is not None:
            launcher.stop()
        remove(launcher_root)
    for result in results:
        show(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine(), "commit": commit(),
                                    "engine": args.engine,
                                    "results": results,
                                    "verdicts": {r["features"]: verdicts(r) for r in results}},
                                   indent=1))
    print(f"written: {args.out}")


if __name__ == "__main__":
    asyncio.run(main())
