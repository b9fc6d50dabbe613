"""Every portable Cypher statement the store runs, as named constants with `$params`.

Portable = runs on FalkorDB 4.x and Neo4j 5 (see shared/ENGINES.md). The only
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

from enum import Enum
from typing import Final

from graph.cypher.labels import Label, Rel
from graph.model import Kind
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
APPLY_DOCUMENT: Final = (
    _GUARD
    + f"""
WITH m
CALL {{ WITH m UNWIND $themes AS r
  MERGE (n:{Label.ITEM}:{Label.THEME} {{id: r.id}}) SET n = r.props
  RETURN count(*) AS themesWritten }}
WITH m
CALL {{ WITH m UNWIND $objectives AS r
  MERGE (n:{Label.ITEM}:{Label.OBJECTIVE} {{id: r.id}}) SET n = r.props
  WITH n, r OPTIONAL MATCH (n)-[old:{Rel.SUPPORTS}]->() DELETE old
  WITH DISTINCT n, r
  FOREACH (x IN r.themes | MERGE (t:{Label.ITEM} {{id: x}}) MERGE (n)-[:{Rel.SUPPORTS}]->(t))
  RETURN count(*) AS objectivesWritten }}
WITH m
CALL {{ WITH m UNWIND $keyResults AS r
  MERGE (n:{Label.ITEM}:{Label.KEY_RESULT} {{id: r.id}}) SET n = r.props
  WITH n, r OPTIONAL MATCH (n)-[old:{Rel.MEASURES}]->() DELETE old
  WITH DISTINCT n, r
  MERGE (o:{Label.ITEM} {{id: r.objective}}) MERGE (n)-[:{Rel.MEASURES}]->(o)
  RETURN count(*) AS keyResultsWritten }}
WITH m
CALL {{ WITH m UNWIND $valueStreams AS r
  MERGE (n:{Label.ITEM}:{Label.VALUE_STREAM} {{id: r.id}}) SET n = r.props
  RETURN count(*) AS valueStreamsWritten }}
WITH m
CALL {{ WITH m UNWIND $arts AS r
  MERGE (n:{Label.ITEM}:{Label.ART} {{id: r.id}}) SET n = r.props
  WITH n, r OPTIONAL MATCH (n)-[old:{Rel.IN_VALUE_STREAM}]->() DELETE old
  WITH DISTINCT n, r
  FOREACH (x IN CASE WHEN r.valueStream IS NULL THEN [] ELSE [r.valueStream] END |
    MERGE (v:{Label.ITEM} {{id: x}}) MERGE (n)-[:{Rel.IN_VALUE_STREAM}]->(v))
  RETURN count(*) AS artsWritten }}
WITH m
CALL {{ WITH m UNWIND $pis AS r
  MERGE (n:{Label.ITEM}:{Label.PI} {{id: r.id}}) SET n = r.props
  RETURN count(*) AS pisWritten }}
WITH m
CALL {{ WITH m UNWIND $teams AS r
  MERGE (n:{Label.ITEM}:{Label.TEAM} {{id: r.id}}) SET n = r.props
  WITH n, r OPTIONAL MATCH (n)-[old:{Rel.ON_TRAIN}|{Rel.HAS_CAPACITY}]->() DELETE old
  WITH DISTINCT n, r
  FOREACH (x IN CASE WHEN r.art IS NULL THEN [] ELSE [r.art] END |
    MERGE (a:{Label.ITEM} {{id: x}}) MERGE (n)-[:{Rel.ON_TRAIN}]->(a))
  FOREACH (c IN r.capacity |
    MERGE (p:{Label.ITEM} {{id: c.pi}}) MERGE (n)-[k:{Rel.HAS_CAPACITY}]->(p)
    SET k.points = c.points)
  RETURN count(*) AS teamsWritten }}
