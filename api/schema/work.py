"""Work items: Epic and Feature (the WorkItem union), with their WSJF."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from api.schema.enums import EpicState, FeatureState, Horizon, WorkType
from api.schema.fields import field
from api.schema.nodes import Node, node, node_type, nodes
from graph import model as m
from graph.model import Kind
from graph.view import PortfolioView, link_field

if TYPE_CHECKING:
    from api.schema.organisation import ProgramIncrement, Team, ValueStream
    from api.schema.strategy import KeyResult, StrategicTheme

# The types of other modules, resolved by strawberry when the schema is built.
ValueStreamRef = Annotated["ValueStream", strawberry.lazy("api.schema.organisation")]
TeamRef = Annotated["Team", strawberry.lazy("api.schema.organisation")]
PiRef = Annotated["ProgramIncrement", strawberry.lazy("api.schema.organisation")]
ThemeRef = Annotated["StrategicTheme", strawberry.lazy("api.schema.strategy")]
KeyResultRef = Annotated["KeyResult", strawberry.lazy("api.schema.strategy")]
_FEATURE_EPIC = link_field(Kind.FEATURE, "epic")

@strawberry.type
class Wsjf:
    user_business_value: int
    time_criticality: int
    risk_reduction_opportunity_enablement: int
    job_size: int
    cost_of_delay: int
    score: float

    @classmethod
    def maybe(cls, wsjf: m.Wsjf | None) -> Wsjf | None:
        return None if wsjf is None else cls.of(wsjf)

    @classmethod
    def of(cls, wsjf: m.Wsjf) -> Wsjf:
        return cls(
            user_business_value=wsjf.user_business_value,
            time_criticality=wsjf.time_criticality,
            risk_reduction_opportunity_enablement=wsjf.risk_reduction_opportunity_enablement,
            job_size=wsjf.job_size,
            cost_of_delay=wsjf.cost_of_delay,
            score=wsjf.score,
        )


@node_type(Kind.EPIC)
@strawberry.type
class Epic(Node):
    name: str
    type: WorkType
    state: EpicState
    horizon: Horizon | None
    estimated_cost: float | None
    approved: bool
    business_owner: str | None
    item: strawberry.Private[m.Epic]
    view: strawberry.Private[PortfolioView]

    @classmethod
    def of(cls, epic: m.Epic, view: PortfolioView) -> Epic:
        return cls(
            id=strawberry.ID(epic.id), name=epic.name, type=epic.type, state=epic.state,
            horizon=epic.horizon, estimated_cost=epic.estimated_cost, approved=epic.approved,
            business_owner=epic.business_owner, item=epic, view=view,
        )

    @strawberry.field
    def wsjf(self) -> Wsjf | None:
        # Resolved only when asked for: building it for every listed item cost ~10% of
        # a large impact query (bench/README.md).
        return Wsjf.maybe(self.item.wsjf)

    @strawberry.field
    def value_stream(self) -> ValueStreamRef | None:
        return cast("ValueStream | None",
                    node(self.view, Kind.VALUE_STREAM, self.item.value_stream))

    @field(description="The themes the epic is aligned to directly, ordered by id.")
    def themes(self) -> list[ThemeRef]:
        return nodes(self.view, Kind.THEME, sorted(self.item.themes))

    @field(description="Key results the epic contributes to, ordered by id.")
    def key_results(self) -> list[KeyResultRef]:
        return nodes(self.view, Kind.KEY_RESULT, sorted(self.item.key_results))

    @field(description="The epic's features, ordered by id.")
    def features(self) -> list[Feature]:
        return nodes(self.view, Kind.FEATURE, self.view.children(_FEATURE_EPIC, self.item.id))


@node_type(Kind.FEATURE)
@strawberry.type
class Feature(Node):
    name: str
    type: WorkType
    state: FeatureState
    points: float | None
    item: strawberry.Private[m.Feature]
    view: strawberry.Private[PortfolioView]

    @classmethod
    def of(cls, feature: m.Feature, view: PortfolioView) -> Feature:
        return cls(
            id=strawberry.ID(feature.id), name=feature.name, type=feature.type,
            state=feature.state, points=feature.points, item=feature, view=view,
        )

    @strawberry.field
    def wsjf(self) -> Wsjf | None:
        return Wsjf.maybe(self.item.wsjf)

    @strawberry.field
    def epic(self) -> Epic | None:
        return cast("Epic | None", node(self.view, Kind.EPIC, self.item.epic))

    @strawberry.field
    def team(self) -> TeamRef | None:
        return cast("Team | None", node(self.view, Kind.TEAM, self.item.team))

    @strawberry.field
    def pi(self) -> PiRef | None:
        return cast("ProgramIncrement | None", node(self.view, Kind.PI, self.item.pi))

    @field(description=(
        "Features this feature depends on (they must be delivered first), ordered by id."))
    def depends_on(self) -> list[Feature]:
        return nodes(self.view, Kind.FEATURE, self.view.depends_on(self.item.id))

    @field(description="Features that depend on this feature, ordered by id.")
    def dependents(self) -> list[Feature]:
        return nodes(self.view, Kind.FEATURE, self.view.dependents(self.item.id))


WorkItem = Annotated[Epic | Feature, strawberry.union("WorkItem")]
