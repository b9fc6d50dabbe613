"""Prometheus metrics on GET /metrics: off by default, PORTFOLIO_METRICS=true turns them on.

What is exported (prometheus-client, one registry per app):

- `portfolio_graphql_requests_total{operation, outcome}` and
  `portfolio_graphql_request_duration_seconds{operation, outcome}`: every
  request to /graphql; `operation` is the operationName (`anonymous`
  without one; after MAX_OPERATIONS distinct names, `other`), `outcome` is
  `ok`, the error code (the first alphabetically when several) or, for a
  refusal before GraphQL ran, `http_<status>`.
- `portfolio_refusals_total{limit}`: requests refused or stopped by a limit:
  `cost`, `resolved` (api/cost.py), `depth`, `aliases`, `tokens`,
  `body_size` (413), `body_timeout` (408), `timeout`. Header timeouts and
  uvicorn's 503s happen before the app sees a request and are not counted.
- `portfolio_write_conflicts_total`: a change retried because another
  writer moved the portfolio version first (api/service.py).
- `portfolio_engine_errors_total{kind}`: graph engine failures met while
  answering GraphQL (`unavailable`: unreachable; `failed`: any other).
- `portfolio_violations{rule, severity}`: the current snapshot's violations,
  evaluated at scrape time (0 for enabled rules with none).

Access: in open mode anyone on loopback may scrape; with a JWT secret the
scraper needs `Authorization: Bearer <token>` with either the dedicated
PORTFOLIO_METRICS_TOKEN or a JWT with the admin role.
"""

from __future__ import annotations

import hmac
import re
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from graphql import GraphQLError
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope
from strawberry.extensions import SchemaExtension

from api.auth import AuthError, bearer_token, verifier_for
from api.errors import ErrorCode
from api.roles import Role, has_role
from api.runtime import Runtime
from api.settings import Settings
from graph.engines.base import EngineError, EngineUnavailable
from rules.violation import Violation

MAX_OPERATIONS = 100  # distinct operation names kept as labels (clients choose them)
OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
# Validation and parse messages of the document limits (strawberry's and api/shape.py's).
LIMIT_MESSAGES = (("exceeds maximum operation depth", "depth"),
                  ("nests fragment spreads", "depth"),
                  ("aliases found", "aliases"),
                  ("tokens", "tokens"))
STATUS_LIMITS = {413: "body_size", 408: "body_timeout"}


