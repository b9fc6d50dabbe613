"""Statements of the portfolio's history: stored changes, checkpoints, versions by time.

Every applied change is already an AuditEntry written in the change's own
statement (statements.py `_AUDIT`): its `change` property holds the change as
JSON text and `events` / `policy` the violation events it caused and the
fingerprint of the policy they were computed with. Nothing here rewrites an
entry. A `Checkpoint` holds the whole portfolio at one version (JSON text: Neo4j
cannot store maps as properties); one is written where the history of a store
made before history was kept begins, never changed after.
"""

from __future__ import annotations

from typing import Final

from graph.cypher.labels import Label
from graph.cypher.statements import AUDIT_ENTRY

# The last version written without a stored change (a store older than history).
LAST_UNRECORDED: Final = (
    f"MATCH (a:{Label.AUDIT}) WHERE a.change IS NULL RETURN max(a.seq) AS version"
)

CHECKPOINT_VERSIONS: Final = (
    f"MATCH (c:{Label.CHECKPOINT}) RETURN c.version AS version ORDER BY version LIMIT $limit"
)

# The latest checkpoint at or before a version.
CHECKPOINT_AT: Final = f"""
MATCH (c:{Label.CHECKPOINT}) WHERE c.version <= $version
RETURN c.version AS version, c.portfolio AS portfolio ORDER BY c.version DESC LIMIT 1
"""

# Written only while the portfolio is still at `version` (the meta node's lock
# first, as for every write), and only once: MERGE on the checkpoint's id.
WRITE_CHECKPOINT: Final = f"""
MATCH (m:{Label.META} {{id: 'portfolio'}})
SET m.lockedBy = $lockId
WITH m WHERE m.version = $version
MERGE (c:{Label.CHECKPOINT} {{id: $checkpointId}})
ON CREATE SET c.version = $version, c.portfolio = $portfolio, c.at = $at
RETURN c.version AS version
"""

# The stored changes of the versions in (after, upTo], oldest first.
CHANGES_BETWEEN: Final = f"""
MATCH (a:{Label.AUDIT}) WHERE a.seq > $after AND a.seq <= $upTo
RETURN a.seq AS version, a.change AS change ORDER BY version LIMIT $limit
"""

# Audit entries of the versions in (after, upTo] with their violation events.
ENTRIES_BETWEEN: Final = f"""
MATCH (a:{Label.AUDIT}) WHERE a.seq > $after AND a.seq <= $upTo
RETURN {AUDIT_ENTRY} AS entry, a.events AS events, a.policy AS policy
ORDER BY a.seq LIMIT $limit
"""

# The last version written at or before an instant (UTC ISO text orders as time).
# The comparison is made after WITH on purpose: FalkorDB 4.16's range index on a
# string property answers `a.at <= $at` and `a.at < $at` with every node
# (seen in tests/api/test_history.py); a projected value is compared correctly.
VERSION_AT: Final = f"""
MATCH (a:{Label.AUDIT}) WITH a.seq AS seq, a.at AS at WHERE at <= $at
RETURN max(seq) AS version
"""


# What history keeps per change, in characters of stored JSON (bench/history_bench.py).
HISTORY_SIZE: Final = f"""
MATCH (a:{Label.AUDIT}) WHERE a.seq > $after
RETURN count(a) AS entries, sum(size(coalesce(a.change, ''))) AS change,
       sum(size(coalesce(a.events, ''))) AS events
"""


def statements() -> dict[str, str]:
    """Every history statement by name (listed in statements.all_statements())."""
    return {
        "LAST_UNRECORDED": LAST_UNRECORDED,
        "CHECKPOINT_VERSIONS": CHECKPOINT_VERSIONS,
        "CHECKPOINT_AT": CHECKPOINT_AT,
        "WRITE_CHECKPOINT": WRITE_CHECKPOINT,
        "CHANGES_BETWEEN": CHANGES_BETWEEN,
        "ENTRIES_BETWEEN": ENTRIES_BETWEEN,
        "VERSION_AT": VERSION_AT,
        "HISTORY_SIZE": HISTORY_SIZE,
    }
