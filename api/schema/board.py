"""The program board: dependencies with where each end is planned (rules/board.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from api.context import Info
from api.schema.fields import field
from api.schema.history import AsOf, view_for
from api.schema.nodes import node
from api.schema.permissions import VIEWER, needs
from graph.model import Kind
from graph.view import PortfolioView
from rules.board import BoardEdge, BoardFilter, board

if TYPE_CHECKING:
    from api.schema.organisation import ProgramIncrement, ReleaseTrain, Team
    from api.schema.work import Feature

FeatureRef = Annotated["Feature", strawberry.lazy("api.schema.work")]
TeamRef = Annotated["Team", strawberry.lazy("api.schema.organisation")]
ArtRef = Annotated["ReleaseTrain", strawberry.lazy("api.schema.organisation")]
PiRef = Annotated["ProgramIncrement", strawberry.lazy("api.schema.organisation")]


@strawberry.type(description=(
    "A dependency on the program board: `from` needs `to` delivered first, with where each "
    "end is planned."))
class DependencyEdge:
    edge: strawberry.Private[BoardEdge]
    view: strawberry.Private[PortfolioView]

    @field(name="from", description="The feature that depends.")
    def from_(self) -> FeatureRef:
        return cast("Feature", node(self.view, Kind.FEATURE, self.edge.from_id))

    @field(description="The feature it depends on (to be delivered first).")
    def to(self) -> FeatureRef:
        return cast("Feature", node(self.view, Kind.FEATURE, self.edge.to_id))

    @field(description="The depending feature's team.")
    def from_team(self) -> TeamRef | None:
        return cast("Team | None", node(self.view, Kind.TEAM, self.edge.from_team))

    @field(description="The provider's team.")
    def to_team(self) -> TeamRef | None:
        return cast("Team | None", node(self.view, Kind.TEAM, self.edge.to_team))

    @field(description="The depending feature's release train (through its team).")
    def from_art(self) -> ArtRef | None:
        return cast("ReleaseTrain | None", node(self.view, Kind.ART, self.edge.from_art))

    @field(description="The provider's release train (through its team).")
    def to_art(self) -> ArtRef | None:
        return cast("ReleaseTrain | None", node(self.view, Kind.ART, self.edge.to_art))

    @field(description="The PI the depending feature is planned in.")
    def from_pi(self) -> PiRef | None:
        return cast("ProgramIncrement | None", node(self.view, Kind.PI, self.edge.from_pi))

    @field(description="The PI the provider is planned in.")
    def to_pi(self) -> PiRef | None:
        return cast("ProgramIncrement | None", node(self.view, Kind.PI, self.edge.to_pi))

    @field(description="True when the two ends are on different release trains.")
    def crosses_art(self) -> bool:
        return self.edge.crosses_art

    @field(description="True when the provider is planned in a later PI than the dependent.")
    def schedule_conflict(self) -> bool:
        return self.edge.schedule_conflict

    @field(description="True when the dependent is planned and the provider has no PI "
                       "and is not DONE.")
    def unplanned(self) -> bool:
        return self.edge.unplanned


@strawberry.type
class BoardQuery:
    """The program board's root field; `Query` inherits it. An addition to the contract."""

    @field(extensions=needs(VIEWER), description=(
        "Dependencies between features, ordered by from then to; filters combine with AND "
        "and match a dependency when either end is in that PI, release train or value "
        "stream. An addition to the contract."))
    async def dependencies(self, info: Info, pi_id: strawberry.ID | None = None,
                           art: strawberry.ID | None = None,
                           value_stream: strawberry.ID | None = None,
                           conflicts_only: bool = False, cross_art_only: bool = False,
                           as_of: AsOf | None = None) -> list[DependencyEdge]:
        view = await view_for(info, as_of)
        where = BoardFilter(pi=None if pi_id is None else str(pi_id),
                            art=None if art is None else str(art),
                            value_stream=None if value_stream is None else str(value_stream),
                            conflicts_only=conflicts_only, cross_art_only=cross_art_only)
        return [DependencyEdge(edge=e, view=view) for e in board(view.portfolio, where)]
