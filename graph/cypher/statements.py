"""Every portable Cypher statement the store runs, as named constants with `$params`.

Portable = runs on FalkorDB 4.x and Neo4j 5 (README.md, "Engines"). The only
text spliced into statements are Label / Rel enum values and validated
integers, all in this module. `all_statements()` lists every statement so CI
can lint each one for Neo4j and a test can run each one on FalkorDB.

Writes follow one shape: guard on the portfolio version (compare-and-set),
do the change, append the audit entry, return the new version, all in ONE
statement, because the embedded engine has no multi-statement transactions:
a change and its audit record land together or not at all, and a change
computed against a stale version writes nothing (the caller re-checks).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import Final

from graph.cypher.labels import Label, Rel, kind_label
from graph.model import DOCUMENT_KEYS, LINK_AMOUNT, LINKS, Arity, Kind, LinkField
from graph.rows import all_property_keys

# --- the portfolio version and the write guard ------------------------------

VERSION: Final = "MATCH (m:PortfolioMeta {id: 'portfolio'}) RETURN m.version AS version"

# Setting a property first takes the node's write lock on Neo4j, so the
# version read after it is the latest committed one (no lost update). The value
# is constant so that a stale write changes nothing: measured on Neo4j 5.26, a
# SET to the value already there still locks (a SET of a missing property to
# null does not), so ENSURE_META gives every meta node the value up front.
_GUARD = """
MATCH (m:PortfolioMeta {id: 'portfolio'})
SET m.lockedBy = m.id
WITH m WHERE m.version = $expectedVersion
SET m.version = m.version + 1
"""

_AUDIT = """
WITH m
CREATE (a:AuditEntry {id: $auditId})
SET a += $audit, a.seq = m.version
RETURN m.version AS version
"""

# --- writes -----------------------------------------------------------------

# Replace items by id (properties and the links their fields define) and add
# dependencies. Used by import and by the upserts (a one-item document).
# One CALL block per kind, generated from LINKS (see `_write_block`); a change
# runs only the blocks of what it carries (`put_document`).


def write_order(links: Sequence[LinkField] = LINKS) -> tuple[Kind, ...]:
    """Kinds in the order APPLY_DOCUMENT writes them: every link's target before its source.

    A link MERGEs its target as a bare `:Item {id}`; were the target written after
    that in the same statement, its `MERGE (n:Item:<Kind> {id})` would not match the
    bare node and would break the unique `Item.id`. Kind order where links allow.
    """
    order: list[Kind] = []
    while len(order) < len(Kind):
        ready = [k for k in Kind if k not in order
                 and all(link.target in order for link in links if link.kind is k)]
        if not ready:
            raise ValueError(f"links between {[k for k in Kind if k not in order]} form a cycle")
        order.append(ready[0])
    return tuple(order)


def _link_write(link: LinkField) -> str:
    """MERGE one link field's relationships from row `r` to node `n` (targets by id)."""
    rel = link.rel
    if link.arity is Arity.WEIGHTED:
        return (f"  FOREACH (c IN r.{link.alias} |\n"
                f"    MERGE (t:{Label.ITEM} {{id: c.id}}) MERGE (n)-[k:{rel}]->(t)\n"
                f"    SET k.{LINK_AMOUNT} = c.{LINK_AMOUNT})\n")
    if link.arity is Arity.MANY:
        ids = f"r.{link.alias}"
    elif link.required:
        # Never null (the document requires it): a null here fails the statement.
        return (f"  MERGE (t:{Label.ITEM} {{id: r.{link.alias}}}) "
                f"MERGE (n)-[:{rel}]->(t)\n")
    else:
        ids = f"CASE WHEN r.{link.alias} IS NULL THEN [] ELSE [r.{link.alias}] END"
    return (f"  FOREACH (x IN {ids} |\n"
            f"    MERGE (t:{Label.ITEM} {{id: x}}) MERGE (n)-[:{rel}]->(t))\n")


def _write_block(kind: Kind, links: Sequence[LinkField]) -> str:
    """Replace the items of one kind listed in `$<document key>`: properties wholesale,
    then the relationships of its link fields (old ones deleted, the row's merged)."""
    key = DOCUMENT_KEYS[kind]
    block = (f"WITH m\nCALL {{ WITH m UNWIND ${key} AS r\n"
             f"  MERGE (n:{Label.ITEM}:{kind_label(kind)} {{id: r.id}}) SET n = r.props\n")
    own = [link for link in links if link.kind is kind]
    if own:
        rels = "|".join(dict.fromkeys(link.rel.value for link in own))
        # DISTINCT: one row per item again, however many old relationships it had.
        block += (f"  WITH n, r OPTIONAL MATCH (n)-[old:{rels}]->() DELETE old\n"
                  "  WITH DISTINCT n, r\n")
        block += "".join(_link_write(link) for link in own)
    return block + f"  RETURN count(*) AS {key}Written }}\n"


