"""The HTTP app: GraphQL on /graphql, liveness on /healthz, readiness on /readyz.

`create_app(settings)` builds everything from the settings; the lifespan
opens the graph store (embedded FalkorDB, or Neo4j with NEO4J_URI), loads
the policy and builds the service. Tests inject a store or a service and
then nothing is opened or closed here.

Request path, outermost first: AccessLog (one JSON log line) -> LoopbackOnly
(open mode only: 403 unless Host and Origin are loopback) -> CORS (only with
PORTFOLIO_CORS_ORIGINS) -> AuthMiddleware
(401 for a missing or bad token on /graphql) -> BodyLimit (413) -> routes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from api.auth import AuthMiddleware, verifier_for
from api.graphiql import ASSETS_DIR, ASSETS_PATH
from api.limits import BodyLimit
from api.loopback import LoopbackOnly
from api.metrics import Metrics
from api.observe import AccessLog, RecordOperation
from api.runtime import Runtime
from api.schema import build_schema
from api.service import PortfolioService
from api.settings import Settings
from api.view import GraphQLView
from api.watch import Watcher
from graph.engines import create_engine
from graph.heap import paused_gc
from graph.store import Store
from rules.policy import load_policy

logger = logging.getLogger("api.app")
FULL_COLLECTION_EVERY = 100  # generation-1 collections per full one (CPython's default: 10)


def settle_heap() -> None:
    """Move what start-up loaded (modules, the schema, the snapshot and its view) out of
    the cyclic GC's reach: a full collection walks every tracked object, and with these
    each took ~130 ms of CPU at 5,000 features, under load every few hundred ms, holding
    every thread (/healthz p99 150 ms; bench/README.md, "The server's loop under load").
    They are long-lived; what dies among them is freed by its reference count.

    No collection first: start-up collects before it loads the portfolio, and the load
    itself left ten small objects of cyclic garbage (1.3 KB, measured at 50,000
    features), which a collection walking the loaded heap took 0.5 s to find.

    Full collections then run at most every FULL_COLLECTION_EVERY young (generation 1)
    collections instead of CPython's 10: each walks every version built since start-up
    (its snapshot, indexes and evaluation), ~70 ms at 50,000 features, and with 10 there
    were 36 of them in 60 enforced writes, each followed by a violations query (2.4 s of
    GC, every thread stopped); with 100 there were 5 (0.35 s). Cyclic garbage old enough
    to reach generation 2 waits longer to be freed; everything else is as before."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


def create_app(settings: Settings, store: Store | None = None,
               service: PortfolioService | None = None) -> Starlette:
    """The ASGI app; `store`/`service` injected are used as they are (never started or closed)."""
    runtime = Runtime()

    def watch(service: PortfolioService) -> Watcher:
        return Watcher(service.history, interval=settings.subscription_poll_interval,
                       max_subscribers=settings.max_subscribers,
                       queue_size=settings.subscriber_queue)

    if service is not None:
        runtime.store, runtime.service = service.store, service
    elif store is not None:
        runtime.store = store
        runtime.service = PortfolioService(store, load_policy(settings.policy))
    if runtime.service is not None:
        runtime.watcher = watch(runtime.service)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if runtime.service is not None:
            try:
                yield
            finally:
                if runtime.watcher is not None:
                    await runtime.watcher.close()
            return
        policy = load_policy(settings.policy)  # a bad policy stops start-up, naming the key
        took: dict[str, float] = {}
        clock = time.perf_counter()

        def lap(phase: str) -> None:  # how long start-up's phases took, for the log
            nonlocal clock
            now = time.perf_counter()
            took[phase], clock = now - clock, now

        opened = Store(create_engine(settings.engine_config()))
        await opened.start()
        service = PortfolioService(opened, policy)
        lap("engine")
        # Load the whole-portfolio snapshot, its evaluation and the read view's indexes
        # before accepting requests, so no user request pays them. All of it stays
        # alive: the collector would only walk it (halves the evaluation at 50,000
        # features; graph/heap.py), and settle_heap moves it out of its reach.
        gc.collect()  # start-up's garbage so far, while the heap is small (settle_heap)
        with paused_gc():
            snapshot = await opened.snapshot()
            lap("snapshot")
            await service.violations()
            lap("evaluation")
            await asyncio.to_thread((await service.view()).prepare)
            lap("indexes")
            # Before the collector resumes: it would walk everything loaded meanwhile.
            settle_heap()
        runtime.store, runtime.service = opened, service
        runtime.watcher = watch(service)
        logger.info("graph store open (%s), portfolio loaded: version %d, %d features, in "
                    "%.2f s (%s)", opened.engine.name, snapshot.version, len(snapshot.features),
                    sum(took.values()), ", ".join(f"{k} {v:.2f} s" for k, v in took.items()))
        try:
            yield
        finally:
            watcher, runtime.watcher = runtime.watcher, None
            await watcher.close()
            runtime.store = runtime.service = None
            await opened.close()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        if runtime.store is None:
            return JSONResponse({"status": "unavailable", "reason": "the graph store is not open"},
                                status_code=503)
        if not await runtime.store.ready():
            return JSONResponse(
                {"status": "unavailable", "reason": "the graph store does not answer"},
                status_code=503)
        return JSONResponse({"status": "ready"})

    metrics = Metrics(settings, runtime) if settings.metrics else None
    schema = build_schema(settings, extra_extensions=[RecordOperation],
                          **(metrics.schema_options() if metrics else {}))
    graphql = GraphQLView(schema, settings, runtime)
    routes: list[BaseRoute] = [
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),  # subscriptions (graphql-transport-ws)
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
    ]
    if settings.graphiql:
        # GraphiQL's scripts and styles: public files, no portfolio data (api/graphiql.py).
        routes.append(Mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="graphiql"))
    if metrics is not None:
        routes.append(Route("/metrics", metrics.endpoint, methods=["GET"]))
    middleware = [Middleware(AccessLog, record=metrics.request if metrics else None)]
    if settings.open_mode:
        # No token guards open mode: refuse rebound DNS names and other sites' pages.
        middleware.append(Middleware(LoopbackOnly, allowed_origins=settings.cors_origins))
    if settings.cors_origins:
        # Browser dashboards on other origins; preflights are answered here, before auth.
        middleware.append(Middleware(
            CORSMiddleware, allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"], allow_headers=["authorization", "content-type"],
            max_age=600))
    middleware += [
        Middleware(AuthMiddleware, verifier=verifier_for(settings)),
        Middleware(BodyLimit, settings=settings),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.runtime = runtime  # for operators and tests: the store, service and watcher
    return app