WITH m
CALL {{ WITH m UNWIND $epics AS r
  MERGE (n:{Label.ITEM}:{Label.EPIC} {{id: r.id}}) SET n = r.props
  WITH n, r
  OPTIONAL MATCH (n)-[old:{Rel.IN_VALUE_STREAM}|{Rel.ALIGNS_TO}|{Rel.CONTRIBUTES_TO}]->()
  DELETE old
  WITH DISTINCT n, r
  FOREACH (x IN CASE WHEN r.valueStream IS NULL THEN [] ELSE [r.valueStream] END |
    MERGE (v:{Label.ITEM} {{id: x}}) MERGE (n)-[:{Rel.IN_VALUE_STREAM}]->(v))
  FOREACH (x IN r.themes | MERGE (t:{Label.ITEM} {{id: x}}) MERGE (n)-[:{Rel.ALIGNS_TO}]->(t))
  FOREACH (x IN r.keyResults |
    MERGE (k:{Label.ITEM} {{id: x}}) MERGE (n)-[:{Rel.CONTRIBUTES_TO}]->(k))
  RETURN count(*) AS epicsWritten }}
WITH m
CALL {{ WITH m UNWIND $features AS r
  MERGE (n:{Label.ITEM}:{Label.FEATURE} {{id: r.id}}) SET n = r.props
  WITH n, r
  OPTIONAL MATCH (n)-[old:{Rel.PART_OF}|{Rel.ASSIGNED_TO}|{Rel.PLANNED_IN}]->() DELETE old
  WITH DISTINCT n, r
  FOREACH (x IN CASE WHEN r.epic IS NULL THEN [] ELSE [r.epic] END |
    MERGE (e:{Label.ITEM} {{id: x}}) MERGE (n)-[:{Rel.PART_OF}]->(e))
  FOREACH (x IN CASE WHEN r.team IS NULL THEN [] ELSE [r.team] END |
    MERGE (t:{Label.ITEM} {{id: x}}) MERGE (n)-[:{Rel.ASSIGNED_TO}]->(t))
  FOREACH (x IN CASE WHEN r.pi IS NULL THEN [] ELSE [r.pi] END |
    MERGE (p:{Label.ITEM} {{id: x}}) MERGE (n)-[:{Rel.PLANNED_IN}]->(p))
  RETURN count(*) AS featuresWritten }}
WITH m
CALL {{ WITH m UNWIND $dependencies AS d
  MATCH (a:{Label.FEATURE} {{id: d.from}}) MATCH (b:{Label.FEATURE} {{id: d.to}})
  MERGE (a)-[:{Rel.DEPENDS_ON}]->(b)
  RETURN count(*) AS dependenciesWritten }}
