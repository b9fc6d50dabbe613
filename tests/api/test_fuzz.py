"""Property-based fuzzing of /graphql from the served schema (hypothesis-graphql).

Queries and mutations are generated from the SDL of the schema the app
serves and sent over HTTP (httpx + ASGI, the real app on the real embedded
engine, the example portfolio loaded), in open mode, with an admin token and
with a viewer token. Whatever is generated, the answer must be a GraphQL
response: never a 5xx, a JSON object with `data` and/or `errors` (a non-empty
list of objects with a string `message`), and never INTERNAL_SERVER_ERROR
(an unexpected exception: a bug). A viewer's mutations must change nothing.

IDs are drawn mostly from the example portfolio so that operations reach real
data; generated mutations change it as they go (each test starts afresh).
Runs are reproducible: derandomized, no example database.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from api.schema import build_schema
from graph.engines.base import Engine
from tests.api.conftest import (
    IMPORT,
    SECRET,
    Api,
    ApiFactory,
    bearer,
    example_document,
    make_settings,
)
from tests.helpers import content_hash

# The HTTP/GraphQL layer only: FalkorDB is enough (see tests/api/conftest.py).
pytestmark = pytest.mark.falkordb_only

# The SDL the app serves (the protection extensions do not change the types).
SDL = str(build_schema())

settings.register_profile(
    "api-fuzz",
    derandomize=True,  # the same examples on every run: CI is reproducible
    database=None,
    deadline=None,
    print_blob=True,
    # The fixtures hold the app and the loaded portfolio for the whole test on purpose;
    # generated documents are large by nature.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("api-fuzz")  # used as a parent, never loaded globally

REQUEST_BOUND = 10.0  # seconds: a request that takes longer is a hang, and fails the test

# --- value strategies -------------------------------------------------------

EXAMPLE = example_document()
REAL_IDS = sorted(
    {e["id"] for key, items in EXAMPLE.items() if key != "dependencies" for e in items}
)
NASTY = [
    "", " ", "x') DETACH DELETE n //", '"}) MATCH (n) DETACH DELETE n //', "$ids", "`id`",
    "F-INTENTS\n", "F-INTENTS' OR 1=1 //", "ünï©ødé-☃", "a" * 65, "\\", '\\"',
    "\U0001d518\U0001d52b\U0001d526",  # fraktur letters
]
# U+0000 is generated too: the API refuses it (a validation error in a literal, a 400
# BAD_REQUEST in variables) since no engine stores it. Lone surrogates stay out: httpx
# cannot encode them (test_abuse.py sends them escaped).
TEXT = st.characters(codec="utf-8")
text = partial(st.text, TEXT)

ids = st.one_of(
    st.sampled_from(REAL_IDS),
    st.sampled_from(NASTY),
    text(max_size=20),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,10}", fullmatch=True),
)
id_nodes = st.one_of(ids.map(nodes.String), st.integers(-(2**31), 2**31 - 1).map(nodes.Int))
date_text = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    text(max_size=12),
    st.sampled_from(["2026-02-30", "0000-00-00", "9999-12-31", "2026-13-01"]),
)
datetime_text = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    text(max_size=30),
    st.sampled_from(["2026-03-10T10:00:00+25:00", "0001-01-01T00:00:00-23:59",
                     "9999-12-31T23:59:59.999999+00:00",
                     # valid instants whose UTC time is before year 1 or after 9999
                     "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"]),
)


def _b64(text: str, urlsafe: bool = False) -> str:
    encode = base64.urlsafe_b64encode if urlsafe else base64.b64encode
    return encode(text.encode()).decode()


# Cursors: ours (an audit entry's sequence, an item id), near misses (signs, underscores,
# other digits, no padding) and sequence numbers past a 64-bit engine integer.
cursors = st.one_of(
    st.integers(0, 10**40).map(lambda n: _b64(f"AuditEntry:{n}")),
    st.sampled_from(["-1", "+1", "1_0", " 3", "\u0663", "0" * 30, "9" * 5000, "1e3"]).map(
        lambda n: _b64(f"AuditEntry:{n}")),
    st.sampled_from([*REAL_IDS, "x" * 70, "F-INTENTS\n"]).map(lambda i: _b64(i, urlsafe=True)),
    st.sampled_from(REAL_IDS).map(lambda i: _b64(i, urlsafe=True).rstrip("=")),
    text(max_size=20),
)

# JSON literals: object keys are GraphQL names, so draw them from the document's
# vocabulary (to get near-valid portfolio documents) or any name.
DOCUMENT_KEYS = sorted(
    set(EXAMPLE)
    | {k for key, items in EXAMPLE.items() for item in items for k in item}
    | {"userBusinessValue", "timeCriticality", "riskReductionOpportunityEnablement", "jobSize"}
)
json_keys = st.one_of(st.sampled_from(DOCUMENT_KEYS), st.from_regex(r"[_A-Za-z][_0-9A-Za-z]{0,8}",
                                                                     fullmatch=True))
json_scalars = st.one_of(
    st.none(), st.booleans(), ids, text(max_size=30),
    st.integers(),  # unbounded: beyond 64 bits too
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1, 2, 3, 5, 8, 13, 20, 0, -1]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_keys, inner, max_size=5),
    max_leaves=25,
)


def _item(collection: str) -> st.SearchStrategy[dict[str, Any]]:
    """An entry shaped like one of the example's `collection`, its values shuffled about."""
    keys = sorted({k for item in EXAMPLE[collection] for k in item})
    return st.dictionaries(st.sampled_from(keys), st.one_of(
        json_scalars, st.sampled_from([v for item in EXAMPLE[collection] for v in item.values()]),
    ), max_size=len(keys))


