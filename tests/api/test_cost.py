"""Query cost: the contract's own queries fit the default budget on 5,000 features.

The synthetic 5,000-feature portfolio (graph/samples/synthetic.py) is imported
once for the module into the session's embedded engine; no test here empties
it (none asks for the `falkordb` fixture). Each contract query runs over HTTP
with the default settings and must answer without error, and its estimate
(api/cost.py, from the real snapshot) must lie below the default budget; a
query shaped like the issue's attack must be refused on the same data, so the
budget is not simply too large to matter.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import graphql
import httpx
import pytest
import strawberry

from api.app import create_app
from api.cost import (
    DEFAULT_LIST,
    EstimateCache,
    Estimates,
    LazyFanouts,
    QueryBudget,
    operation_cost,
)
from api.roles import Actor
from api.schema import build_schema
from api.service import PortfolioService
from api.settings import Settings
from graph.changes import apply
from graph.document import ParsedDocument, validate_document
from graph.engines.base import Engine
from graph.model import Portfolio
from graph.samples.synthetic import synthetic_document
from graph.store import Store
from rules.impact import impact
from rules.policy import default_policy
from tests.api.conftest import Api, make_settings
from tests.conftest import wipe

BOUND = 300.0  # seconds per request: a hang fails, no timing is asserted (2 shared cores)
DEFAULTS = Settings()
SCHEMA = build_schema(DEFAULTS)._schema

TRACE_FIELDS = """aligned item { ... on Feature { id name } ... on Epic { id name } }
  epic { id name } keyResults { id title } objectives { id title } themes { id name }
  team { id name } art { id name } valueStream { id name }"""
CONTRACT: dict[str, str] = {
    "trace": f"query($id: ID!) {{ trace(id: $id) {{ {TRACE_FIELDS} }} }}",
    "impact": """query($id: ID!, $slip: ID) { impact(id: $id, maxDepth: 10, slipToPi: $slip) {
        root { id } items { depth item { id name } }
        teams { id } arts { id } epics { id } keyResults { id } objectives { id } themes { id }
        slips { item { id } from { id } to { id } } businessValueAtRisk } }""",
    "violations": "{ violations { rule severity subjectType subjectId relatedIds excess "
                  "message } }",
    "ranking": """{ ranking(level: FEATURE, respectDependencies: true, limit: 100) {
        rank item { ... on Feature { id name } } wsjf { score } } }""",
    "page": """query($first: Int) { features(first: $first) { totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id name state points team { id name } epic { id name } } } } }""",
    "tree": """{ themes { id name epics { id name features { id name
        dependsOn { id name } } } } }""",
}
ATTACK = "{ pis { features { pi { features { pi { features { pi { features { id } } } } } } } } }"


def traces_by_alias(ids: list[str]) -> str:
    """100 traces, one alias each, every field written out (no fragment): ~7,000 tokens."""
    return "{ " + " ".join(f't{n}: trace(id: "{i}") {{ {TRACE_FIELDS} }}'
                           for n, i in enumerate(ids)) + " }"


class Big:
    """The 5,000-feature portfolio, its snapshot and the ids the queries need."""

    def __init__(self, service: PortfolioService, portfolio: Portfolio) -> None:
        self.service = service
        self.portfolio = portfolio
        direct = Counter(to for _, to in portfolio.dependencies)
        widest = [f for f, _ in direct.most_common(20) if portfolio.features[f].pi is not None]
        self.root = max(widest, key=lambda f: (len(impact(portfolio, f, 10).items), f))
        pis = sorted(portfolio.pis.values(), key=lambda p: p.start)
        self.slip = pis[-1].id
        self.hundred = sorted(portfolio.features)[::50][:100]


@pytest.fixture(scope="module")
async def big(falkordb_engine: Engine) -> AsyncIterator[Big]:
    await wipe(falkordb_engine)
    service = PortfolioService(Store(falkordb_engine), default_policy())
    outcome = await service.import_document(synthetic_document(5000, seed=1),
                                            Actor(id="test", roles=frozenset({"admin"})))
    assert outcome.applied, outcome.errors[:3]
    yield Big(service, await service.snapshot())
    await wipe(falkordb_engine)


@pytest.fixture
async def big_api(big: Big) -> AsyncIterator[Api]:
    # The default budgets; the whole tree is ~110,000 values, seconds on a busy machine.
    app = create_app(make_settings(request_timeout=BOUND), service=big.service)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://127.0.0.1") as http:
        yield Api(http, big.service)


def variables_for(name: str, big: Big) -> dict[str, Any] | None:
    return {"trace": {"id": big.hundred[0]}, "impact": {"id": big.root, "slip": big.slip},
            "page": {"first": 100}}.get(name)


async def estimate(big: Big, query: str, variables: dict[str, Any] | None = None) -> int:
    found = await big.service.violations()
    estimates = Estimates.of(big.portfolio).with_violations([len(v.related_ids) for v in found])
    return operation_cost(SCHEMA, estimates, graphql.parse(query), None, variables)


@pytest.mark.parametrize("name", [*CONTRACT, "traces"])
async def test_contract_queries_fit_the_default_budget(big: Big, big_api: Api,
                                                       name: str) -> None:
    query = traces_by_alias(big.hundred) if name == "traces" else CONTRACT[name]
    variables = variables_for(name, big)
    cost = await estimate(big, query, variables)
    assert 0 < cost < DEFAULTS.max_cost, (name, cost)
    async with asyncio.timeout(BOUND):
        data = await big_api.data(query, variables)
    assert data and all(v is not None for v in data.values()), name
    if name in ("tree", "page"):  # whole lists and pages: the estimate is about the real count
        real = values(data)
        assert 0.8 * real <= cost <= 1.25 * real, (name, cost, real)


def values(data: Any) -> int:
    """Values in a response, counted as api/cost.py estimates them: a list counts its items."""
    if isinstance(data, dict):
        return sum(len(v) + values(v) if isinstance(v, list) else 1 + values(v)
                   for v in data.values())
    if isinstance(data, list):
        return sum(values(v) for v in data)
    return 0


async def test_the_attack_is_refused_on_the_big_portfolio_too(big: Big, big_api: Api) -> None:
    assert await estimate(big, ATTACK) > 100 * DEFAULTS.max_cost
    async with asyncio.timeout(BOUND):
        body = await big_api.gql(ATTACK)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["extensions"]["budget"] == DEFAULTS.max_cost
    assert error["extensions"]["cost"] > DEFAULTS.max_cost
    assert str(DEFAULTS.max_cost) in error["message"]
    assert str(error["extensions"]["cost"]) in error["message"]


async def test_page_size_and_limits_drive_the_estimate(big: Big) -> None:
    page = "query($n: Int) { features(first: $n) { edges { node { id dependsOn { id } } } } }"
    small, large = [await estimate(big, page, {"n": n}) for n in (10, 500)]
    assert 40 <= small <= 120 and 40 * small <= large <= 60 * small, (small, large)
    ranking = "query($n: Int) { ranking(level: EPIC, limit: $n) { rank } }"
    assert await estimate(big, ranking, {"n": 10}) == 10 + 10
    epics = len(big.portfolio.epics)
    assert await estimate(big, ranking, {"n": 100_000}) == 2 * epics  # only so many epics
    audit = '{ auditLog(limit: 7) { id } }'
    assert await estimate(big, audit) == 14
    traces = "query($ids: [ID!]!) { traces(ids: $ids) { aligned } }"
    assert await estimate(big, traces, {"ids": ["a", "b", "c"]}) == 6


async def test_fragments_spread_many_times_are_costed_without_expanding_them(
        big: Big, big_api: Api) -> None:
    """F0 spreads F1 twice, F1 spreads F2 twice, ...: 2^30 spreads, costed in linear time."""
    depth = 30
    fragments = " ".join(f"fragment F{i} on Feature {{ id ...F{i + 1} ...F{i + 1} }}"
                         for i in range(depth))
    query = (f"{{ features(first: 1) {{ edges {{ node {{ ...F0 }} }} }} }} {fragments} "
             f"fragment F{depth} on Feature {{ dependsOn {{ id }} }}")
    async with asyncio.timeout(BOUND):
        cost = await estimate(big, query)
        body = await big_api.gql(query)
    assert cost > 2**depth
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == \
        "QUERY_TOO_COMPLEX"


def test_every_list_field_has_an_estimate() -> None:
    """A new list field must say how long it gets (api/cost.py), or it costs DEFAULT_LIST."""
    portfolio = Portfolio()
    known = set(Estimates.of(portfolio).fanouts)
    special = {("Query", "traces"), ("Query", "ranking"), ("Query", "auditLog"),
               ("Query", "violationHistory"),
               ("Query", "violations"), ("ChangeResult", "violations"),
               ("ImportResult", "violations"), ("Violation", "relatedIds"),
               ("FeatureConnection", "edges"), ("EpicConnection", "edges")}
    defaulted = {("Query", "guardrails"), ("ChangeResult", "errors"),
                 ("ImportResult", "errors")}
    lists = {(t.name, f) for t in SCHEMA.type_map.values()
             if isinstance(t, graphql.GraphQLObjectType) and not t.name.startswith("__")
             for f, d in t.fields.items()
             if graphql.is_list_type(graphql.get_nullable_type(d.type))}
    assert lists - known - special == defaulted, lists - known - special
    assert DEFAULT_LIST >= 12  # guardrails: one per rule


# --- the runtime cap and deadline, on a schema whose resolvers never await ---------------


@strawberry.type
class Row:
    n: int


@strawberry.type
class Rows:
    @strawberry.field
    def rows(self, count: int) -> list[Row]:
        return [Row(n=i) for i in range(count)]

    @strawberry.field
    def slow(self, count: int) -> list[Row]:
        import time

        time.sleep(0.002)  # every call blocks: asyncio.timeout could not interrupt this
        return [Row(n=i) for i in range(count)]


def rows_schema(max_resolved: int, timeout: float) -> strawberry.Schema:
    def budget() -> QueryBudget:
        return QueryBudget(max_cost=10**12, max_resolved=max_resolved, timeout=timeout,
                           cache=EstimateCache())

    return strawberry.Schema(query=Rows, extensions=[budget])


async def test_the_value_cap_stops_execution_inside_resolution() -> None:
    schema = rows_schema(max_resolved=1000, timeout=60)
    result = await schema.execute("{ rows(count: 100000) { n } }")
    assert result.data is None
    [error] = result.errors or []
    assert error.extensions == {"code": "QUERY_TOO_COMPLEX", "cost": 100_001, "budget": 1000}
    assert "1000" in error.message
    # Under the cap, everything resolves.
    small = await schema.execute("{ rows(count: 100) { n } }")
    assert small.errors is None and small.data == {"rows": [{"n": i} for i in range(100)]}


async def test_the_deadline_is_checked_inside_resolution() -> None:
    schema = rows_schema(max_resolved=10**9, timeout=0.05)
    query = "{ " + " ".join(f"a{i}: slow(count: 600) {{ n }}" for i in range(200)) + " }"
    result = await schema.execute(query)
    assert result.data is None
    [error] = result.errors or []
    assert error.extensions == {"code": "TIMEOUT"} and "0.05 s" in error.message


async def test_a_mutation_reuses_the_estimates_last_computed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Mutations run on the server's loop: they never walk a new version's portfolio (nor
    evaluate its violations) for an estimate, once some estimates exist; queries do."""
    from graph.view import PortfolioView

    walked: list[int] = []
    real = Estimates.of
    monkeypatch.setattr(Estimates, "of", staticmethod(
        lambda p: walked.append(p.version) or real(p)))
    evaluated: list[int] = []

    class Service:
        def violations_in(self, view: PortfolioView) -> list[Any]:
            evaluated.append(view.version)
            return []

    class Request:
        def __init__(self, version: int) -> None:
            self.service, self._view = Service(), PortfolioView(Portfolio(version=version))

        async def view(self) -> PortfolioView:
            return self._view

    cache = EstimateCache()
    asks_violations = graphql.parse("mutation { upsertFeature { violations { rule } } }")
    first = await cache.for_request(Request(1), asks_violations, reuse=True)
    assert walked == [1] and evaluated == [1]  # nothing to reuse yet: computed once
    again = await cache.for_request(Request(2), asks_violations, reuse=True)
    assert again is first and walked == [1] and evaluated == [1]
    query = graphql.parse("{ violations { rule } }")
    await cache.for_request(Request(2), query)
    assert walked == [1, 2] and evaluated == [1, 2]


