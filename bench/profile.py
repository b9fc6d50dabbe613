"""Profile one API case in process: `python -m bench.profile CASE [--features 5000] [--n 200]`.

Builds the app with `create_app(settings, service=...)` over a fresh embedded
engine holding the synthetic portfolio and drives it through httpx's ASGI
transport (no sockets; uvicorn's HTTP parsing is left out) under pyinstrument
(`pip install pyinstrument`). Prints the call tree; `--html F` writes it too.
CASE: feature, trace, trace100, impact, impact-wide, page, epics-page, violations,
violations-after-change, upsert, tree, ranking, ranking-respect, snapshot (the cold
whole-portfolio load), view (a new version's view with its indexes). Requests carry
`Cache-Control: no-cache`: the answer is computed, not served from the response cache.
Queries run inline on the profiled loop instead of api/offload.py's worker loops.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import httpx

from bench import queries as Q
from bench.common import NO_CACHE, feature_input, gql, remove, temp_root
from bench.run import ACTOR, open_service, picks, probe_filters
from graph.samples.synthetic import synthetic_document


def _inline_queries() -> None:
    """Run queries on the profiled thread: pyinstrument samples one thread, and the API
    sends queries to worker loops (api/offload.py)."""
    from api.offload import QUERIES

    async def inline(work: Any) -> Any:
        return await work

    QUERIES.run = inline  # type: ignore[method-assign]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case")
    parser.add_argument("--features", type=int, default=5000)
    parser.add_argument("--n", type=int, default=200, help="requests to profile")
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    parser.add_argument("--all", action="store_true", help="show library frames too")
    args = parser.parse_args()
    from pyinstrument import Profiler

    from api.app import create_app
    from api.settings import Settings

    root = temp_root()
    service = None
    try:
        doc = synthetic_document(args.features, 1)
        p = picks(doc)
        service = await open_service(root / "data")
        await service.import_document(doc, ACTOR)
        f = probe_filters(doc)
        settings = Settings(jwt_secret=None)
        app = create_app(settings, service=service)
        _inline_queries()
        transport = httpx.ASGITransport(app=app)
        toggle = iter(range(10**9))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            async def upsert() -> Any:
                points = (5, 8)[next(toggle) % 2]
                return await gql(http, Q.UPSERT_FEATURE,
                                 {"input": feature_input(p["upsert_api"], points=points)})

            async def after_change() -> Any:
                await upsert()
                return await gql(http, Q.VIOLATIONS, headers=NO_CACHE)

            async def snapshot() -> Any:
                service.store._snapshot = None
                return await service.store.snapshot()

            async def view() -> Any:
                from graph.view import PortfolioView

                return PortfolioView(await service.store.snapshot()).prepare()

            def ask(query: str, variables: dict[str, Any] | None = None) -> Any:
                return lambda: gql(http, query, variables, headers=NO_CACHE)

            cases = {
                "feature": ask(Q.FEATURE, {"id": p["feature"]["id"]}),
                "trace": ask(Q.TRACE, {"id": p["feature"]["id"]}),
                "trace100": ask(Q.traces(p["hundred"])),
                "impact": ask(Q.IMPACT, {"id": p["root"]}),
                "impact-wide": ask(Q.IMPACT_WIDE, {"id": p["root"]}),
                "page": ask(Q.FEATURES_FILTERED,
                            {"vs": f["vs"], "states": f["states"], "first": 100}),
                "epics-page": ask(Q.EPICS_FILTERED, {"states": f["epic_states"],
                                                     "theme": f["theme"], "first": 100}),
                "violations": ask(Q.VIOLATIONS),
                "violations-after-change": after_change,
                "upsert": upsert,
                "tree": ask(Q.WHOLE_TREE),
                "ranking": ask(Q.RANKING_ONLY, {"respect": False}),
                "ranking-respect": ask(Q.RANKING_ONLY, {"respect": True}),
                "snapshot": snapshot,
                "view": view,
            }
            run = cases[args.case]
            for _ in range(3):
                await run()
            profiler = Profiler(interval=0.0005, async_mode="enabled")
            profiler.start()
            for _ in range(args.n):
                await run()
            profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=args.all))
        if args.html:
            with open(args.html, "w") as out:
                out.write(profiler.output_html())
    finally:
        if service is not None:
            await service.store.close()
        remove(root)


if __name__ == "__main__":
    asyncio.run(main())
