"""Crash the API, then the engine, in the middle of writes: what survives, how fast it heals.

    python -m bench.faults [--features 500] [--writers 8]

(a) kill -9 `serve` while writers upsert, restart it on the same data dir, and
    check every acknowledged write is there, each written feature's newest
    audit entry matches it (nothing half-written), and the portfolio version
    equals the number of audit entries (seq 1..version, no gap, no duplicate).
(b) kill -9 the embedded engine (the redis-server child of `serve`) while
    writers upsert and probes poll /readyz and a trace query every 20 ms:
    /readyz must answer 503 while it is down, requests fail fast with a clear
    error, and service resumes by itself (supervised restart); measures how
    fast each happens and checks acknowledged writes again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from bench import queries as Q
from bench.common import (
    RESULTS,
    Server,
    client,
    commit,
    feature_input,
    gql,
    kill_engine_left,
    machine,
    remove,
    temp_root,
)
from bench.load import Ledger, audit_check, prepare, read_back, verify
from graph.engines.embedded import process_alive


class Writers:
    """Upserts on disjoint features, one task per writer, until stopped."""

    def __init__(self, http: httpx.AsyncClient, doc: dict[str, Any], count: int,
                 ledger: Ledger, tag: str) -> None:
        self.http, self.ledger, self.tag = http, ledger, tag
        self.features = [doc["features"][n::count] for n in range(count)]
        self.events: list[tuple[float, bool, float, str]] = []  # (t, ok, seconds, error)
        self.written: set[str] = set()
        self.stop = False

    async def run(self, n: int) -> None:
        own, k = self.features[n], 0
        while not self.stop:
            feature = own[k % len(own)]
            k += 1
            name = f"{feature['name']} ~{self.tag}{n}w{k}"
            key = ("feature", feature["id"])
            self.ledger.unknown[key].add(name)
            self.written.add(feature["id"])
            began = time.monotonic()
            try:
                data = await gql(self.http, Q.UPSERT_FEATURE,
                                 {"input": feature_input(feature, name=name)})
                if data["upsertFeature"]["applied"]:
                    self.ledger.ack(key, name)
                self.events.append((began, True, time.monotonic() - began, ""))
            except Exception as exc:  # every failure is a figure
                self.events.append((began, False, time.monotonic() - began,
                                    str(exc)[:160] or type(exc).__name__))
                await asyncio.sleep(0.02)

    def start(self) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(self.run(n)) for n in range(len(self.features))]


async def consistency(server: Server, doc: dict[str, Any], ledger: Ledger,
                      written: set[str]) -> dict[str, Any]:
    """Acknowledged writes present; each written feature's newest audit entry matches it."""
    original = {f["id"]: f["name"] for f in doc["features"]}
    async with client(server.url) as http:
        names, deps = await read_back(http)
        mismatched = []
        for feature_id in sorted(written):
            entries = (await gql(http, Q.AUDIT_OF, {"id": feature_id}))["auditLog"]
            newest = entries[0] if entries else {"operation": None, "after": None}
            # Never upserted (every attempt failed): the import is its newest entry.
            logged = (newest["after"] or {}).get("name") \
                if newest["operation"] == "upsertFeature" else original[feature_id]
            if logged != names.get(feature_id):
                mismatched.append({"feature": feature_id, "graph": names.get(feature_id),
                                   "newest audit": logged})
    return {"writes": verify(ledger, names, deps),
            "audit matches graph": {"checked": len(written), "mismatched": len(mismatched),
                                    "examples": mismatched[:3]},
            "version vs audit": await audit_check(server.data_dir)}


async def kill_api(server: Server, doc: dict[str, Any], ledger: Ledger,
                   writers: int) -> dict[str, Any]:
    async with client(server.url, connections=writers + 2, timeout=10.0) as http:
        w = Writers(http, doc, writers, ledger, "a")
        tasks = w.start()
        await asyncio.sleep(2.0)
        engine_pid = server.engine_pid()
        server.kill9()
        killed = time.monotonic()
        await asyncio.sleep(0.5)
        w.stop = True
        await asyncio.gather(*tasks)
    gone = None
    while time.monotonic() - killed < 10:
        if engine_pid is None or not process_alive(engine_pid):
            gone = round(time.monotonic() - killed, 2)
            break
        await asyncio.sleep(0.02)
    server.start()
    ready = await server.wait_ready()
    acked = sum(1 for e in w.events if e[1])
    failed = len(w.events) - acked
    return {"writes acknowledged before the kill": acked,
            "requests failed after the kill (writers retry every 20 ms)": failed,
            "engine exited after the API died (s)": gone,
            "restart to /readyz 200 (s)": round(ready, 2),
            **await consistency(server, doc, ledger, w.written)}