_DEPENDENCIES = f"""WITH m
CALL {{ WITH m UNWIND $dependencies AS d
  MATCH (a:{Label.FEATURE} {{id: d.from}}) MATCH (b:{Label.FEATURE} {{id: d.to}})
  MERGE (a)-[:{Rel.DEPENDS_ON}]->(b)
  RETURN count(*) AS dependenciesWritten }}
"""


def apply_items(links: Sequence[LinkField] = LINKS, kinds: Collection[Kind] | None = None,
                dependencies: bool = True) -> str:
    """The part of APPLY_DOCUMENT after the guard: the blocks of `kinds` (every kind when
    None) in write order, then the dependencies' block when `dependencies`.

    Each block is `WITH m CALL { WITH m ... RETURN count(*) }`: it takes the one row of
    the meta node and gives it back, whatever it wrote, so any selection of blocks in
    write order is a valid statement (the lint checks each block in one, see
    `all_statements`)."""
    blocks = "".join(_write_block(kind, links) for kind in write_order(links)
                     if kinds is None or kind in kinds)
    return blocks + (_DEPENDENCIES if dependencies else "")


def apply_document(links: Sequence[LinkField] = LINKS, kinds: Collection[Kind] | None = None,
                   dependencies: bool = True) -> str:
    """The APPLY_DOCUMENT statement for a link table (a parameter so a test can extend it),
    with only the blocks of `kinds` and of the dependencies when asked (see apply_items)."""
    return _GUARD + apply_items(links, kinds, dependencies) + _AUDIT


APPLY_DOCUMENT: Final = apply_document()


@functools.cache
def put_document(kinds: frozenset[Kind], dependencies: bool) -> str:
    """APPLY_DOCUMENT with only the blocks a change carries (its items' kinds, and the
    dependencies' block when it adds any): what `Store.write` runs for a PutDocument.

    An upsert of one feature then plans, sends and runs one block instead of ten (the
    engines skip an empty UNWIND, but Neo4j still plans every block, and both parse
    and carry it). Generated once per (kinds, dependencies) and kept: at most 2^10 texts.
    """
    return apply_document(LINKS, kinds, dependencies)

# Restore an export archive (graph/export.py) into an empty store, in one
# statement: the archived audit entries keep their ids, times, actors and
# sequence numbers, the version continues from the archive's, the items and
# dependencies land as an import would write them, and the restore itself is
# one more audit entry. Guarded like every write, and on emptiness too.
RESTORE_ARCHIVE: Final = (
    f"""
MATCH (m:{Label.META} {{id: 'portfolio'}})
SET m.lockedBy = $auditId
WITH m WHERE m.version = $expectedVersion
OPTIONAL MATCH (x:{Label.ITEM})
WITH m, count(x) AS items WHERE items = 0
OPTIONAL MATCH (y:{Label.AUDIT})
WITH m, count(y) AS entries WHERE entries = 0
CALL {{ WITH m UNWIND $entries AS e
  CREATE (a:{Label.AUDIT} {{id: e.id}}) SET a += e.props, a.seq = e.seq
  RETURN count(*) AS entriesWritten }}
SET m.version = $archivedVersion + 1
"""
    + apply_items()
    + _AUDIT
)

REMOVE_DEPENDENCY: Final = (
    _GUARD
    + f"""
WITH m
CALL {{ WITH m
  OPTIONAL MATCH (:{Label.FEATURE} {{id: $from}})-[d:{Rel.DEPENDS_ON}]->
                 (:{Label.FEATURE} {{id: $to}})
  DELETE d
  RETURN count(*) AS removed }}
"""
    + _AUDIT
)

DELETE_ITEM: Final = (
    _GUARD
    + f"""
WITH m
CALL {{ WITH m
  OPTIONAL MATCH (n:{Label.ITEM} {{id: $id}})
  DETACH DELETE n
  RETURN count(*) AS deleted }}
"""
    + _AUDIT
)

# --- reads: the whole portfolio ----------------------------------------------

# Each kind's properties, and one statement per link of LINKS returning a row per
# relationship; graph/rows.py puts the two together. A map projection with a pattern
# comprehension per link field read the same in one statement, but FalkorDB spent
# ~400 ms per link field on 50,000 features (1.3 s for the three of a feature); a
# link's rows take ~30 ms (bench/README.md, "Start to ready").

ALL_ITEMS: Final[dict[Kind, str]] = {
    kind: f"MATCH (n:{kind_label(kind)}) RETURN n {{.*}} AS item ORDER BY n.id" for kind in Kind
}


