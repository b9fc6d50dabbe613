"""`orderBy`, `last` / `before` and the whole PageInfo on `features` and `epics`, over HTTP
on each engine, against orders computed here from the imported document.

Bad input first: an unknown order field, cursors that are not ours, cursors made under
another order, `first` with `last`. Then every order in both directions, walked forward
with `after` and backward with `before` / `last` in small pages: the pages put together
must be exactly the order sorted here (null keys last, ties by id), with no duplicate and
no gap, and each page's flags must say what is before and after it.
"""

from __future__ import annotations

import base64
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import graphql
import pytest

from api.cost import Estimates, operation_cost
from api.schema import build_schema
from graph.changes import apply
from graph.document import ParsedDocument, validate_document
from graph.model import Portfolio
from graph.samples.synthetic import synthetic_document
from tests.api.conftest import IMPORT, Api

FEATURE_STATES = ["FUNNEL", "ANALYZING", "BACKLOG", "IMPLEMENTING", "VALIDATING", "DEPLOYING",
                  "RELEASING", "DONE"]  # the contract's enum: the ART Kanban's order
EPIC_STATES = ["FUNNEL", "REVIEWING", "ANALYZING", "PORTFOLIO_BACKLOG", "IMPLEMENTING", "DONE"]
FIELDS = ["NAME", "STATE", "WSJF_SCORE", "PI_START"]
TYPES = {"features": ("FeatureOrder", "FeatureFilter"), "epics": ("EpicOrder", "EpicFilter")}


def page_query(which: str) -> str:
    order, filter_ = TYPES[which]
    return f"""query($first: Int, $last: Int, $after: String, $before: String,
                     $order: {order}, $filter: {filter_}, $asOf: AsOf) {{
      {which}(first: $first, last: $last, after: $after, before: $before, orderBy: $order,
              filter: $filter, asOf: $asOf) {{
        totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
        edges {{ cursor node {{ id }} }} }} }}"""


def document() -> dict[str, Any]:
    """A synthetic portfolio with the cases orders must get right: names equal but for
    case, items without WSJF inputs, features without a PI, epics without features."""
    doc = synthetic_document(90, 5)
    features = doc["features"]
    features[3]["name"], features[4]["name"] = "Alpha launch", "alpha LAUNCH"
    features[40]["name"] = "Alpha Launch"
    for feature in features[5:9]:
        feature.pop("wsjf", None)
    for feature in features[10:16]:
        feature.pop("pi", None)
    doc["epics"][2]["name"] = "ALPHA LAUNCH"
    doc["epics"][2]["wsjf"] = dict(doc["epics"][0]["wsjf"])  # equal scores
    doc["epics"] += [
        {"id": "E-ZZ-EMPTY", "name": "Zero features", "type": "BUSINESS", "state": "FUNNEL"},
        {"id": "E-AA-EMPTY", "name": "alpha launch", "type": "ENABLER", "state": "REVIEWING"},
    ]
    return doc


# --- the orders, computed from the document alone ----------------------------------


def score(wsjf: dict[str, int] | None) -> Decimal | None:
    if wsjf is None:
        return None
    cost_of_delay = (wsjf["userBusinessValue"] + wsjf["timeCriticality"]
                     + wsjf["riskReductionOpportunityEnablement"])
    return (Decimal(cost_of_delay) / Decimal(wsjf["jobSize"])).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP)


def sort_value(doc: dict[str, Any], which: str, item: dict[str, Any], field: str) -> Any:
    starts = {pi["id"]: pi["start"] for pi in doc["pis"]}
    if field == "NAME":
        return item["name"].casefold()
    if field == "STATE":
        return (FEATURE_STATES if which == "features" else EPIC_STATES).index(item["state"])
    if field == "WSJF_SCORE":
        return score(item.get("wsjf"))
    if which == "features":
        return starts.get(item.get("pi", ""))
    planned = [starts[f["pi"]] for f in doc["features"]
               if f.get("epic") == item["id"] and f.get("pi")]
    return min(planned, default=None)


def expected(doc: dict[str, Any], which: str, order: dict[str, str] | None,
             keep: Any = None) -> list[str]:
    items = sorted((i for i in doc[which] if keep is None or keep(i)), key=lambda i: i["id"])
    if order is None:
        return [i["id"] for i in items]
    values = {i["id"]: sort_value(doc, which, i, order["field"]) for i in items}
    present = [i["id"] for i in items if values[i["id"]] is not None]
    present.sort(key=values.__getitem__, reverse=order["direction"] == "DESC")  # stable: id
    return present + [i["id"] for i in items if values[i["id"]] is None]


# --- walking the pages ----------------------------------------------------------------


