"""Traceability and impact: up from an item to its themes; out from a feature to its dependents."""

from __future__ import annotations

from typing import Any, cast

import strawberry

from api.loaders import Info
from api.schema.fields import field
from api.schema.nodes import load_node, load_nodes, wrap_all
from api.schema.organisation import ProgramIncrement, ReleaseTrain, Team, ValueStream
from api.schema.strategy import KeyResult, Objective, StrategicTheme
from api.schema.work import Epic, Feature, WorkItem
from graph.model import Kind, Portfolio
from graph.store import TraceRow
from rules import impact as rules_impact


@strawberry.type
class Trace:
    row: strawberry.Private[TraceRow]

    @strawberry.field
    async def item(self, info: Info) -> WorkItem:
        found = await load_node(info, self.row.kind, self.row.id)
        if found is None:
            raise LookupError(f"{self.row.id!r} was deleted while it was traced")
        return cast(WorkItem, found)

    @strawberry.field
    async def epic(self, info: Info) -> Epic | None:
        return cast("Epic | None", await load_node(info, Kind.EPIC, self.row.epic))

    @strawberry.field
    async def key_results(self, info: Info) -> list[KeyResult]:
        return await load_nodes(info, Kind.KEY_RESULT, self.row.key_results)

    @strawberry.field
    async def objectives(self, info: Info) -> list[Objective]:
        return await load_nodes(info, Kind.OBJECTIVE, self.row.objectives)

    @strawberry.field
    async def themes(self, info: Info) -> list[StrategicTheme]:
        return await load_nodes(info, Kind.THEME, self.row.themes)

    @strawberry.field
    async def team(self, info: Info) -> Team | None:
        return cast("Team | None", await load_node(info, Kind.TEAM, self.row.team))

    @strawberry.field
    async def art(self, info: Info) -> ReleaseTrain | None:
        return cast("ReleaseTrain | None", await load_node(info, Kind.ART, self.row.art))

    @strawberry.field
    async def value_stream(self, info: Info) -> ValueStream | None:
        return cast("ValueStream | None",
                    await load_node(info, Kind.VALUE_STREAM, self.row.value_stream))

    @field(description="True when at least one strategic theme is reached.")
    def aligned(self) -> bool:
        return self.row.aligned


@strawberry.type
class ImpactedItem:
    item: Feature
    depth: int = strawberry.field(description=(
        "Length of the shortest dependency chain from the impacted item to the root."))


@strawberry.type
class Slip:
    item: Feature
    from_: ProgramIncrement = strawberry.field(name="from")
    to: ProgramIncrement


def _snapshot_items(portfolio: Portfolio, kind: Kind, ids: tuple[str, ...]) -> list[Any]:
    items = portfolio.collection(kind)
    return wrap_all(items.get(i) for i in ids)


@strawberry.type
class Impact:
    """Resolved from the snapshot the impact was computed on: one consistent view."""

    result: strawberry.Private[rules_impact.ImpactResult]
    portfolio: strawberry.Private[Portfolio]

    @strawberry.field
    def root(self) -> Feature:
        return Feature.of(self.portfolio.features[self.result.root_id])

    @strawberry.field
    def items(self) -> list[ImpactedItem]:
        features = self.portfolio.features
        return [ImpactedItem(item=Feature.of(features[i.item_id]), depth=i.depth)
                for i in self.result.items]

    @strawberry.field
    def teams(self) -> list[Team]:
        return _snapshot_items(self.portfolio, Kind.TEAM, self.result.team_ids)

    @strawberry.field
    def arts(self) -> list[ReleaseTrain]:
        return _snapshot_items(self.portfolio, Kind.ART, self.result.art_ids)

    @strawberry.field
    def epics(self) -> list[Epic]:
        return _snapshot_items(self.portfolio, Kind.EPIC, self.result.epic_ids)

    @strawberry.field
    def key_results(self) -> list[KeyResult]:
        return _snapshot_items(self.portfolio, Kind.KEY_RESULT, self.result.key_result_ids)

    @strawberry.field
    def objectives(self) -> list[Objective]:
        return _snapshot_items(self.portfolio, Kind.OBJECTIVE, self.result.objective_ids)

    @strawberry.field
    def themes(self) -> list[StrategicTheme]:
        return _snapshot_items(self.portfolio, Kind.THEME, self.result.theme_ids)

    @field(description="Filled only when slipToPi is given.")
    def slips(self) -> list[Slip]:
        features, pis = self.portfolio.features, self.portfolio.pis
        return [
            Slip(item=Feature.of(features[s.item_id]), from_=ProgramIncrement.of(pis[s.from_pi_id]),
                 to=ProgramIncrement.of(pis[s.to_pi_id]))
            for s in self.result.slips
        ]

    @field(description=(
        "Sum of userBusinessValue over slipped items other than the root (0 when none)."))
    def business_value_at_risk(self) -> int:
        return self.result.business_value_at_risk


__all__ = ["Impact", "ImpactedItem", "Slip", "Trace"]
