"""The portfolio model: the contract's entities as typed, validated values.

Pure domain code: imports no driver, no web framework. Field names are
snake_case in Python and camelCase (the contract's spelling) on the wire and in
the graph, through pydantic aliases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
ID_RE = re.compile(ID_PATTERN)
DEFAULT_WSJF_SCALE: tuple[int, ...] = (1, 2, 3, 5, 8, 13, 20)
# Text the graph engines cannot store: U+0000 (FalkorDB reads statements as C
# strings) and unpaired surrogates (not encodable as UTF-8).
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


def unstorable_paths(value: Any, path: str = "") -> Iterator[str]:
    """Dotted paths, in document order, of strings (keys too) in JSON-like data that hold
    UNSTORABLE_TEXT; iterative, so nesting as deep as a JSON parser allows is fine."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            if UNSTORABLE_TEXT.search(item):
                yield where
        elif isinstance(item, dict):
            for key, inner in reversed(list(item.items())):
                child = f"{where}.{key}" if where else str(key)
                stack += [(child, inner), (child, key)]  # the key is reported first
        elif isinstance(item, list):
            for index, inner in reversed(list(enumerate(item))):
                stack.append((f"{where}.{index}" if where else str(index), inner))


class WorkType(StrEnum):
    BUSINESS = "BUSINESS"
    ENABLER = "ENABLER"


class Horizon(StrEnum):
    H0 = "H0"
    H1 = "H1"
    H2 = "H2"
    H3 = "H3"


class EpicState(StrEnum):
    FUNNEL = "FUNNEL"
    REVIEWING = "REVIEWING"
    ANALYZING = "ANALYZING"
    PORTFOLIO_BACKLOG = "PORTFOLIO_BACKLOG"
    IMPLEMENTING = "IMPLEMENTING"
    DONE = "DONE"


class FeatureState(StrEnum):
    FUNNEL = "FUNNEL"
    ANALYZING = "ANALYZING"
    BACKLOG = "BACKLOG"
    IMPLEMENTING = "IMPLEMENTING"
    VALIDATING = "VALIDATING"
    DEPLOYING = "DEPLOYING"
    RELEASING = "RELEASING"
    DONE = "DONE"


