"""Concurrent clients against a real `serve`: throughput, latency per operation, lost writes.

    python -m bench.load [--clients 50] [--seconds 60] [--features 5000 | --demo]

Imports a synthetic portfolio (or the demo) into a temp data dir with the CLI,
starts `serve` on 127.0.0.1:<free port>, runs asyncio httpx clients for the
given time doing mixed reads (trace, feature page, impact, violations,
ranking, the whole themes tree; the heavy ones with `Cache-Control: no-cache`,
so they are computed) and enforced writes (upsertFeature with dryRun false on features
each client owns, addDependency/removeDependency pairs), then reads every
feature back and checks each acknowledged write (applied: true) is there, and
that the portfolio version equals the number of audit entries. Meanwhile a
separate process asks `/healthz` every 20 ms: its p50/p99 say how long the
server's event loop was held (target: p99 < 50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench import queries as Q
from bench.common import (
    NO_CACHE,
    RESULTS,
    GraphQLError,
    Server,
    cli_import,
    client,
    commit,
    feature_input,
    gql,
    kill_engine_left,
    machine,
    percentile,
    remove,
    settle_client_heap,
    temp_root,
    vm_hwm_mb,
)
from bench.neo4j_launcher import start_neo4j
from graph.samples.synthetic import synthetic_document

WEIGHTS = {"trace": 25, "featuresPage": 15, "impact": 15, "violations": 5, "ranking": 8,
           "tree": 2, "upsertFeature": 20, "dependency": 10}
HEALTH_EVERY_S = 0.02
PAGES_FOR_CHECK = 500


class Ledger:
    """What each write was told: the last acknowledged value, and values of unknown outcome."""

    def __init__(self) -> None:
        self.acked: dict[Any, Any] = {}
        self.unknown: dict[Any, set[Any]] = defaultdict(set)
        self.acked_count = 0
        self.refused: Counter[str] = Counter()

    def ack(self, key: Any, value: Any) -> None:
        self.acked[key] = value
        self.unknown.pop(key, None)  # a later acknowledged write supersedes earlier doubts
        self.acked_count += 1

    def acceptable(self, key: Any) -> set[Any]:
        found = set(self.unknown.get(key, ()))
        if key in self.acked:
            found.add(self.acked[key])
        return found


class Client:
    def __init__(self, n: int, http: Any, doc: dict[str, Any], own: list[dict[str, Any]],
                 pairs: list[tuple[str, str]], ledger: Ledger, rng: random.Random) -> None:
        self.n, self.http, self.doc, self.own, self.pairs = n, http, doc, own, pairs
        self.ledger, self.rng = ledger, rng
        self.present = {pair: False for pair in pairs}
        self.writes = 0
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[tuple[str, str]] = []
        self.pis = [p["id"] for p in doc["pis"]]

    async def op(self, name: str) -> None:
        features = self.doc["features"]
        if name == "trace":
            await gql(self.http, Q.TRACE, {"id": self.rng.choice(features)["id"]})
        elif name == "featuresPage":
            await gql(self.http, Q.FEATURES_PAGE, {"pi": self.rng.choice(self.pis), "first": 50})
        elif name == "impact":
            await gql(self.http, Q.IMPACT, {"id": self.rng.choice(features)["id"]})
        elif name == "violations":
            await gql(self.http, Q.VIOLATIONS, headers=NO_CACHE)
        elif name == "ranking":
            await gql(self.http, Q.RANKING, {"respect": self.rng.random() < 0.5},
                      headers=NO_CACHE)
        elif name == "tree":
            await gql(self.http, Q.WHOLE_TREE, headers=NO_CACHE)
        elif name == "upsertFeature":
            await self.upsert()
        elif name == "dependency":
            await self.toggle_dependency()

    async def upsert(self) -> None:
        feature = self.own[self.writes % len(self.own)]
        self.writes += 1
        name = f"{feature['name']} ~c{self.n}w{self.writes}"
        key = ("feature", feature["id"])
        self.ledger.unknown[key].add(name)
        data = await gql(self.http, Q.UPSERT_FEATURE, {"input": feature_input(
            feature, name=name, points=self.rng.choice([3, 5, 8]))})
        result = data["upsertFeature"]
        if result["applied"]:
            self.ledger.ack(key, name)
        else:
            self.ledger.unknown[key].discard(name)
            self.ledger.refused["upsertFeature"] += 1

    async def toggle_dependency(self) -> None:
        pair = self.pairs[self.writes % len(self.pairs)]
        self.writes += 1
        key = ("dependency", pair)
        adding = not self.present[pair]
        self.ledger.unknown[key].add(adding)
        query, field = ((Q.ADD_DEPENDENCY, "addDependency") if adding
                        else (Q.REMOVE_DEPENDENCY, "removeDependency"))
        data = await gql(self.http, query, {"from": pair[0], "to": pair[1]})
        if data[field]["applied"]:
            self.present[pair] = adding
            self.ledger.ack(key, adding)
        else:
            self.ledger.unknown[key].discard(adding)
            self.ledger.refused[field] += 1

    async def run(self, deadline: float) -> None:
        names, weights = list(WEIGHTS), list(WEIGHTS.values())
        while time.monotonic() < deadline:
            name = self.rng.choices(names, weights)[0]
            began = time.perf_counter()
            try:
                await self.op(name)
            except (GraphQLError, OSError, Exception) as exc:  # every failure is a figure
                self.errors.append((name, f"{type(exc).__name__}: {str(exc)[:160]}"))
                continue
            self.latency[name].append((time.perf_counter() - began) * 1000)


def dependency_pairs(doc: dict[str, Any], own: list[dict[str, Any]], count: int,
                     rng: random.Random) -> list[tuple[str, str]]:
    """New A -> B with B earlier and planned no later than A: no cycle, no schedule conflict."""
    index = {f["id"]: i for i, f in enumerate(doc["features"])}
    pi_order = {p["id"]: i for i, p in enumerate(doc["pis"])}
    existing = {(d["from"], d["to"]) for d in doc["dependencies"]}
    pairs: list[tuple[str, str]] = []
    for a in own:
        if "pi" not in a or len(pairs) >= count:
            continue
        for _ in range(20):
            b = doc["features"][rng.randrange(max(1, index[a["id"]]))]
            if (b["id"] != a["id"] and "pi" in b and pi_order[b["pi"]] <= pi_order[a["pi"]]
                    and (a["id"], b["id"]) not in existing):
                pairs.append((a["id"], b["id"]))
                break
    return pairs


def probe_health(url: str, seconds: float) -> list[float]:
    """/healthz latencies (ms), one request every HEALTH_EVERY_S for `seconds`.

    Run in a process of its own: in the clients' process it would also measure
    their event loop, busy decoding large answers."""
    import httpx

    samples: list[float] = []
    until = time.monotonic() + seconds
    with httpx.Client(base_url=url, timeout=120.0) as http:
        while time.monotonic() < until:
            began = time.perf_counter()
            response = http.get("/healthz")
            samples.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise GraphQLError(f"/healthz answered {response.status_code}")
            time.sleep(HEALTH_EVERY_S)
    return samples


async def read_back(http: Any) -> tuple[dict[str, str], set[tuple[str, str]]]:
    names: dict[str, str] = {}
    deps: set[tuple[str, str]] = set()
    after = None
    while True:
        page = (await gql(http, Q.ALL_FEATURES, {"after": after}))["features"]
        for edge in page["edges"]:
            node = edge["node"]
            names[node["id"]] = node["name"]
            deps.update((node["id"], d["id"]) for d in node["dependsOn"])
        if not page["pageInfo"]["hasNextPage"]:
            return names, deps
        after = page["pageInfo"]["endCursor"]


def verify(ledger: Ledger, names: dict[str, str], deps: set[tuple[str, str]]) -> dict[str, Any]:
    missing = []
    applied_unacknowledged = 0  # a failed request (e.g. TIMEOUT) whose write landed anyway
    for key in set(ledger.acked) | set(ledger.unknown):
        kind, what = key
        actual = names.get(what) if kind == "feature" else (what in deps)
        allowed = ledger.acceptable(key)
        if key in ledger.acked and actual not in allowed:
            missing.append({"key": list(key) if kind == "feature" else [kind, list(what)],
                            "expected one of": sorted(map(str, allowed)), "found": actual})
        elif actual in ledger.unknown.get(key, ()) and actual != ledger.acked.get(key):
            applied_unacknowledged += kind == "feature"  # a dependency toggle is ambiguous
    return {"acknowledged writes": ledger.acked_count, "items checked": len(ledger.acked),
            "missing": len(missing), "examples": missing[:5],
            "failed requests whose upsert was applied": applied_unacknowledged}


async def audit_check(data_dir: Path, neo4j_env: dict[str, str] | None = None
                      ) -> dict[str, Any]:
    """Portfolio version vs audit entries, read through the running server's socket
    (or from the Neo4j of `neo4j_env`)."""
    from graph.config import EngineConfig
    from graph.engines.base import Engine
    from graph.engines.falkordb import FalkorDBEngine
    from graph.engines.neo4j import Neo4jEngine

    engine: Engine
    if neo4j_env is None:
        engine = FalkorDBEngine(EngineConfig(data_dir=data_dir), supervise=False)
    else:
        engine = Neo4jEngine(EngineConfig(neo4j_uri=neo4j_env["NEO4J_URI"],
                                          neo4j_user=neo4j_env["NEO4J_USER"],
                                          neo4j_password=neo4j_env["NEO4J_PASSWORD"]))
    await engine.start()
    try:
        version = (await engine.read("MATCH (m:PortfolioMeta) RETURN m.version AS v"))[0]["v"]
        rows = await engine.read("MATCH (a:AuditEntry) RETURN count(a) AS n, "
                                 "count(DISTINCT a.seq) AS seqs, max(a.seq) AS top")
        return {"version": version, "audit entries": rows[0]["n"],
                "distinct seqs": rows[0]["seqs"], "max seq": rows[0]["top"],
                "consistent": version == rows[0]["n"] == rows[0]["seqs"] == rows[0]["top"]}
    finally:
        await engine.close()


def prepare(root: Path, args: argparse.Namespace,
            env: dict[str, str] | None = None) -> dict[str, Any]:
    data_dir = root / "data"
    if args.demo:
        from graph.samples.demo import demo_document

        doc = demo_document()
    else:
        doc = synthetic_document(args.features, args.seed)
    began = time.monotonic()
    cli_import(doc, data_dir, env=env, timeout=600)
    print(f"imported {len(doc['features'])} features in {time.monotonic() - began:.1f} s (CLI)")
    return doc


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--features", type=int, default=5000)
    parser.add_argument("--demo", action="store_true", help="the demo portfolio instead")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None,
                        help="default: results/load.json (load-neo4j.json for Neo4j)")
    parser.add_argument("--engine", choices=("falkordb", "neo4j"), default="falkordb",
                        help="neo4j: one tools/neo4j/start server for the run (Java 17+, Maven)")
    parser.add_argument("--replicas", type=int, default=1,
                        help="serve processes sharing the engine (Neo4j only); clients split")
    args = parser.parse_args()
    if args.replicas > 1 and args.engine != "neo4j":
        parser.error("--replicas > 1 needs --engine neo4j (one embedded engine per process)")
    if args.out is None:
        args.out = RESULTS / ("load.json" if args.engine == "falkordb" else "load-neo4j.json")
    root = temp_root()
    servers: list[Server] = []
    launcher = None
    try:
        env: dict[str, str] | None = None
        if args.engine == "neo4j":
            launcher = start_neo4j(root / "neo4j")
            # The one-statement import of 5,000 features outlasts the default 30 s bound
            # on Neo4j on this machine (bench/README.md).
            env = {**launcher.env(), "PORTFOLIO_QUERY_TIMEOUT": "300"}
            print(f"Neo4j at {launcher.uri} (pid {launcher.process.pid})")
        doc = prepare(root, args, env)
        servers = [Server(root / "data", root / f"serve{i}.log", env=env)
                   for i in range(args.replicas)]
        for server in servers:
            server.start()
        for server in servers:
            print(f"serve ready in {await server.wait_ready():.2f} s on {server.url}")
        rng = random.Random(args.seed)
        features = doc["features"]
        ledger = Ledger()
        async with contextlib.AsyncExitStack() as stack:
            https = [await stack.enter_async_context(
                client(s.url, connections=args.clients // len(servers) + 5)) for s in servers]
            clients = []
            for n in range(args.clients):
                own = features[n::args.clients]
                pairs = dependency_pairs(doc, own, 4, rng) or [(own[-1]["id"], own[0]["id"])]
                clients.append(Client(n, https[n % len(https)], doc, own, pairs, ledger,
                                      random.Random(n)))
            settle_client_heap()
            began = time.monotonic()
            with ProcessPoolExecutor(max_workers=1) as probe:
                health, *_ = await asyncio.gather(
                    asyncio.get_running_loop().run_in_executor(
                        probe, probe_health, servers[0].url, float(args.seconds)),
                    *(c.run(began + args.seconds) for c in clients))
            elapsed = time.monotonic() - began
            engine_pid = launcher.process.pid if launcher else servers[0].engine_pid()
            memory = {"api_process_vmhwm": max(vm_hwm_mb(s.pid) or 0 for s in servers),
                      "engine_vmhwm": vm_hwm_mb(engine_pid)}
            names, deps = await read_back(https[-1])
        report = summarise(clients, elapsed, args, memory)
        report["healthz"] = {"count": len(health), "p50": round(percentile(health, 50), 1),
                             "p99": round(percentile(health, 99), 1),
                             "max": round(max(health), 1)}
        report["engine"], report["replicas"] = args.engine, args.replicas
        report["verification"] = verify(ledger, names, deps)
        report["verification"]["refused (applied: false)"] = dict(ledger.refused)
        report["audit"] = await audit_check(root / "data", env)
        show(report)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"machine": machine(), "commit": commit(), **report},
                                       indent=1))
        print(f"written: {args.out}")
    finally:
        for server in servers:
            server.stop()
        if launcher is not None:
            launcher.stop()
        else:
            kill_engine_left(root / "data")
        remove(root)


def summarise(clients: list[Client], elapsed: float, args: argparse.Namespace,
              memory: dict[str, Any]) -> dict[str, Any]:
    latency: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    by_op: Counter[str] = Counter()
    for c in clients:
        for name, samples in c.latency.items():
            latency[name].extend(samples)
        for name, message in c.errors:
            errors[message] += 1
            by_op[name] += 1
    done = sum(len(s) for s in latency.values())
    ops = {name: {"count": len(s), "p50": round(percentile(s, 50), 1),
                  "p95": round(percentile(s, 95), 1), "p99": round(percentile(s, 99), 1),
                  "errors": by_op.get(name, 0)}
           for name, s in sorted(latency.items())}
    return {"clients": args.clients, "seconds": round(elapsed, 1),
            "features": "demo" if args.demo else args.features,
            "completed": done, "throughput_rps": round(done / elapsed, 1),
            "errors": sum(errors.values()), "error_messages": dict(errors.most_common(8)),
            "operations": ops, "memory_mb": memory}


def show(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=150)
    table = Table(title=f"{report['clients']} clients, {report['seconds']} s, "
                        f"{report['features']} features: {report['throughput_rps']} req/s, "
                        f"{report['errors']} errors", title_justify="left")
    for col in ("operation", "count", "p50 ms", "p95 ms", "p99 ms", "errors"):
        table.add_column(col, justify="left" if col == "operation" else "right")
    for name, op in report["operations"].items():
        table.add_row(name, str(op["count"]), f"{op['p50']}", f"{op['p95']}", f"{op['p99']}",
                      str(op["errors"]))
    console.print(table)
    for message, count in report["error_messages"].items():
        console.print(f"  {count} x {message}")
    v = report["verification"]
    verdict = "PASS" if report["errors"] == 0 and v["missing"] == 0 else "MISS"
    console.print(f"acknowledged writes: {v['acknowledged writes']}, missing after the run: "
                  f"{v['missing']}, refused: {v['refused (applied: false)']}, failed but applied: "
                  f"{v['failed requests whose upsert was applied']}  "
                  f"{verdict} (target: zero errors, none missing)")
    console.print(f"audit: {report['audit']}; peak RSS {report['memory_mb']}")
    h = report["healthz"]
    console.print(f"/healthz during the run: {h['count']} requests, p50 {h['p50']} ms, p99 "
                  f"{h['p99']} ms, max {h['max']} ms  "
                  f"{'PASS' if h['p99'] < 50 else 'MISS'} (target: p99 < 50 ms)")


if __name__ == "__main__":
    asyncio.run(main())
