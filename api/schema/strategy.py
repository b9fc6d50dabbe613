"""Strategy: strategic themes, objectives and their key results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from api.schema.fields import field
from api.schema.nodes import Node, node, node_type, nodes
from graph import model as m
from graph.model import Kind
from graph.view import PortfolioView, link_field

if TYPE_CHECKING:
    from api.schema.work import Epic, Feature

_OBJECTIVE_THEMES = link_field(Kind.OBJECTIVE, "themes")
_KEY_RESULT_OBJECTIVE = link_field(Kind.KEY_RESULT, "objective")
_EPIC_KEY_RESULTS = link_field(Kind.EPIC, "key_results")


@node_type(Kind.THEME)
@strawberry.type
class StrategicTheme(Node):
    name: str
    description: str | None
    item: strawberry.Private[m.Theme]
    view: strawberry.Private[PortfolioView]

    @classmethod
    def of(cls, theme: m.Theme, view: PortfolioView) -> StrategicTheme:
        return cls(id=strawberry.ID(theme.id), name=theme.name, description=theme.description,
                   item=theme, view=view)

    @field(description="Objectives that support this theme, ordered by id.")
    def objectives(self) -> list[Objective]:
        return nodes(self.view, Kind.OBJECTIVE,
                     self.view.children(_OBJECTIVE_THEMES, self.item.id))

    @field(description="Every epic whose trace reaches this theme, ordered by id.")
    def epics(self) -> list[Annotated[Epic, strawberry.lazy("api.schema.work")]]:
        return nodes(self.view, Kind.EPIC, self.view.theme_epics(self.item.id))

    @field(description="Every feature whose trace reaches this theme, ordered by id.")
    def features(self) -> list[Annotated[Feature, strawberry.lazy("api.schema.work")]]:
        return nodes(self.view, Kind.FEATURE, self.view.theme_features(self.item.id))


@node_type(Kind.OBJECTIVE)
@strawberry.type
class Objective(Node):
    title: str
    item: strawberry.Private[m.Objective]
    view: strawberry.Private[PortfolioView]

    @classmethod
    def of(cls, objective: m.Objective, view: PortfolioView) -> Objective:
        return cls(id=strawberry.ID(objective.id), title=objective.title, item=objective,
                   view=view)

    @field(description="The themes this objective supports, ordered by id.")
    def themes(self) -> list[StrategicTheme]:
        return nodes(self.view, Kind.THEME, sorted(self.item.themes))

    @field(description="The key results that measure this objective, ordered by id.")
    def key_results(self) -> list[KeyResult]:
        return nodes(self.view, Kind.KEY_RESULT,
                     self.view.children(_KEY_RESULT_OBJECTIVE, self.item.id))


@node_type(Kind.KEY_RESULT)
@strawberry.type
class KeyResult(Node):
    title: str
    baseline: float | None
    target: float | None
    current: float | None
    unit: str | None
    progress: float | None = strawberry.field(description=(
        "(current - baseline) / (target - baseline), clamped to [0, 1]; "
        "null when any input is missing or target == baseline."))
    item: strawberry.Private[m.KeyResult]
    view: strawberry.Private[PortfolioView]

    @classmethod
    def of(cls, key_result: m.KeyResult, view: PortfolioView) -> KeyResult:
        return cls(
            id=strawberry.ID(key_result.id), title=key_result.title,
            baseline=key_result.baseline, target=key_result.target, current=key_result.current,
            unit=key_result.unit, progress=key_result.progress, item=key_result, view=view,
        )

    @strawberry.field
    def objective(self) -> Objective:
        found = node(self.view, Kind.OBJECTIVE, self.item.objective)
        if found is None:  # a key result always has an objective: the view is inconsistent
            raise LookupError(f"objective {self.item.objective!r} of {self.item.id!r} is gone")
        return cast(Objective, found)

    @field(description="Epics that contribute to this key result, ordered by id.")
    def epics(self) -> list[Annotated[Epic, strawberry.lazy("api.schema.work")]]:
        return nodes(self.view, Kind.EPIC, self.view.children(_EPIC_KEY_RESULTS, self.item.id))
