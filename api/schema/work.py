"""Work items: Epic and Feature (the WorkItem union), with their WSJF."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from api.loaders import Info
from api.schema.enums import EpicState, FeatureState, Horizon, WorkType
from api.schema.fields import field
from api.schema.nodes import Node, linked_nodes, load_node, load_nodes, node_type
from graph import model as m
from graph.cypher.statements import Link
from graph.model import Kind

if TYPE_CHECKING:
    from api.schema.organisation import ProgramIncrement, Team, ValueStream
    from api.schema.strategy import KeyResult, StrategicTheme

# The types of other modules, resolved by strawberry when the schema is built.
ValueStreamRef = Annotated["ValueStream", strawberry.lazy("api.schema.organisation")]
TeamRef = Annotated["Team", strawberry.lazy("api.schema.organisation")]
PiRef = Annotated["ProgramIncrement", strawberry.lazy("api.schema.organisation")]
ThemeRef = Annotated["StrategicTheme", strawberry.lazy("api.schema.strategy")]
KeyResultRef = Annotated["KeyResult", strawberry.lazy("api.schema.strategy")]

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

    @classmethod
    def of(cls, epic: m.Epic) -> Epic:
        return cls(
            id=strawberry.ID(epic.id), name=epic.name, type=epic.type, state=epic.state,
            horizon=epic.horizon, estimated_cost=epic.estimated_cost, approved=epic.approved,
            business_owner=epic.business_owner, item=epic,
        )

    @strawberry.field
    def wsjf(self) -> Wsjf | None:
        # Resolved only when asked for: building it for every listed item cost ~10% of
        # a large impact query (bench/README.md).
        return Wsjf.maybe(self.item.wsjf)

    @strawberry.field
    async def value_stream(
        self, info: Info
    ) -> ValueStreamRef | None:
        return cast("ValueStream | None",
                    await load_node(info, Kind.VALUE_STREAM, self.item.value_stream))

    @field(description="The themes the epic is aligned to directly, ordered by id.")
    async def themes(self, info: Info) -> list[ThemeRef]:
        return await load_nodes(info, Kind.THEME, sorted(self.item.themes))

    @field(description="Key results the epic contributes to, ordered by id.")
    async def key_results(self, info: Info) -> list[KeyResultRef]:
        return await load_nodes(info, Kind.KEY_RESULT, sorted(self.item.key_results))

    @field(description="The epic's features, ordered by id.")
    async def features(self, info: Info) -> list[Feature]:
        return await linked_nodes(info, Link.EPIC_FEATURES, Kind.FEATURE, self.item.id)


@node_type(Kind.FEATURE)
@strawberry.type
class Feature(Node):
    name: str
    type: WorkType
    state: FeatureState
    points: float | None
    item: strawberry.Private[m.Feature]

    @classmethod
    def of(cls, feature: m.Feature) -> Feature:
        return cls(
            id=strawberry.ID(feature.id), name=feature.name, type=feature.type,
            state=feature.state, points=feature.points, item=feature,
        )

    @strawberry.field
    def wsjf(self) -> Wsjf | None:
        return Wsjf.maybe(self.item.wsjf)

    @strawberry.field
    async def epic(self, info: Info) -> Epic | None:
        return cast("Epic | None", await load_node(info, Kind.EPIC, self.item.epic))

    @strawberry.field
    async def team(self, info: Info) -> TeamRef | None:
        return cast("Team | None", await load_node(info, Kind.TEAM, self.item.team))

    @strawberry.field
    async def pi(self, info: Info) -> PiRef | None:
        return cast("ProgramIncrement | None", await load_node(info, Kind.PI, self.item.pi))

    @field(description=(
        "Features this feature depends on (they must be delivered first), ordered by id."))
    async def depends_on(self, info: Info) -> list[Feature]:
        return await linked_nodes(info, Link.FEATURE_DEPENDS_ON, Kind.FEATURE, self.item.id)

    @field(description="Features that depend on this feature, ordered by id.")
    async def dependents(self, info: Info) -> list[Feature]:
        return await linked_nodes(info, Link.FEATURE_DEPENDENTS, Kind.FEATURE, self.item.id)


WorkItem = Annotated[Epic | Feature, strawberry.union("WorkItem")]
