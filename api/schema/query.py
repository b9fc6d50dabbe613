"""The Query root: thin resolvers over the request's view and the service (see
api/schema/__init__.py for which read goes where)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, cast

import strawberry

from api.context import Info
from api.errors import ErrorCode, bad_input
from api.history import utc_text
from api.schema.board import BoardQuery
from api.schema.dashboard import DashboardQuery
from api.schema.enums import RankLevel, Severity
from api.schema.fields import field
from api.schema.governance import (
    AuditEntry,
    Guardrail,
    RankedItem,
    Violation,
    audit_seq,
    wrapped,
)
from api.schema.history import AsOf, HistoryQuery, view_for
from api.schema.inputs import EpicFilter, FeatureFilter
from api.schema.nodes import Node, node, nodes, wrap
from api.schema.organisation import ProgramIncrement, ReleaseTrain, Team, ValueStream
from api.schema.paging import (
    EpicConnection,
    EpicEdge,
    EpicOrder,
    FeatureConnection,
    FeatureEdge,
    FeatureOrder,
    PageInfo,
    encode_cursor,
    window,
)
from api.schema.permissions import VIEWER, needs
from api.schema.strategy import StrategicTheme
from api.schema.trace import Impact, Trace
from api.schema.work import Epic, Feature, Wsjf
from graph.keyset import Page, Sort
from graph.model import Kind
from graph.view import PortfolioView

MAX_AUDIT_LIMIT = 1000


async def _all(info: Info, kind: Kind, as_of: AsOf | None) -> list[Any]:
    view = await view_for(info, as_of)
    return nodes(view, kind, view.ids(kind))


def _edges(view: PortfolioView, kind: Kind, page: Page,
           sort: Sort | None) -> tuple[list[tuple[str, Any]], PageInfo]:
    values = page.values or [None] * len(page.ids)
    cursors = [encode_cursor(i, sort, v) for i, v in zip(page.ids, values, strict=True)]
    edges = list(zip(cursors, nodes(view, kind, page.ids), strict=True))
    info = PageInfo(has_next_page=page.has_next, has_previous_page=page.has_previous,
                    start_cursor=cursors[0] if cursors else None,
                    end_cursor=cursors[-1] if cursors else None)
    return edges, info


ORDER_BY = ("The order of the page; id order when left out. Cursors belong to their order: "
            "one made under another order is refused.")
FirstArg = Annotated[int | None, strawberry.argument(description=(
    "How many edges after `after` to return, 0 to 500 (default 50); not with `last`."))]
LastArg = Annotated[int | None, strawberry.argument(description=(
    "How many edges before `before` to return (the last of them), 0 to 500; not with "
    "an explicit `first`."))]
AfterArg = Annotated[str | None, strawberry.argument(description=(
    "Start after this cursor (an edge's `cursor` or `pageInfo.endCursor`)."))]
BeforeArg = Annotated[str | None, strawberry.argument(description=(
    "End before this cursor (an edge's `cursor` or `pageInfo.startCursor`)."))]
AsOfArg = Annotated[AsOf | None, strawberry.argument(description=(
    "Read the portfolio as it was at an earlier version or instant; now when left out."))]


MAX_TRACES = 500


@strawberry.type
class Query(HistoryQuery, BoardQuery, DashboardQuery):
    @field(extensions=needs(VIEWER), description="Any portfolio item by id.")
    async def node(self, info: Info, id: strawberry.ID,
                   as_of: AsOf | None = None) -> Node | None:
        view = await view_for(info, as_of)
        item = view.find(str(id))
        return None if item is None else cast(Node, wrap(item, view))

    @field(extensions=needs(VIEWER))
    async def themes(self, info: Info, as_of: AsOf | None = None) -> list[StrategicTheme]:
        return await _all(info, Kind.THEME, as_of)

    @field(extensions=needs(VIEWER))
    async def value_streams(self, info: Info, as_of: AsOf | None = None) -> list[ValueStream]:
        return await _all(info, Kind.VALUE_STREAM, as_of)

    @field(extensions=needs(VIEWER))
    async def arts(self, info: Info, as_of: AsOf | None = None) -> list[ReleaseTrain]:
        return await _all(info, Kind.ART, as_of)

    @field(extensions=needs(VIEWER))
    async def teams(self, info: Info, as_of: AsOf | None = None) -> list[Team]:
        return await _all(info, Kind.TEAM, as_of)

    @field(extensions=needs(VIEWER), description="Every PI, by start date.")
    async def pis(self, info: Info, as_of: AsOf | None = None) -> list[ProgramIncrement]:
        view = await view_for(info, as_of)
        return [ProgramIncrement.of(pi, view) for pi in view.pis_by_start()]

    @field(extensions=needs(VIEWER), description=(
        "Browse features, ordered by id (or by `orderBy`, then id); `first` or `last` at "
        "most 500."))
    async def features(self, info: Info, filter: FeatureFilter | None = None,
                       first: FirstArg = 50, after: AfterArg = None,
                       as_of: AsOfArg = None, last: LastArg = None, before: BeforeArg = None,
                       order_by: Annotated[FeatureOrder | None, strawberry.argument(
                           description=ORDER_BY)] = None) -> FeatureConnection:
        query = (filter or FeatureFilter()).query()
        paging = window(info, first, last, after, before,
                        None if order_by is None else order_by.sort())
        view = await view_for(info, as_of)
        page = view.feature_page(query, paging.first, paging.after, last=paging.last,
                                 before=paging.before, sort=paging.sort)
        edges, page_info = _edges(view, Kind.FEATURE, page, paging.sort)
        return FeatureConnection(edges=[FeatureEdge(cursor=c, node=n) for c, n in edges],
                                 page_info=page_info, total_count=page.total)

    @field(extensions=needs(VIEWER), description=(
        "Browse epics, ordered by id (or by `orderBy`, then id); `first` or `last` at most "
        "500."))
    async def epics(self, info: Info, filter: EpicFilter | None = None,
                    first: FirstArg = 50, after: AfterArg = None,
                    as_of: AsOfArg = None, last: LastArg = None, before: BeforeArg = None,
                    order_by: Annotated[EpicOrder | None, strawberry.argument(
                        description=ORDER_BY)] = None) -> EpicConnection:
        query = (filter or EpicFilter()).query()
        paging = window(info, first, last, after, before,
                        None if order_by is None else order_by.sort())
        view = await view_for(info, as_of)
        page = view.epic_page(query, paging.first, paging.after, last=paging.last,
                              before=paging.before, sort=paging.sort)
        edges, page_info = _edges(view, Kind.EPIC, page, paging.sort)
        return EpicConnection(edges=[EpicEdge(cursor=c, node=n) for c, n in edges],
                              page_info=page_info, total_count=page.total)

    @field(extensions=needs(VIEWER))
    async def epic(self, info: Info, id: strawberry.ID,
                   as_of: AsOf | None = None) -> Epic | None:
        return cast("Epic | None", node(await view_for(info, as_of), Kind.EPIC, str(id)))

    @field(extensions=needs(VIEWER))
    async def feature(self, info: Info, id: strawberry.ID,
                      as_of: AsOf | None = None) -> Feature | None:
        return cast("Feature | None", node(await view_for(info, as_of), Kind.FEATURE, str(id)))

    @field(extensions=needs(VIEWER))
    async def team(self, info: Info, id: strawberry.ID,
                   as_of: AsOf | None = None) -> Team | None:
        return cast("Team | None", node(await view_for(info, as_of), Kind.TEAM, str(id)))

    @field(extensions=needs(VIEWER),
                      description="The upward trace of an epic or feature; null for other ids.")
    async def trace(self, info: Info, id: strawberry.ID,
                    as_of: AsOf | None = None) -> Trace | None:
        view = await view_for(info, as_of)
        found = info.context.service.trace(view, str(id))
        return None if found is None else Trace(result=found, view=view)

    @field(extensions=needs(VIEWER), description=(
        "The traces of many epics or features at once, in the order asked (null for ids "
        f"that are neither); at most {MAX_TRACES} ids. An addition to the contract."))
    async def traces(self, info: Info, ids: list[strawberry.ID]) -> list[Trace | None]:
        if len(ids) > MAX_TRACES:
            raise bad_input(f"traces takes at most {MAX_TRACES} ids, got {len(ids)}")
        view = await info.context.view()
        found = (info.context.service.trace(view, str(i)) for i in ids)
        return [None if t is None else Trace(result=t, view=view) for t in found]

    @field(extensions=needs(VIEWER), description=(
        "Features depending on a feature, what they trace to, and what a slip to a later PI "
        "moves; null when the id is not a feature. maxDepth: 1 to 50."))
    async def impact(self, info: Info, id: strawberry.ID, max_depth: int | None = 10,
                     slip_to_pi: strawberry.ID | None = None,
                     as_of: AsOf | None = None) -> Impact | None:
        view = await view_for(info, as_of)
        result = info.context.service.impact(
            view, str(id), 10 if max_depth is None else max_depth,
            None if slip_to_pi is None else str(slip_to_pi))
        return None if result is None else Impact(result=result, view=view)

    @field(extensions=needs(VIEWER),
                      description="Broken guardrails, ordered by rule, subjectId, relatedIds.")
    async def violations(self, info: Info, severity: Severity | None = None,
                         rule: str | None = None, as_of: AsOf | None = None) -> list[Violation]:
        view = await view_for(info, as_of)
        service = info.context.service
        # Built once per version and filter: 13,458 at 50,000 features took ~40 ms a request.
        return view.derived(("api.violations", severity, rule), lambda: wrapped(
            service.violations_in(view, severity=severity, rule=rule), (severity, rule)))

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
                      limit: int | None = 100, as_of: AsOf | None = None) -> list[RankedItem]:
        view = await view_for(info, as_of)
        entries = info.context.service.ranking(
            view, level.value,
            scope=None if scope is None else str(scope),
            pi_id=None if pi_id is None else str(pi_id),
            respect_dependencies=bool(respect_dependencies),
            limit=100 if limit is None else limit,
        )
        items = view.portfolio.collection(Kind.EPIC if level is RankLevel.EPIC else Kind.FEATURE)
        return [RankedItem(rank=e.rank, item=wrap(items[e.item_id], view), wsjf=Wsjf.of(e.wsjf))
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
        entries = await info.context.on_server_loop(info.context.service.audit_log(
            item_id=None if item_id is None else str(item_id), actor=actor,
            since=None if since is None else utc_text(since, "since", ErrorCode.BAD_USER_INPUT),
            before_seq=None if before is None else audit_seq(before), limit=size,
        ))
        return [AuditEntry.of(e) for e in entries]
