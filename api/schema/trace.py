"""Traceability and impact: up from an item to its themes; out from a feature to its dependents."""

from __future__ import annotations

from typing import Any, cast

import strawberry

from api.schema.fields import field
from api.schema.nodes import node, nodes
from api.schema.organisation import ProgramIncrement, ReleaseTrain, Team, ValueStream
from api.schema.strategy import KeyResult, Objective, StrategicTheme
from api.schema.work import Epic, Feature, WorkItem
from graph.model import Kind
from graph.view import PortfolioView
from rules import impact as rules_impact
from rules import trace as rules_trace


@strawberry.type
class Trace:
    """Resolved from the request's view: tracing 100 features is a few microseconds each
    in memory against ~0.2 ms each as Cypher (bench/README.md)."""

    result: strawberry.Private[rules_trace.Trace]
    view: strawberry.Private[PortfolioView]

    def _one(self, kind: Kind, item_id: str | None) -> Any:
        return node(self.view, kind, item_id)

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
        return nodes(self.view, Kind.KEY_RESULT, self.result.key_result_ids)

    @strawberry.field
    def objectives(self) -> list[Objective]:
        return nodes(self.view, Kind.OBJECTIVE, self.result.objective_ids)

    @strawberry.field
    def themes(self) -> list[StrategicTheme]:
        return nodes(self.view, Kind.THEME, self.result.theme_ids)

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


@strawberry.type
class Impact:
    """Resolved from the view the impact was computed on: one consistent version."""

    result: strawberry.Private[rules_impact.ImpactResult]
    view: strawberry.Private[PortfolioView]

    @strawberry.field
    def root(self) -> Feature:
        return Feature.of(self.view.portfolio.features[self.result.root_id], self.view)

    @strawberry.field
    def items(self) -> list[ImpactedItem]:
        features, view = self.view.portfolio.features, self.view
        return [ImpactedItem(item=Feature.of(features[i.item_id], view), depth=i.depth)
                for i in self.result.items]

    @strawberry.field
    def teams(self) -> list[Team]:
        return nodes(self.view, Kind.TEAM, self.result.team_ids)

    @strawberry.field
    def arts(self) -> list[ReleaseTrain]:
        return nodes(self.view, Kind.ART, self.result.art_ids)

    @strawberry.field
    def epics(self) -> list[Epic]:
        return nodes(self.view, Kind.EPIC, self.result.epic_ids)

    @strawberry.field
    def key_results(self) -> list[KeyResult]:
        return nodes(self.view, Kind.KEY_RESULT, self.result.key_result_ids)

    @strawberry.field
    def objectives(self) -> list[Objective]:
        return nodes(self.view, Kind.OBJECTIVE, self.result.objective_ids)

    @strawberry.field
    def themes(self) -> list[StrategicTheme]:
        return nodes(self.view, Kind.THEME, self.result.theme_ids)

    @field(description="Filled only when slipToPi is given.")
    def slips(self) -> list[Slip]:
        view = self.view
        features, pis = view.portfolio.features, view.portfolio.pis
        return [
            Slip(item=Feature.of(features[s.item_id], view),
                 from_=ProgramIncrement.of(pis[s.from_pi_id], view),
                 to=ProgramIncrement.of(pis[s.to_pi_id], view))
            for s in self.result.slips
        ]

    @field(description=(
        "Sum of userBusinessValue over slipped items other than the root (0 when none)."))
    def business_value_at_risk(self) -> int:
        return self.result.business_value_at_risk


__all__ = ["Impact", "ImpactedItem", "Slip", "Trace"]