async def walk_forward(api: Api, which: str, order: dict[str, str] | None, size: int,
                       filter_: dict[str, Any] | None = None) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        body = (await api.data(page_query(which), {"first": size, "after": after,
                                                   "order": order, "filter": filter_}))[which]
        ids, info = [e["node"]["id"] for e in body["edges"]], body["pageInfo"]
        assert len(ids) <= size
        assert info["startCursor"] == (body["edges"][0]["cursor"] if ids else None)
        assert info["endCursor"] == (body["edges"][-1]["cursor"] if ids else None)
        assert info["hasPreviousPage"] is bool(seen), (which, order, seen[-1:])
        seen += ids
        assert info["hasNextPage"] is (len(seen) < body["totalCount"]), (which, order)
        if not info["hasNextPage"]:
            return seen
        after = info["endCursor"]


async def walk_backward(api: Api, which: str, order: dict[str, str] | None, size: int,
                        filter_: dict[str, Any] | None = None) -> list[str]:
    seen: list[str] = []
    before = None
    while True:
        body = (await api.data(page_query(which), {"last": size, "before": before,
                                                   "order": order, "filter": filter_}))[which]
        ids, info = [e["node"]["id"] for e in body["edges"]], body["pageInfo"]
        assert len(ids) <= size
        assert info["hasNextPage"] is bool(seen), (which, order)
        seen = ids + seen
        assert info["hasPreviousPage"] is (len(seen) < body["totalCount"]), (which, order)
        if not info["hasPreviousPage"]:
            return seen
        before = info["startCursor"]


def orders() -> list[dict[str, str] | None]:
    return [None, *({"field": f, "direction": d} for f in FIELDS for d in ("ASC", "DESC"))]


@pytest.fixture
async def big(api: Api) -> tuple[Api, dict[str, Any]]:
    doc = document()
    data = await api.data(IMPORT, {"doc": doc})
    assert data["importPortfolio"]["applied"] is True, data["importPortfolio"]["errors"][:3]
    return api, doc


# --- bad input --------------------------------------------------------------------------


def refused(body: dict[str, Any], code: str, *words: str, argument: str | None = None) -> None:
    assert body.get("data") is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == code, error
    if argument is not None:
        assert error["extensions"]["argument"] == argument, error
    for word in words:
        assert word in error["message"], (word, error["message"])


async def cursor_of(api: Api, which: str, order: dict[str, str] | None) -> str:
    body = await api.data(page_query(which), {"first": 1, "order": order})
    cursor: str = body[which]["pageInfo"]["endCursor"]
    return cursor