class Metrics:
    """The app's metrics: recorders for the request path, and the /metrics endpoint."""

    def __init__(self, settings: Settings, runtime: Runtime) -> None:
        self.settings = settings
        self.runtime = runtime
        self.verifier = verifier_for(settings)
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "portfolio_graphql_requests", "GraphQL requests by operation and outcome",
            ["operation", "outcome"], registry=self.registry)
        self.latency = Histogram(
            "portfolio_graphql_request_duration_seconds",
            "Time to answer a GraphQL request, by operation and outcome",
            ["operation", "outcome"], registry=self.registry)
        self.refusals = Counter(
            "portfolio_refusals", "Requests refused or stopped by a limit", ["limit"],
            registry=self.registry)
        self.engine_errors = Counter(
            "portfolio_engine_errors", "Graph engine failures met while answering GraphQL",
            ["kind"], registry=self.registry)
        self.snapshot = _SnapshotCollector(runtime)
        self.registry.register(self.snapshot)
        self._operations: set[str] = set()

    # --- recorders ------------------------------------------------------------------

    def operation(self, name: Any) -> str:
        if name is None:
            return "anonymous"
        if not isinstance(name, str) or not OPERATION_NAME.fullmatch(name):
            return "invalid"
        if name not in self._operations and len(self._operations) >= MAX_OPERATIONS:
            return "other"
        self._operations.add(name)
        return name

    def request(self, scope: Scope, status: int, seconds: float) -> None:
        """One HTTP request answered (called by api/observe.py AccessLog)."""
        if scope.get("path") != "/graphql":
            return
        record = scope.get("state", {}).get("graphql")
        if record is None:  # refused before GraphQL ran (401, 413, 408, 400, ...)
            operation, outcome = "", f"http_{status}"
        else:
            codes = sorted(c for c in record.get("error_codes") or () if c != "None")
            operation, outcome = self.operation(record.get("operation")), (
                codes[0] if codes else "ok")
            if ErrorCode.TIMEOUT in codes:
                self.refused("timeout")
        if status in STATUS_LIMITS:
            self.refused(STATUS_LIMITS[status])
        self.requests.labels(operation, outcome).inc()
        self.latency.labels(operation, outcome).observe(seconds)

    def refused(self, limit: str, *_: int) -> None:
        self.refusals.labels(limit).inc()

    def extension(self) -> SchemaExtension:
        """A schema extension counting engine errors and document-limit refusals."""
        return _ErrorWatch(self)

    def schema_options(self) -> dict[str, Any]:
        """What api/schema build_schema needs to report here."""
        return {"on_refusal": self.refused, "late_extensions": [self.extension]}

    # --- the endpoint ---------------------------------------------------------------

    async def endpoint(self, request: Request) -> Response:
        refusal = await self._refusal(request)
        if refusal is not None:
            return refusal
        service = self.runtime.service
        self.snapshot.violations = None
        self.snapshot.enabled = []
        if service is not None:
            try:
                self.snapshot.violations = await service.violations()
                self.snapshot.enabled = [(g.rule, str(g.severity))
                                         for g in service.policy.guardrails() if g.enabled]
            except EngineError as exc:
                self.engine_errors.labels(_kind(exc)).inc()
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

    async def _refusal(self, request: Request) -> Response | None:
        """None when the scraper may read the metrics, else the 401/403 answer."""
        if self.verifier is None:  # open mode: loopback only (check_bind)
            return None
        try:
            token = bearer_token(request.scope)
        except AuthError as exc:
            return _error(401, exc.reason, ErrorCode.UNAUTHENTICATED)
        secret = self.settings.metrics_token
        if secret is not None and secret.get_secret_value() and hmac.compare_digest(
                token.encode(), secret.get_secret_value().encode()):
            return None
        try:
            actor = await self.verifier.verify(token)
        except AuthError as exc:
            return _error(401, exc.reason, ErrorCode.UNAUTHENTICATED)
        if not has_role(actor, Role.ADMIN):
            return _error(403, "metrics need the admin role or PORTFOLIO_METRICS_TOKEN",
                          ErrorCode.FORBIDDEN)
        return None


def _error(status: int, message: str, code: str) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="portfolio-graph"'} if status == 401 else None
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]},
                        status_code=status, headers=headers)


def _kind(error: BaseException) -> str:
    return "unavailable" if isinstance(error, EngineUnavailable) else "failed"


class _ErrorWatch(SchemaExtension):
    """Listed after the error extensions, so it sees errors before they are masked."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def on_operation(self) -> Iterator[None]:
        yield
        errors: Iterable[GraphQLError] = getattr(
            self.execution_context.result, "errors", None) or ()
        for error in errors:
            original = error.original_error
            if isinstance(original, EngineError):
                self.metrics.engine_errors.labels(_kind(original)).inc()
            elif error.path is None:
                limit = next((name for words, name in LIMIT_MESSAGES
                              if words in error.message), None)
                if limit is not None:
                    self.metrics.refused(limit)


class _SnapshotCollector(Collector):
    """Write conflicts and violations, read from the service when scraped."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.violations: list[Violation] | None = None
        self.enabled: list[tuple[str, str]] = []

    def collect(self) -> Iterable[Metric]:
        service = self.runtime.service
        conflicts = CounterMetricFamily(
            "portfolio_write_conflicts",
            "Changes retried because another writer moved the portfolio version first",
            value=0 if service is None else service.conflicts)
        yield conflicts
        if self.violations is None:
            return
        counts = Tally((v.rule, str(v.severity)) for v in self.violations)
        for key in self.enabled:
            counts.setdefault(key, 0)
        gauge = GaugeMetricFamily("portfolio_violations",
                                  "Guardrail violations of the current portfolio",
                                  labels=["rule", "severity"])
        for (rule, severity), count in sorted(counts.items()):
            gauge.add_metric([rule, severity], count)
        yield gauge


Recorder = Callable[[Scope, int, float], None]

__all__ = ["Metrics", "Recorder"]
