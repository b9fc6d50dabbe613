"""Schema bootstrap: the portfolio meta node plus unique-id constraints and indexes.

The meta statement is portable Cypher; constraint and index DDL differs per
engine, so each engine's text is built here by a named function from the
Label enum only (labels cannot be parameters).
"""

from __future__ import annotations

from graph.cypher.labels import Label, kind_label
from graph.model import Kind

META_ID = "portfolio"

# One meta node holds the portfolio version every change checks and bumps, and
# `lockedBy`, the constant the version guard sets to take its write lock (see
# _GUARD in statements.py): set here so that no guarded write ever changes it.
ENSURE_META = (f"MERGE (m:{Label.META} {{id: '{META_ID}'}}) ON CREATE SET m.version = 0 "
               "SET m.lockedBy = m.id")

# Labels whose `id` is unique: every item kind, `Item` (ids unique across kinds),
# audit entries and the meta node.
UNIQUE_ID_LABELS: tuple[Label, ...] = (
    *(kind_label(kind) for kind in Kind),
    Label.ITEM,
    Label.AUDIT,
    Label.META,
    Label.CHECKPOINT,
)

# Extra (non-unique) indexes, for the audit trail's lookups by item, time and actor.
EXTRA_INDEXES: tuple[tuple[Label, str], ...] = (
    (Label.AUDIT, "itemId"),
    (Label.AUDIT, "at"),
    (Label.AUDIT, "actor"),
    (Label.AUDIT, "seq"),  # history: entries by version
    (Label.CHECKPOINT, "version"),
)


def falkordb_index(label: Label, prop: str) -> str:
    """FalkorDB range index; also the index a FalkorDB unique constraint requires first."""
    return f"CREATE INDEX FOR (n:{label}) ON (n.{prop})"


def falkordb_unique_constraint(graph: str, label: Label) -> tuple[str | int, ...]:
    """Arguments of the FalkorDB command making `id` unique for `label` (not Cypher)."""
    return ("GRAPH.CONSTRAINT", "CREATE", graph, "UNIQUE", "NODE", str(label),
            "PROPERTIES", 1, "id")


def falkordb_indexes() -> list[str]:
    """Every FalkorDB index statement, unique-id ones first."""
    return [falkordb_index(label, "id") for label in UNIQUE_ID_LABELS] + [
        falkordb_index(label, prop) for label, prop in EXTRA_INDEXES
    ]


def neo4j_unique_constraint(label: Label) -> str:
    """Neo4j unique-id constraint; Neo4j backs it with its own index."""
    return (f"CREATE CONSTRAINT {label.lower()}_id_unique IF NOT EXISTS "
            f"FOR (n:{label}) REQUIRE n.id IS UNIQUE")


def neo4j_index(label: Label, prop: str) -> str:
    """Neo4j range index, named so reruns are no-ops."""
    return (f"CREATE INDEX {label.lower()}_{prop.lower()} IF NOT EXISTS "
            f"FOR (n:{label}) ON (n.{prop})")


def neo4j_schema() -> list[str]:
    """Every Neo4j DDL statement, in order: constraints, then extra indexes."""
    return [neo4j_unique_constraint(label) for label in UNIQUE_ID_LABELS] + [
        neo4j_index(label, prop) for label, prop in EXTRA_INDEXES
    ]


def neo4j_statements() -> dict[str, str]:
    """Every bootstrap statement Neo4j runs, by name (for the Cypher linter)."""
    named = {"bootstrap.ensure_meta": ENSURE_META}
    named.update({f"bootstrap.unique_id.{label}": neo4j_unique_constraint(label)
                  for label in UNIQUE_ID_LABELS})
    named.update({f"bootstrap.index.{label}.{prop}": neo4j_index(label, prop)
                  for label, prop in EXTRA_INDEXES})
    return named