async def kill_engine(server: Server, doc: dict[str, Any], ledger: Ledger,
                      writers: int) -> dict[str, Any]:
    ready_log: list[tuple[float, int]] = []
    probe_log: list[tuple[float, bool, float, str]] = []
    done = False

    async def poll_ready(http: httpx.AsyncClient) -> None:
        while not done:
            began = time.monotonic()
            try:
                status = (await http.get("/readyz")).status_code
            except httpx.HTTPError:
                status = 0
            ready_log.append((began, status))
            await asyncio.sleep(0.02)

    async def probe(http: httpx.AsyncClient) -> None:
        fid = doc["features"][0]["id"]
        while not done:
            began = time.monotonic()
            try:
                await gql(http, Q.TRACE, {"id": fid})
                probe_log.append((began, True, time.monotonic() - began, ""))
            except Exception as exc:  # every failure is a figure
                probe_log.append((began, False, time.monotonic() - began,
                                  str(exc)[:160] or type(exc).__name__))
            await asyncio.sleep(0.02)

    async with client(server.url, connections=writers + 4, timeout=40.0) as http:
        w = Writers(http, doc, writers, ledger, "b")
        tasks = [*w.start(), asyncio.create_task(poll_ready(http)),
                 asyncio.create_task(probe(http))]
        await asyncio.sleep(1.5)
        old_pid = server.engine_pid()
        assert old_pid is not None
        os.kill(old_pid, signal.SIGKILL)
        killed = time.monotonic()
        deadline = killed + 30
        while time.monotonic() < deadline:
            back = [t for t, s in ready_log if t > killed and s == 200]
            if back and time.monotonic() - back[0] > 3:
                break
            await asyncio.sleep(0.1)
        w.stop, done = True, True
        await asyncio.gather(*tasks)
    return {**outage(killed, ready_log, probe_log, w.events),
            "engine pid before / after": [old_pid, server.engine_pid()],
            **await consistency(server, doc, ledger, w.written)}


def outage(killed: float, ready_log: list[tuple[float, int]],
           probe_log: list[tuple[float, bool, float, str]],
           writes: list[tuple[float, bool, float, str]]) -> dict[str, Any]:
    after = [(t - killed, s) for t, s in ready_log if t >= killed]
    first_503 = next((t for t, s in after if s == 503), None)
    back = next((t for t, s in after if s == 200 and first_503 is not None and t > first_503),
                None)
    failed = [e for e in probe_log + writes if not e[1] and e[0] >= killed]
    ok_write = next((t - killed for t, ok, _, _ in sorted(writes) if ok and t >= killed), None)
    late = [e for e in failed if back is not None and e[0] - killed > back]
    examples = [(round(e[0] - killed, 3), round(e[2], 3), e[3]) for e in sorted(failed)[:6]]
    return {
        "readyz: first 503 after the kill (s)": _round(first_503),
        "readyz: 503 answers": sum(1 for _, s in after if s == 503),
        "readyz: other non-200 answers": sum(1 for _, s in after if s not in (200, 503)),
        "recovery: readyz 200 again after the kill (s)": _round(back),
        "recovery: first acknowledged write after the kill (s)": _round(ok_write),
        "last failed request or 503 after the kill (s)": _round(max(
            [e[0] - killed for e in failed] + [t for t, s in after if s == 503], default=None)),
        "failed requests during the outage": len(failed),
        "failed request latency median / max (s)": [
            _round(statistics.median([e[2] for e in failed])) if failed else None,
            _round(max((e[2] for e in failed), default=None))],
        "failures after readyz was 200 again": len(late),
        "error messages": dict(Counter(e[3] for e in failed).most_common(4)),
        "failures (s after kill, s taken, error)": examples,
        "slowest failures": [(round(e[0] - killed, 3), round(e[2], 3), e[3])
                             for e in sorted(failed, key=lambda e: -e[2])[:3]],
    }


def show(report: dict[str, Any]) -> None:
    for section, figures in report.items():
        if not isinstance(figures, dict):
            print(f"{section}: {figures}" if not isinstance(figures, list) else
                  f"{section}: {len(figures)} lines (in the JSON)")
            continue
        print(f"\n{section}")
        for name, value in figures.items():
            print(f"  {name}: {json.dumps(value)}")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--features", type=int, default=500)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3, help="engine kills in (b)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "faults.json")
    args = parser.parse_args()
    args.demo = False
    root = temp_root()
    server = None
    report: dict[str, Any] = {"features": args.features, "writers": args.writers,
                              "commit": commit()}
    try:
        doc = prepare(root, args)
        server = Server(root / "data", root / "serve.log")
        server.start()
        await server.wait_ready()
        ledger = Ledger()
        print("(a) kill -9 the API during writes…")
        report["a: kill -9 API"] = await kill_api(server, doc, ledger, args.writers)
        for n in range(args.rounds):
            print(f"(b) kill -9 the engine during writes, round {n + 1}…")
            report[f"b: kill -9 engine, round {n + 1}"] = await kill_engine(
                server, doc, ledger, args.writers)
    finally:
        if server is not None:
            server.stop()
            report["serve log: warnings and errors"] = server.problems()
        kill_engine_left(root / "data")
        remove(root)
    show(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine(), **report}, indent=1))
    print(f"written: {args.out}")


if __name__ == "__main__":
    asyncio.run(main())