"""
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

# --- reads: items by kind ---------------------------------------------------

# A map projection of each kind with the ids its link fields name, so a row
# rebuilds the model item (graph/rows.py) without a second query.
_PROJECTION: dict[Kind, str] = {
    Kind.THEME: "n {.*}",
    Kind.OBJECTIVE: f"n {{.*, themes: [(n)-[:{Rel.SUPPORTS}]->(t) | t.id]}}",
    Kind.KEY_RESULT: f"n {{.*, objective: head([(n)-[:{Rel.MEASURES}]->(o) | o.id])}}",
    Kind.VALUE_STREAM: "n {.*}",
    Kind.ART: f"n {{.*, valueStream: head([(n)-[:{Rel.IN_VALUE_STREAM}]->(v) | v.id])}}",
    Kind.TEAM: (
        f"n {{.*, art: head([(n)-[:{Rel.ON_TRAIN}]->(a) | a.id]), "
        f"capacity: [(n)-[c:{Rel.HAS_CAPACITY}]->(p) | {{pi: p.id, points: c.points}}]}}"
    ),
    Kind.PI: "n {.*}",
    Kind.EPIC: (
        f"n {{.*, valueStream: head([(n)-[:{Rel.IN_VALUE_STREAM}]->(v) | v.id]), "
        f"themes: [(n)-[:{Rel.ALIGNS_TO}]->(t) | t.id], "
        f"keyResults: [(n)-[:{Rel.CONTRIBUTES_TO}]->(k) | k.id]}}"
    ),
    Kind.FEATURE: (
        f"n {{.*, epic: head([(n)-[:{Rel.PART_OF}]->(e) | e.id]), "
        f"team: head([(n)-[:{Rel.ASSIGNED_TO}]->(t) | t.id]), "
        f"pi: head([(n)-[:{Rel.PLANNED_IN}]->(p) | p.id])}}"
    ),
}

ITEMS_BY_ID: Final[dict[Kind, str]] = {
    kind: f"MATCH (n:{Label(kind.value)}) WHERE n.id IN $ids RETURN {proj} AS item"
    for kind, proj in _PROJECTION.items()
}

ALL_ITEMS: Final[dict[Kind, str]] = {
    kind: f"MATCH (n:{Label(kind.value)}) RETURN {proj} AS item ORDER BY n.id"
    for kind, proj in _PROJECTION.items()
}

ALL_IDS: Final[dict[Kind, str]] = {
    kind: f"MATCH (n:{Label(kind.value)}) RETURN n.id AS id ORDER BY id LIMIT $limit"
    for kind in Kind
}

PIS_BY_START: Final = (
    f"MATCH (n:{Label.PI}) RETURN n.id AS id ORDER BY n.start, n.id LIMIT $limit"
)

KINDS_OF: Final = (
    f"MATCH (n:{Label.ITEM}) WHERE n.id IN $ids RETURN n.id AS id, labels(n) AS labels"
)

ALL_KINDS: Final = f"MATCH (n:{Label.ITEM}) RETURN n.id AS id, labels(n) AS labels"

ALL_DEPENDENCIES: Final = (
    f"MATCH (a:{Label.FEATURE})-[:{Rel.DEPENDS_ON}]->(b:{Label.FEATURE}) "
    "RETURN a.id AS source, b.id AS target"
)

# --- reads: links between items (nested lists), batched by parent id -------


class Link(Enum):
    """A nested list of the API: (child label, relationship, parent label, direction).

    `out` True: the parent points at the children ((parent)-[rel]->(child));
    False: the children point at the parent.
    """

    EPIC_FEATURES = (Label.FEATURE, Rel.PART_OF, Label.EPIC, False)
    TEAM_FEATURES = (Label.FEATURE, Rel.ASSIGNED_TO, Label.TEAM, False)
    PI_FEATURES = (Label.FEATURE, Rel.PLANNED_IN, Label.PI, False)
    VALUE_STREAM_ARTS = (Label.ART, Rel.IN_VALUE_STREAM, Label.VALUE_STREAM, False)
    VALUE_STREAM_EPICS = (Label.EPIC, Rel.IN_VALUE_STREAM, Label.VALUE_STREAM, False)
    ART_TEAMS = (Label.TEAM, Rel.ON_TRAIN, Label.ART, False)
    OBJECTIVE_KEY_RESULTS = (Label.KEY_RESULT, Rel.MEASURES, Label.OBJECTIVE, False)
    THEME_OBJECTIVES = (Label.OBJECTIVE, Rel.SUPPORTS, Label.THEME, False)
    KEY_RESULT_EPICS = (Label.EPIC, Rel.CONTRIBUTES_TO, Label.KEY_RESULT, False)
    FEATURE_DEPENDS_ON = (Label.FEATURE, Rel.DEPENDS_ON, Label.FEATURE, True)
    FEATURE_DEPENDENTS = (Label.FEATURE, Rel.DEPENDS_ON, Label.FEATURE, False)


def _link_statement(link: Link) -> str:
    child, rel, parent, out = link.value
    pattern = (
        f"(p:{parent})-[:{rel}]->(c:{child})" if out else f"(c:{child})-[:{rel}]->(p:{parent})"
    )
    return f"MATCH {pattern} WHERE p.id IN $ids RETURN p.id AS parent, c.id AS child ORDER BY child"


LINKED: Final[dict[Link, str]] = {link: _link_statement(link) for link in Link}

# Themes an epic's trace reaches: aligned directly, or through a key result's
# objective (only SUPPORTS leads to a theme: no label needed at the far end).
_EPIC_THEMES = f"""
[(e)-[:{Rel.ALIGNS_TO}]->(t:{Label.THEME}) | t.id] +
[(e)-[:{Rel.CONTRIBUTES_TO}]->(:{Label.KEY_RESULT})-[:{Rel.MEASURES}]->(:{Label.OBJECTIVE})
  -[:{Rel.SUPPORTS}]->(t) | t.id]"""

# Start from the themes asked for: only SUPPORTS leads to a theme, so the far
# end needs no label (a label there made FalkorDB scan every theme per row).
_THEME_REACH = f"""
UNWIND $ids AS themeId
MATCH (t:{Label.THEME} {{id: themeId}})
WITH t, [(e:{Label.EPIC})-[:{Rel.ALIGNS_TO}]->(t) | e.id] +
        [(e:{Label.EPIC})-[:{Rel.CONTRIBUTES_TO}]->()-[:{Rel.MEASURES}]->()-[:{Rel.SUPPORTS}]->(t)
         | e.id] AS epicIds