near_documents = st.one_of(
    st.fixed_dictionaries({}, optional={
        key: st.lists(_item(key), max_size=3) for key in EXAMPLE
    }),
    st.just(EXAMPLE),
)


GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


def json_node(value: Any) -> graphql.ValueNode:
    """A Python JSON value as a GraphQL literal."""
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([json_node(v) for v in value])
    return nodes.Object([  # a literal's keys are GraphQL names: others are left out
        graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=json_node(v))
        for k, v in value.items() if GRAPHQL_NAME.fullmatch(k)
    ])


SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "ID": id_nodes,
    # Mostly non-empty: an empty override justification fails the whole mutation early.
    "String": st.one_of(text(min_size=1, max_size=40), st.sampled_from(NASTY),
                        cursors).map(nodes.String),
    # Often on the WSJF scale or at the edges of the bounded arguments, else any 32-bit Int.
    "Int": st.one_of(st.sampled_from([1, 2, 3, 5, 8, 13, 20, 0, -1, 50, 51, 500, 501, 1000, 1001]),
                     st.integers(-(2**31), 2**31 - 1)).map(nodes.Int),
    "Date": date_text.map(nodes.String),
    "DateTime": datetime_text.map(nodes.String),
    # Not null itself: the generator adds null where the type is nullable.
    "JSON": st.one_of(json_values.filter(lambda v: v is not None), near_documents).map(json_node),
}

# Values sent as variables (JSON): any keys, any nesting.
any_json = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.one_of(json_keys, text(max_size=10)), inner, max_size=5),
    max_leaves=25,
)


def near_entry(collection: str) -> st.SearchStrategy[dict[str, Any]]:
    """An entry of `collection` with its own keys and stray ones, values from anywhere."""
    keys = sorted({k for item in EXAMPLE[collection] for k in item})
    values = [v for item in EXAMPLE[collection] for v in item.values()]
    return st.dictionaries(st.one_of(st.sampled_from(keys), text(max_size=8)),
                           st.one_of(st.sampled_from(values), any_json), max_size=len(keys) + 1)


import_documents = st.one_of(
    st.fixed_dictionaries({}, optional={k: st.lists(near_entry(k), max_size=4) for k in EXAMPLE}),
    any_json.filter(lambda v: v is not None),  # null for a JSON! variable: a request error
)
feature_inputs = st.fixed_dictionaries(
    {"id": ids, "name": st.one_of(text(max_size=30), st.sampled_from(NASTY)),
     "type": st.sampled_from(["BUSINESS", "ENABLER"]),
     "state": st.sampled_from(["FUNNEL", "BACKLOG", "IMPLEMENTING", "DONE"])},
    optional={"points": st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                                  st.integers(-5, 100)),
              "epic": ids, "team": ids, "pi": ids,
              "wsjf": st.fixed_dictionaries({k: st.sampled_from([1, 2, 3, 5, 8, 13, 20, 4])
                                             for k in ("userBusinessValue", "timeCriticality",
                                                       "riskReductionOpportunityEnablement",
                                                       "jobSize")})},
)

