"""This checkout and another one, served side by side, requests alternating between them:
`python -m bench.ab --other DIR [--features 5000] [--case trace] [--rounds 3] [--n 150]`.

This VM's speed swings by up to 2x within minutes (bench/README.md, "Latest figures"):
figures taken minutes apart cannot tell a 10 % change from the weather. Here both
versions answer the same request in turn, over HTTP, against one embedded engine, so a
swing hits both alike. `--other` is another checkout of this repository, e.g.
`git worktree add /tmp/before <commit>`; both must read the data dir this checkout
imports. `--case ready` starts each one in turn, `--rounds` times, and reports start
to ready instead. Requests carry `Cache-Control: no-cache`: answers are computed; they
go through bench.common.Lean (aiohttp), as bench.run's do.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from bench import queries as Q
from bench.common import NO_CACHE, REPO, Lean, Server, cli_import, gql, remove, temp_root
from bench.run import picks, probe_filters
from graph.samples.synthetic import synthetic_document


def cases(doc: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    p, f = picks(doc), probe_filters(doc)
    return {
        "trace": (Q.TRACE, {"id": p["feature"]["id"]}),
        "impact-wide": (Q.IMPACT_WIDE, {"id": p["root"]}),
        "page": (Q.FEATURES_FILTERED, {"vs": f["vs"], "states": f["states"], "first": 100}),
        "violations": (Q.VIOLATIONS, {}),
        "ranking": (Q.RANKING_ONLY, {"respect": False}),
        "tree": (Q.WHOLE_TREE, {}),
    }


async def side_by_side(servers: list[Server], query: str, variables: dict[str, Any],
                       rounds: int, n: int) -> None:
    https = [Lean(s.url, connections=2) for s in servers]
    try:
        for _ in range(5):  # warm-up
            for http in https:
                await gql(http, query, variables, headers=NO_CACHE)
        for r in range(1, rounds + 1):
            samples: list[list[float]] = [[] for _ in servers]
            for _ in range(n):
                for http, taken in zip(https, samples, strict=True):
                    began = time.perf_counter()
                    await gql(http, query, variables, headers=NO_CACHE)
                    taken.append((time.perf_counter() - began) * 1000)
            figures = "  ".join(f"{name} p50 {statistics.median(t):.2f} ms"
                                for name, t in zip(("this", "other"), samples, strict=True))
            print(f"round {r}: {figures}", flush=True)
    finally:
        for http in https:
            await http.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--other", type=Path, required=True, help="another checkout")
    parser.add_argument("--features", type=int, default=5000)
    parser.add_argument("--case", default="trace",
                        help="trace, impact-wide, page, violations, ranking, tree or ready")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=150, help="requests per round, to each")
    args = parser.parse_args()
    other = args.other.resolve()
    if not (other / "bench" / "serve.py").is_file():
        parser.error(f"--other {other} is not a checkout of this repository")
    doc = synthetic_document(args.features, 1)
    known = cases(doc)
    if args.case != "ready" and args.case not in known:
        parser.error(f"--case {args.case}: one of {', '.join([*known, 'ready'])}")
    root = temp_root()
    try:
        cli_import(doc, root / "data")
        print(f"{args.features} features imported; this = {REPO}, other = {other}")

        def server(repo: Path, name: str) -> Server:
            return Server(root / "data", root / f"{name}.log", repo=repo,
                          env={"PYTHONPATH": str(repo)})

        if args.case == "ready":
            for r in range(1, args.rounds + 1):
                taken = []
                for repo, name in ((REPO, "this"), (other, "other")):
                    s = server(repo, name)
                    s.start()
                    try:
                        taken.append(f"{name} {await s.wait_ready():.2f} s")
                    finally:
                        s.stop()
                print(f"round {r}: start to ready: {'  '.join(taken)}", flush=True)
            return
        servers = [server(REPO, "this"), server(other, "other")]
        try:
            for s in servers:  # one after the other: the second uses the first's engine
                s.start()
                await s.wait_ready()
            query, variables = known[args.case]
            await side_by_side(servers, query, variables, args.rounds, args.n)
        finally:
            for s in reversed(servers):
                s.stop()
    finally:
        remove(root)


if __name__ == "__main__":
    asyncio.run(main())