UNWIND epicIds AS epicId
"""

THEME_EPICS: Final = _THEME_REACH + """WITH DISTINCT t.id AS parent, epicId AS child
RETURN parent, child ORDER BY child
"""

THEME_FEATURES: Final = _THEME_REACH + f"""WITH DISTINCT t, epicId
MATCH (f:{Label.FEATURE})-[:{Rel.PART_OF}]->(:{Label.EPIC} {{id: epicId}})
WITH DISTINCT t.id AS parent, f.id AS child
RETURN parent, child ORDER BY child
"""

# --- trace ------------------------------------------------------------------

TRACE: Final = f"""
UNWIND $ids AS itemId
MATCH (n:{Label.ITEM} {{id: itemId}})
WHERE n:{Label.EPIC} OR n:{Label.FEATURE}
OPTIONAL MATCH (n)-[:{Rel.PART_OF}]->(parent:{Label.EPIC})
WITH n, CASE WHEN n:{Label.EPIC} THEN n ELSE parent END AS e
OPTIONAL MATCH (n)-[:{Rel.ASSIGNED_TO}]->(team:{Label.TEAM})
OPTIONAL MATCH (team)-[:{Rel.ON_TRAIN}]->(art:{Label.ART})
OPTIONAL MATCH (art)-[:{Rel.IN_VALUE_STREAM}]->(artStream:{Label.VALUE_STREAM})
OPTIONAL MATCH (e)-[:{Rel.IN_VALUE_STREAM}]->(epicStream:{Label.VALUE_STREAM})
RETURN n.id AS id,
       CASE WHEN n:{Label.EPIC} THEN 'Epic' ELSE 'Feature' END AS kind,
       e.id AS epic,
       [(e)-[:{Rel.CONTRIBUTES_TO}]->(k:{Label.KEY_RESULT}) | k.id] AS keyResults,
       [(e)-[:{Rel.CONTRIBUTES_TO}]->(:{Label.KEY_RESULT})-[:{Rel.MEASURES}]->(o:{Label.OBJECTIVE})
         | o.id] AS objectives,
       [(e)-[:{Rel.ALIGNS_TO}]->(t:{Label.THEME}) | t.id] +
       [(e)-[:{Rel.CONTRIBUTES_TO}]->(:{Label.KEY_RESULT})-[:{Rel.MEASURES}]->(:{Label.OBJECTIVE})
         -[:{Rel.SUPPORTS}]->(t) | t.id] AS themes,
       team.id AS team, art.id AS art,
       CASE WHEN n:{Label.EPIC} THEN epicStream.id ELSE artStream.id END AS valueStream
"""

# --- browsing: filtered, paged lists ----------------------------------------

_FEATURE_FILTER = f"""
MATCH (n:{Label.FEATURE})
OPTIONAL MATCH (n)-[:{Rel.ASSIGNED_TO}]->(team:{Label.TEAM})
OPTIONAL MATCH (team)-[:{Rel.ON_TRAIN}]->(art:{Label.ART})
OPTIONAL MATCH (art)-[:{Rel.IN_VALUE_STREAM}]->(vs:{Label.VALUE_STREAM})
OPTIONAL MATCH (n)-[:{Rel.PART_OF}]->(e:{Label.EPIC})
OPTIONAL MATCH (n)-[:{Rel.PLANNED_IN}]->(pi:{Label.PI})
WITH n, team, art, vs, e, pi
WHERE ($states IS NULL OR n.state IN $states)
  AND ($type IS NULL OR n.type = $type)
  AND ($epic IS NULL OR e.id = $epic)
  AND ($team IS NULL OR team.id = $team)
  AND ($art IS NULL OR art.id = $art)
  AND ($valueStream IS NULL OR vs.id = $valueStream)
  AND ($pi IS NULL OR pi.id = $pi)
  AND ($search IS NULL OR toLower(n.id) CONTAINS $search OR toLower(n.name) CONTAINS $search)
