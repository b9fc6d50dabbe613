"""Strategy: strategic themes, objectives and their key results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from api.loaders import Info
from api.schema.fields import field
from api.schema.nodes import Node, linked_nodes, load_node, load_nodes, node_type
from graph import model as m
from graph.cypher.statements import Link
from graph.model import Kind

if TYPE_CHECKING:
    from api.schema.work import Epic, Feature


@node_type(Kind.THEME)
@strawberry.type
class StrategicTheme(Node):
    name: str
    description: str | None
    item: strawberry.Private[m.Theme]

    @classmethod
    def of(cls, theme: m.Theme) -> StrategicTheme:
        return cls(id=strawberry.ID(theme.id), name=theme.name, description=theme.description,
                   item=theme)

    @field(description="Objectives that support this theme, ordered by id.")
    async def objectives(self, info: Info) -> list[Objective]:
        return await linked_nodes(info, Link.THEME_OBJECTIVES, Kind.OBJECTIVE, self.item.id)

    @field(description="Every epic whose trace reaches this theme, ordered by id.")
    async def epics(self, info: Info) -> list[Annotated[Epic, strawberry.lazy("api.schema.work")]]:
        ids = await info.context.loaders.theme_epics.load(self.item.id)
        return await load_nodes(info, Kind.EPIC, ids)

    @field(description="Every feature whose trace reaches this theme, ordered by id.")
    async def features(
        self, info: Info
    ) -> list[Annotated[Feature, strawberry.lazy("api.schema.work")]]:
        ids = await info.context.loaders.theme_features.load(self.item.id)
        return await load_nodes(info, Kind.FEATURE, ids)


@node_type(Kind.OBJECTIVE)
@strawberry.type
class Objective(Node):
    title: str
    item: strawberry.Private[m.Objective]

    @classmethod
    def of(cls, objective: m.Objective) -> Objective:
        return cls(id=strawberry.ID(objective.id), title=objective.title, item=objective)

    @field(description="The themes this objective supports, ordered by id.")
    async def themes(self, info: Info) -> list[StrategicTheme]:
        return await load_nodes(info, Kind.THEME, sorted(self.item.themes))

    @field(description="The key results that measure this objective, ordered by id.")
    async def key_results(self, info: Info) -> list[KeyResult]:
        return await linked_nodes(info, Link.OBJECTIVE_KEY_RESULTS, Kind.KEY_RESULT,
                                  self.item.id)


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

    @classmethod
    def of(cls, key_result: m.KeyResult) -> KeyResult:
        return cls(
            id=strawberry.ID(key_result.id), title=key_result.title,
            baseline=key_result.baseline, target=key_result.target, current=key_result.current,
            unit=key_result.unit, progress=key_result.progress, item=key_result,
        )

    @strawberry.field
    async def objective(self, info: Info) -> Objective:
        found = await load_node(info, Kind.OBJECTIVE, self.item.objective)
        if found is None:  # a key result always has an objective; a concurrent delete raced us
            raise LookupError(f"objective {self.item.objective!r} of {self.item.id!r} is gone")
        return cast(Objective, found)

    @field(description="Epics that contribute to this key result, ordered by id.")
    async def epics(self, info: Info) -> list[Annotated[Epic, strawberry.lazy("api.schema.work")]]:
        return await linked_nodes(info, Link.KEY_RESULT_EPICS, Kind.EPIC, self.item.id)
