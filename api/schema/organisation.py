"""The organisation that delivers: value streams, release trains, teams and PIs."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from api.schema.fields import field
from api.schema.nodes import Node, node, node_type, nodes
from graph import model as m
from graph.model import Kind
from graph.view import PortfolioView, link_field

if TYPE_CHECKING:
    from api.schema.work import Epic, Feature

_ART_STREAM = link_field(Kind.ART, "value_stream")
_EPIC_STREAM = link_field(Kind.EPIC, "value_stream")
_TEAM_ART = link_field(Kind.TEAM, "art")
_FEATURE_TEAM = link_field(Kind.FEATURE, "team")
_FEATURE_PI = link_field(Kind.FEATURE, "pi")


@node_type(Kind.VALUE_STREAM)
@strawberry.type
class ValueStream(Node):
    name: str
    budget: float | None
    item: strawberry.Private[m.ValueStream]
    view: strawberry.Private[PortfolioView]

    @classmethod
    def of(cls, stream: m.ValueStream, view: PortfolioView) -> ValueStream:
        return cls(id=strawberry.ID(stream.id), name=stream.name, budget=stream.budget,
                   item=stream, view=view)

    @field(description="The release trains in this value stream, ordered by id.")
    def arts(self) -> list[ReleaseTrain]:
        return nodes(self.view, Kind.ART, self.view.children(_ART_STREAM, self.item.id))

    @field(description="The epics funded by this value stream, ordered by id.")
    def epics(self) -> list[Annotated[Epic, strawberry.lazy("api.schema.work")]]:
        return nodes(self.view, Kind.EPIC, self.view.children(_EPIC_STREAM, self.item.id))


@node_type(Kind.ART)
@strawberry.type
class ReleaseTrain(Node):
    name: str
    item: strawberry.Private[m.ReleaseTrain]
    view: strawberry.Private[PortfolioView]

    @classmethod
    def of(cls, art: m.ReleaseTrain, view: PortfolioView) -> ReleaseTrain:
        return cls(id=strawberry.ID(art.id), name=art.name, item=art, view=view)

    @strawberry.field
    def value_stream(self) -> ValueStream | None:
        return cast("ValueStream | None",
                    node(self.view, Kind.VALUE_STREAM, self.item.value_stream))

    @field(description="The teams on this train, ordered by id.")
    def teams(self) -> list[Team]:
        return nodes(self.view, Kind.TEAM, self.view.children(_TEAM_ART, self.item.id))


@strawberry.type
class Capacity:
    pi: ProgramIncrement
    points: float


@node_type(Kind.TEAM)
@strawberry.type
class Team(Node):
    name: str
    item: strawberry.Private[m.Team]
    view: strawberry.Private[PortfolioView]

    @classmethod
    def of(cls, team: m.Team, view: PortfolioView) -> Team:
        return cls(id=strawberry.ID(team.id), name=team.name, item=team, view=view)

    @strawberry.field
    def art(self) -> ReleaseTrain | None:
        return cast("ReleaseTrain | None", node(self.view, Kind.ART, self.item.art))

    @field(description="Capacity in points for the given PI; null when none is recorded.")
    def capacity(self, pi_id: strawberry.ID) -> float | None:
        return self.item.capacity.get(str(pi_id))

    @field(description="The recorded capacities, by PI start date.")
    def capacities(self) -> list[Capacity]:
        recorded = self.item.capacity
        found = sorted(self.view.items(Kind.PI, recorded), key=lambda pi: (pi.start, pi.id))
        return [Capacity(pi=ProgramIncrement.of(pi, self.view), points=recorded[pi.id])
                for pi in found]

    @field(description="The features assigned to this team, ordered by id.")
    def features(self) -> list[Annotated[Feature, strawberry.lazy("api.schema.work")]]:
        return nodes(self.view, Kind.FEATURE, self.view.children(_FEATURE_TEAM, self.item.id))


@node_type(Kind.PI)
@strawberry.type
class ProgramIncrement(Node):
    name: str
    start: datetime.date
    end: datetime.date
    item: strawberry.Private[m.ProgramIncrement]
    view: strawberry.Private[PortfolioView]

    @classmethod
    def of(cls, pi: m.ProgramIncrement, view: PortfolioView) -> ProgramIncrement:
        return cls(id=strawberry.ID(pi.id), name=pi.name, start=pi.start, end=pi.end, item=pi,
                   view=view)

    @field(description="The features planned in this PI, ordered by id.")
    def features(self) -> list[Annotated[Feature, strawberry.lazy("api.schema.work")]]:
        return nodes(self.view, Kind.FEATURE, self.view.children(_FEATURE_PI, self.item.id))