def forged(value: Any, tag: str = "NAME:ASC", item_id: str = "F-1") -> str:
    text = json.dumps([tag, value, item_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


async def test_an_unknown_order_field_is_refused_naming_it(example: Api) -> None:
    body = await example.gql('{ features(orderBy: {field: SIZE}) { totalCount } }')
    refused(body, "GRAPHQL_VALIDATION_FAILED", "SIZE")
    body = await example.gql('{ epics(orderBy: {field: NAME, direction: UP}) { totalCount } }')
    refused(body, "GRAPHQL_VALIDATION_FAILED", "UP")


@pytest.mark.parametrize("which", ["features", "epics"])
@pytest.mark.parametrize("argument", ["after", "before"])
@pytest.mark.parametrize("bad", [
    "nope!", "", base64.urlsafe_b64encode(b"not an id").decode(),
    forged(1),                          # a NAME cursor with a number
    forged("x", tag="NAME:SIDEWAYS"), forged("x", tag="SIZE:ASC"),
    forged("x", item_id="no such id!"), forged(None),  # a name is never null
    forged(True, tag="WSJF_SCORE:ASC"), forged("2026-13-01x", tag="PI_START:ASC") + "=",
])
async def test_cursors_that_are_not_ours_are_refused(example: Api, which: str, argument: str,
                                                     bad: str) -> None:
    variables: dict[str, Any] = {argument: bad, "order": {"field": "NAME"}}
    if argument == "before":
        variables["last"] = 2
    refused(await example.gql(page_query(which), variables), "BAD_USER_INPUT",
            "invalid cursor", f"`{argument}`", argument=argument)


@pytest.mark.parametrize("which", ["features", "epics"])
async def test_a_cursor_made_under_another_order_is_refused(example: Api, which: str) -> None:
    name_asc = {"field": "NAME", "direction": "ASC"}
    by_id = await cursor_of(example, which, None)
    by_name = await cursor_of(example, which, name_asc)
    cases: list[tuple[str, str, dict[str, Any] | None, str, str]] = [
        ("after", by_id, name_asc, "id order", "NAME:ASC"),
        ("after", by_name, None, "NAME:ASC", "id order"),
        ("after", by_name, {"field": "NAME", "direction": "DESC"}, "NAME:ASC", "NAME:DESC"),
        ("before", by_name, {"field": "STATE"}, "NAME:ASC", "STATE:ASC"),
    ]
    for argument, cursor, order, made, asked in cases:
        variables: dict[str, Any] = {argument: cursor, "order": order}
        if argument == "before":
            variables["last"] = 3
        refused(await example.gql(page_query(which), variables), "BAD_USER_INPUT",
                f"`{argument}`", made, asked, argument=argument)
    # The same cursors under their own order are fine.
    assert (await example.data(page_query(which), {"after": by_name, "order": name_asc}))[which]
    assert (await example.data(page_query(which), {"after": by_id}))[which]


@pytest.mark.parametrize("which", ["features", "epics"])
async def test_first_with_last_and_sizes_out_of_range_are_refused(example: Api,
                                                                  which: str) -> None:
    query = page_query(which)
    refused(await example.gql(query, {"first": 2, "last": 2}), "BAD_USER_INPUT",
            "`first` or `last`, not both", argument="first")
    literal = f"{{ {which}(first: 50, last: 1) {{ totalCount }} }}"  # the default, written out
    refused(await example.gql(literal), "BAD_USER_INPUT", "not both", argument="first")
    for last in (501, -1):
        refused(await example.gql(query, {"last": last}), "BAD_USER_INPUT",
                "last must be between 0 and 500", argument="last")
    refused(await example.gql(query, {"first": 501}), "BAD_USER_INPUT", argument="first")
    # `last` alone overrides the default `first`; an explicit null `first` is no `first`.
    assert (await example.data(query, {"last": 1}))[which]["edges"]
    assert (await example.data(query, {"first": None, "last": 1}))[which]["edges"]


# --- every order, both ways -------------------------------------------------------------


@pytest.mark.parametrize("which", ["features", "epics"])
async def test_every_order_walked_both_ways_is_the_order_sorted_here(
        big: tuple[Api, dict[str, Any]], which: str) -> None:
    api, doc = big
    for order in orders():
        want = expected(doc, which, order)
        assert len(want) == len(doc[which])
        size = 7 if which == "features" else 3
        forward = await walk_forward(api, which, order, size)
        assert forward == want, order
        backward = await walk_backward(api, which, order, size + 2)
        assert backward == want, order
        assert len(set(forward)) == len(forward)


async def test_the_document_holds_the_cases_the_orders_must_get_right() -> None:
    """Guards the walk above against a portfolio where nulls and ties never meet a page
    boundary: there are null keys and equal keys of every ordering."""
    doc = document()
    for which in ("features", "epics"):
        for field in FIELDS:
            values = [sort_value(doc, which, i, field) for i in doc[which]]
            present = [v for v in values if v is not None]
            assert len(set(present)) < len(present), (which, field)  # ties, broken by id
            if field in ("WSJF_SCORE", "PI_START"):
                assert None in values, (which, field)
    assert expected(doc, "epics", {"field": "PI_START", "direction": "DESC"})[-2:] == [
        "E-AA-EMPTY", "E-ZZ-EMPTY"]  # nulls last, by id, also descending


@pytest.mark.parametrize(("which", "filter_", "keep"), [
    ("features", {"state": ["BACKLOG", "IMPLEMENTING", "DONE"]},
     lambda f: f["state"] in ("BACKLOG", "IMPLEMENTING", "DONE")),
    ("features", {"type": "BUSINESS", "search": "a"},
     lambda f: f["type"] == "BUSINESS" and ("a" in f["id"].lower() or "a" in f["name"].lower())),
    ("epics", {"state": ["FUNNEL", "IMPLEMENTING", "REVIEWING"]},
     lambda e: e["state"] in ("FUNNEL", "IMPLEMENTING", "REVIEWING")),
])
async def test_filtered_orders_walked_both_ways(big: tuple[Api, dict[str, Any]], which: str,
                                                filter_: dict[str, Any], keep: Any) -> None:
    api, doc = big
    for order in orders():
        want = expected(doc, which, order, keep)
        assert want, filter_
        assert await walk_forward(api, which, order, 4, filter_) == want, order
        assert await walk_backward(api, which, order, 5, filter_) == want, order


async def test_a_window_between_two_cursors(big: tuple[Api, dict[str, Any]]) -> None:
    api, doc = big
    order = {"field": "WSJF_SCORE", "direction": "DESC"}
    want = expected(doc, "features", order)
    body = (await api.data(page_query("features"), {"first": 30, "order": order}))["features"]
    cursors = [e["cursor"] for e in body["edges"]]
    between = {"after": cursors[4], "before": cursors[20], "order": order}
    first = (await api.data(page_query("features"), {**between, "first": 6}))["features"]
    assert [e["node"]["id"] for e in first["edges"]] == want[5:11]
    assert first["pageInfo"]["hasPreviousPage"] and first["pageInfo"]["hasNextPage"]
    last = (await api.data(page_query("features"), {**between, "last": 6}))["features"]
    assert [e["node"]["id"] for e in last["edges"]] == want[14:20]
    everything = (await api.data(page_query("features"), {**between, "last": 100}))["features"]
    assert [e["node"]["id"] for e in everything["edges"]] == want[5:20]
    assert everything["pageInfo"]["hasPreviousPage"] is False  # the window holds no more
    assert everything["pageInfo"]["hasNextPage"] is True  # items follow `before`


async def test_after_continues_where_the_page_ended_when_items_change(
        big: tuple[Api, dict[str, Any]]) -> None:
    """The cursor is a position (name, id), not an index: after the page's last item is
    renamed and another one moves in front of it, `after` still continues right after the
    old position, in the new order."""
    api, doc = big
    order = {"field": "NAME", "direction": "ASC"}
    want = expected(doc, "features", order)
    body = (await api.data(page_query("features"), {"first": 10, "order": order}))["features"]
    assert [e["node"]["id"] for e in body["edges"]] == want[:10]
    end = next(f for f in doc["features"] if f["id"] == want[9])
    moved = next(f for f in doc["features"] if f["id"] == want[30])
    position = (end["name"].casefold(), end["id"])
    for feature, name in ((end, "zzz renamed"), (moved, "aaa moved")):
        feature["name"] = name
        result = await api.data(
            'mutation($f: FeatureInput!) { upsertFeature(input: $f, override: '
            '{justification: "test"}) { applied errors { path code } } }', {"f": feature})
        assert result["upsertFeature"]["applied"] is True, result
    rest = await walk_forward_from(api, body["pageInfo"]["endCursor"], order)
    now = {f["id"]: (f["name"].casefold(), f["id"]) for f in doc["features"]}
    assert rest == [i for i in expected(doc, "features", order) if now[i] > position]
    assert end["id"] in rest and moved["id"] not in rest


async def walk_forward_from(api: Api, after: str, order: dict[str, str]) -> list[str]:
    seen: list[str] = []
    while True:
        body = (await api.data(page_query("features"),
                               {"first": 9, "after": after, "order": order}))["features"]
        seen += [e["node"]["id"] for e in body["edges"]]
        assert body["pageInfo"]["hasPreviousPage"] is True
        if not body["pageInfo"]["hasNextPage"]:
            return seen
        after = body["pageInfo"]["endCursor"]


async def test_orders_of_an_earlier_version(big: tuple[Api, dict[str, Any]]) -> None:
    """`asOf` pages the order the portfolio had then (the view of that version)."""
    api, doc = big
    order = {"field": "PI_START", "direction": "ASC"}
    before = expected(doc, "features", order)
    unplanned = next(f for f in doc["features"] if not f.get("pi"))
    changed = {**unplanned, "pi": doc["pis"][0]["id"]}
    result = await api.data(
        'mutation($f: FeatureInput!) { upsertFeature(input: $f, override: '
        '{justification: "test"}) { applied } }', {"f": changed})
    assert result["upsertFeature"]["applied"] is True
    then = (await api.data(page_query("features"), {"first": 500, "order": order,
                                                    "asOf": {"version": 1}}))["features"]
    assert [e["node"]["id"] for e in then["edges"]] == before
    unplanned["pi"] = changed["pi"]
    now = (await api.data(page_query("features"), {"first": 500, "order": order}))["features"]
    assert [e["node"]["id"] for e in now["edges"]] == expected(doc, "features", order) != before


def test_last_and_the_counts_drive_the_cost_estimate() -> None:
    """A page of `last: n` is costed as n edges, like `first: n`; the counts as the groups
    they can have (api/cost.py), not as the default list size."""
    parsed = validate_document(document())
    assert isinstance(parsed, ParsedDocument)
    portfolio = apply(Portfolio(), parsed.change())
    estimates = Estimates.of(portfolio)
    schema = build_schema()._schema

    def cost(query: str) -> int:
        return operation_cost(schema, estimates, graphql.parse(query), None, None)

    page = "{ features(%s) { edges { node { id } } } }"
    assert cost(page % "last: 7") == cost(page % "first: 7") == 1 + 3 * 7
    assert cost(page % "last: 400") == 1 + 3 * len(portfolio.features)  # only so many
    pairs = {(f.team, f.pi) for f in portfolio.features.values() if f.team and f.pi}
    pairs |= {(t.id, pi) for t in portfolio.teams.values() for pi in t.capacity}
    assert cost("{ teamLoads { ratio } }") == 2 * len(pairs)
    assert cost("{ featureCounts { byState { count } } }") == \
        (len(portfolio.pis) + 1) * (1 + 2 * len(FEATURE_STATES))