def link_rows(link: LinkField) -> str:
    """Every `link` relationship as a row: source id, target id (and amount if weighted)."""
    amount = f", k.{LINK_AMOUNT} AS amount" if link.arity is Arity.WEIGHTED else ""
    return (f"MATCH (n:{kind_label(link.kind)})-[k:{link.rel}]->(x:{kind_label(link.target)}) "
            f"RETURN n.id AS source, x.id AS target{amount}")


ALL_LINKS: Final[dict[LinkField, str]] = {link: link_rows(link) for link in LINKS}

ALL_KINDS: Final = f"MATCH (n:{Label.ITEM}) RETURN n.id AS id, labels(n) AS labels"

ALL_DEPENDENCIES: Final = (
    f"MATCH (a:{Label.FEATURE})-[:{Rel.DEPENDS_ON}]->(b:{Label.FEATURE}) "
    "RETURN a.id AS source, b.id AS target"
)

# --- audit log ----------------------------------------------------------------

# An entry without its stored change and violation events (history reads those
# separately, graph/cypher/history.py): the log stays cheap after a large import.
AUDIT_ENTRY: Final = (
    "a {.id, .seq, .at, .actor, .operation, .itemId, .itemIds, .justification, .before, .after}"
)

AUDIT_LOG: Final = f"""
MATCH (a:{Label.AUDIT})
WHERE ($itemId IS NULL OR a.itemId = $itemId OR $itemId IN coalesce(a.itemIds, []))
  AND ($actor IS NULL OR a.actor = $actor)
  AND ($since IS NULL OR a.at >= $since)
  AND ($beforeSeq IS NULL OR a.seq < $beforeSeq)
RETURN {AUDIT_ENTRY} AS entry ORDER BY a.seq DESC LIMIT $limit
"""

COUNTS: Final = f"""
MATCH (n:{Label.ITEM}) WITH labels(n) AS labels RETURN labels, count(*) AS count
"""

# --- schema priming -----------------------------------------------------------

# Every property key any statement reads or writes.
_AUDIT_PROPS = ("at", "actor", "operation", "itemId", "itemIds", "justification", "before",
                "after", "seq", "change", "events", "policy")
_META_PROPS = ("version", "lockedBy")
_CHECKPOINT_PROPS = ("portfolio",)


def _prime_schema() -> str:
    keys = sorted({*all_property_keys(), *_AUDIT_PROPS, *_META_PROPS, *_CHECKPOINT_PROPS,
                   "points"} - {"id"})
    props = ", ".join(f"{key}: 0" for key in keys)
    labels = ":".join(label.value for label in Label)
    rels = "\n".join(
        f"CREATE (x)-[:{rel} {{points: 0}}]->(x)" for rel in Rel
    )
    return f"CREATE (x:{labels} {{id: '__schema_primer__', {props}}})\n{rels}\nDETACH DELETE x"


# FalkorDB caches a statement's plan the first time it runs, and a plan made
# while a label, relationship type or property key did not exist yet keeps
# reading nothing for it forever after (seen with FalkorDB 4.16: a snapshot
# taken on an empty graph then returned capacities without points). Creating
# and deleting one node and edge that carry every identifier at bootstrap
# registers them all before any statement is planned. Harmless on Neo4j.
PRIME_SCHEMA: Final = _prime_schema()

# --- every statement, for the Neo4j lint and the FalkorDB run-all test --------


def all_statements() -> dict[str, str]:
    """Every portable statement by a stable name (engine-specific DDL excluded)."""
    named: dict[str, str] = {
        "VERSION": VERSION,
        "APPLY_DOCUMENT": APPLY_DOCUMENT,
        # Every block of put_document's variants, each in a statement of its own: a
        # variant is the guard, some of these blocks in write order and the audit
        # (tests/graph/test_statements.py checks every variant is made of them).
        "APPLY_DOCUMENT.empty": put_document(frozenset(), False),
        "APPLY_DOCUMENT.dependencies": put_document(frozenset(), True),
        "RESTORE_ARCHIVE": RESTORE_ARCHIVE,
        "REMOVE_DEPENDENCY": REMOVE_DEPENDENCY,
        "DELETE_ITEM": DELETE_ITEM,
        "ALL_KINDS": ALL_KINDS,
        "ALL_DEPENDENCIES": ALL_DEPENDENCIES,
        "AUDIT_LOG": AUDIT_LOG,
        "COUNTS": COUNTS,
        "PRIME_SCHEMA": PRIME_SCHEMA,
    }
    for kind in Kind:
        named[f"APPLY_DOCUMENT.{kind.name}"] = put_document(frozenset({kind}), False)
        named[f"ALL_ITEMS.{kind.name}"] = ALL_ITEMS[kind]
    for link, statement in ALL_LINKS.items():
        named[f"ALL_LINKS.{link.kind.name}.{link.alias}"] = statement
    from graph.cypher import history  # history's statements build on this module's

    named.update({f"history.{name}": text for name, text in history.statements().items()})
    return named
