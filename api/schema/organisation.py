"""The organisation that delivers: value streams, release trains, teams and PIs."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from api.loaders import Info
from api.schema.fields import field
from api.schema.nodes import Node, linked_nodes, load_node, node_type
from graph import model as m
from graph.cypher.statements import Link
from graph.model import Kind

if TYPE_CHECKING:
    from api.schema.work import Epic, Feature


@node_type(Kind.VALUE_STREAM)
@strawberry.type
class ValueStream(Node):
    name: str
    budget: float | None
    item: strawberry.Private[m.ValueStream]

    @classmethod
    def of(cls, stream: m.ValueStream) -> ValueStream:
        return cls(id=strawberry.ID(stream.id), name=stream.name, budget=stream.budget,
                   item=stream)

    @field(description="The release trains in this value stream, ordered by id.")
    async def arts(self, info: Info) -> list[ReleaseTrain]:
        return await linked_nodes(info, Link.VALUE_STREAM_ARTS, Kind.ART, self.item.id)

    @field(description="The epics funded by this value stream, ordered by id.")
    async def epics(self, info: Info) -> list[Annotated[Epic, strawberry.lazy("api.schema.work")]]:
        return await linked_nodes(info, Link.VALUE_STREAM_EPICS, Kind.EPIC, self.item.id)


@node_type(Kind.ART)
@strawberry.type
class ReleaseTrain(Node):
    name: str
    item: strawberry.Private[m.ReleaseTrain]

    @classmethod
    def of(cls, art: m.ReleaseTrain) -> ReleaseTrain:
        return cls(id=strawberry.ID(art.id), name=art.name, item=art)

    @strawberry.field
    async def value_stream(self, info: Info) -> ValueStream | None:
        return cast("ValueStream | None",
                    await load_node(info, Kind.VALUE_STREAM, self.item.value_stream))

    @field(description="The teams on this train, ordered by id.")
    async def teams(self, info: Info) -> list[Team]:
        return await linked_nodes(info, Link.ART_TEAMS, Kind.TEAM, self.item.id)


@strawberry.type
class Capacity:
    pi: ProgramIncrement
    points: float


@node_type(Kind.TEAM)
@strawberry.type
class Team(Node):
    name: str
    item: strawberry.Private[m.Team]

    @classmethod
    def of(cls, team: m.Team) -> Team:
        return cls(id=strawberry.ID(team.id), name=team.name, item=team)

    @strawberry.field
    async def art(self, info: Info) -> ReleaseTrain | None:
        return cast("ReleaseTrain | None", await load_node(info, Kind.ART, self.item.art))

    @field(description="Capacity in points for the given PI; null when none is recorded.")
    def capacity(self, pi_id: strawberry.ID) -> float | None:
        return self.item.capacity.get(str(pi_id))

    @field(description="The recorded capacities, by PI start date.")
    async def capacities(self, info: Info) -> list[Capacity]:
        recorded = self.item.capacity
        pis = await info.context.loaders.items[Kind.PI].load_many(list(recorded))
        found = sorted((pi for pi in pis if isinstance(pi, m.ProgramIncrement)),
                       key=lambda pi: (pi.start, pi.id))
        return [Capacity(pi=ProgramIncrement.of(pi), points=recorded[pi.id]) for pi in found]

    @field(description="The features assigned to this team, ordered by id.")
    async def features(
        self, info: Info
    ) -> list[Annotated[Feature, strawberry.lazy("api.schema.work")]]:
        return await linked_nodes(info, Link.TEAM_FEATURES, Kind.FEATURE, self.item.id)


@node_type(Kind.PI)
@strawberry.type
class ProgramIncrement(Node):
    name: str
    start: datetime.date
    end: datetime.date
    item: strawberry.Private[m.ProgramIncrement]

    @classmethod
    def of(cls, pi: m.ProgramIncrement) -> ProgramIncrement:
        return cls(id=strawberry.ID(pi.id), name=pi.name, start=pi.start, end=pi.end, item=pi)

    @field(description="The features planned in this PI, ordered by id.")
    async def features(
        self, info: Info
    ) -> list[Annotated[Feature, strawberry.lazy("api.schema.work")]]:
        return await linked_nodes(info, Link.PI_FEATURES, Kind.FEATURE, self.item.id)
