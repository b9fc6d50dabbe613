"""api/execution.py's short paths answer exactly what graphql-core's own path answers.

Two apps over the same service, one built with `plain_execution=True`
(strawberry's and graphql-core's own execution), answer the same queries: every
example of the docs, the bench's heavy queries, and queries made to take every
branch (aliases, fragments, directives, __typename, abstract types, nulls).
A small schema of pure Python objects then checks the cases the portfolio never
produces: a null in a non-null field, values a type cannot coerce, null list
items, and the query budget's count and stop.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from enum import Enum
from functools import partial
from typing import Annotated, Any, ClassVar

import httpx
import pytest
import strawberry
from graphql import GraphQLObjectType, OperationDefinitionNode, parse
from strawberry.extensions import SchemaExtension

from api import app as app_module
from api.cost import EstimateCache, QueryBudget
from api.demo import load_demo
from api.execution import LeafExecutionContext, thin_resolvers
from api.roles import Actor, Role
from api.schema import ParseCache, build_schema
from bench import queries as Q
from tests.api.conftest import Api, make_settings
from tests.api.test_doc_examples import _meta, examples

pytestmark = pytest.mark.falkordb_only  # execution over the view: engine-independent

NO_CACHE = {"Cache-Control": "no-cache"}

BRANCHES = {
    "aliases and fragments": """
        fragment F on Feature { id name state points wsjf { score } }
        query { features(first: 20) { totalCount edges { cursor node { ...F
          again: name epic { id name state } team { name art { name } } } } } }""",
    "directives": """query($yes: Boolean!, $no: Boolean!) {
        epics(first: 5) { edges { node { id name @include(if: $yes) state @skip(if: $yes)
          features { id points @include(if: $no) } } } } }""",
    "typename everywhere": """{ themes { __typename id name epics { __typename id
        features { __typename id pi { __typename id } team { __typename id } } } } }""",
    "abstract types": """{ ranking(level: FEATURE, limit: 20) { rank
        item { __typename ... on Feature { id name } ... on Epic { id title: name } }
        wsjf { score } } }""",
    "node interface": """query($ids: [ID!]!) { a: node(id: "E-CUSTOMER-360") { __typename id
        ... on Epic { name state features { id } } }
        b: traces(ids: $ids) { aligned item { ... on Feature { id name } ... on Epic { id } }
          themes { id } } }""",
    "nulls": """{ features(first: 50) { edges { node { id points wsjf { score }
        pi { id name start } team { id } } } } }""",
    "leaf lists": """{ violations { rule severity subjectType subjectId relatedIds excess
        message } guardrails { rule enabled severity params } }""",
    "everything of a PI": """{ pis { id name start end features { id name state
        dependsOn { id } dependents { id } } } }""",
    "impact": """{ impact(id: "F-SEPA-ROUTING", maxDepth: 10) { root { id }
        items { depth item { id name state pi { id name } team { id name } } }
        teams { id } slips { item { id } from { id } to { id } } businessValueAtRisk } }""",
    "bench whole tree": Q.WHOLE_TREE,
    "bench violations": Q.VIOLATIONS,
}


@pytest.fixture
async def twins(api: Api) -> AsyncIterator[tuple[Api, Api]]:
    """The demo, served by the real app and by one with graphql-core's plain execution."""
    outcome = await load_demo(api.service, Actor("cli:test", frozenset({Role.ADMIN})))
    assert outcome.applied, outcome.errors
    plain_schema = partial(build_schema, plain_execution=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(app_module, "build_schema", plain_schema)
        app = app_module.create_app(make_settings(), service=api.service)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        yield api, Api(http, api.service)


def _cases() -> Iterator[Any]:
    for name, query in BRANCHES.items():
        variables = {"yes": True, "no": False, "ids": ["F-SEPA-API", "E-CUSTOMER-360", "X"]}
        yield pytest.param(query, variables, None, id=name)
    for param in examples():
        query, operation, meta = param.values
        kinds = {op.name.value if op.name else None: op.operation.value
                 for op in parse(query).definitions if isinstance(op, OperationDefinitionNode)}
        if kinds[operation] != "query" or "expect: errors" in meta:
            continue  # a change would answer differently the second time
        raw = _meta(meta, "variables")
        yield pytest.param(query, json.loads(raw) if raw else None, operation, id=param.id)


async def _ask(api: Api, query: str, variables: dict[str, Any] | None,
               operation: str | None) -> Any:
    response = await api.post(query, variables, NO_CACHE, operationName=operation)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(("query", "variables", "operation"), list(_cases()))
async def test_answers_equal_graphql_core_s_own(twins: tuple[Api, Api], query: str,
                                               variables: dict[str, Any] | None,
                                               operation: str | None) -> None:
    fast, plain = twins
    used = {k: v for k, v in (variables or {}).items() if f"${k}" in query}
    expected = await _ask(plain, query, used or None, operation)
    answered = await _ask(fast, query, used or None, operation)
    assert expected.get("data"), expected
    # Every root field answers something: a null (an unknown id) would compare nothing.
    assert all(value not in (None, []) for value in expected["data"].values()), expected
    assert answered == expected
    assert json.dumps(answered) == json.dumps(expected)  # the same key order too


def test_the_schema_resolves_nested_fields_directly() -> None:
    """Nested resolvers taking only `self` skip strawberry's wrapper; root fields do not."""
    schema = build_schema(make_settings())._schema
    direct = {f"{t.name}.{n}" for t in schema.type_map.values()
              if isinstance(t, GraphQLObjectType) and not t.name.startswith("__")
              for n, f in t.fields.items()
              if getattr(f.resolve, "_portfolio_direct", None) is not None}
    assert {"Feature.pi", "Feature.dependsOn", "Epic.features", "Impact.items"} <= direct
    assert not any(name.startswith(("Query.", "Mutation.", "Subscription.")) for name in direct)
    plain = build_schema(make_settings(), plain_execution=True)._schema
    assert getattr(plain.type_map["Feature"].fields["pi"].resolve, "_portfolio_direct",
                   None) is None


# --- a pure-Python schema for what the portfolio never produces ---------------------


class Colour(Enum):
    RED = "red"


@dataclass
class Row:
    name: Any
    count: Any
    colour: Any
    tags: Any
    must: Any = "x"
    must_tags: Any = ()
    ratio: Any = 0.5
    flag: Any = True
    code: Any = "c"
    big: Any = 1


@strawberry.interface
class Named:
    name: str | None


@strawberry.type
class Other(Named):
    label: str


@strawberry.type
class Thing(Named):
    count: int | None
    colour: Colour | None
    tags: list[str] | None
    must: str
    must_tags: list[str]
    ratio: float | None = None
    flag: bool | None = None
    code: strawberry.ID | None = None
    big: int | None = None  # not `count`: `kids` makes `count` children

    @strawberry.field
    def shout(self) -> str | None:
        return None if self.name is None else self.name.upper()

    @strawberry.field
    def child(self) -> Thing | None:
        return None if self.name == "leaf" else Thing(**{**vars(self), "name": "leaf"})

    @strawberry.field
    def kids(self) -> list[Thing]:
        return [Thing(**{**vars(self), "name": f"kid {n}"}) for n in range(self.count or 0)]

    @strawberry.field
    def twin(self) -> Thing:
        return None if self.name == "orphan" else Thing(**{**vars(self), "name": "twin"})  # type: ignore[return-value]

    # Abstract types: a union and an interface, one value and a list.
    @strawberry.field
    def shape(self) -> Annotated[Thing | Other, strawberry.union("Shape")] | None:
        return _shape(self)  # type: ignore[no-any-return]

    @strawberry.field
    def shapes(self) -> list[Annotated[Thing | Other, strawberry.union("Shape")]]:
        last = None if self.name == "null shape" else _shape(self)
        return [self, Other(name=self.name, label="other"),
                *([] if self.name == "none" else [last])]  # type: ignore[list-item]

    @strawberry.field
    def named(self) -> Named | None:
        return _shape(self)  # type: ignore[no-any-return]


def _shape(thing: Thing) -> Any:
    """The thing, or per its name: another type, no value, or a value of no GraphQL type."""
    return {"other": Other(name="o", label="l"), "none": None,
            "wrong shape": Row("r", 1, None, None)}.get(thing.name or "", thing)


def _thing(**values: Any) -> Thing:
    row = Row(**{"name": "a", "count": 1, "colour": Colour.RED, "tags": ["t"], **values})
    return Thing(name=row.name, count=row.count, colour=row.colour, tags=row.tags,
                 must=row.must, must_tags=row.must_tags, ratio=row.ratio, flag=row.flag,
                 code=row.code, big=row.big)


ROWS = {
    "plain": [_thing(), _thing(name="b", count=2, tags=[])],
    "nulls": [_thing(name=None, count=None, colour=None, tags=None)],
    "uncoercible int": [_thing(count="not a number")],
    "float for int": [_thing(count=1.5)],
    # the built-in scalars' values taken as they are, and those their serializers convert
    # or refuse (api/execution.py, _scalar_coercer)
    "int for float": [_thing(ratio=2)],
    "bool for float": [_thing(ratio=True)],
    "infinite float": [_thing(ratio=float("inf"))],
    "nan float": [_thing(ratio=float("nan"))],
    "int past 32 bits": [_thing(big=2**31)],
    "bool for int": [_thing(big=False)],
    "int for string": [_thing(name=5, tags=[1, "a"])],
    "int for id": [_thing(code=7)],
    "string for bool": [_thing(flag="yes")],
    "int for bool": [_thing(flag=1)],
    "bad enum": [_thing(colour="green")],
    "null item in list": [_thing(tags=["a", None])],
    "null in non-null": [_thing(), _thing(must=None)],
    "null item in non-null list": [_thing(must_tags=["a", None])],
    "not a list": [_thing(tags=7)],
    "null in a non-null object": [_thing(), _thing(name="orphan")],
    "another type": [_thing(), _thing(name="other")],
    "no shape": [_thing(name="none")],
    "a null in a list of shapes": [_thing(), _thing(name="null shape")],
    "a value of no type": [_thing(), _thing(name="wrong shape")],
}


@strawberry.type
class TinyQuery:
    @strawberry.field
    def things(self, case: str) -> list[Thing]:
        return ROWS[case]

    @strawberry.field
    def maybe_things(self, case: str) -> list[Thing | None] | None:
        return [None, *ROWS[case]]


class Recorded(QueryBudget):
    """The budget, remembering how many values it counted."""

    counts: ClassVar[list[int]] = []

    async def on_execute(self) -> AsyncIterator[None]:  # type: ignore[override]
        async for _ in super().on_execute():
            yield
        Recorded.counts.append(self.resolved)


def _tiny(fast: bool, max_resolved: int = 10**6) -> strawberry.Schema:
    budget = partial(Recorded, max_cost=10**9, max_resolved=max_resolved, timeout=30.0,
                     cache=EstimateCache())
    # ParseCache: a text is parsed once, so its plans are shared across requests.
    schema = strawberry.Schema(query=TinyQuery, extensions=[ParseCache, budget],
                               execution_context_class=LeafExecutionContext if fast else None)
    if fast:
        thin_resolvers(schema)
    return schema


TINY = """query($case: String!) {
  things(case: $case) { __typename name count colour tags must mustTags shout ratio flag code big
    child { name count colour tags must mustTags child { name } } }
  maybeThings(case: $case) { name count colour must tags mustTags }
  leaves: things(case: $case) { name tags mustTags kids { name must } twin { name } }
  abstract: things(case: $case) {
    shape { __typename ... on Thing { name count colour } ... on Other { label } }
    shapes { __typename ... on Thing { name } ... on Other { name label } }
    named { __typename name ... on Other { label } } } }"""


async def _run(schema: strawberry.Schema, case: str) -> tuple[Any, list[Any]]:
    result = await schema.execute(TINY, variable_values={"case": case})
    errors = [(e.message, e.path, [(loc.line, loc.column) for loc in e.locations or []])
              for e in result.errors or []]
    # As encoded: `==` takes False for 0 and True for 1.0, JSON does not.
    return json.dumps(result.data), errors


@pytest.mark.parametrize("case", list(ROWS))
async def test_errors_and_nulls_are_graphql_core_s(case: str) -> None:
    fast, plain = _tiny(True), _tiny(False)
    Recorded.counts = []
    expected = await _run(plain, case)
    answered = await _run(fast, case)
    assert answered == expected
    assert Recorded.counts[0] == Recorded.counts[1] > 0  # the budget counted the same


async def test_plans_shared_across_requests_answer_each_alike() -> None:
    """One schema answers every case in turn: an operation's plans, made on its first
    request, serve the next ones (other data, other types of abstract values, nulls)."""
    fast, plain = _tiny(True), _tiny(False)
    for _ in range(2):
        for case in ROWS:
            Recorded.counts = []
            assert await _run(fast, case) == await _run(plain, case), case
            assert Recorded.counts[0] == Recorded.counts[1] > 0, case


async def test_plans_follow_the_variables_of_directives() -> None:
    """An operation with `@include`/`@skip` is planned per request: its selection depends
    on the variables."""
    fast, plain = _tiny(True), _tiny(False)
    query = """query($case: String!, $yes: Boolean!) { things(case: $case) {
        ...F count @include(if: $yes) shape { ... on Thing { colour @skip(if: $yes) } } } }
        fragment F on Thing { name }"""
    for yes in (True, False, True):
        variables = {"case": "plain", "yes": yes}
        answered = await fast.execute(query, variable_values=variables)
        expected = await plain.execute(query, variable_values=variables)
        assert answered.errors is None
        assert json.dumps(answered.data) == json.dumps(expected.data)
        assert ("count" in answered.data["things"][0]) is yes  # type: ignore[index]


async def test_the_budget_stops_at_the_same_cap() -> None:
    variables = {"case": "plain"}
    Recorded.counts = []
    await _tiny(False).execute(TINY, variable_values=variables)
    total = Recorded.counts[0]
    for cap in (1, total // 4, total // 2, total - 1, total):
        expected = await _tiny(False, max_resolved=cap).execute(TINY, variable_values=variables)
        answered = await _tiny(True, max_resolved=cap).execute(TINY, variable_values=variables)
        assert (expected.data is None) is (cap < total)
        assert answered.data == expected.data
        assert [e.message for e in answered.errors or []] == [
            e.message for e in expected.errors or []]


def test_another_middleware_sees_every_field() -> None:
    """With a middleware other than the budget, every field takes graphql-core's path."""
    seen: list[str] = []

    class Watch(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(f"{info.parent_type.name}.{info.field_name}")
            return _next(root, info, *args, **kwargs)

    schema = strawberry.Schema(query=TinyQuery, extensions=[Watch],
                               execution_context_class=LeafExecutionContext)
    thin_resolvers(schema)
    result = schema.execute_sync('{ things(case: "plain") { name count } }')
    assert result.errors is None
    assert seen.count("Thing.name") == 2 and seen.count("Thing.count") == 2


def test_an_encoded_answer_is_emptied() -> None:
    """Once encoded, an answer's data is emptied in place: the execution's reference cycles
    then no longer hold its objects until a full collection (api/view.py)."""
    from api.view import _release

    nested = [{"id": "F-1"}]
    response: dict[str, Any] = {"data": {"features": nested}, "errors": None}
    _release(response)
    assert response["data"] == {} and nested == [{"id": "F-1"}]
    _release({"data": None})  # nothing to empty: no error
