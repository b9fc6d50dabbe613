"""History over HTTP: versions, asOf on the snapshot fields, violation history, changes,
and every INVALID_ARGUMENT shape."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api.roles import Actor
from api.service import PortfolioService
from graph.cypher.labels import Label
from graph.engines.base import Engine
from graph.history import ensure_history
from graph.store import Store
from rules.policy import policy_from_mapping
from tests.api.conftest import Api, ApiFactory
from tests.api.test_mutations import DELETE, REMOVE_DEPENDENCY, UPSERT_EPIC
from tests.helpers import example

CHATBOT = next(e for e in example()["epics"] if e["id"] == "E-CHATBOT")
EVENTS = """query($rule: String, $subject: ID, $since: AsOf, $until: AsOf, $limit: Int) {
  violationHistory(rule: $rule, subjectId: $subject, since: $since, until: $until,
                   limit: $limit) {
    kind version previousExcess violation { rule subjectId excess }
    change { version operation justification actor } } }"""
VIOLATIONS = """query($asOf: AsOf) { violations(asOf: $asOf) { rule subjectId excess } }"""


async def history(example: Api) -> Api:
    """v1 import; v2 budget broken by an override; v3 it shrinks; v4 an epic deleted
    (budget closed); v5 a dependency removed. A few ms apart: each at its own instant."""
    budget = {**CHATBOT, "estimatedCost": 2_500_000}
    done = await example.data(UPSERT_EPIC, {"input": budget,
                                            "override": {"justification": "board approved"}})
    assert done["upsertEpic"]["applied"] is True
    await asyncio.sleep(0.005)
    smaller = {**CHATBOT, "estimatedCost": 2_000_000}
    assert (await example.data(UPSERT_EPIC, {"input": smaller}))["upsertEpic"]["applied"]
    await asyncio.sleep(0.005)
    assert (await example.data(DELETE, {"id": "E-CHECKOUT-HA"}))["deleteItem"]["applied"]
    await asyncio.sleep(0.005)
    removed = await example.data(REMOVE_DEPENDENCY, {"from": "F-HANDOVER",
                                                     "to": "F-SESSION-REPL"})
    assert removed["removeDependency"]["applied"]
    return example


@pytest.fixture
async def past(example: Api) -> Api:
    return await history(example)


def keys(violations: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(v["rule"], v["subjectId"]) for v in violations}


async def test_versions_and_the_audit_log_are_one_sequence(past: Api) -> None:
    data = await past.data("""{ portfolioVersion { version at change { version operation } }
        historyStart { version at change { id } } auditLog { version operation } }""")
    assert data["portfolioVersion"]["version"] == 5
    assert data["portfolioVersion"]["change"] == {"version": 5, "operation": "removeDependency"}
    assert data["historyStart"] == {"version": 0, "at": None, "change": None}
    assert [e["version"] for e in data["auditLog"]] == [5, 4, 3, 2, 1]


async def test_violations_as_of_a_version_and_an_instant(past: Api) -> None:
    now = keys((await past.data(VIOLATIONS))["violations"])
    at2 = keys((await past.data(VIOLATIONS, {"asOf": {"version": 2}}))["violations"])
    assert ("budget.value-stream", "VS-RETAIL") in at2 - now
    assert ("dependency.schedule-conflict", "F-HANDOVER") in at2 - now
    assert (await past.data(VIOLATIONS, {"asOf": {"version": 0}}))["violations"] == []
    log = (await past.data("{ auditLog { version at } }"))["auditLog"]
    at = next(e["at"] for e in log if e["version"] == 2)
    by_time = keys((await past.data(VIOLATIONS, {"asOf": {"at": at}}))["violations"])
    assert by_time == at2, log
    early = await past.data(VIOLATIONS, {"asOf": {"at": "2000-01-01T00:00:00Z"}})
    assert early["violations"] == []


async def test_trace_impact_and_ranking_as_of(past: Api) -> None:
    query = """query($v: Int!) {
      trace(id: "E-CHECKOUT-HA", asOf: {version: $v}) { item { ... on Epic { id name } } }
      impact(id: "F-SESSION-REPL", asOf: {version: $v}) { items { item { id } } }
      ranking(level: EPIC, asOf: {version: $v}) { item { ... on Epic { id } } } }"""
    then, now = await past.data(query, {"v": 3}), await past.data(query, {"v": 5})
    assert then["trace"]["item"]["id"] == "E-CHECKOUT-HA" and now["trace"] is None
    assert [i["item"]["id"] for i in then["impact"]["items"]] == ["F-HANDOVER"]
    assert now["impact"]["items"] == []
    assert "E-CHECKOUT-HA" in [r["item"]["id"] for r in then["ranking"]]
    assert "E-CHECKOUT-HA" not in [r["item"]["id"] for r in now["ranking"]]


async def test_violation_history_tells_how_a_breach_began_and_ended(past: Api) -> None:
    events = (await past.data(EVENTS, {"rule": "budget.value-stream"}))["violationHistory"]
    assert [(e["kind"], e["version"], e["previousExcess"]) for e in events] == [
        ("OPENED", 2, None), ("SHRANK", 3, pytest.approx(700_000)),
        ("CLOSED", 4, pytest.approx(200_000))]
    assert events[0]["change"]["justification"] == "board approved"
    assert events[0]["violation"]["excess"] == pytest.approx(700_000)
    window = await past.data(EVENTS, {"since": {"version": 2}, "until": {"version": 4},
                                      "subject": "VS-RETAIL"})
    assert [e["version"] for e in window["violationHistory"]] == [3, 4]
    closed = await past.data(EVENTS, {"since": {"version": 4}})
    assert {(e["kind"], e["violation"]["rule"]) for e in closed["violationHistory"]} == {
        ("CLOSED", "dependency.schedule-conflict")}
    everything = (await past.data(EVENTS, {"limit": 1000}))["violationHistory"]
    assert [e["version"] for e in everything] == sorted(e["version"] for e in everything)
    assert {e["version"] for e in everything} == {1, 2, 3, 4, 5}
    limited = (await past.data(EVENTS, {"limit": 2}))["violationHistory"]
    assert limited == everything[:2]


async def test_events_follow_the_policy_running_now(past: Api, make_api: ApiFactory,
                                                    engine: Engine) -> None:
    """Stored events were computed with the default policy; another one recomputes them."""
    lenient = policy_from_mapping({"guardrails": {"budget.value-stream": {"enabled": False}}})
    other = PortfolioService(Store(engine), lenient)
    async with make_api(service_=other) as api:
        events = (await api.data(EVENTS, {"limit": 1000}))["violationHistory"]
        assert events and "budget.value-stream" not in {e["violation"]["rule"] for e in events}
        mine = (await past.data(EVENTS, {"limit": 1000}))["violationHistory"]
        assert [e for e in mine if e["violation"]["rule"] != "budget.value-stream"] == events


async def test_changes_between_two_versions(past: Api) -> None:
    query = """query($from: AsOf!, $to: AsOf) { changes(from: $from, to: $to) {
      from { version } to { version change { operation } }
      added { id } removed { id type fields before after }
      changed { id type fields before after }
      dependenciesAdded { from to } dependenciesRemoved { from to }
      violationsOpened { rule subjectId } violationsClosed { rule subjectId } } }"""
    diff = (await past.data(query, {"from": {"version": 1}}))["changes"]
    assert (diff["from"]["version"], diff["to"]["version"]) == (1, 5)
    assert diff["to"]["change"]["operation"] == "removeDependency"
    assert diff["added"] == []
    assert [(r["id"], r["type"], r["after"]) for r in diff["removed"]] == [
        ("E-CHECKOUT-HA", "Epic", None)]
    assert "estimatedCost" in diff["removed"][0]["fields"]
    assert diff["removed"][0]["before"]["estimatedCost"] == 1_200_000
    chatbot = next(c for c in diff["changed"] if c["id"] == "E-CHATBOT")
    assert (chatbot["type"], chatbot["fields"]) == ("Epic", ["estimatedCost"])
    assert (chatbot["before"]["estimatedCost"], chatbot["after"]["estimatedCost"]) == (
        900_000, 2_000_000)
    assert diff["dependenciesRemoved"] == [{"from": "F-HANDOVER", "to": "F-SESSION-REPL"}]
    assert diff["dependenciesAdded"] == []
    assert ("dependency.schedule-conflict", "F-HANDOVER") in keys(diff["violationsClosed"])
    assert ("approval.significant-epic", "E-CHECKOUT-HA") in keys(diff["violationsClosed"])
    back = (await past.data(query, {"from": {"version": 0}, "to": {"version": 1}}))["changes"]
    assert len(back["added"]) == 18 and back["removed"] == back["changed"] == []
    assert len(back["dependenciesAdded"]) == 2 and back["violationsOpened"]
    same = (await past.data(query, {"from": {"version": 3}, "to": {"version": 3}}))["changes"]
    assert same["changed"] == same["added"] == same["removed"] == []


async def error_of(api: Api, query: str, variables: dict[str, Any] | None = None) -> str:
    body = await api.gql(query, variables)
    assert body.get("errors"), body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_ARGUMENT", error
    message: str = error["message"]
    return message


@pytest.mark.parametrize(("as_of", "says"), [
    ({"version": 1, "at": "2026-01-01T00:00:00Z"}, "exactly one of version and at (got both)"),
    ({}, "exactly one of version and at (got neither)"),
    ({"version": -1}, "must be 0 or more (got -1)"),
    ({"version": 6}, "version 6 is after the current version 5"),
])
async def test_bad_as_of_is_invalid_argument(past: Api, as_of: dict[str, Any], says: str
                                             ) -> None:
    for field in ("violations(asOf: $a) { rule }", 'trace(id: "F-INTENTS", asOf: $a) { aligned }',
                  'impact(id: "F-INTENTS", asOf: $a) { businessValueAtRisk }',
                  "ranking(level: EPIC, asOf: $a) { rank }", "themes(asOf: $a) { id }",
                  "changes(from: $a) { added { id } }",
                  "violationHistory(since: $a) { kind }"):
        assert says in await error_of(past, f"query($a: AsOf!) {{ {field} }}", {"a": as_of})


async def test_other_errors_are_invalid_argument(past: Api) -> None:
    assert "from (version 4) is after to (version 2)" in await error_of(
        past, "{ changes(from: {version: 4}, to: {version: 2}) { added { id } } }")
    assert "limit must be between 1 and 1000 (got 1001)" in await error_of(
        past, "{ violationHistory(limit: 1001) { kind } }")
    assert "asOf.version 9 is after the current version" in await error_of(
        past, "{ epics(asOf: {version: 9}) { totalCount } }")


async def test_every_read_answers_as_of_a_version_nested_fields_included(past: Api) -> None:
    """v1: the example as imported (E-CHECKOUT-HA exists, E-CHATBOT costs 900,000); now
    (v5) the epic is deleted, the cost is 2,000,000 and a dependency is gone."""
    then = await past.data("""{
      gone: epic(id: "E-CHECKOUT-HA", asOf: {version: 1}) { id estimatedCost }
      chatbot: node(id: "E-CHATBOT", asOf: {version: 1}) {
        ... on Epic { estimatedCost features { id epic { estimatedCost } } } }
      epics(asOf: {version: 1}) { totalCount edges { node { id } } }
      themes(asOf: {version: 1}) { epics { id } }
      valueStreams(asOf: {version: 1}) { epics { id estimatedCost } }
      handover: feature(id: "F-HANDOVER", asOf: {version: 1}) { dependsOn { id } }
      features(asOf: {version: 1}, filter: {search: "handover"}) {
        edges { node { dependsOn { id } } } }
      teams(asOf: {version: 1}) { id } arts(asOf: {version: 1}) { id }
      pis(asOf: {version: 1}) { id } team(id: "T-ORBIT", asOf: {version: 1}) { id } }""")
    now = await past.data("""{
      gone: epic(id: "E-CHECKOUT-HA") { id }
      chatbot: node(id: "E-CHATBOT") { ... on Epic { estimatedCost } }
      epics { totalCount }
      handover: feature(id: "F-HANDOVER") { dependsOn { id } } }""")
    assert then["gone"] == {"id": "E-CHECKOUT-HA", "estimatedCost": 1_200_000}
    assert now["gone"] is None
    assert then["chatbot"]["estimatedCost"] == 900_000
    assert now["chatbot"]["estimatedCost"] == 2_000_000
    assert {f["epic"]["estimatedCost"] for f in then["chatbot"]["features"]} == {900_000}
    assert then["epics"]["totalCount"] == now["epics"]["totalCount"] + 1
    assert "E-CHECKOUT-HA" in {e["id"] for t in then["themes"] for e in t["epics"]}
    assert {e["estimatedCost"] for v in then["valueStreams"] for e in v["epics"]
            if e["estimatedCost"] is not None} >= {900_000, 1_200_000}
    then_deps = {d["id"] for d in then["handover"]["dependsOn"]}
    assert "F-SESSION-REPL" in then_deps
    assert "F-SESSION-REPL" not in {d["id"] for d in now["handover"]["dependsOn"]}
    assert {d["id"] for d in then["features"]["edges"][0]["node"]["dependsOn"]} == then_deps
    assert then["teams"] and then["arts"] and then["pis"] and then["team"] == {"id": "T-ORBIT"}


async def test_a_store_older_than_history_reports_its_start(example: Api, make_api: ApiFactory,
                                                            engine: Engine) -> None:
    await engine.write(f"MATCH (a:{Label.AUDIT}) REMOVE a.change")  # as written before history
    store = Store(engine)
    await ensure_history(store)  # what Store.start does: checkpoints version 1
    service = PortfolioService(store, example.service.policy)
    assert (await service.delete_item("F-TRACING", Actor("t", frozenset({"admin"})))).applied
    async with make_api(service_=service) as api:
        assert (await api.data("{ historyStart { version } }"))["historyStart"]["version"] == 1
        assert "before historyStart 1" in await error_of(api, VIOLATIONS, {"asOf": {"version": 0}})
        events = (await api.data(EVENTS))["violationHistory"]
        assert {e["version"] for e in events} == {2}
        assert ("traceability.unaligned", "F-TRACING") in {
            (e["violation"]["rule"], e["violation"]["subjectId"]) for e in events}
        at1 = (await api.data(VIOLATIONS, {"asOf": {"version": 1}}))["violations"]
        assert ("traceability.unaligned", "F-TRACING") in keys(at1)