WITH n, e, CASE WHEN e IS NULL THEN [] ELSE {_EPIC_THEMES} END AS themes
WHERE $aligned IS NULL OR (size(themes) > 0) = $aligned
"""

FEATURES_PAGE: Final = (
    _FEATURE_FILTER
    + """WITH n WHERE $after IS NULL OR n.id > $after
RETURN n.id AS id ORDER BY id LIMIT $limit"""
)
FEATURES_COUNT: Final = _FEATURE_FILTER + "RETURN count(n) AS total"

_EPIC_FILTER = f"""
MATCH (e:{Label.EPIC})
OPTIONAL MATCH (e)-[:{Rel.IN_VALUE_STREAM}]->(vs:{Label.VALUE_STREAM})
WITH e, vs
WHERE ($states IS NULL OR e.state IN $states)
  AND ($type IS NULL OR e.type = $type)
  AND ($valueStream IS NULL OR vs.id = $valueStream)
  AND ($horizon IS NULL OR e.horizon = $horizon)
  AND ($search IS NULL OR toLower(e.id) CONTAINS $search OR toLower(e.name) CONTAINS $search)
WITH e, {_EPIC_THEMES} AS themes
WHERE ($aligned IS NULL OR (size(themes) > 0) = $aligned)
  AND ($theme IS NULL OR $theme IN themes)
"""

EPICS_PAGE: Final = (
    _EPIC_FILTER
    + """WITH e WHERE $after IS NULL OR e.id > $after
RETURN e.id AS id ORDER BY id LIMIT $limit"""
)
EPICS_COUNT: Final = _EPIC_FILTER + "RETURN count(e) AS total"

# --- audit log ----------------------------------------------------------------

AUDIT_LOG: Final = f"""
MATCH (a:{Label.AUDIT})
WHERE ($itemId IS NULL OR a.itemId = $itemId OR $itemId IN coalesce(a.itemIds, []))
  AND ($actor IS NULL OR a.actor = $actor)
  AND ($since IS NULL OR a.at >= $since)
  AND ($beforeSeq IS NULL OR a.seq < $beforeSeq)
RETURN a {{.*}} AS entry ORDER BY a.seq DESC LIMIT $limit
"""

COUNTS: Final = f"""
MATCH (n:{Label.ITEM}) WITH labels(n) AS labels RETURN labels, count(*) AS count
"""

# --- schema priming -----------------------------------------------------------

# Every property key any statement reads or writes.
_AUDIT_PROPS = ("at", "actor", "operation", "itemId", "itemIds", "justification", "before",
                "after", "seq")
_META_PROPS = ("version", "lockedBy")


def _prime_schema() -> str:
    keys = sorted({*all_property_keys(), *_AUDIT_PROPS, *_META_PROPS, "points"} - {"id"})
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
        "REMOVE_DEPENDENCY": REMOVE_DEPENDENCY,
        "DELETE_ITEM": DELETE_ITEM,
        "PIS_BY_START": PIS_BY_START,
        "KINDS_OF": KINDS_OF,
        "ALL_KINDS": ALL_KINDS,
        "ALL_DEPENDENCIES": ALL_DEPENDENCIES,
        "THEME_EPICS": THEME_EPICS,
        "THEME_FEATURES": THEME_FEATURES,
        "TRACE": TRACE,
        "FEATURES_PAGE": FEATURES_PAGE,
        "FEATURES_COUNT": FEATURES_COUNT,
        "EPICS_PAGE": EPICS_PAGE,
        "EPICS_COUNT": EPICS_COUNT,
        "AUDIT_LOG": AUDIT_LOG,
        "COUNTS": COUNTS,
        "PRIME_SCHEMA": PRIME_SCHEMA,
    }
    for kind in Kind:
        named[f"ITEMS_BY_ID.{kind.name}"] = ITEMS_BY_ID[kind]
        named[f"ALL_ITEMS.{kind.name}"] = ALL_ITEMS[kind]
        named[f"ALL_IDS.{kind.name}"] = ALL_IDS[kind]
    for link in Link:
        named[f"LINKED.{link.name}"] = LINKED[link]
    return named