QUERIES = queries(SDL, custom_scalars=SCALARS)
MUTATIONS = mutations(SDL, custom_scalars=SCALARS)
NEGATIVE = st.one_of(queries(SDL, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
                     mutations(SDL, custom_scalars=SCALARS, mode=Mode.NEGATIVE))

# The only validation errors a schema-valid document may get: the protection limits, and
# the literals of the custom scalars (deliberately drawn from bad ones too).
LIMIT_MESSAGES = ("exceeds maximum operation depth", "aliases", "tokens", "nests fragment",
                  "cannot represent a Date", "cannot represent a DateTime", "U+0000")

# --- the properties -----------------------------------------------------------


async def send(api: Api, query: str, headers: dict[str, str] | None = None,
               variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST one operation; check the response is a well-formed GraphQL response; its body."""
    async with asyncio.timeout(REQUEST_BOUND):
        response = await api.post(query, variables, headers=headers)
    assert response.status_code < 500, (response.status_code, response.text, query)
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = json.loads(response.text)
    assert isinstance(body, dict), body
    assert "data" in body or "errors" in body, body
    assert set(body) <= {"data", "errors", "extensions"}, body
    assert body.get("data") is None or isinstance(body["data"], dict), body
    if "errors" in body:
        errors = body["errors"]
        assert isinstance(errors, list) and errors, body
        for error in errors:
            assert isinstance(error, dict) and isinstance(error.get("message"), str), error
    internal = [e for e in body.get("errors") or []
                if (e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"]
    assert not internal, f"internal server error for\n{query}\n{variables!r:.2000}\n-> {body}"
    return body


def schema_valid(body: dict[str, Any], query: str) -> None:
    """A schema-valid document may be refused only by the limits or a bad custom scalar."""
    for error in body.get("errors") or []:
        if (error.get("extensions") or {}).get("code") == "GRAPHQL_VALIDATION_FAILED":
            assert any(m in error["message"] for m in LIMIT_MESSAGES), (error, query)
        assert (error.get("extensions") or {}).get("code") != "GRAPHQL_PARSE_FAILED" \
            or "tokens" in error["message"], (error, query)


@pytest.fixture
async def admin_api(make_api: ApiFactory) -> AsyncIterator[Api]:
    """Auth mode with the example portfolio imported by an admin."""
    async with make_api(make_settings(jwt_secret=SECRET)) as api:
        response = await api.post(IMPORT, {"doc": example_document()},
                                  headers=bearer("root", ["admin"]))
        assert response.json()["data"]["importPortfolio"]["applied"] is True, response.text
        yield api


@settings(FUZZ, max_examples=150)
@given(query=QUERIES)
async def test_queries_in_open_mode(example: Api, query: str) -> None:
    schema_valid(await send(example, query), query)


@settings(FUZZ, max_examples=150)
@given(mutation=MUTATIONS)
async def test_mutations_in_open_mode(example: Api, mutation: str) -> None:
    schema_valid(await send(example, mutation), mutation)


@settings(FUZZ, max_examples=150)
@given(operation=st.one_of(QUERIES, MUTATIONS))
async def test_operations_as_admin(admin_api: Api, operation: str) -> None:
    schema_valid(await send(admin_api, operation, bearer("root", ["admin"])), operation)


@settings(FUZZ, max_examples=60)
@given(mutation=MUTATIONS)
async def test_a_viewers_mutations_change_nothing(admin_api: Api, engine: Engine,
                                                  mutation: str) -> None:
    before = await content_hash(engine)
    body = await send(admin_api, mutation, bearer("vic", ["viewer"]))
    schema_valid(body, mutation)
    assert await content_hash(engine) == before, mutation
    for error in body.get("errors") or []:
        assert error["extensions"]["code"] in ("FORBIDDEN", "GRAPHQL_VALIDATION_FAILED",
                                               "GRAPHQL_PARSE_FAILED"), error


IMPORT_DOCUMENT = ("mutation($doc: JSON!) { importPortfolio(document: $doc) "
                   "{ applied created updated errors { path code message } } }")


@settings(FUZZ, max_examples=100)
@given(document=import_documents)
async def test_imports_are_all_or_nothing(example: Api, engine: Engine, document: Any) -> None:
    before = await content_hash(engine)
    body = await send(example, IMPORT_DOCUMENT, variables={"doc": document})
    if "errors" in body:  # text no engine can store (U+0000): refused before anything runs
        assert {e["extensions"]["code"] for e in body["errors"]} == {"BAD_REQUEST"}, body
        assert await content_hash(engine) == before, document
        return
    result = body["data"]["importPortfolio"]
    if result["applied"]:
        assert result["errors"] == [], result
    else:
        assert result["errors"] and result["created"] == result["updated"] == 0, result
        assert await content_hash(engine) == before, document


CHANGES = """
mutation($f: FeatureInput!, $dry: Boolean, $o: OverrideInput, $from: ID!, $to: ID!) {
  upsertFeature(input: $f, dryRun: $dry, override: $o) { applied errors { path code } }
  addDependency(from: $from, to: $to, dryRun: $dry) { applied errors { path code } }
}
"""


@settings(FUZZ, max_examples=80)
@given(variables=st.fixed_dictionaries(
    {"f": st.one_of(feature_inputs, any_json), "from": ids, "to": ids},
    optional={"dry": st.one_of(st.booleans(), any_json),
              "o": st.one_of(st.fixed_dictionaries({"justification": text(max_size=20)}),
                             any_json)}))
async def test_variables_of_any_shape(example: Api, variables: dict[str, Any]) -> None:
    body = await send(example, CHANGES, variables=variables)
    if body.get("data") is None:  # refused as a whole: a bad variable or override
        assert {e["extensions"]["code"] for e in body["errors"]} <= {
            "BAD_USER_INPUT", "BAD_REQUEST"}, body


@settings(FUZZ, max_examples=100)
@given(operation=NEGATIVE)
async def test_invalid_operations_are_request_errors(example: Api, operation: str) -> None:
    body = await send(example, operation)
    assert body.get("data") is None and body.get("errors"), (operation, body)
    assert {e["extensions"]["code"] for e in body["errors"]} <= {
        "GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED", "BAD_USER_INPUT"}, body


PAGING = """
query($limit: Int, $before: String, $since: DateTime, $first: Int, $after: String,
      $depth: Int, $rank: Int) {
  auditLog(limit: $limit, before: $before, since: $since) { id cursor }
  features(first: $first, after: $after) { totalCount pageInfo { endCursor } }
  impact(id: "F-INTENTS", maxDepth: $depth) { items { depth } }
  ranking(level: FEATURE, limit: $rank) { rank }
}
"""
ints = st.one_of(st.integers(), st.sampled_from([0, 1, 500, 501, 1000, 1001, 2**31, 2**63]))


@settings(FUZZ, max_examples=80)
@given(variables=st.fixed_dictionaries({}, optional={
    "limit": st.one_of(ints, any_json), "before": st.one_of(cursors, any_json),
    "since": st.one_of(datetime_text, any_json), "first": st.one_of(ints, any_json),
    "after": st.one_of(cursors, any_json), "depth": ints, "rank": ints}))
async def test_paging_arguments_of_any_shape(example: Api, variables: dict[str, Any]) -> None:
    """Huge numbers, odd instants, cursors that do not decode: a clear error, never a bug."""
    body = await send(example, PAGING, variables=variables)
    allowed = {"BAD_USER_INPUT", "BAD_REQUEST", "INVALID_ARGUMENT"}
    assert {e["extensions"]["code"] for e in body.get("errors") or []} <= allowed, body
    for error in body.get("errors") or []:
        if error.get("path"):  # a resolver refused an argument: the message names it
            name = error["path"][0]
            assert any(a in error["message"] for a in ARGUMENT_NAMES[name]), error


ARGUMENT_NAMES = {"auditLog": ("limit", "before", "since"), "features": ("first", "after"),
                  "impact": ("maxDepth",), "ranking": ("limit",)}
