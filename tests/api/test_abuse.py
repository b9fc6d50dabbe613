"""Abuse: over-aliased, batched, over-deep, duplicated, oversized and injected requests.

Each is refused, or handled, with a clear answer, and a refused one writes
nothing: the digest of the whole graph (tests/helpers.content_hash, which
covers the audit entries too) and the audit log read back over the API are
the same before and after. Injection strings go into every id and free-text
argument of every mutation and query: ids are checked against the id pattern
or simply match nothing, and free text is stored exactly as given.

No timing is asserted (bench/ measures), but every request is bounded by
BOUND seconds so a hang fails (httpx's own timeouts do not apply over the
ASGI transport, hence asyncio.timeout).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.service import PortfolioService
from graph.cypher.labels import Label
from graph.engines.base import Engine
from tests.api.conftest import SECRET, Api, ApiFactory, bearer, example_document, make_settings
from tests.helpers import content_hash

BOUND = 5.0  # seconds per request
# Refusals at the HTTP/GraphQL layer never reach an engine: they run on FalkorDB only
# (their Neo4j twins would double the time and test nothing new). The injection
# strings reach the engine, so they run on both engines.
ENGINE_FREE = pytest.mark.falkordb_only
MB = 1024 * 1024
ADMIN = bearer("root", ["admin"])
AUDIT = "{ auditLog(limit: 1000) { id at actor operation itemId justification before after } }"


async def post(api: Api, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    """POST a JSON body (any JSON value) to /graphql, bounded by BOUND seconds."""
    async with asyncio.timeout(BOUND):
        return await api.http.post("/graphql", json=body, headers=headers)


async def gql(api: Api, query: str, variables: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    """One operation; the response must be HTTP 200 with a JSON object body."""
    body: dict[str, Any] = {"query": query, **extra}
    if variables is not None:
        body["variables"] = variables
    response = await post(api, body, headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def codes(body: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors") or []}


def refused(body: dict[str, Any], code: str, words: str) -> None:
    """A request error: no data, one error with `code` whose message has `words`."""
    assert body.get("data") is None, body
    assert codes(body) == {code}, body
    assert any(words in e["message"] for e in body["errors"]), body


async def audit_log(api: Api, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = (await api.data(AUDIT, headers=headers))["auditLog"]
    return entries


@asynccontextmanager
async def nothing_written(api: Api, engine: Engine,
                          headers: dict[str, str] | None = None) -> AsyncIterator[None]:
    """The graph (audit entries included) and the audit log are the same on exit."""
    digest, log = await content_hash(engine), await audit_log(api, headers)
    yield
    assert await audit_log(api, headers) == log
    assert await content_hash(engine) == digest


async def graph_rows(engine: Engine) -> Counter[str]:
    """Every node (labels and properties) and edge, as canonical JSON: a multiset to diff."""
    nodes = await engine.read("MATCH (n) RETURN labels(n) AS l, properties(n) AS p")
    edges = await engine.read(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, properties(r) AS p, b.id AS b")
    return Counter(json.dumps(r, sort_keys=True, default=str) for r in nodes + edges)


# --- aliases, batches, depth, duplicates ----------------------------------------


@ENGINE_FREE
async def test_201_aliases_are_refused(example: Api, engine: Engine) -> None:
    async with nothing_written(example, engine):
        query = "{ " + " ".join(f"a{i}: themes {{ id }}" for i in range(201)) + " }"
        refused(await gql(example, query), "GRAPHQL_VALIDATION_FAILED", "201 aliases")
        deletes = " ".join(f'a{i}: deleteItem(id: "F-INTENTS") {{ applied }}' for i in range(201))
        refused(await gql(example, f"mutation {{ {deletes} }}"),
                "GRAPHQL_VALIDATION_FAILED", "201 aliases")


@ENGINE_FREE
async def test_10_batched_operations_are_refused(example: Api, engine: Engine) -> None:
    upserts = [{"query": 'mutation($n: String!) { upsertFeature(input: {id: "F-BATCH", '
                         'name: $n, type: BUSINESS, state: FUNNEL}) { applied } }',
                "variables": {"n": f"batch {i}"}} for i in range(10)]
    async with nothing_written(example, engine):
        response = await post(example, upserts)
        assert response.status_code == 400, response.text
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST" and "batch" in error["message"]


TEN_OPERATIONS = " ".join(f'mutation Op{i} {{ deleteItem(id: "F-TRACING") {{ applied }} }}'
                          for i in range(10))
@ENGINE_FREE
async def test_10_operations_in_one_document_need_an_operation_name(
        example: Api, engine: Engine) -> None:
    async with nothing_written(example, engine):
        response = await post(example, {"query": TEN_OPERATIONS})
        assert response.status_code == 400, response.text
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert "operationName" in error["message"], error
@ENGINE_FREE
async def test_of_10_operations_in_one_document_only_the_named_one_runs(example: Api) -> None:
    before = await audit_log(example)
    body = await gql(example, TEN_OPERATIONS, operationName="Op7")
    assert body == {"data": {"deleteItem": {"applied": True}}}, body
    after = await audit_log(example)
    assert len(after) == len(before) + 1 and after[1:] == before
    assert (after[0]["operation"], after[0]["itemId"]) == ("deleteItem", "F-TRACING")
    unknown = await post(example, {"query": TEN_OPERATIONS, "operationName": "Op10"})
    assert unknown.status_code == 400, unknown.text
    assert unknown.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert await audit_log(example) == after


def nested(depth: int, leaf: str = "id") -> str:
    """A selection `depth` levels deep below a feature: dependsOn { dependsOn { ... id } }."""
    return "dependsOn { " * (depth - 1) + leaf + " }" * (depth - 1)
@ENGINE_FREE
async def test_depth_50_is_refused(example: Api, engine: Engine) -> None:
    async with nothing_written(example, engine):
        query = f'{{ feature(id: "F-HANDOVER") {{ {nested(50)} }} }}'
        refused(await gql(example, query), "GRAPHQL_VALIDATION_FAILED",
                "exceeds maximum operation depth of 12")
        mutation = (f'mutation {{ deleteItem(id: "F-HANDOVER") {{ item {{ ... on Feature '
                    f'{{ {nested(50)} }} }} }} }}')
        refused(await gql(example, mutation), "GRAPHQL_VALIDATION_FAILED",
                "exceeds maximum operation depth of 12")
@ENGINE_FREE
async def test_500_duplicated_fields(example: Api, engine: Engine) -> None:
    async with nothing_written(example, engine):
        # Duplicates merge into one field (GraphQL field merging): answered once, cheaply.
        body = await gql(example, "{ themes { " + "id " * 500 + "} }")
        assert body == {"data": {"themes": [{"id": "TH-DIGITAL"}, {"id": "TH-RESILIENCE"}]}}
        # 2,500 root mutations are 22,500 tokens: refused before anything runs.
        deletes = 'deleteItem(id: "F-TRACING") { applied } ' * 2500
        refused(await gql(example, f"mutation {{ {deletes} }}"),
                "GRAPHQL_PARSE_FAILED", "more than 20000 tokens")
    # A mutation whose selection repeats a field 500 times still runs once.
    before = await audit_log(example)
    body = await gql(example, 'mutation { addDependency(from: "F-SESSION-REPL", '
                              'to: "F-INTENTS") { ' + "applied " * 500 + "} }")
    assert body == {"data": {"addDependency": {"applied": True}}}, body
    after = await audit_log(example)
    assert len(after) == len(before) + 1 and after[0]["operation"] == "addDependency"


# --- a 10 MB body -----------------------------------------------------------------
@ENGINE_FREE
async def test_10_mb_body_is_refused_below_admin(make_api: ApiFactory, engine: Engine) -> None:
    # An upsert any editor may make, were it not 10 MB: refused before it is read.
    body = {"query": "mutation($n: String!) { upsertFeature(input: {id: \"F-BIG\", name: $n, "
                     "type: BUSINESS, state: FUNNEL}) { applied } }",
            "variables": {"n": "x" * (10 * MB)}}
    async with make_api(make_settings(jwt_secret=SECRET)) as api:
        imported = await gql(api, "mutation($d: JSON!) { importPortfolio(document: $d) "
                                  "{ applied } }", {"d": example_document()}, ADMIN)
        assert imported == {"data": {"importPortfolio": {"applied": True}}}
        async with nothing_written(api, engine, ADMIN):
            for headers in (bearer("ed", ["editor"]), bearer("pat", ["portfolio"])):
                response = await post(api, body, headers)
                assert response.status_code == 413, response.text
                error = response.json()["errors"][0]
                assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
                assert "1000000 bytes" in error["message"], error
            anonymous = await post(api, body)
            assert anonymous.status_code == 401  # refused on the headers, body unread
            assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
@ENGINE_FREE
async def test_10_mb_import_with_a_bad_item_writes_nothing(example: Api,
                                                           engine: Engine) -> None:
    # Open mode acts as admin, whose cap (64 MB) lets a large import through.
    document = {"themes": [{"id": "TH-BIG", "name": "x" * (10 * MB)},
                           {"id": "not an id", "name": "bad"}]}
    async with nothing_written(example, engine):
        body = await gql(example, "mutation($d: JSON!) { importPortfolio(document: $d) "
                                  "{ applied created errors { path code } } }", {"d": document})
        assert body == {"data": {"importPortfolio": {
            "applied": False, "created": 0,
            "errors": [{"path": "themes.1.id", "code": "INVALID_ID"}]}}}, str(body)[:500]


# --- DNS rebinding and cross-site posts against open mode (issue 10 item 2) ----------


@pytest.mark.parametrize("headers", [
    {"Host": "evil.example:8000"},
    {"Host": "127.0.0.1:8000", "Origin": "http://evil.example"},
], ids=["rebound-host", "foreign-origin"])
async def test_open_mode_deletes_nothing_for_a_foreign_page(example: Api, engine: Engine,
                                                            headers: dict[str, str]) -> None:
    # curl -H 'Host: evil.example:8000' ... deleteItem answered applied: true.
    async with nothing_written(example, engine):
        response = await post(example, {"query": 'mutation { deleteItem(id: "F-TRACING") '
                                                 "{ applied } }"}, headers)
        assert response.status_code == 403, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# --- injection strings ------------------------------------------------------------

# None of these is a valid id, nor a substring of any id or name of the example.
INJECTIONS = [
    "x') DETACH DELETE n //",
    '"}) MATCH (n) DETACH DELETE n //',
    "F-INTENTS' OR 1=1 //",
    '\\"}) MATCH (n) DETACH DELETE n //',
    "x\\",
    "$ids",
    "`id`",
    "x`) DETACH DELETE n //",
    "F-INTENTS` MATCH (n) DETACH DELETE n",
    "CYPHER ids=[1] MATCH (n) DETACH DELETE n RETURN 1",
    "*/ MATCH (n) DETACH DELETE n /*",
    "F-INTENTS\n",
    "F-INTENTS\r\nMATCH (n) DETACH DELETE n",
    "F\u200b-INTENTS",  # zero-width space
    "\uff26-\uff29\uff2e\uff34\uff25\uff2e\uff34\uff33",  # full-width letters
    "ünï©ødé ☃ \U0001d518\U0001d52b\U0001d526 \u202eRTL\u2028LS",
    "{id: 'F-INTENTS'}",
    "A" * 10_000,
    "x') DETACH DELETE n // " * 440,  # about 10k characters
]
IDS = pytest.mark.parametrize("bad", INJECTIONS, ids=lambda s: repr(s[:24]))

FEATURE = {"id": "F-NEW", "name": "new", "type": "BUSINESS", "state": "FUNNEL"}
EPIC = {"id": "E-NEW", "name": "new", "type": "BUSINESS", "state": "FUNNEL"}
UPSERT_FEATURE = ("mutation($i: FeatureInput!) { upsertFeature(input: $i) "
                  "{ applied item { id } errors { path code message } } }")
UPSERT_EPIC = ("mutation($i: EpicInput!) { upsertEpic(input: $i) "
               "{ applied item { id } errors { path code message } } }")
CHANGE = "{ applied item { id } errors { path code message } }"
IMPORT = ("mutation($d: JSON!) { importPortfolio(document: $d) "
          "{ applied created updated errors { path code message } } }")
REFERENCE = {"INVALID_ID", "UNKNOWN_REFERENCE"}  # a bad id where an item is referred to


def input_errors(body: dict[str, Any], field: str) -> list[tuple[str, str]]:
    """The (path, code) of a mutation refused as data: applied false, nothing else wrong."""
    assert "errors" not in body, body
    result = body["data"][field]
    assert result["applied"] is False, result
    assert result["errors"], result
    return [(e["path"], e["code"]) for e in result["errors"]]


@IDS
async def test_injected_ids_in_mutations_are_input_errors(example: Api, engine: Engine,
                                                          bad: str) -> None:
    async with nothing_written(example, engine):
        body = await gql(example, UPSERT_FEATURE, {"i": {**FEATURE, "id": bad}})
        assert input_errors(body, "upsertFeature") == [("input.id", "INVALID_ID")]
        for field in ("epic", "team", "pi"):
            body = await gql(example, UPSERT_FEATURE, {"i": {**FEATURE, field: bad}})
            [(path, code)] = input_errors(body, "upsertFeature")
            assert path == f"input.{field}" and code in REFERENCE, (field, path, code)
        body = await gql(example, UPSERT_EPIC, {"i": {**EPIC, "id": bad}})
        assert input_errors(body, "upsertEpic") == [("input.id", "INVALID_ID")]
        for field, value, where in (("valueStream", bad, "input.valueStream"),
                                    ("themes", ["TH-DIGITAL", bad], "input.themes.1"),
                                    ("keyResults", [bad], "input.keyResults.0")):
            body = await gql(example, UPSERT_EPIC, {"i": {**EPIC, field: value}})
            [(path, code)] = input_errors(body, "upsertEpic")
            assert path == where and code in REFERENCE, (field, path, code)
        for args, where in ((("from", bad), ("to", "F-INTENTS")), "from"), \
                           ((("from", "F-HANDOVER"), ("to", bad)), "to"):
            variables = dict(args)
            body = await gql(example, "mutation($from: ID!, $to: ID!) { addDependency("
                                      f"from: $from, to: $to) {CHANGE} }}", variables)
            assert input_errors(body, "addDependency") == [(where, "UNKNOWN_REFERENCE")]
            body = await gql(example, "mutation($from: ID!, $to: ID!) { removeDependency("
                                      f"from: $from, to: $to) {CHANGE} }}", variables)
            assert input_errors(body, "removeDependency") == [("to", "NOT_FOUND")]
        body = await gql(example, f"mutation($id: ID!) {{ deleteItem(id: $id) {CHANGE} }}",
                         {"id": bad})
        assert input_errors(body, "deleteItem") == [("id", "NOT_FOUND")]


@IDS
async def test_injected_ids_in_an_import_are_input_errors(example: Api, engine: Engine,
                                                          bad: str) -> None:
    document = example_document()
    async with nothing_written(example, engine):
        for collection in (k for k in document if k != "dependencies"):
            entry = {**document[collection][0], "id": bad}
            body = await gql(example, IMPORT, {"d": {collection: [entry]}})
            errors = input_errors(body, "importPortfolio")
            assert (f"{collection}.0.id", "INVALID_ID") in errors, (collection, errors)
        references = {
            "features": [{**FEATURE, "epic": bad, "team": bad, "pi": bad}],
            "epics": [{**EPIC, "valueStream": bad, "themes": [bad], "keyResults": [bad]}],
            "teams": [{"id": "T-NEW", "name": "t", "art": bad, "capacity": {bad: 1}}],
            "dependencies": [{"from": bad, "to": "F-INTENTS"}, {"from": "F-INTENTS", "to": bad}],
        }
        body = await gql(example, IMPORT, {"d": references})
        errors = input_errors(body, "importPortfolio")
        for path in ("features.0.epic", "features.0.team", "features.0.pi",
                     "epics.0.valueStream", "epics.0.themes.0", "epics.0.keyResults.0",
                     "teams.0.art", "dependencies.0.from", "dependencies.1.to"):
            assert any(p == path and c in REFERENCE for p, c in errors), (path, errors)


ID_QUERIES: list[tuple[str, Any]] = [  # (query on $s, the data it must answer)
    ("query($s: ID!) { node(id: $s) { id } }", {"node": None}),
    ("query($s: ID!) { epic(id: $s) { id } }", {"epic": None}),
    ("query($s: ID!) { feature(id: $s) { id } }", {"feature": None}),
    ("query($s: ID!) { team(id: $s) { id } }", {"team": None}),
    ("query($s: ID!) { trace(id: $s) { aligned } }", {"trace": None}),
    ("query($s: ID!) { impact(id: $s) { businessValueAtRisk } }", {"impact": None}),
    ('query($s: ID!) { team(id: "T-ORBIT") { capacity(piId: $s) } }',
     {"team": {"capacity": None}}),
    ("query($s: ID) { auditLog(itemId: $s) { id } }", {"auditLog": []}),
    ("query($s: String) { auditLog(actor: $s) { id } }", {"auditLog": []}),
    ("query($s: String) { violations(rule: $s) { rule } }", {"violations": []}),
    *[(f"query($s: ID) {{ features(filter: {{{f}: $s}}) {{ totalCount }} }}",
       {"features": {"totalCount": 0}}) for f in ("epic", "team", "art", "valueStream", "pi")],
    ("query($s: String) { features(filter: {search: $s}) { totalCount } }",
     {"features": {"totalCount": 0}}),
    *[(f"query($s: ID) {{ epics(filter: {{{f}: $s}}) {{ totalCount }} }}",
       {"epics": {"totalCount": 0}}) for f in ("valueStream", "theme")],
    ("query($s: String) { epics(filter: {search: $s}) { totalCount } }",
     {"epics": {"totalCount": 0}}),
]
ERROR_QUERIES: list[tuple[str, str]] = [  # (query on $s, the code of its error)
    ('query($s: ID) { impact(id: "F-INTENTS", slipToPi: $s) { root { id } } }', "NOT_FOUND"),
    ("query($s: ID) { ranking(level: FEATURE, scope: $s) { rank } }", "INVALID_ARGUMENT"),
    ("query($s: ID) { ranking(level: FEATURE, piId: $s) { rank } }", "INVALID_ARGUMENT"),
    ("query($s: String) { features(after: $s) { totalCount } }", "BAD_USER_INPUT"),
    ("query($s: String) { epics(after: $s) { totalCount } }", "BAD_USER_INPUT"),
    ("query($s: String) { auditLog(before: $s) { id } }", "BAD_USER_INPUT"),
    ("query($s: DateTime) { auditLog(since: $s) { id } }", "BAD_USER_INPUT"),
]


@IDS
async def test_injected_query_arguments_match_nothing(example: Api, engine: Engine,
                                                      bad: str) -> None:
    async with nothing_written(example, engine):
        for query, expected in ID_QUERIES:
            body = await gql(example, query, {"s": bad})
            assert body == {"data": expected}, (query, body)
        for query, code in ERROR_QUERIES:
            body = await gql(example, query, {"s": bad})
            assert codes(body) == {code}, (query, body)
            assert all(isinstance(e["message"], str) for e in body["errors"])


@IDS
async def test_injected_names_are_stored_as_given(example: Api, engine: Engine,
                                                  bad: str) -> None:
    before = await graph_rows(engine)
    feature = {**FEATURE, "id": "F-INJECTED", "name": bad}
    body = await gql(example, UPSERT_FEATURE, {"i": feature})
    assert body == {"data": {"upsertFeature": {
        "applied": True, "item": {"id": "F-INJECTED"}, "errors": []}}}, str(body)[:500]
    read = await example.data('{ feature(id: "F-INJECTED") { id name } '
                              "features { totalCount } }")
    assert read == {"feature": {"id": "F-INJECTED", "name": bad},
                    "features": {"totalCount": 5}}
    found = await example.data("query($s: String) { features(filter: {search: $s}) "
                               "{ edges { node { id } } } }", {"s": bad})
    assert found == {"features": {"edges": [{"node": {"id": "F-INJECTED"}}]}}
    # The graph differs by exactly the feature, its audit entry and the version bump.
    after = await graph_rows(engine)
    added = [json.loads(row) for row in (after - before).elements()]
    removed = [json.loads(row) for row in (before - after).elements()]
    assert sorted(sorted(row.get("l", ["an edge"])) for row in added) == sorted(
        [[Label.AUDIT], [Label.FEATURE, Label.ITEM], [Label.META]]), added
    assert [row["l"] for row in removed] == [[Label.META]], removed
    [stored] = [row["p"] for row in added if Label.FEATURE in row["l"]]
    assert stored == {"id": "F-INJECTED", "name": bad, "type": "BUSINESS", "state": "FUNNEL"}


@pytest.mark.parametrize("bad", INJECTIONS[:6] + INJECTIONS[-4:], ids=lambda s: repr(s[:24]))
async def test_injected_free_text_round_trips(example: Api, bad: str) -> None:
    body = await gql(example, UPSERT_EPIC, {"i": {**EPIC, "name": bad, "businessOwner": bad}})
    assert body["data"]["upsertEpic"]["applied"] is True, str(body)[:500]
    document = {"themes": [{"id": "TH-NEW", "name": bad, "description": bad}],
                "keyResults": [{"id": "KR-NEW", "title": bad, "objective": "O-UPTIME",
                                "unit": bad}]}
    body = await gql(example, IMPORT, {"d": document})
    assert body["data"]["importPortfolio"]["applied"] is True, str(body)[:500]
    read = await example.data('{ epic(id: "E-NEW") { name businessOwner } '
                              'node(id: "TH-NEW") { ... on StrategicTheme { name description } } '
                              'kr: node(id: "KR-NEW") { ... on KeyResult { title unit } } }')
    assert read == {"epic": {"name": bad, "businessOwner": bad},
                    "node": {"name": bad, "description": bad},
                    "kr": {"title": bad, "unit": bad}}
    # An override's justification lands in the audit log as given: F-INTENTS (PI 26.1)
    # depending on F-SESSION-REPL (PI 26.2) is a blocking schedule conflict.
    body = await gql(example, 'mutation($j: String!) { addDependency(from: "F-INTENTS", '
                              'to: "F-SESSION-REPL", override: {justification: $j}) '
                              "{ applied violations { rule severity } } }", {"j": bad})
    assert body["data"]["addDependency"]["applied"] is True, str(body)[:500]
    assert {"rule": "dependency.schedule-conflict", "severity": "ERROR"} in \
        body["data"]["addDependency"]["violations"], body
    [entry, *_] = await audit_log(example)
    assert (entry["operation"], entry["justification"]) == ("addDependency", bad)


# --- strings the embedded engine cannot take: known bugs ------------------------------
#
# The FalkorDB client inlines parameters into the statement text ("CYPHER id=\"...\" MATCH
# ..."), which the server reads as a C string: a U+0000 cuts the statement short and
# FalkorDB answers with a syntax error; a lone surrogate (valid in JSON as "\ud800", not
# encodable as UTF-8) makes the client raise UnicodeEncodeError. Either surfaces as
# INTERNAL_SERVER_ERROR. They are not injections (the cut never leaves a runnable
# statement; quotes and backslashes are escaped), but any client could cause them:
# the HTTP boundary now refuses both with a 400 (api/view.py, api/schema/__init__.py).


UNSTORABLE = [  # (operation on $s, for a write: the query reading the value back as `v`)
    ("query($s: ID!) { node(id: $s) { id } }", None),
    ("query($s: ID!) { feature(id: $s) { id } }", None),
    ("query($s: ID!) { trace(id: $s) { aligned } }", None),
    ("query($s: String) { features(filter: {search: $s}) { totalCount } }", None),
    ("query($s: ID) { epics(filter: {theme: $s}) { totalCount } }", None),
    ("query($s: String) { auditLog(actor: $s) { id } }", None),
    ('mutation($s: String!) { upsertFeature(input: {id: "F-ODD", name: $s, type: BUSINESS, '
     "state: FUNNEL}) { applied errors { code } } }", '{ feature(id: "F-ODD") { v: name } }'),
    ('mutation($s: String!) { upsertEpic(input: {id: "E-ODD", name: "e", businessOwner: $s, '
     "type: BUSINESS, state: FUNNEL}) { applied errors { code } } }",
     '{ epic(id: "E-ODD") { v: businessOwner } }'),
    ('mutation($s: String!) { importPortfolio(document: {themes: [{id: "TH-ODD", name: $s}]}) '
     "{ applied errors { code } } }",
     '{ node(id: "TH-ODD") { ... on StrategicTheme { v: name } } }'),
]


def _unstorable_cases(value: str) -> list[Any]:
    return [pytest.param(value, query, readback,
                         id=query.split("{")[1].split("(")[0].strip())
            for query, readback in UNSTORABLE]


@pytest.mark.parametrize(("value", "query", "readback"),
                         _unstorable_cases("a\x00b")
                         + _unstorable_cases("a\ud800b"))
async def test_unstorable_strings_are_not_internal_errors(example: Api, engine: Engine,
                                                          value: str, query: str,
                                                          readback: str | None) -> None:
    digest = await content_hash(engine)
    # ensure_ascii: a lone surrogate travels as the JSON escape \ud800, as any client sends it
    content = json.dumps({"query": query, "variables": {"s": value}})
    async with asyncio.timeout(BOUND):
        response = await example.http.post("/graphql", content=content,
                                           headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text
    body = response.json()
    assert "INTERNAL_SERVER_ERROR" not in codes(body), body
    data = body.get("data") or {}
    if readback is not None and data and next(iter(data.values()))["applied"]:
        read = await example.data(readback)
        assert next(iter(read.values())) == {"v": value}  # stored, then exactly as given
    else:  # a read, or refused: nothing written
        assert await content_hash(engine) == digest


# --- bodies the JSON decoder cannot take (were HTTP 500, now a 400) --------------------
#
# strawberry turns only json.JSONDecodeError into a 400; Python's json also raises
# ValueError for an integer of more than 4300 digits (sys.get_int_max_str_digits) and
# RecursionError past about 1000 levels of nesting. Both escape the view: HTTP 500
# (Starlette's plain-text "Internal Server Error", on the real server too), from a
# 10 KB or 200 KB body that any client may send (well under the 1 MB cap).

HUGE_INT = "1" + "0" * 5000
DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
async def raw_http(service: PortfolioService) -> AsyncIterator[httpx.AsyncClient]:
    """The open-mode app with unhandled exceptions answered as the server does (500)."""
    app = create_app(make_settings(), service=service)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield http


QUERY_WITH = '{"query": "{ themes { id } }", '


@pytest.mark.parametrize(("method", "payload"), [
    pytest.param("POST", QUERY_WITH + '"variables": {"n": ' + HUGE_INT + "}}",
                 id="post-huge-integer"),
    pytest.param("POST", QUERY_WITH + '"variables": {"n": ' + DEEP + "}}",
                 id="post-deep-variables"),
    pytest.param("POST", QUERY_WITH + '"extensions": ' + DEEP + "}",
                 id="post-deep-extensions"),
    pytest.param("POST", DEEP, id="post-deep-body"),
    pytest.param("GET", '{"n": ' + HUGE_INT + "}", id="get-huge-integer"),
    pytest.param("GET", "[" * 3000 + "]" * 3000, id="get-deep-variables"),
    # the control: what json.JSONDecodeError gets today
    pytest.param("POST", QUERY_WITH + '"variables": {"n": [1, 2}}', id="post-broken-json"),
])
@ENGINE_FREE
async def test_undecodable_json_is_a_bad_request(raw_http: httpx.AsyncClient, engine: Engine,
                                                 method: str, payload: str) -> None:
    digest = await content_hash(engine)
    async with asyncio.timeout(BOUND):
        if method == "GET":
            response = await raw_http.get("/graphql", headers={"X-Requested-With": "fetch"},
                                          params={"query": "{ themes { id } }",
                                                  "variables": payload})
        else:
            response = await raw_http.post("/graphql", content=payload,
                                           headers={"content-type": "application/json"})
    assert response.status_code == 400, (response.status_code, response.text[:300])
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert await content_hash(engine) == digest


# --- work, not syntax: the attack query (issue 10, item 1) --------------------

ATTACK = "{ pis { features { pi { features { pi { features { pi { features { id } } } } } } } } }"


@pytest.fixture
async def demo(api: Api) -> Api:
    """Open-mode Api with the demo portfolio (150 features) imported through the API."""
    from graph.samples.demo import demo_document

    body = await gql(api, "mutation($d: JSON!) { importPortfolio(document: $d) { applied } }",
                     {"d": demo_document()})
    assert body == {"data": {"importPortfolio": {"applied": True}}}, body
    return api


async def test_the_attack_query_is_refused_before_it_runs(demo: Api, engine: Engine) -> None:
    """It ran 82 s and grew the process to 1.6 GB; now refused on its estimate, data unread."""
    async with nothing_written(demo, engine):
        counting = engine.read
        reads = 0

        async def read(*args: Any, **kwargs: Any) -> Any:
            nonlocal reads
            reads += 1
            return await counting(*args, **kwargs)

        engine.read = read  # type: ignore[method-assign]  # counts the reads of this request
        try:
            attack, health = await asyncio.gather(gql(demo, ATTACK),
                                                  demo.http.get("/healthz"))
        finally:
            engine.read = counting  # type: ignore[method-assign]
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    refused(attack, "QUERY_TOO_COMPLEX", "budget of 200000")
    extensions = attack["errors"][0]["extensions"]
    assert extensions["budget"] == 200_000 and extensions["cost"] > 1_000_000, extensions
    assert f"about {extensions['cost']} values" in attack["errors"][0]["message"]
    assert reads <= 1  # the version check of the snapshot: no feature was loaded


async def test_the_value_cap_stops_the_attack_while_it_runs(make_api: ApiFactory,
                                                            demo: Api) -> None:
    """With the estimate out of the way, the cap on values resolved stops it mid-way."""
    async with make_api(make_settings(max_cost=10**12, max_resolved=5000)) as api:
        body = await gql(api, ATTACK)
        health = await api.http.get("/healthz")
    assert health.status_code == 200
    refused(body, "QUERY_TOO_COMPLEX", "resolved more than 5000 values")
    extensions = body["errors"][0]["extensions"]
    assert extensions["budget"] == 5000 and 5000 < extensions["cost"] < 5000 + 200, extensions


async def test_the_cost_limit_is_configurable(make_api: ApiFactory, demo: Api) -> None:
    from graph.samples.demo import demo_document

    document = demo_document()
    planned = sum(1 for f in document["features"] if f.get("pi"))
    cost = len(document["pis"]) + 2 * planned  # the PIs, their features and their ids
    query = "{ pis { features { id } } }"
    async with make_api(make_settings(max_cost=cost - 1)) as api:
        body = await gql(api, query)
        refused(body, "QUERY_TOO_COMPLEX", f"budget of {cost - 1}")
        assert body["errors"][0]["extensions"] == {
            "code": "QUERY_TOO_COMPLEX", "cost": cost, "budget": cost - 1}
    async with make_api(make_settings(max_cost=cost)) as api:
        data = (await gql(api, query))["data"]
        assert sum(len(p["features"]) for p in data["pis"]) == planned


def doubling_fragments(levels: int) -> str:
    """F0 spreads F1 twice, F1 spreads F2 twice, ...: 2^levels fields, each a value and an
    alias; strawberry's depth and alias limiters walked every spread (18 levels: ~10 s)."""
    chain = " ".join(f"fragment F{i} on Feature {{ a{i}: id ...F{i + 1} ...F{i + 1} }}"
                     for i in range(levels))
    return (f'{{ feature(id: "F-INTENTS") {{ ...F0 }} }} {chain} '
            f"fragment F{levels} on Feature {{ dependsOn {{ id }} }}")


