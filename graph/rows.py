"""Conversions between model items and what the graph stores.

Node properties are flat scalars (the WSJF inputs flattened with a `wsjf`
prefix, dates as ISO strings); links are relationships and come back from
the read statements as id fields of the row (see graph/cypher/statements.py).
"""

from __future__ import annotations

from typing import Any

from graph.model import (
    MODEL_OF_KIND,
    Epic,
    Feature,
    Item,
    KeyResult,
    Kind,
    Objective,
    ProgramIncrement,
    ReleaseTrain,
    Team,
    Wsjf,
)

WSJF_PROPS = {
    "userBusinessValue": "wsjfUserBusinessValue",
    "timeCriticality": "wsjfTimeCriticality",
    "riskReductionOpportunityEnablement": "wsjfRiskReductionOpportunityEnablement",
    "jobSize": "wsjfJobSize",
}

# Fields of each kind that are links (relationships), not node properties.
LINK_FIELDS: dict[Kind, frozenset[str]] = {
    Kind.OBJECTIVE: frozenset({"themes"}),
    Kind.KEY_RESULT: frozenset({"objective"}),
    Kind.ART: frozenset({"valueStream"}),
    Kind.TEAM: frozenset({"art", "capacity"}),
    Kind.EPIC: frozenset({"valueStream", "themes", "keyResults"}),
    Kind.FEATURE: frozenset({"epic", "team", "pi"}),
}

# Every property each kind may store, so a replace can clear the ones left out.
_PROPS: dict[Kind, tuple[str, ...]] = {}


def _props_of(kind: Kind) -> tuple[str, ...]:
    if kind not in _PROPS:
        model = MODEL_OF_KIND[kind]
        names = [f.alias or n for n, f in model.model_fields.items()]
        names = [n for n in names if n not in LINK_FIELDS.get(kind, frozenset())]
        if "wsjf" in names:
            names.remove("wsjf")
            names.extend(WSJF_PROPS.values())
        _PROPS[kind] = tuple(names)
    return _PROPS[kind]


def to_props(item: Item, kind: Kind) -> dict[str, Any]:
    """Node properties for an item, without the absent ones.

    Statements replace a node's properties wholesale (`SET n = props`) so a
    field left out is cleared. Nulls are never sent: FalkorDB 4.16's
    `SET n += {..: null, ..}` drops unrelated properties and keeps stale ones.
    """
    data = item.model_dump(by_alias=True, mode="json")
    props: dict[str, Any] = dict.fromkeys(_props_of(kind))
    for key, value in data.items():
        if key in LINK_FIELDS.get(kind, frozenset()):
            continue
        if key == "wsjf":
            for field, prop in WSJF_PROPS.items():
                props[prop] = None if value is None else value[field]
            continue
        props[key] = value
    return {key: value for key, value in props.items() if value is not None}


def to_write_row(item: Item, kind: Kind) -> dict[str, Any]:
    """The parameter row the import statement takes for one item: id, props and link ids."""
    row: dict[str, Any] = {"id": item.id, "props": to_props(item, kind)}
    if isinstance(item, Objective):
        row["themes"] = list(item.themes)
    elif isinstance(item, KeyResult):
        row["objective"] = item.objective
    elif isinstance(item, ReleaseTrain):
        row["valueStream"] = item.value_stream
    elif isinstance(item, Team):
        row["art"] = item.art
        row["capacity"] = [{"pi": pi, "points": float(p)} for pi, p in item.capacity.items()]
    elif isinstance(item, Epic):
        row["valueStream"] = item.value_stream
        row["themes"] = list(item.themes)
        row["keyResults"] = list(item.key_results)
    elif isinstance(item, Feature):
        row["epic"] = item.epic
        row["team"] = item.team
        row["pi"] = item.pi
    return row


def from_row(kind: Kind, row: dict[str, Any]) -> Item:
    """Rebuild a model item from a read statement's row (trusted: written by us)."""
    data = {k: v for k, v in row.items() if v is not None and k not in WSJF_PROPS.values()}
    if kind in (Kind.EPIC, Kind.FEATURE) and row.get("wsjfJobSize") is not None:
        data["wsjf"] = Wsjf.model_validate({f: row[p] for f, p in WSJF_PROPS.items()})
    for name in ("themes", "keyResults"):
        if name in data:
            data[name] = sorted(data[name])
    if kind is Kind.TEAM:
        data["capacity"] = {c["pi"]: c["points"] for c in row.get("capacity") or []}
    if kind is Kind.PI:
        return ProgramIncrement.model_validate(data)
    return MODEL_OF_KIND[kind].model_validate(data)  # type: ignore[return-value]


def all_property_keys() -> set[str]:
    """Every node property any portfolio item may store."""
    return {key for kind in Kind for key in _props_of(kind)}
