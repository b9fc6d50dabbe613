"""Traceability and impact: up from an item to its themes; out from a feature to its dependents."""

from __future__ import annotations

from typing import Any, cast

import strawberry

from api.schema.fields import field
from api.schema.nodes import wrap, wrap_all
from api.schema.organisation import ProgramIncrement, ReleaseTrain, Team, ValueStream
from api.schema.strategy import KeyResult, Objective, StrategicTheme
from api.schema.work import Epic, Feature, WorkItem
from graph.model import Kind, Portfolio
from rules import impact as rules_impact
from rules import trace as rules_trace


@strawberry.type
class Trace:
    """Resolved from the request's snapshot: tracing 100 features is a few microseconds
    each in memory against ~0.2 ms each as Cypher (bench/README.md)."""

    result: strawberry.Private[rules_trace.Trace]
    portfolio: strawberry.Private[Portfolio]

    def _one(self, kind: Kind, item_id: str | None) -> Any:
        item = None if item_id is None else self.portfolio.collection(kind).get(item_id)
        return None if item is None else wrap(item)

    @strawberry.field
    def item(self) -> WorkItem:
        found = (self._one(Kind.FEATURE, self.result.item_id)
                 or self._one(Kind.EPIC, self.result.item_id))
        return cast(WorkItem, found)

    @strawberry.field
    def epic(self) -> Epic | None:
        return cast("Epic | None", self._one(Kind.EPIC, self.result.epic_id))

    @strawberry.field
    def key_results(self) -> list[KeyResult]:
        return _snapshot_items(self.portfolio, Kind.KEY_RESULT, self.result.key_result_ids)

    @strawberry.field
    def objectives(self) -> list[Objective]:
        return _snapshot_items(self.portfolio, Kind.OBJECTIVE, self.result.objective_ids)

    @strawberry.field
    def themes(self) -> list[StrategicTheme]:
        return _snapshot_items(self.portfolio, Kind.THEME, self.result.theme_ids)

    @strawberry.field
    def team(self) -> Team | None:
        return cast("Team | None", self._one(Kind.TEAM, self.result.team_id))

    @strawberry.field
    def art(self) -> ReleaseTrain | None:
        return cast("ReleaseTrain | None", self._one(Kind.ART, self.result.art_id))

    @strawberry.field
    def value_stream(self) -> ValueStream | None:
        return cast("ValueStream | None",
                    self._one(Kind.VALUE_STREAM, self.result.value_stream_id))

    @field(description="True when at least one strategic theme is reached.")
    def aligned(self) -> bool:
        return self.result.aligned


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
