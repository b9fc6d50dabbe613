"""Query cost: refuse before execution what would resolve too much; stop it during.

The unit is a value resolved: every field counts once for each object it is
resolved on, and a list counts its items too. Before execution, `QueryBudget`
estimates that number for the operation from the current snapshot's real
sizes (how many PIs there are, how many features a PI holds on average and at
most, how many a dependency list fans out to, ...) and from the `first`,
`limit` and `ids` arguments, and refuses an operation above
`Settings.max_cost`. While executing it counts the values actually resolved
and stops the operation past `Settings.max_resolved`, or past the request
timeout: the check runs inside field resolution, so it stops work that never
yields to the event loop (where `asyncio.timeout` cannot). Either refusal is a
GraphQL error with code QUERY_TOO_COMPLEX (TIMEOUT for the deadline) and no
data: nothing runs past it.

A list of n children under p parents is estimated at max(p * average, most):
the exact total when the parents are all items of a kind, and the largest
list when there is one parent. Estimates are kept per snapshot version, each list's
size computed when an operation first needs it.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
    is_non_null_type,
)
from graphql.pyutils import is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from api.errors import ApiError, ErrorCode
from api.schema.paging import MAX_FIRST
from graph.model import FeatureState, Kind, Portfolio, Severity
from rules.graphs import dependents
from rules.guardrails.registry import registered
from rules.impact import impacted
from rules.trace import Tracer

logger = logging.getLogger("api.cost")

QUERY_TOO_COMPLEX = ErrorCode.QUERY_TOO_COMPLEX
ITEM_FIELDS = 16  # document fields of the widest kind (an epic): ItemChange.fields
MAX_AUDIT = 1000
MAX_TRACES = 500
DEFAULT_LIST = 20  # a list the estimates know nothing about (error lists, guardrails)
CLOCK_EVERY = 512  # resolved values between two looks at the clock

Refusal = Callable[[str, int, int], None]  # (limit, cost, budget): a metrics hook


@dataclass(frozen=True, slots=True)
class Fanout:
    """How many children a parent has through one link: on average, and at most."""

    avg: float
    most: int

    def children(self, parents: float) -> float:
        return 0.0 if parents <= 0 else max(parents * self.avg, float(self.most))

    @classmethod
    def of(cls, sizes: Iterable[int], parents: int) -> Fanout:
        listed = list(sizes)
        return cls(sum(listed) / parents if parents else 0.0, max(listed, default=0))

    @classmethod
    def fixed(cls, size: int) -> Fanout:
        return cls(float(size), size)


def _grouped(keys: Iterable[str | None]) -> Counter[str]:
    return Counter(k for k in keys if k is not None)


ROOT_KINDS = {"themes": Kind.THEME, "valueStreams": Kind.VALUE_STREAM, "arts": Kind.ART,
              "teams": Kind.TEAM, "pis": Kind.PI}
IMPACT_KINDS = {"items": Kind.FEATURE, "slips": Kind.FEATURE, "teams": Kind.TEAM,
                "arts": Kind.ART, "epics": Kind.EPIC, "keyResults": Kind.KEY_RESULT,
                "objectives": Kind.OBJECTIVE, "themes": Kind.THEME}


Sizing = Callable[[], Fanout]


class LazyFanouts(Mapping[tuple[str, str], Fanout]):
    """Fanouts by (GraphQL type, field), each computed when first read, then kept.

    Estimates are per snapshot version, and every write makes a version: computing
    all of them (a pass over every feature, dependency and epic reach: ~10 ms at 5,000
    features) for each new version made every enforced write pay for lists it never
    asks for. An operation reads the few its selection names. Two threads reading one
    key at once both compute the same value: harmless.
    """

    def __init__(self, sizings: Mapping[tuple[str, str], Sizing]) -> None:
        self._sizings = sizings
        self._known: dict[tuple[str, str], Fanout] = {}

    def __getitem__(self, key: tuple[str, str]) -> Fanout:
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = self._sizings[key]()
        return found

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._sizings)

    def __len__(self) -> int:
        return len(self._sizings)


class _Ahead(Mapping[tuple[str, str], int]):
    """The average size of each list of at least one, rounded down; read key by key."""

    def __init__(self, fanouts: Mapping[tuple[str, str], Fanout]) -> None:
        self._fanouts = fanouts

    def __getitem__(self, key: tuple[str, str]) -> int:
        fanout = self._fanouts[key]
        if fanout.avg < 1:
            raise KeyError(key)
        return int(fanout.avg)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return (key for key, f in self._fanouts.items() if f.avg >= 1)

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True, slots=True)
class Estimates:
    """List sizes of one snapshot, by (GraphQL type, field)."""

    counts: Mapping[Kind, int]
    fanouts: Mapping[tuple[str, str], Fanout]
    violations: Fanout | None = None  # Violation.relatedIds, when violations were counted
    violation_count: int | None = None
    # Features within `depth` dependency hops of a root (what `impact` lists), or None.
    impact_reach: Callable[[str, int], int] | None = None

    @classmethod
    def of(cls, portfolio: Portfolio) -> Estimates:
        """The estimates of `portfolio`; each list's size is computed the first time an
        operation asks for it (see LazyFanouts)."""
        p = portfolio
        counts = {kind: len(p.collection(kind)) for kind in Kind}
        n = counts.__getitem__

        def link(parents: Kind, keys: Callable[[], Iterable[str | None]]) -> Sizing:
            return lambda: Fanout.of(_grouped(keys()).values(), n(parents))

        def sized(parents: Kind, sizes: Callable[[], Iterable[int]]) -> Sizing:
            return lambda: Fanout.of(sizes(), n(parents))

        @functools.cache
        def reach() -> dict[str, Any]:
            tracer = Tracer(p)
            return {e: tracer.epic_reach(e) for e in p.epics}

        @functools.cache
        def features_per_epic() -> Counter[str]:
            return _grouped(f.epic for f in p.features.values())

        def theme_features() -> Iterable[int]:
            per_theme: Counter[str] = Counter()
            for epic_id, r in reach().items():
                for theme in r.theme_ids:
                    per_theme[theme] += features_per_epic().get(epic_id, 0)
            return per_theme.values()

        epics = p.epics.values()
        fanouts: dict[tuple[str, str], Sizing] = {
            ("ProgramIncrement", "features"): link(Kind.PI,
                                                   lambda: (f.pi for f in p.features.values())),
            ("Team", "features"): link(Kind.TEAM, lambda: (f.team for f in p.features.values())),
            ("Epic", "features"): sized(Kind.EPIC, lambda: features_per_epic().values()),
            ("Feature", "dependsOn"): link(Kind.FEATURE, lambda: (a for a, _ in p.dependencies)),
            ("Feature", "dependents"): link(Kind.FEATURE,
                                            lambda: (b for _, b in p.dependencies)),
            ("ValueStream", "arts"): link(Kind.VALUE_STREAM,
                                          lambda: (a.value_stream for a in p.arts.values())),
            ("ValueStream", "epics"): link(Kind.VALUE_STREAM,
                                           lambda: (e.value_stream for e in epics)),
            ("ReleaseTrain", "teams"): link(Kind.ART, lambda: (t.art for t in p.teams.values())),
            ("Objective", "keyResults"): link(
                Kind.OBJECTIVE, lambda: (k.objective for k in p.key_results.values())),
            ("KeyResult", "epics"): link(Kind.KEY_RESULT,
                                         lambda: (k for e in epics for k in e.key_results)),
            ("StrategicTheme", "objectives"): link(
                Kind.THEME, lambda: (t for o in p.objectives.values() for t in o.themes)),
            ("StrategicTheme", "epics"): sized(Kind.THEME, lambda: _grouped(
                t for r in reach().values() for t in r.theme_ids).values()),
            ("StrategicTheme", "features"): sized(Kind.THEME, theme_features),
            ("Epic", "themes"): sized(Kind.EPIC, lambda: (len(e.themes) for e in epics)),
            ("Epic", "keyResults"): sized(Kind.EPIC, lambda: (len(e.key_results) for e in epics)),
            ("Objective", "themes"): sized(
                Kind.OBJECTIVE, lambda: (len(o.themes) for o in p.objectives.values())),
            ("Team", "capacities"): sized(Kind.TEAM,
                                          lambda: (len(t.capacity) for t in p.teams.values())),
            ("Trace", "keyResults"): sized(
                Kind.EPIC, lambda: (len(r.key_result_ids) for r in reach().values())),
            ("Trace", "objectives"): sized(
                Kind.EPIC, lambda: (len(r.objective_ids) for r in reach().values())),
            ("Trace", "themes"): sized(Kind.EPIC,
                                       lambda: (len(r.theme_ids) for r in reach().values())),
        }
        # A diff of two versions lists at most every item once among added, removed and
        # changed: each list is charged a third of the items (the value cap bounds the
        # rest), its dependency lists the dependencies, an item change its fields.
        fixed: dict[tuple[str, str], int] = {}
        items = sum(counts.values())
        for name in ("added", "removed", "changed", "violationsOpened", "violationsClosed"):
            fixed["PortfolioDiff", name] = items // 3 + 1
        for name in ("dependenciesAdded", "dependenciesRemoved"):
            fixed["PortfolioDiff", name] = len(p.dependencies)
        fixed["ItemChange", "fields"] = ITEM_FIELDS
        fixed["Query", "dependencies"] = len(p.dependencies)
        # Dashboard counts: one row per group there can be (rules/dashboard.py).
        fixed["Query", "featureCounts"] = n(Kind.PI) + 1
        fixed["PiFeatureCounts", "byState"] = len(FeatureState)
        fixed["ViolationCounts", "byRule"] = len(registered())
        fixed["ViolationCounts", "bySeverity"] = len(Severity)
        fixed["ViolationCounts", "byArt"] = n(Kind.ART) + 1

        def team_loads() -> Fanout:
            loads = {(f.team, f.pi) for f in p.features.values() if f.team and f.pi}
            loads.update((t.id, pi) for t in p.teams.values() for pi in t.capacity)
            return Fanout.fixed(len(loads))

        fanouts["Query", "teamLoads"] = team_loads
        for name, kind in ROOT_KINDS.items():
            fixed["Query", name] = n(kind)
        for name, kind in IMPACT_KINDS.items():
            fixed["Impact", name] = n(kind)
        for key, size in fixed.items():
            fanouts[key] = functools.partial(Fanout.fixed, size)
        back = functools.cache(lambda: dependents(p.dependencies))

        @functools.lru_cache(maxsize=4096)  # a count per (root, depth) of this version
        def impact_reach(root: str, depth: int) -> int:
            """The features an impact of `root` lists (the walk `impact` makes first)."""
            return len(impacted(p, back(), root, depth))

        return cls(counts=counts, fanouts=LazyFanouts(fanouts), impact_reach=impact_reach)

    @property
    def ahead(self) -> Mapping[tuple[str, str], int]:
        """The average size of each list, rounded down (a list charged before it returns)."""
        return _Ahead(self.fanouts)

    def with_violations(self, related: list[int]) -> Estimates:
        return Estimates(self.counts, self.fanouts, Fanout.of(related, len(related)),
                         len(related), self.impact_reach)


# --- the cost of an operation -------------------------------------------------------


@functools.lru_cache(maxsize=8)  # a schema's types do not change once it serves
def _introspection_fanout(schema: GraphQLSchema) -> Fanout:
    """Members of an introspection list (fields, args, enum values): from the schema."""
    sizes = [len(getattr(t, "fields", None) or getattr(t, "values", None) or ())
             for t in schema.type_map.values()]
    return Fanout.of(sizes, len(sizes))


@dataclass(slots=True)
class CostWalker:
    """Estimates the values one operation resolves (fragments costed once per use)."""

    schema: GraphQLSchema
    estimates: Estimates
    variables: Mapping[str, Any]
    fragments: Mapping[str, FragmentDefinitionNode]
    introspection: Fanout
    _memo: dict[tuple[str, float, float | None], float] = field(default_factory=dict)

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        return math.ceil(self.selections(operation.selection_set, root, 1.0, None))

    def selections(self, node: SelectionSetNode, parent: GraphQLNamedType, parents: float,
                   page: float | None) -> float:
        total = 0.0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, parents, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                typed = (parent if condition is None
                         else self.schema.get_type(condition.name.value) or parent)
                total += self.selections(selection.selection_set, typed, parents, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(selection.name.value, parents, page)
        return total

    def spread(self, name: str, parents: float, page: float | None) -> float:
        key = (name, parents, page)
        if key not in self._memo:  # a fragment spread twice per level costs one walk
            fragment = self.fragments.get(name)
            typed = None if fragment is None else self.schema.get_type(
                fragment.type_condition.name.value)
            self._memo[key] = 0.0 if fragment is None or typed is None else self.selections(
                fragment.selection_set, typed, parents, page)
        return self._memo[key]

    def field(self, node: FieldNode, parent: GraphQLNamedType, parents: float,
              page: float | None) -> float:
        name = node.name.value
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(name)
        if definition is None:  # __typename, or a field of a union member's fragment
            return parents
        nullable = get_nullable_type(definition.type)
        count = parents
        child_page = page
        if is_list_type(nullable):
            count = self.list_size(parent.name, name, node, parents, page)
        elif parent.name == "Query" and name == "impact":
            child_page = self.impact_page(node)
        elif parent.name in ("Query", "Mutation") and name in ("features", "epics"):
            kind = Kind.FEATURE if name == "features" else Kind.EPIC
            size = self.int_argument(node, "first", 50)
            if isinstance(self.argument(node, "last"), int):
                size = self.int_argument(node, "last", 50)
            child_page = float(max(0, min(size, MAX_FIRST, self.estimates.counts[kind])))
        total = count
        if node.selection_set is not None:
            total += self.selections(node.selection_set, get_named_type(definition.type), count,
                                     child_page)
        return total

    def impact_page(self, node: FieldNode) -> float | None:
        """How many features this impact lists, when its root is known: every list of an
        Impact is at most that long (and at most its kind's count)."""
        root = self.argument(node, "id")
        reach = self.estimates.impact_reach
        if not isinstance(root, str) or reach is None:
            return None  # no root to walk from: each list is charged its kind's count
        depth = max(1, min(self.int_argument(node, "maxDepth", 10), 50))
        return float(reach(root, depth) + 1)  # the root itself may be listed (slips)

    def list_size(self, type_name: str, name: str, node: FieldNode, parents: float,
                  page: float | None) -> float:
        est = self.estimates
        if type_name == "Impact" and page is not None:
            fanout = est.fanouts.get((type_name, name))
            return parents * (page if fanout is None else min(page, float(fanout.most)))
        if name == "edges" and type_name.endswith("Connection"):
            return parents * (page if page is not None else MAX_FIRST)
        if type_name == "Query" and name == "traces":
            return parents * min(self.list_argument(node, "ids"), MAX_TRACES)
        if type_name == "Query" and name == "ranking":
            level = self.argument(node, "level")
            kind = Kind.EPIC if level == "EPIC" else Kind.FEATURE
            limit = self.int_argument(node, "limit", 100)
            return parents * max(0, min(limit, est.counts[kind]))
        if type_name == "Query" and name in ("auditLog", "violationHistory"):
            return parents * max(0, min(self.int_argument(node, "limit", 100), MAX_AUDIT))
        if name == "violations" and est.violation_count is not None:
            return parents * est.violation_count
        if type_name == "Violation" and name == "relatedIds" and est.violations is not None:
            return est.violations.children(parents)
        if type_name.startswith("__"):
            if type_name == "__Schema" and name == "types":
                return parents * len(self.schema.type_map)
            return self.introspection.children(parents)
        fanout = est.fanouts.get((type_name, name))
        if fanout is None:
            return parents * DEFAULT_LIST
        return fanout.children(parents)

    # --- arguments (literal or variable; anything odd falls back to the default) ---

    def argument(self, node: FieldNode, name: str) -> Any:
        for argument in node.arguments or ():
            if argument.name.value == name:
                return self.value(argument.value)
        return None

    def value(self, node: ValueNode) -> Any:
        if isinstance(node, VariableNode):
            return self.variables.get(node.name.value)
        if isinstance(node, IntValueNode):
            return int(node.value)
        if isinstance(node, ListValueNode):
            return list(node.values)
        if isinstance(node, NullValueNode):
            return None
        return getattr(node, "value", None)

    def int_argument(self, node: FieldNode, name: str, default: int) -> int:
        value = self.argument(node, name)
        return value if isinstance(value, int) and not isinstance(value, bool) else default

    def list_argument(self, node: FieldNode, name: str) -> int:
        value = self.argument(node, name)
        return len(value) if isinstance(value, list) else 1


def operation_cost(schema: GraphQLSchema, estimates: Estimates, document: Any,
                   operation_name: str | None, variables: Mapping[str, Any] | None) -> int:
    """The estimated values the chosen operation of `document` resolves (0 if none)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    walker = CostWalker(schema, estimates, variables or {}, fragments,
                        _introspection_fanout(schema))
    return walker.operation(operation)


# --- the extension ------------------------------------------------------------------


class EstimateCache:
    """The estimates of the last snapshot seen (one per app: a snapshot per version)."""

    def __init__(self) -> None:
        self._portfolio: Portfolio | None = None
        self._estimates: Estimates | None = None
        self._violations: tuple[Portfolio, Estimates] | None = None

    def of(self, portfolio: Portfolio) -> Estimates:
        if self._portfolio is not portfolio or self._estimates is None:
            self._estimates = Estimates.of(portfolio)
            self._portfolio = portfolio
        return self._estimates

    async def for_request(self, context: Any, document: Any, *, reuse: bool = False) -> Estimates:
        """Estimates for the request's view (the one its resolvers answer from); with
        violation sizes when it asks for them.

        With `reuse` (a mutation: it runs on the server's loop), the estimates last
        computed serve whatever their version, once there are some: a version differs
        from the one before by one change, and walking the portfolio (or evaluating an
        older version's violations) there held every other request back under load."""
        if reuse and self._estimates is not None:
            if _mentions(document, "violations") and self._violations is not None:
                return self._violations[1]
            return self._estimates
        view = await context.view()
        portfolio = view.portfolio
        estimates = self.of(portfolio)
        if not _mentions(document, "violations"):
            return estimates
        cached = self._violations
        if cached is None or cached[0] is not portfolio:
            found = context.service.violations_in(view)
            cached = (portfolio, estimates.with_violations([len(v.related_ids) for v in found]))
            self._violations = cached
        return cached[1]


def _mentions(document: Any, name: str) -> bool:
    source = getattr(getattr(document, "loc", None), "source", None)
    body = getattr(source, "body", None)
    return True if body is None else name in body


def too_complex(message: str, **extensions: Any) -> ApiError:
    return ApiError(QUERY_TOO_COMPLEX, message, **extensions)


class QueryBudget(SchemaExtension):
    """Refuses an operation estimated over `max_cost`; stops one past `max_resolved`."""

    def __init__(self, *, max_cost: int, max_resolved: int, timeout: float,
                 cache: EstimateCache, on_refusal: Refusal | None = None) -> None:
        self.max_cost = max_cost
        self.max_resolved = max_resolved
        self.timeout = timeout
        self.cache = cache
        self.on_refusal = on_refusal
        self.resolved = 0
        self.next_clock = CLOCK_EVERY
        self.deadline = math.inf
        self.stopped: ApiError | None = None
        self.ahead: Mapping[tuple[str, str], int] = {}  # average list sizes, charged early

    def _refused(self, limit: str, cost: int, budget: int) -> None:
        if self.on_refusal is not None:
            self.on_refusal(limit, cost, budget)

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        cost = await self._estimate()
        if cost is not None and cost > self.max_cost:
            self._refused("cost", cost, self.max_cost)
            ctx.result = ExecutionResult(data=None, errors=[too_complex(
                f"the query would resolve about {cost} values, over this server's budget of "
                f"{self.max_cost} (PORTFOLIO_MAX_COST): ask for fewer nested lists, smaller "
                "pages (`first`, `limit`) or split it into several requests",
                cost=cost, budget=self.max_cost)])
            yield
            return
        self.deadline = time.monotonic() + self.timeout
        yield
        self.ahead = {}  # the version's estimates: not kept alive by this request's cycles
        result = ctx.result
        if self.stopped is not None and isinstance(result, ExecutionResult):
            # Partial data after a stop would look complete to a careless client.
            result.data, result.errors = None, [self.stopped]

    async def _estimate(self) -> int | None:
        ctx = self.execution_context
        if ctx.graphql_document is None or not hasattr(ctx.context, "view"):
            return None
        try:
            estimates = await self.cache.for_request(
                ctx.context, ctx.graphql_document,
                reuse=ctx.operation_type is OperationType.MUTATION)
        except Exception:  # an outage: the resolvers report it; the runtime cap still holds
            logger.debug("no cost estimate for this request", exc_info=True)
            return None
        self.ahead = estimates.ahead
        schema = ctx.schema._schema
        try:
            return operation_cost(schema, estimates, ctx.graphql_document, ctx.operation_name,
                                  ctx.variables)
        except Exception:  # a bug here must not take every query down: the cap still holds
            logger.exception("could not estimate the cost of an operation")
            return None

    # --- while executing: count every value, look at the clock now and then ---------
    #
    # Once stopped, nothing more is resolved: a list field answers [] and a nullable field
    # None, without calling its resolver, so the stop costs no more work and no error per
    # remaining field (raising in each of 200,000 pending fields took longer than the
    # query it stopped). Non-null single values still resolve: they are the attributes of
    # objects already loaded. The trimmed data never reaches the client (on_execute).

    #
    # A list field is charged its average size up front (from the snapshot's estimates)
    # and corrected when it returns: 5,000 concurrent calls of `PI.features` trip the cap
    # before they are all launched, not after each has loaded its 37 features.

    def resolve(self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any],
                *args: str, **kwargs: Any) -> Any:
        if self.stopped is not None:
            return self._trimmed(_next, root, info, args, kwargs)
        ahead = self.ahead.get((info.parent_type.name, info.field_name), 0)
        self.count(1 + ahead)
        result = _next(root, info, *args, **kwargs)
        if is_awaitable(result):
            return self._counted(result, info, ahead)
        if isinstance(result, list):
            self.count(len(result) - ahead)
        return result

    async def _counted(self, pending: Any, info: GraphQLResolveInfo[Any], ahead: int) -> Any:
        result = await pending
        if self.stopped is not None and isinstance(result, list):
            return []  # resolved meanwhile: its items would only be trimmed one by one
        if isinstance(result, list):
            self.count(len(result) - ahead)
        return result

    def _trimmed(self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo[Any],
                 args: tuple[str, ...], kwargs: dict[str, Any]) -> Any:
        if info.parent_type.name == "Mutation":
            raise self.stopped or RuntimeError("not stopped")  # never a write after a stop
        returned = info.return_type
        if not is_non_null_type(returned):
            return None
        if is_list_type(get_nullable_type(returned)):
            return []
        return _next(root, info, *args, **kwargs)

    def count(self, n: int) -> None:
        """Count `n` values resolved; past the cap or the deadline, stop (raises)."""
        self.resolved += n
        if self.resolved > self.max_resolved:
            self._stop(too_complex(
                f"the query resolved more than {self.max_resolved} values, this server's cap "
                "(PORTFOLIO_MAX_RESOLVED), and was stopped: ask for fewer nested lists or "
                "smaller pages", cost=self.resolved, budget=self.max_resolved), "resolved")
        if self.resolved >= self.next_clock:
            self.next_clock = self.resolved + CLOCK_EVERY
            if time.monotonic() > self.deadline:
                self._stop(ApiError(ErrorCode.TIMEOUT, (
                    f"the operation took longer than {self.timeout:g} s and was stopped; a "
                    "change it was writing may still have landed: check auditLog before "
                    "retrying a mutation")), None)  # counted by its code (api/metrics.py)

    def _stop(self, error: ApiError, limit: str | None) -> None:
        """Stop here: this field fails, every later one is trimmed (see above)."""
        self.stopped = error
        if limit is not None:
            self._refused(limit, self.resolved, self.max_resolved)
        raise error


__all__ = ["QUERY_TOO_COMPLEX", "EstimateCache", "Estimates", "QueryBudget", "operation_cost"]