class Severity(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


COMMITTED_EPIC_STATES = frozenset({EpicState.PORTFOLIO_BACKLOG, EpicState.IMPLEMENTING})


class Kind(StrEnum):
    """Every kind of portfolio item; the value is the graph label and GraphQL type name."""

    THEME = "StrategicTheme"
    OBJECTIVE = "Objective"
    KEY_RESULT = "KeyResult"
    VALUE_STREAM = "ValueStream"
    ART = "ReleaseTrain"
    TEAM = "Team"
    PI = "ProgramIncrement"
    EPIC = "Epic"
    FEATURE = "Feature"


ItemId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Number = Annotated[float, Field(allow_inf_nan=False)]
# JSON has lists, not tuples: accept a list of strings for an immutable tuple.
IdList = Annotated[tuple[str, ...], Field(strict=False)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        strict=True,
    )


class Wsjf(_Model):
    """WSJF inputs; the scale check needs the policy, so it lives in document.py."""

    user_business_value: int
    time_criticality: int
    risk_reduction_opportunity_enablement: int
    job_size: int

    @property
    def cost_of_delay(self) -> int:
        return (
            self.user_business_value
            + self.time_criticality
            + self.risk_reduction_opportunity_enablement
        )

    @property
    def exact_score(self) -> Fraction:
        """Cost of delay / job size, exact: ranking compares this."""
        return Fraction(self.cost_of_delay, self.job_size)

    @property
    def score(self) -> float:
        """The score for output, rounded half up to two decimals."""
        value = Decimal(self.cost_of_delay) / Decimal(self.job_size)
        return float(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


class Theme(_Model):
    id: ItemId
    name: str
    description: str | None = None


class Objective(_Model):
    id: ItemId
    title: str
    themes: IdList = ()


class KeyResult(_Model):
    id: ItemId
    title: str
    objective: str
    baseline: Number | None = None
    target: Number | None = None
    current: Number | None = None
    unit: str | None = None

    @property
    def progress(self) -> float | None:
        if self.baseline is None or self.target is None or self.current is None:
            return None
        if self.target == self.baseline:
            return None
        raw = (self.current - self.baseline) / (self.target - self.baseline)
        return min(1.0, max(0.0, raw))


class ValueStream(_Model):
    id: ItemId
    name: str
    budget: Amount | None = None


class ReleaseTrain(_Model):
    id: ItemId
    name: str
    value_stream: str | None = None


class Team(_Model):
    id: ItemId
    name: str
    art: str | None = None
    capacity: dict[str, Amount] = Field(default_factory=dict)


class ProgramIncrement(_Model):
    id: ItemId
    name: str
    start: Annotated[date, Field(strict=False)]
    end: Annotated[date, Field(strict=False)]


class Epic(_Model):
    id: ItemId
    name: str
    type: Annotated[WorkType, Field(strict=False)]
    state: Annotated[EpicState, Field(strict=False)]
    horizon: Annotated[Horizon | None, Field(strict=False)] = None
    estimated_cost: Amount | None = None
    approved: bool = False
    business_owner: str | None = None
    value_stream: str | None = None
    themes: IdList = ()
    key_results: IdList = ()
    wsjf: Wsjf | None = None


class Feature(_Model):
    id: ItemId
    name: str
    type: Annotated[WorkType, Field(strict=False)]
    state: Annotated[FeatureState, Field(strict=False)]
    points: Amount | None = None
    epic: str | None = None
    team: str | None = None
    pi: str | None = None
    wsjf: Wsjf | None = None


class Dependency(_Model):
    """`from_id` depends on `to_id`: `to_id` must be delivered first."""

    from_id: str = Field(alias="from")
    to_id: str = Field(alias="to")


Item = (
    Theme | Objective | KeyResult | ValueStream | ReleaseTrain | Team | ProgramIncrement
    | Epic | Feature
)

MODEL_OF_KIND: dict[Kind, type[_Model]] = {
    Kind.THEME: Theme,
    Kind.OBJECTIVE: Objective,
    Kind.KEY_RESULT: KeyResult,
    Kind.VALUE_STREAM: ValueStream,
    Kind.ART: ReleaseTrain,
    Kind.TEAM: Team,
    Kind.PI: ProgramIncrement,
    Kind.EPIC: Epic,
    Kind.FEATURE: Feature,
}

# Document key for each kind, in the order an import writes them.
DOCUMENT_KEYS: dict[Kind, str] = {
    Kind.THEME: "themes",
    Kind.OBJECTIVE: "objectives",
    Kind.KEY_RESULT: "keyResults",
    Kind.VALUE_STREAM: "valueStreams",
    Kind.ART: "arts",
    Kind.TEAM: "teams",
    Kind.PI: "pis",
    Kind.EPIC: "epics",
    Kind.FEATURE: "features",
}


def kind_of(item: Any) -> Kind:
    for kind, model in MODEL_OF_KIND.items():
        if type(item) is model:
            return kind
    raise TypeError(f"not a portfolio item: {type(item).__name__}")


@dataclass(slots=True)
class Portfolio:
    """A whole-portfolio snapshot: what rules evaluate, in plain memory.

    `version` is the store's portfolio version the snapshot was read at; every
    applied change bumps it, which is how enforcement detects a race.
    """

    themes: dict[str, Theme] = field(default_factory=dict)
    objectives: dict[str, Objective] = field(default_factory=dict)
    key_results: dict[str, KeyResult] = field(default_factory=dict)
    value_streams: dict[str, ValueStream] = field(default_factory=dict)
    arts: dict[str, ReleaseTrain] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    pis: dict[str, ProgramIncrement] = field(default_factory=dict)
    epics: dict[str, Epic] = field(default_factory=dict)
    features: dict[str, Feature] = field(default_factory=dict)
    dependencies: set[tuple[str, str]] = field(default_factory=set)
    version: int = 0

    def collection(self, kind: Kind) -> dict[str, Any]:
        collections: dict[Kind, dict[str, Any]] = {
            Kind.THEME: self.themes,
            Kind.OBJECTIVE: self.objectives,
            Kind.KEY_RESULT: self.key_results,
            Kind.VALUE_STREAM: self.value_streams,
            Kind.ART: self.arts,
            Kind.TEAM: self.teams,
            Kind.PI: self.pis,
            Kind.EPIC: self.epics,
            Kind.FEATURE: self.features,
        }
        return collections[kind]

    def kind_of_id(self, item_id: str) -> Kind | None:
        for kind in Kind:
            if item_id in self.collection(kind):
                return kind
        return None

    def get(self, item_id: str) -> Item | None:
        kind = self.kind_of_id(item_id)
        return None if kind is None else self.collection(kind)[item_id]

    def put(self, item: Item) -> None:
        self.collection(kind_of(item))[item.id] = item

    def copy(self) -> Portfolio:
        """A shallow copy whose collections can be changed independently (items are frozen)."""
        return Portfolio(
            themes=dict(self.themes),
            objectives=dict(self.objectives),
            key_results=dict(self.key_results),
            value_streams=dict(self.value_streams),
            arts=dict(self.arts),
            teams=dict(self.teams),
            pis=dict(self.pis),
            epics=dict(self.epics),
            features=dict(self.features),
            dependencies=set(self.dependencies),
            version=self.version,
        )