def test_estimates_size_only_the_lists_an_operation_names() -> None:
    """Every write makes a version and its estimates: sizing every list for each one made
    every enforced write pay a pass over the whole portfolio (bench/README.md)."""
    parsed = validate_document(synthetic_document(50, 1))
    assert isinstance(parsed, ParsedDocument)
    portfolio = apply(Portfolio(), parsed.change())
    estimates = Estimates.of(portfolio)
    fanouts = estimates.fanouts
    assert isinstance(fanouts, LazyFanouts) and not fanouts._known
    query = graphql.parse("{ pis { id features { id dependsOn { id } } } }")
    cost = operation_cost(SCHEMA, estimates, query, None, None)
    assert set(fanouts._known) == {("Query", "pis"), ("ProgramIncrement", "features"),
                                   ("Feature", "dependsOn")}
    pis, features = len(portfolio.pis), len(portfolio.features)
    assert cost >= pis + features  # every PI and each of its features, at least
    assert estimates.ahead[("Query", "pis")] == pis


def test_an_impact_is_charged_what_its_root_reaches() -> None:
    """An impact lists the features within maxDepth hops of its root: the estimate walks
    that far, so a wide root's impact fits the budget on a large portfolio (at 50,000
    features, charging every feature refused the contract's own query) and still
    charges at least what the impact resolves."""
    parsed = validate_document(synthetic_document(500, 1))
    assert isinstance(parsed, ParsedDocument)
    portfolio = apply(Portfolio(), parsed.change())
    estimates = Estimates.of(portfolio)
    query = graphql.parse("""query($id: ID!, $d: Int) { impact(id: $id, maxDepth: $d) {
        items { depth item { id name } } teams { id } } }""")
    widest = max(portfolio.features, key=lambda f: len(impact(portfolio, f, 10).items))
    for root, depth in ((widest, 10), (widest, 1), (sorted(portfolio.features)[-1], 10)):
        found = impact(portfolio, root, depth)
        cost = operation_cost(SCHEMA, estimates, query, None, {"id": root, "d": depth})
        assert found is not None
        resolved = 1 + len(found.items) * 4 + 2 * len(found.team_ids)
        assert resolved <= cost <= 10 * (len(found.items) + 2)  # set by the reach
    everything = operation_cost(SCHEMA, estimates, graphql.parse(
        "{ impact(id: \"F-0001\") { items { item { id } } } }"), None, None)
    assert everything < len(portfolio.features)  # not every feature
