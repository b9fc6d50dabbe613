"""LINKS is the one table of links: rows, reference checks and statements follow it.

The per-link checks iterate over LINKS rather than a hand-written list, so a link
added to the table is checked here without editing this file, and the extended-table
test shows a new LinkField is written and read back by the generated statements alone.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from graph.changes import apply, item_json
from graph.cypher import statements as q
from graph.document import ParsedDocument, _raw_references, validate_document
from graph.engines.base import Engine
from graph.model import DOCUMENT_KEYS, LINKS, Arity, Kind, LinkField, Portfolio, Rel, links_of
from graph.rows import LINK_FIELDS, attach_links, to_props, to_write_row
from graph.store import AuditRecord, Store
from tests.helpers import example


def example_portfolio() -> Portfolio:
    parsed = validate_document(example())
    assert isinstance(parsed, ParsedDocument), parsed
    return apply(Portfolio(), parsed.change())


def linked_item(portfolio: Portfolio, link: LinkField) -> Any:
    """An item of the example that holds `link` (the example exercises every link)."""
    for item in portfolio.collection(link.kind).values():
        if link.ids(item):
            return item
    pytest.fail(f"the example portfolio has no {link.kind.value} with {link.alias}")


def block_of(statement: str, kind: Kind) -> str:
    """APPLY_DOCUMENT's CALL block that writes `kind`."""
    match = re.search(rf"UNWIND \${DOCUMENT_KEYS[kind]} AS r\n(.*?)RETURN count", statement,
                      re.DOTALL)
    assert match, f"no write block for {kind.value}"
    return match.group(1)


@pytest.mark.parametrize("link", LINKS, ids=lambda link: f"{link.kind.name}.{link.alias}")
def test_every_link_is_a_relationship_everywhere(link: LinkField) -> None:
    portfolio = example_portfolio()
    item = linked_item(portfolio, link)
    # rows: a link, not a property; the write row names its targets
    assert link.alias in LINK_FIELDS[link.kind]
    assert link.alias not in to_props(item, link.kind)
    row = to_write_row(item, link.kind)[link.alias]
    written = [row] if link.arity is Arity.ONE else (
        [c["id"] for c in row] if link.arity is Arity.WEIGHTED else row)
    assert tuple(written) == link.ids(item)
    # document: every target is reference-checked against the target kind
    refs = {(ref, want) for _, ref, want in _raw_references(link.kind, item_json(item))}
    assert {(target, link.target) for target in link.ids(item)} <= refs
    # statements: the kind's write block replaces the relationship, the read projection
    # returns it under the field's name
    block = block_of(q.APPLY_DOCUMENT, link.kind)
    assert f"r.{link.alias}" in block
    assert re.search(rf"\[old:[A-Z_|]*\b{link.rel}\b", block), "old links are not deleted"
    assert re.search(rf"MERGE \(n\)-\[k?:{link.rel}\]", block)
    read = q.ALL_LINKS[link]
    assert f"(n:{link.kind.value})-[k:{link.rel}]->(x:{link.target.value})" in read
    assert ("k.points AS amount" in read) == (link.arity is Arity.WEIGHTED)


def test_kinds_without_links_write_and_read_properties_only() -> None:
    for kind in Kind:
        assert "-[" not in q.ALL_ITEMS[kind]  # links are read by ALL_LINKS
        if not links_of(kind):
            assert "OPTIONAL MATCH" not in block_of(q.APPLY_DOCUMENT, kind)


def test_targets_are_written_before_the_items_that_link_to_them() -> None:
    order = q.write_order()
    assert sorted(order) == sorted(Kind)
    for link in LINKS:
        assert order.index(link.target) < order.index(link.kind), link
    positions = [q.APPLY_DOCUMENT.index(f"UNWIND ${DOCUMENT_KEYS[k]} AS r") for k in order]
    assert positions == sorted(positions)
    cycle = (*LINKS, LinkField(Kind.THEME, "epics", "epics", Kind.EPIC, Rel.ALIGNS_TO, Arity.MANY))
    with pytest.raises(ValueError, match="cycle"):
        q.write_order(cycle)


async def test_a_new_link_field_needs_nothing_but_its_table_entry(falkordb: Engine) -> None:
    """A weighted Feature -> PI link the model does not have: generated write and read."""
    effort = LinkField(Kind.FEATURE, "effort", "effort", Kind.PI, Rel.HAS_CAPACITY,
                       Arity.WEIGHTED)
    table = (*LINKS, effort)
    statement = q.apply_document(table)
    assert "r.effort" in statement
    parsed = validate_document(example())
    assert isinstance(parsed, ParsedDocument)
    params: dict[str, Any] = {key: [] for key in DOCUMENT_KEYS.values()}
    for kind in Kind:
        for item in parsed.items[kind]:
            row = to_write_row(item, kind)
            if kind is Kind.FEATURE:
                row["effort"] = [{"id": "PI-26-1", "points": 3.0}] if item.id == "F-INTENTS" \
                    else []
            params[DOCUMENT_KEYS[kind]].append(row)
    audit = AuditRecord("importPortfolio", "t", id=uuid.uuid4().hex)
    rows = await falkordb.write(statement, {**params, "dependencies": [], **audit.params(),
                                            "expectedVersion": 0})
    assert rows == [{"version": 1}]
    rows = {r["item"]["id"]: r["item"] for r in await falkordb.read(q.ALL_ITEMS[Kind.FEATURE])}
    attach_links(rows, effort, await falkordb.read(q.link_rows(effort)))
    found = {key: row.get("effort") for key, row in rows.items()}
    assert found["F-INTENTS"] == [{"id": "PI-26-1", "points": 3.0}]
    assert all(value is None for key, value in found.items() if key != "F-INTENTS")
    # and the links the model has are still written as before
    snapshot = await Store(falkordb).snapshot()
    assert snapshot.features == example_portfolio().features
