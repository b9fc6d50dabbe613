"""The Query root: thin resolvers over the store's loaders, the service and the rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import strawberry

from api.errors import bad_input
from api.loaders import Info
from api.schema.enums import RankLevel, Severity
from api.schema.fields import field
from api.schema.governance import AuditEntry, Guardrail, RankedItem, Violation, audit_seq
from api.schema.inputs import EpicFilter, FeatureFilter
from api.schema.nodes import Node, load_node, load_nodes, wrap
from api.schema.organisation import ProgramIncrement, ReleaseTrain, Team, ValueStream
from api.schema.paging import (
    EpicConnection,
    EpicEdge,
    FeatureConnection,
    FeatureEdge,
    PageInfo,
    decode_cursor,
    encode_cursor,
    page_size,
)
from api.schema.permissions import VIEWER, needs
from api.schema.strategy import StrategicTheme
from api.schema.trace import Impact, Trace
from api.schema.work import Epic, Feature, Wsjf
from graph.model import Kind
from rules import ranking
from rules import trace as rules_trace

MAX_AUDIT_LIMIT = 1000


async def _all(info: Info, kind: Kind) -> list[Any]:
    return await load_nodes(info, kind, await info.context.store.all_ids(kind))


async def _page(info: Info, kind: Kind, params: dict[str, Any], first: int | None,
                after: str | None) -> tuple[list[tuple[str, Any]], PageInfo, int]:
    size = page_size(first)
    page = await info.context.store.page(kind, params, size, decode_cursor(after))
    nodes = await load_nodes(info, kind, page.ids)
    edges = [(encode_cursor(node.id), node) for node in nodes]
    info_ = PageInfo(has_next_page=page.has_next,
                     end_cursor=encode_cursor(page.ids[-1]) if page.ids else None)
    return edges, info_, page.total


def _utc_text(moment: datetime, argument: str = "since") -> str:
    """How the audit log stores time: UTC ISO 8601 with milliseconds (orders as text).

    An instant whose UTC time falls outside years 1 to 9999 (0001-01-01T00:00:00+01:00)
    cannot be represented: BAD_USER_INPUT naming the argument, not an internal error.
    """
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    try:
        return aware.astimezone(UTC).isoformat(timespec="milliseconds")
    except OverflowError:
        raise bad_input(
            f"`{argument}` must be an instant between 0001-01-01T00:00:00Z and "
            f"9999-12-31T23:59:59Z once converted to UTC (got {aware.isoformat()})",
            argument=argument) from None


MAX_TRACES = 500


@strawberry.type
class Query:
    @field(extensions=needs(VIEWER), description="Any portfolio item by id.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        kind = await info.context.loaders.kinds.load(str(id))
        return None if kind is None else cast("Node | None", await load_node(info, kind, id))

    @field(extensions=needs(VIEWER))
    async def themes(self, info: Info) -> list[StrategicTheme]:
        return await _all(info, Kind.THEME)

    @field(extensions=needs(VIEWER))
    async def value_streams(self, info: Info) -> list[ValueStream]:
        return await _all(info, Kind.VALUE_STREAM)

    @field(extensions=needs(VIEWER))
    async def arts(self, info: Info) -> list[ReleaseTrain]:
        return await _all(info, Kind.ART)

    @field(extensions=needs(VIEWER))
    async def teams(self, info: Info) -> list[Team]:
        return await _all(info, Kind.TEAM)

    @field(extensions=needs(VIEWER), description="Every PI, by start date.")
    async def pis(self, info: Info) -> list[ProgramIncrement]:
        return await _all(info, Kind.PI)

    @field(extensions=needs(VIEWER),
                      description="Browse features, ordered by id; `first` at most 500.")
    async def features(self, info: Info, filter: FeatureFilter | None = None,
                       first: int | None = 50, after: str | None = None) -> FeatureConnection:
        params = (filter or FeatureFilter()).params()
        edges, page_info, total = await _page(info, Kind.FEATURE, params, first, after)
        return FeatureConnection(edges=[FeatureEdge(cursor=c, node=n) for c, n in edges],
                                 page_info=page_info, total_count=total)

    @field(extensions=needs(VIEWER),
                      description="Browse epics, ordered by id; `first` at most 500.")
    async def epics(self, info: Info, filter: EpicFilter | None = None,
                    first: int | None = 50, after: str | None = None) -> EpicConnection:
        params = (filter or EpicFilter()).params()
        edges, page_info, total = await _page(info, Kind.EPIC, params, first, after)
        return EpicConnection(edges=[EpicEdge(cursor=c, node=n) for c, n in edges],
                              page_info=page_info, total_count=total)

    @field(extensions=needs(VIEWER))
    async def epic(self, info: Info, id: strawberry.ID) -> Epic | None:
        return cast("Epic | None", await load_node(info, Kind.EPIC, id))

    @field(extensions=needs(VIEWER))
    async def feature(self, info: Info, id: strawberry.ID) -> Feature | None:
        return cast("Feature | None", await load_node(info, Kind.FEATURE, id))

    @field(extensions=needs(VIEWER))
    async def team(self, info: Info, id: strawberry.ID) -> Team | None:
        return cast("Team | None", await load_node(info, Kind.TEAM, id))

    @field(extensions=needs(VIEWER),
                      description="The upward trace of an epic or feature; null for other ids.")
    async def trace(self, info: Info, id: strawberry.ID) -> Trace | None:
        portfolio = await info.context.portfolio()
        found = rules_trace.trace(portfolio, str(id))
        return None if found is None else Trace(result=found, portfolio=portfolio)

    @field(extensions=needs(VIEWER), description=(
        "The traces of many epics or features at once, in the order asked (null for ids "
        f"that are neither); at most {MAX_TRACES} ids. An addition to the contract."))
    async def traces(self, info: Info, ids: list[strawberry.ID]) -> list[Trace | None]:
        if len(ids) > MAX_TRACES:
            raise bad_input(f"traces takes at most {MAX_TRACES} ids, got {len(ids)}")
        portfolio = await info.context.portfolio()
        found = (rules_trace.trace(portfolio, str(i)) for i in ids)
        return [None if t is None else Trace(result=t, portfolio=portfolio) for t in found]

    @field(extensions=needs(VIEWER), description=(
        "Features depending on a feature, what they trace to, and what a slip to a later PI "
        "moves; null when the id is not a feature. maxDepth: 1 to 50."))
    async def impact(self, info: Info, id: strawberry.ID, max_depth: int | None = 10,
                     slip_to_pi: strawberry.ID | None = None) -> Impact | None:
        portfolio, result = await info.context.service.impact(
            str(id), 10 if max_depth is None else max_depth,
            None if slip_to_pi is None else str(slip_to_pi))
        return None if result is None else Impact(result=result, portfolio=portfolio)

    @field(extensions=needs(VIEWER),
                      description="Broken guardrails, ordered by rule, subjectId, relatedIds.")
    async def violations(self, info: Info, severity: Severity | None = None,
                         rule: str | None = None) -> list[Violation]:
        found = await info.context.service.violations(severity=severity, rule=rule)
        return [Violation.of(v) for v in found]

    @field(extensions=needs(VIEWER),
                      description="Every guardrail rule with its effective settings, by rule id.")
    def guardrails(self, info: Info) -> list[Guardrail]:
        return [Guardrail.of(g) for g in info.context.service.policy.guardrails()]

    @field(extensions=needs(VIEWER), description=(
        "WSJF ranking of the items of `level` that are not DONE and have WSJF inputs; "
        "limit: 1 to 1000."))
    async def ranking(self, info: Info, level: RankLevel, scope: strawberry.ID | None = None,
                      pi_id: strawberry.ID | None = None,
                      respect_dependencies: bool | None = False,
                      limit: int | None = 100) -> list[RankedItem]:
        portfolio = await info.context.service.snapshot()
        entries = ranking.rank(
            portfolio, level.value,
            scope=None if scope is None else str(scope),
            pi_id=None if pi_id is None else str(pi_id),
            respect_dependencies=bool(respect_dependencies),
            limit=100 if limit is None else limit,
        )
        items = portfolio.collection(Kind.EPIC if level is RankLevel.EPIC else Kind.FEATURE)
        return [RankedItem(rank=e.rank, item=wrap(items[e.item_id]), wsjf=Wsjf.of(e.wsjf))
                for e in entries]

    @field(extensions=needs(VIEWER), description=(
        "The audit log, newest first; limit: 1 to 1000. Page back with `before` (an entry's "
        "cursor); `since` keeps entries at or after an instant."))
    async def audit_log(self, info: Info, item_id: strawberry.ID | None = None,
                        actor: str | None = None, limit: int | None = 100,
                        before: str | None = None,
                        since: datetime | None = None) -> list[AuditEntry]:
        size = 100 if limit is None else limit
        if not 1 <= size <= MAX_AUDIT_LIMIT:
            raise bad_input(f"limit must be between 1 and {MAX_AUDIT_LIMIT} (got {size})",
                            argument="limit")
        entries = await info.context.store.audit_log(
            item_id=None if item_id is None else str(item_id), actor=actor,
            since=None if since is None else _utc_text(since),
            before_seq=None if before is None else audit_seq(before), limit=size,
        )
        return [AuditEntry.of(e) for e in entries]