async def test_fragments_spread_exponentially_are_refused_quickly(example: Api) -> None:
    body = await gql(example, doubling_fragments(40))
    refused(body, "GRAPHQL_VALIDATION_FAILED", "aliases found. Allowed: 200")
    assert str(2**40 - 1) in body["errors"][0]["message"]  # every spread counted
    chain = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(1000))
    body = await gql(example, f"{{ ...F0 }} {chain} fragment F1000 on Query {{ pis {{ id }} }}")
    assert body["data"] is None and codes(body) == {"GRAPHQL_VALIDATION_FAILED"}, body
    assert "nests fragment spreads more than 50 deep" in body["errors"][0]["message"], body


async def test_100_aliased_traces_parse_and_run(example: Api) -> None:
    """Aliases and tokens bound the document, not the work: 100 traces are ~6,500 tokens."""
    fields = ("aligned item { ... on Feature { id name } } epic { id name } "
              "keyResults { id title } objectives { id title } themes { id name } "
              "team { id name } art { id name } valueStream { id name }")
    query = "{ " + " ".join(f't{n}: trace(id: "F-INTENTS") {{ {fields} }}'
                            for n in range(100)) + " }"
    body = await gql(example, query)
    assert "errors" not in body, body["errors"]
    assert len(body["data"]) == 100 and body["data"]["t99"]["item"]["id"] == "F-INTENTS"


