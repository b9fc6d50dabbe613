"""GET /metrics: off by default, Prometheus text when on, behind a token with auth.

Scrapes are parsed with prometheus-client's own text parser; every figure is
checked against what the test did (requests sent, refusals provoked, a write
conflict staged with a second writer) or against the service's evaluation.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.roles import Actor
from api.service import PortfolioService
from graph.config import EngineConfig
from graph.engines.base import Engine
from graph.engines.falkordb import FalkorDBEngine
from graph.store import AuditRecord, Store
from rules.policy import default_policy
from tests.api.conftest import (
    IMPORT,
    SECRET,
    Api,
    ApiFactory,
    bearer,
    example_document,
    make_settings,
)

METRICS_TOKEN = "scraper-token-of-some-length-0123456789"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by (name, sorted labels)."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
          **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(api: Api, headers: dict[str, str] | None = None) -> dict[Any, float]:
    response = await api.http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


async def test_metrics_are_off_by_default(api: Api) -> None:
    assert (await api.http.get("/metrics")).status_code == 404


async def test_requests_refusals_and_violations_are_counted(make_api: ApiFactory,
                                                            service: PortfolioService) -> None:
    settings = make_settings(metrics=True, max_cost=1000, max_depth=3)
    async with make_api(settings) as api:
        assert (await api.data(IMPORT, {"doc": example_document()}))["importPortfolio"][
            "applied"]
        for _ in range(3):
            await api.data("query Themes { themes { id } }")
        await api.gql("query Bad { features(first: 501) { totalCount } }")  # BAD_USER_INPUT
        costly = await api.gql("{ auditLog(limit: 1000) { id } }")  # 2,000 values
        assert costly["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        deep = await api.gql("{ themes { epics { features { dependsOn { id } } } } }")
        assert deep["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        found = await scrape(api)

        assert value(found, "portfolio_graphql_requests_total", operation="Themes",
                     outcome="ok") == 3
        assert value(found, "portfolio_graphql_requests_total", operation="Bad",
                     outcome="BAD_USER_INPUT") == 1
        assert value(found, "portfolio_graphql_requests_total", operation="anonymous",
                     outcome="QUERY_TOO_COMPLEX") == 1
        assert value(found, "portfolio_graphql_request_duration_seconds_count",
                     operation="Themes", outcome="ok") == 3
        assert value(found, "portfolio_refusals_total", limit="cost") == 1
        assert value(found, "portfolio_refusals_total", limit="depth") == 1
        assert value(found, "portfolio_write_conflicts_total") == 0

        violations = await service.violations()
        expected = Counter((v.rule, str(v.severity)) for v in violations)
        assert expected, "the example portfolio breaks some guardrails"
        for (rule, severity), count in expected.items():
            assert value(found, "portfolio_violations", rule=rule, severity=severity) == count
        quiet = [g for g in service.policy.guardrails()
                 if g.enabled and g.rule not in {rule for rule, _ in expected}]
        assert quiet  # rules with no violation are exported as 0, so alerts can use them
        for g in quiet:
            key = ("portfolio_violations", (("rule", g.rule), ("severity", str(g.severity))))
            assert found.get(key) == 0, key


async def test_a_body_over_the_cap_is_a_refusal(make_api: ApiFactory) -> None:
    settings = make_settings(metrics=True, jwt_secret=SECRET, max_body_bytes=300,
                             metrics_token=METRICS_TOKEN)
    async with make_api(settings) as api:
        response = await api.http.post("/graphql", json={"query": "{ themes { id } }" + " " * 400},
                                       headers=bearer("vic", ["viewer"]))
        assert response.status_code == 413
        found = await scrape(api, {"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert value(found, "portfolio_refusals_total", limit="body_size") == 1
        assert value(found, "portfolio_graphql_requests_total", operation="",
                     outcome="http_413") == 1


class SecondWriter(Store):
    """A real store that lets another writer land a change just before its own write."""

    def __init__(self, engine: Engine, other: PortfolioService) -> None:
        super().__init__(engine)
        self.other = other
        self.raced = False

    async def write(self, change: Any, expected_version: int,
                    audit: AuditRecord) -> int | None:
        if not self.raced:
            self.raced = True
            outcome = await self.other.upsert(
                self.other_kind, {"id": "F-RACE", "name": "race", "type": "BUSINESS",
                                  "state": "FUNNEL"}, Actor(id="other", roles=frozenset({"admin"})))
            assert outcome.applied
        return await super().write(change, expected_version, audit)

    @property
    def other_kind(self) -> Any:
        from graph.model import Kind

        return Kind.FEATURE


async def test_write_conflicts_are_counted(make_api: ApiFactory, falkordb: Engine) -> None:
    other = PortfolioService(Store(falkordb), default_policy())
    racing = PortfolioService(SecondWriter(falkordb, other), default_policy())
    async with make_api(make_settings(metrics=True), racing) as api:
        body = await api.data('mutation { upsertFeature(input: {id: "F-MINE", name: "mine", '
                              'type: BUSINESS, state: FUNNEL}) { applied } }')
        assert body == {"upsertFeature": {"applied": True}}
        found = await scrape(api)
    assert racing.conflicts == 1
    assert value(found, "portfolio_write_conflicts_total") == 1


async def test_engine_errors_are_counted(tmp_path: Path) -> None:
    engine = FalkorDBEngine(EngineConfig(data_dir=tmp_path / "data"), supervise=False)
    store = Store(engine)
    await store.start()
    app = create_app(make_settings(metrics=True),
                     service=PortfolioService(store, default_policy()))
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://127.0.0.1") as http:
            await engine.server.stop()  # the engine dies; nothing restarts it here
            body = (await http.post("/graphql", json={"query": "{ themes { id } }"})).json()
            assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
            response = await http.get("/metrics")
            assert response.status_code == 200
            found = samples(response.text)
    finally:
        await engine.close()
    # The request's failure and the scrape's own violations read: both found it down.
    assert value(found, "portfolio_engine_errors_total", kind="unavailable") >= 1
    assert not any(name == "portfolio_violations" for name, _ in found)


async def test_with_auth_metrics_need_the_token_or_an_admin(make_api: ApiFactory) -> None:
    settings = make_settings(metrics=True, jwt_secret=SECRET, metrics_token=METRICS_TOKEN)
    async with make_api(settings) as api:
        http: httpx.AsyncClient = api.http
        assert (await http.get("/metrics")).status_code == 401
        assert (await http.get("/metrics", headers={"Authorization": "Bearer nope"})
                ).status_code == 401
        forbidden = await http.get("/metrics", headers=bearer("vic", ["portfolio"]))
        assert forbidden.status_code == 403
        assert forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert (await http.get("/metrics", headers=bearer("root", ["admin"]))).status_code == 200
        assert (await http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
                ).status_code == 200
    async with make_api(make_settings(metrics=True, jwt_secret=SECRET)) as api:
        # No dedicated token configured: an empty one must not open the door.
        assert (await api.http.get("/metrics", headers={"Authorization": "Bearer "})
                ).status_code == 401
        assert (await api.http.get("/metrics", headers=bearer("root", ["admin"]))
                ).status_code == 200


async def test_operation_names_are_bounded(make_api: ApiFactory) -> None:
    async with make_api(make_settings(metrics=True)) as api:
        for n in range(120):
            await api.data(f"query Op{n} {{ themes {{ id }} }}")
        found = await scrape(api)
    names = {dict(labels).get("operation") for name, labels in found
             if name == "portfolio_graphql_requests_total"}
    assert len(names) == 101 and "other" in names  # 100 names, then "other"
    assert value(found, "portfolio_graphql_requests_total", operation="other",
                 outcome="ok") == 20
