"""Every query of the contract over HTTP, on the contract's example portfolio."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from api.service import PortfolioService
from graph.view import PortfolioView
from tests.api.conftest import Api, ApiFactory


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


async def test_lists_return_every_item_ordered(example: Api) -> None:
    data = await example.data("""{
      themes { id name description }
      valueStreams { id name budget }
      arts { id name }
      teams { id name }
      pis { id name start end }
    }""")
    assert ids(data["themes"]) == ["TH-DIGITAL", "TH-RESILIENCE"]
    assert data["themes"][0]["description"] is None
    assert data["valueStreams"] == [{"id": "VS-RETAIL", "name": "Retail banking",
                                     "budget": 3000000.0}]
    assert ids(data["arts"]) == ["ART-CHANNELS"]
    assert ids(data["teams"]) == ["T-KESTREL", "T-ORBIT"]
    assert data["pis"] == [
        {"id": "PI-26-1", "name": "PI 26.1", "start": "2026-01-05", "end": "2026-03-13"},
        {"id": "PI-26-2", "name": "PI 26.2", "start": "2026-03-16", "end": "2026-05-22"},
    ]


async def test_strategy_types_and_key_result_progress(example: Api) -> None:
    data = await example.data("""{
      themes { id objectives { id title themes { id } keyResults {
        id title baseline target current unit progress objective { id } epics { id } } }
        epics { id } features { id } }
    }""")
    digital, resilience = data["themes"]
    assert ids(digital["epics"]) == ["E-CHATBOT"]  # through KR -> objective -> theme
    assert ids(digital["features"]) == ["F-HANDOVER", "F-INTENTS"]
    assert ids(resilience["epics"]) == ["E-CHECKOUT-HA"]
    objective = digital["objectives"][0]
    assert objective["id"] == "O-SELFSERVE" and ids(objective["themes"]) == ["TH-DIGITAL"]
    kr = objective["keyResults"][0]
    assert kr["id"] == "KR-SELFSERVE-RATE" and kr["unit"] == "%"
    assert kr["progress"] == pytest.approx((42 - 35) / (60 - 35))
    assert kr["objective"]["id"] == "O-SELFSERVE"
    assert ids(kr["epics"]) == ["E-CHATBOT"]


async def test_organisation_types(example: Api) -> None:
    data = await example.data("""{
      valueStreams { arts { id valueStream { id } teams { id } } epics { id } }
      team(id: "T-KESTREL") { id name art { id } features { id }
        capacity(piId: "PI-26-2") none: capacity(piId: "PI-NOPE")
        capacities { pi { id start } points } }
      pis { id features { id } }
    }""")
    stream = data["valueStreams"][0]
    assert ids(stream["epics"]) == ["E-CHATBOT", "E-CHECKOUT-HA"]
    art = stream["arts"][0]
    assert art["valueStream"]["id"] == "VS-RETAIL"
    assert ids(art["teams"]) == ["T-KESTREL", "T-ORBIT"]
    team = data["team"]
    assert team["art"]["id"] == "ART-CHANNELS"
    assert ids(team["features"]) == ["F-HANDOVER", "F-SESSION-REPL"]
    assert team["capacity"] == 30.0 and team["none"] is None
    assert [(c["pi"]["id"], c["points"]) for c in team["capacities"]] == [
        ("PI-26-1", 32.0), ("PI-26-2", 30.0)]
    assert {p["id"]: ids(p["features"]) for p in data["pis"]} == {
        "PI-26-1": ["F-HANDOVER", "F-INTENTS"], "PI-26-2": ["F-SESSION-REPL"]}


async def test_epic_and_feature_fields(example: Api) -> None:
    data = await example.data("""{
      epic(id: "E-CHECKOUT-HA") { id name type state horizon estimatedCost approved
        businessOwner valueStream { id } themes { id } keyResults { id } features { id }
        wsjf { userBusinessValue timeCriticality riskReductionOpportunityEnablement jobSize
               costOfDelay score } }
      feature(id: "F-HANDOVER") { id type state points epic { id } team { id } pi { id }
        wsjf { score } dependsOn { id } dependents { id } }
      intents: feature(id: "F-INTENTS") { dependents { id } }
      tracing: feature(id: "F-TRACING") { epic { id } pi { id } wsjf { score } }
      missing: epic(id: "F-HANDOVER") { id }
    }""")
    epic = data["epic"]
    assert epic["type"] == "ENABLER" and epic["state"] == "PORTFOLIO_BACKLOG"
    assert epic["horizon"] == "H1" and epic["estimatedCost"] == 1200000.0
    assert epic["approved"] is False and epic["businessOwner"] is None
    assert epic["valueStream"]["id"] == "VS-RETAIL"
    assert ids(epic["themes"]) == ["TH-RESILIENCE"]
    assert ids(epic["keyResults"]) == ["KR-AVAILABILITY"]
    assert ids(epic["features"]) == ["F-SESSION-REPL"]
    assert epic["wsjf"] == {"userBusinessValue": 8, "timeCriticality": 13,
                            "riskReductionOpportunityEnablement": 13, "jobSize": 20,
                            "costOfDelay": 34, "score": 1.7}
    feature = data["feature"]
    assert (feature["epic"]["id"], feature["team"]["id"], feature["pi"]["id"]) == (
        "E-CHATBOT", "T-KESTREL", "PI-26-1")
    assert feature["points"] == 13.0 and feature["wsjf"]["score"] == 2.0
    assert ids(feature["dependsOn"]) == ["F-INTENTS", "F-SESSION-REPL"]
    assert feature["dependents"] == []
    assert ids(data["intents"]["dependents"]) == ["F-HANDOVER"]
    assert data["tracing"] == {"epic": None, "pi": None, "wsjf": None}
    assert data["missing"] is None  # a feature's id is not an epic


async def test_node_resolves_any_kind(example: Api) -> None:
    data = await example.data("""{
      kr: node(id: "KR-AVAILABILITY") { __typename id ... on KeyResult { progress } }
      pi: node(id: "PI-26-1") { __typename ... on ProgramIncrement { name } }
      feature: node(id: "F-INTENTS") { __typename ... on Feature { points } }
      missing: node(id: "NOPE") { id }
    }""")
    assert data["kr"]["__typename"] == "KeyResult"
    assert data["kr"]["progress"] == pytest.approx((99.7 - 99.5) / (99.95 - 99.5))
    assert data["pi"] == {"__typename": "ProgramIncrement", "name": "PI 26.1"}
    assert data["feature"] == {"__typename": "Feature", "points": 21.0}
    assert data["missing"] is None


FEATURES = """
query Features($filter: FeatureFilter, $first: Int, $after: String) {
  features(filter: $filter, first: $first, after: $after) {
    totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor }
  }
}
"""


async def test_features_page_with_cursors(example: Api) -> None:
    first = (await example.data(FEATURES, {"first": 2}))["features"]
    assert [e["node"]["id"] for e in first["edges"]] == ["F-HANDOVER", "F-INTENTS"]
    assert first["totalCount"] == 4
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["endCursor"] == first["edges"][-1]["cursor"]
    assert first["pageInfo"]["endCursor"] != "F-INTENTS"  # opaque
    rest = (await example.data(FEATURES, {"first": 2,
                                          "after": first["pageInfo"]["endCursor"]}))["features"]
    assert [e["node"]["id"] for e in rest["edges"]] == ["F-SESSION-REPL", "F-TRACING"]
    assert rest["pageInfo"]["hasNextPage"] is False and rest["totalCount"] == 4


@pytest.mark.parametrize(("filter_", "expected"), [
    ({"state": ["BACKLOG"]}, ["F-HANDOVER", "F-SESSION-REPL"]),
    ({"type": "ENABLER"}, ["F-SESSION-REPL", "F-TRACING"]),
    ({"epic": "E-CHATBOT"}, ["F-HANDOVER", "F-INTENTS"]),
    ({"team": "T-ORBIT"}, ["F-INTENTS", "F-TRACING"]),
    ({"art": "ART-CHANNELS", "valueStream": "VS-RETAIL"},
     ["F-HANDOVER", "F-INTENTS", "F-SESSION-REPL", "F-TRACING"]),
    ({"pi": "PI-26-2"}, ["F-SESSION-REPL"]),
    ({"search": "sESSion"}, ["F-SESSION-REPL"]),
    ({"aligned": False}, ["F-TRACING"]),
    ({"aligned": True, "state": ["BACKLOG", "IMPLEMENTING"], "team": "T-KESTREL"},
     ["F-HANDOVER", "F-SESSION-REPL"]),
])
async def test_feature_filters(example: Api, filter_: dict[str, Any],
                               expected: list[str]) -> None:
    page = (await example.data(FEATURES, {"filter": filter_}))["features"]
    assert [e["node"]["id"] for e in page["edges"]] == expected
    assert page["totalCount"] == len(expected)


@pytest.mark.parametrize(("filter_", "expected"), [
    (None, ["E-CHATBOT", "E-CHECKOUT-HA"]),
    ({"theme": "TH-DIGITAL"}, ["E-CHATBOT"]),
    ({"state": ["IMPLEMENTING"], "type": "BUSINESS"}, ["E-CHATBOT"]),
    ({"horizon": "H1", "valueStream": "VS-RETAIL"}, ["E-CHECKOUT-HA"]),
    ({"search": "checkout"}, ["E-CHECKOUT-HA"]),
    ({"aligned": False}, []),
])
async def test_epics_connection(example: Api, filter_: dict[str, Any] | None,
                                expected: list[str]) -> None:
    data = await example.data("""query($filter: EpicFilter) {
      epics(filter: $filter) { totalCount edges { node { id } } pageInfo { hasNextPage } }
    }""", {"filter": filter_})
    assert [e["node"]["id"] for e in data["epics"]["edges"]] == expected
    assert data["epics"]["totalCount"] == len(expected)
    assert data["epics"]["pageInfo"]["hasNextPage"] is False


TRACE = """query($id: ID!) { trace(id: $id) {
  item { __typename ... on Feature { id } ... on Epic { id } }
  epic { id } keyResults { id } objectives { id } themes { id }
  team { id } art { id } valueStream { id } aligned } }"""


async def test_trace_of_a_feature_and_an_epic(example: Api) -> None:
    feature = (await example.data(TRACE, {"id": "F-HANDOVER"}))["trace"]
    assert feature["item"] == {"__typename": "Feature", "id": "F-HANDOVER"}
    assert feature["epic"]["id"] == "E-CHATBOT"
    assert (ids(feature["keyResults"]), ids(feature["objectives"]), ids(feature["themes"])) == (
        ["KR-SELFSERVE-RATE"], ["O-SELFSERVE"], ["TH-DIGITAL"])
    assert (feature["team"]["id"], feature["art"]["id"], feature["valueStream"]["id"]) == (
        "T-KESTREL", "ART-CHANNELS", "VS-RETAIL")
    assert feature["aligned"] is True
    epic = (await example.data(TRACE, {"id": "E-CHECKOUT-HA"}))["trace"]
    assert epic["item"]["__typename"] == "Epic" and epic["epic"]["id"] == "E-CHECKOUT-HA"
    assert ids(epic["themes"]) == ["TH-RESILIENCE"] and epic["team"] is None
    assert epic["valueStream"]["id"] == "VS-RETAIL"
    unaligned = (await example.data(TRACE, {"id": "F-TRACING"}))["trace"]
    assert unaligned["aligned"] is False and unaligned["epic"] is None
    assert unaligned["themes"] == [] and unaligned["team"]["id"] == "T-ORBIT"


async def test_trace_of_other_ids_is_null(example: Api) -> None:
    data = await example.data('{ a: trace(id: "KR-AVAILABILITY") { aligned }'
                              ' b: trace(id: "NOPE") { aligned } }')
    assert data == {"a": None, "b": None}


IMPACT = """query($id: ID!, $slip: ID, $depth: Int) {
  impact(id: $id, slipToPi: $slip, maxDepth: $depth) {
    root { id } items { item { id } depth } teams { id } arts { id } epics { id }
    keyResults { id } objectives { id } themes { id }
    slips { item { id } from { id } to { id } } businessValueAtRisk } }"""


async def test_impact_with_a_slip(example: Api) -> None:
    impact = (await example.data(IMPACT, {"id": "F-INTENTS", "slip": "PI-26-2"}))["impact"]
    assert impact["root"]["id"] == "F-INTENTS"
    assert impact["items"] == [{"item": {"id": "F-HANDOVER"}, "depth": 1}]
    assert ids(impact["teams"]) == ["T-KESTREL"] and ids(impact["arts"]) == ["ART-CHANNELS"]
    assert ids(impact["epics"]) == ["E-CHATBOT"]
    assert ids(impact["keyResults"]) == ["KR-SELFSERVE-RATE"]
    assert ids(impact["objectives"]) == ["O-SELFSERVE"]
    assert ids(impact["themes"]) == ["TH-DIGITAL"]
    assert impact["slips"] == [
        {"item": {"id": "F-INTENTS"}, "from": {"id": "PI-26-1"}, "to": {"id": "PI-26-2"}},
        {"item": {"id": "F-HANDOVER"}, "from": {"id": "PI-26-1"}, "to": {"id": "PI-26-2"}},
    ]
    assert impact["businessValueAtRisk"] == 5


async def test_impact_without_slip_and_of_non_features(example: Api) -> None:
    impact = (await example.data(IMPACT, {"id": "F-SESSION-REPL", "slip": "PI-26-1"}))["impact"]
    assert ids([i["item"] for i in impact["items"]]) == ["F-HANDOVER"]
    assert impact["slips"] == [] and impact["businessValueAtRisk"] == 0  # not a later PI
    assert (await example.data(IMPACT, {"id": "E-CHATBOT"}))["impact"] is None


async def test_impact_errors_have_codes(example: Api) -> None:
    body = await example.gql(IMPACT, {"id": "F-INTENTS", "slip": "PI-99"})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "NOT_FOUND" and "PI-99" in error["message"]
    body = await example.gql(IMPACT, {"id": "F-INTENTS", "depth": 0})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"


async def test_violations_and_their_filters(example: Api) -> None:
    query = """query($severity: Severity, $rule: String) {
      violations(severity: $severity, rule: $rule) {
        rule severity subjectType subjectId relatedIds excess message } }"""
    found = (await example.data(query))["violations"]
    assert [(v["rule"], v["subjectId"], v["relatedIds"]) for v in found] == [
        ("approval.significant-epic", "E-CHECKOUT-HA", []),
        ("capacity.allocation", "ART-CHANNELS", ["PI-26-1"]),
        ("capacity.allocation", "ART-CHANNELS", ["PI-26-2"]),
        ("dependency.schedule-conflict", "F-HANDOVER", ["F-SESSION-REPL"]),
        ("engagement.business-owner", "E-CHECKOUT-HA", []),
        ("investment.horizon-mix", "H2", []),
        ("traceability.unaligned", "F-TRACING", []),
    ]
    approval = found[0]
    assert approval["severity"] == "ERROR" and approval["subjectType"] == "Epic"
    assert approval["excess"] == 1.0 and approval["message"]
    errors = (await example.data(query, {"severity": "ERROR"}))["violations"]
    assert [v["rule"] for v in errors] == ["approval.significant-epic",
                                           "dependency.schedule-conflict"]
    alloc = (await example.data(query, {"rule": "capacity.allocation"}))["violations"]
    assert [v["subjectType"] for v in alloc] == ["ReleaseTrain", "ReleaseTrain"]


async def test_guardrails_show_the_effective_policy(example: Api) -> None:
    rails = (await example.data(
        "{ guardrails { rule enabled severity params description } }"))["guardrails"]
    by_rule = {g["rule"]: g for g in rails}
    assert [g["rule"] for g in rails] == sorted(by_rule) and len(rails) == 12
    assert by_rule["approval.significant-epic"]["params"] == {"threshold": 1000000}
    assert by_rule["approval.significant-epic"]["severity"] == "ERROR"
    assert by_rule["kanban.wip-limit"]["params"]["limits"] == {"ANALYZING": 5, "IMPLEMENTING": 8}
    assert all(g["enabled"] and g["description"] for g in rails)


RANKING = """query($level: RankLevel!, $scope: ID, $pi: ID, $respect: Boolean, $limit: Int) {
  ranking(level: $level, scope: $scope, piId: $pi, respectDependencies: $respect,
          limit: $limit) {
    rank item { __typename ... on Feature { id } ... on Epic { id } } wsjf { score } } }"""


async def test_ranking_orders_and_respects_dependencies(example: Api) -> None:
    plain = (await example.data(RANKING, {"level": "FEATURE"}))["ranking"]
    assert [(r["rank"], r["item"]["id"], r["wsjf"]["score"]) for r in plain] == [
        (1, "F-INTENTS", 2.0), (2, "F-HANDOVER", 2.0), (3, "F-SESSION-REPL", 1.85)]
    respecting = (await example.data(RANKING, {"level": "FEATURE", "respect": True}))["ranking"]
    assert [r["item"]["id"] for r in respecting] == ["F-INTENTS", "F-SESSION-REPL", "F-HANDOVER"]
    epics = (await example.data(RANKING, {"level": "EPIC", "limit": 1}))["ranking"]
    assert epics == [{"rank": 1, "item": {"__typename": "Epic", "id": "E-CHATBOT"},
                      "wsjf": {"score": 2.0}}]
    scoped = (await example.data(RANKING, {"level": "FEATURE", "scope": "T-ORBIT"}))["ranking"]
    assert [r["item"]["id"] for r in scoped] == ["F-INTENTS"]
    in_pi = (await example.data(RANKING, {"level": "FEATURE", "pi": "PI-26-2"}))["ranking"]
    assert [r["item"]["id"] for r in in_pi] == ["F-SESSION-REPL"]


async def test_ranking_errors_have_codes(example: Api) -> None:
    body = await example.gql(RANKING, {"level": "EPIC", "scope": "ART-CHANNELS"})
    assert body["errors"][0]["extensions"]["code"] == "INVALID_ARGUMENT"
    cycle = """mutation { addDependency(from: "F-INTENTS", to: "F-HANDOVER",
                 override: {justification: "test a cycle"}) { applied } }"""
    assert (await example.data(cycle))["addDependency"]["applied"] is True
    body = await example.gql(RANKING, {"level": "FEATURE", "respect": True})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "DEPENDENCY_CYCLE"
    assert error["extensions"]["members"] == ["F-HANDOVER", "F-INTENTS"]


async def test_audit_log_after_import(example: Api) -> None:
    log = (await example.data("""{ auditLog { id at actor operation itemId justification
                                              before after cursor } }"""))["auditLog"]
    assert len(log) == 1
    entry = log[0]
    assert entry["operation"] == "importPortfolio" and entry["actor"] == "anonymous"
    assert entry["after"]["updated"] == [] and len(entry["after"]["created"]) == 18
    assert "F-TRACING" in entry["after"]["created"] and entry["before"] is None
    assert entry["at"].endswith("+00:00")


async def test_traces_of_many_items_in_order_with_nulls(example: Api) -> None:
    data = await example.data(
        '{ traces(ids: ["F-HANDOVER", "TH-DIGITAL", "E-CHECKOUT-HA", "NOPE"]) '
        "{ item { ... on Feature { id } ... on Epic { id } } themes { id } aligned } }")
    handover, theme, checkout, nope = data["traces"]
    assert (theme, nope) == (None, None)
    assert handover == {"item": {"id": "F-HANDOVER"}, "themes": [{"id": "TH-DIGITAL"}],
                        "aligned": True}
    assert checkout["item"] == {"id": "E-CHECKOUT-HA"}
    assert checkout["themes"] == [{"id": "TH-RESILIENCE"}]
    too_many = await example.gql(
        "query($ids: [ID!]!) { traces(ids: $ids) { aligned } }", {"ids": ["F-X"] * 501})
    assert too_many["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_get_answers_carry_an_etag_and_304_until_the_version_moves(example: Api) -> None:
    headers = {"X-Requested-With": "fetch"}
    params = {"query": "{ features { totalCount } }"}
    first = await example.http.get("/graphql", params=params, headers=headers)
    assert first.status_code == 200 and first.json() == {"data": {"features": {"totalCount": 4}}}
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    same = await example.http.get("/graphql", params=params,
                                  headers={**headers, "If-None-Match": etag})
    assert (same.status_code, same.content, same.headers["etag"]) == (304, b"", etag)
    other = await example.http.get("/graphql", params={"query": "{ epics { totalCount } }"},
                                   headers={**headers, "If-None-Match": etag})
    assert other.status_code == 200  # another document: another answer
    await example.data("""mutation { upsertFeature(input: {id: "F-NEW", name: "New",
                          type: BUSINESS, state: FUNNEL}) { applied } }""")
    moved = await example.http.get("/graphql", params=params,
                                   headers={**headers, "If-None-Match": etag})
    assert moved.status_code == 200 and moved.json()["data"]["features"]["totalCount"] == 5
    assert moved.headers["etag"] != etag


async def test_cached_answers_follow_roles_and_the_version(example: Api) -> None:
    query = '{ feature(id: "F-INTENTS") { name } }'
    first = await example.post(query)
    cached = await example.post(query)
    fresh = await example.post(query, headers={"Cache-Control": "no-cache"})
    assert first.content == cached.content == fresh.content
    assert first.headers["etag"] == cached.headers["etag"]
    await example.data("""mutation { upsertFeature(input: {id: "F-INTENTS", name: "Renamed",
                          type: BUSINESS, state: BACKLOG}) { applied } }""")
    after = await example.post(query)
    assert after.json() == {"data": {"feature": {"name": "Renamed"}}}
    mutation = await example.post('mutation { removeDependency(from: "F-X", to: "F-Y") '
                                  "{ applied } }")
    assert "etag" not in mutation.headers  # only queries are cached


class BlockingService(PortfolioService):
    """A real service whose violations wait until the test lets them go on."""

    def __init__(self, inner: PortfolioService) -> None:
        super().__init__(inner.store, inner.policy)
        self.started, self.gate = threading.Event(), threading.Event()

    def violations_in(self, view: PortfolioView, severity: Any = None,
                      rule: str | None = None) -> list[Any]:
        self.started.set()
        assert self.gate.wait(10), "the server's loop was held while a query computed"
        return super().violations_in(view, severity, rule)


async def test_a_computing_query_leaves_the_server_loop_free(make_api: ApiFactory,
                                                             service: PortfolioService) -> None:
    """While one query computes, /healthz and other requests are answered: queries run on
    their own loop. Were they on the server's loop, the blocked resolver would hold
    /healthz and the test would fail on the gate's assertion."""
    blocking = BlockingService(service)
    async with make_api(service_=blocking) as api:
        query = asyncio.create_task(api.post("{ violations { rule } }"))
        assert await asyncio.to_thread(blocking.started.wait, 10)
        health = await api.http.get("/healthz")
        other = await api.data("{ themes { id } }")
        blocking.gate.set()
        response = await query
    assert health.status_code == 200 and other == {"themes": []}
    assert response.json() == {"data": {"violations": []}}