# --- plain input, internal errors (issue 10, item 3) ------------------------------------


def audit_cursor_of(text: str) -> str:
    import base64

    return base64.b64encode(f"AuditEntry:{text}".encode()).decode()


@pytest.mark.parametrize("since", [
    "0001-01-01T00:00:00+01:00",  # the issue's: valid, but year 0 in UTC
    "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
])
async def test_an_instant_outside_utc_years_is_bad_input(example: Api, since: str) -> None:
    literal = await gql(example, f'{{ auditLog(since: "{since}") {{ id }} }}')
    variable = await gql(example, "query($s: DateTime) { auditLog(since: $s) { id } }",
                         {"s": since})
    for body in (literal, variable):
        refused(body, "BAD_USER_INPUT", "`since` must be an instant between")
        assert body["errors"][0]["extensions"]["argument"] == "since"
    # The same instants inside the range still work.
    assert (await gql(example, '{ auditLog(since: "0001-01-01T00:00:00") { id } }'))["data"]


@pytest.mark.parametrize("seq", [
    "9" * 19, "9" * 30, "9" * 5000,  # past a 64-bit integer: the engine failed on it
    "-1", "+1", "1_0", " 3", "\u0663", "007", "1e3", "",
])
async def test_an_audit_cursor_that_is_not_ours_is_bad_input(example: Api, seq: str) -> None:
    body = await gql(example, "query($b: String) { auditLog(before: $b) { id } }",
                     {"b": audit_cursor_of(seq)})
    refused(body, "BAD_USER_INPUT", "invalid audit log cursor")
    error = body["errors"][0]
    assert error["extensions"]["argument"] == "before" and "`before`" in error["message"]
    assert len(error["message"]) < 200  # the cursor is quoted cut short


async def test_a_real_audit_cursor_still_pages(example: Api) -> None:
    [entry] = (await example.data("{ auditLog(limit: 1) { cursor } }"))["auditLog"]
    older = await gql(example, "query($b: String) { auditLog(before: $b) { id } }",
                      {"b": entry["cursor"]})
    assert older == {"data": {"auditLog": []}}


async def test_a_huge_cursor_is_not_echoed(example: Api) -> None:
    for query in ("query($c: String) { features(after: $c) { totalCount } }",
                  "query($c: String) { auditLog(before: $c) { id } }"):
        body = await gql(example, query, {"c": "x" * 100_000})
        assert codes(body) == {"BAD_USER_INPUT"}, str(body)[:300]
        assert len(body["errors"][0]["message"]) < 200
