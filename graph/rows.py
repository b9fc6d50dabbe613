"""Conversions between model items and what the graph stores.

Node properties are flat scalars (nested values such as the WSJF inputs and an
item's source flattened with their field's name as prefix: `wsjfJobSize`,
`sourceKey`; dates as ISO strings); links are relationships, read as rows of
their own and attached to the property rows by id (`attach_links`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from graph.model import (
    LINK_AMOUNT,
    MODEL_OF_KIND,
    Arity,
    Item,
    Kind,
    LinkField,
    Source,
    Wsjf,
    links_of,
)

# Nested values stored flat: field alias -> model; each of its fields is the
# property `<alias><Field>` (wsjf.jobSize -> wsjfJobSize).
FLATTENED: dict[str, type[BaseModel]] = {"wsjf": Wsjf, "source": Source}


def _flat(prefix: str, model: type[BaseModel]) -> dict[str, str]:
    aliases = [f.alias or n for n, f in model.model_fields.items()]
    return {alias: prefix + alias[0].upper() + alias[1:] for alias in aliases}


FLAT_PROPS: dict[str, dict[str, str]] = {
    alias: _flat(alias, model) for alias, model in FLATTENED.items()}
WSJF_PROPS = FLAT_PROPS["wsjf"]
_FLAT = frozenset(p for props in FLAT_PROPS.values() for p in props.values())

# Fields of each kind that are links (relationships), not node properties (from LINKS).
LINK_FIELDS: dict[Kind, frozenset[str]] = {
    kind: frozenset(link.alias for link in links_of(kind)) for kind in Kind
}

# Every property each kind may store, so a replace can clear the ones left out.
_PROPS: dict[Kind, tuple[str, ...]] = {}


def _props_of(kind: Kind) -> tuple[str, ...]:
    if kind not in _PROPS:
        model = MODEL_OF_KIND[kind]
        names = [f.alias or n for n, f in model.model_fields.items()]
        names = [n for n in names if n not in LINK_FIELDS[kind]]
        flat = [p for n in names if n in FLAT_PROPS for p in FLAT_PROPS[n].values()]
        _PROPS[kind] = tuple([n for n in names if n not in FLAT_PROPS] + flat)
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
        if key in LINK_FIELDS[kind]:
            continue
        if key in FLAT_PROPS:
            for field, prop in FLAT_PROPS[key].items():
                props[prop] = None if value is None else value[field]
            continue
        props[key] = value
    return {key: value for key, value in props.items() if value is not None}


def to_write_row(item: Item, kind: Kind) -> dict[str, Any]:
    """The parameter row the import statement takes for one item: id, props and link ids.

    Each link field goes under its alias as the write statement expects it (see
    `APPLY_DOCUMENT`): an id or None (ONE), a list of ids (MANY), a list of
    `{id, <LINK_AMOUNT>}` maps (WEIGHTED).
    """
    row: dict[str, Any] = {"id": item.id, "props": to_props(item, kind)}
    for link in links_of(kind):
        value = getattr(item, link.field)
        if link.arity is Arity.ONE:
            row[link.alias] = value
        elif link.arity is Arity.MANY:
            row[link.alias] = list(value)
        else:
            row[link.alias] = [{"id": k, LINK_AMOUNT: float(v)} for k, v in value.items()]
    return row


def attach_links(rows: dict[str, dict[str, Any]], link: LinkField,
                 link_rows: list[dict[str, Any]]) -> None:
    """Put `link`'s relationship rows (source, target[, amount]; see `link_rows` in
    graph/cypher/statements.py) into the property rows of their sources, by id, as
    `from_row` takes them: an id (ONE), a list of ids (MANY), `{id, <LINK_AMOUNT>}` maps
    (WEIGHTED)."""
    alias = link.alias
    for r in link_rows:
        row = rows.get(r["source"])
        if row is None:  # not read with its kind: only a concurrent change does this
            continue
        if link.arity is Arity.ONE:
            row[alias] = r["target"]
        elif link.arity is Arity.MANY:
            row.setdefault(alias, []).append(r["target"])
        else:
            row.setdefault(alias, []).append({"id": r["target"], LINK_AMOUNT: r["amount"]})


def from_row(kind: Kind, row: dict[str, Any]) -> Item:
    """Rebuild a model item from its properties with its links attached (`attach_links`;
    trusted: written by us). Relationships come back in no fixed order, so MANY links
    are sorted by id.
    """
    data = {k: v for k, v in row.items() if v is not None and k not in _FLAT}
    for alias, props in FLAT_PROPS.items():
        values = {f: row[p] for f, p in props.items() if row.get(p) is not None}
        if values:  # written whole by to_props, so present whole; validated with the item
            data[alias] = values
    for link in links_of(kind):
        if link.arity is Arity.MANY:
            data[link.alias] = sorted(data.get(link.alias) or [])
        elif link.arity is Arity.WEIGHTED:
            data[link.alias] = {c["id"]: c[LINK_AMOUNT] for c in data.get(link.alias) or []}
    return MODEL_OF_KIND[kind].model_validate(data)


def all_property_keys() -> set[str]:
    """Every node property any portfolio item may store."""
    return {key for kind in Kind for key in _props_of(kind)}
