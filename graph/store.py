"""The portfolio store: reads, guarded writes and snapshots over one `Engine`.

Callers never see Cypher or driver types: they get the whole-portfolio snapshot
(what every read resolves from, see graph/view.py), the audit log and counts.
Every write is one statement guarded by the portfolio version (see
graph/cypher/statements.py); a write computed against a stale version returns
`None` and writes nothing, so the caller re-checks and retries.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from graph.changes import Change, DeleteItem, PutDocument, RemoveDependency, replayed
from graph.cypher import statements as q
from graph.engines.base import Engine, Row
from graph.heap import paused_gc
from graph.model import DOCUMENT_KEYS, LINKS, Kind, Portfolio, kind_of
from graph.rows import attach_links, from_row, to_write_row

if TYPE_CHECKING:
    from graph.history import History

_KIND_OF_LABEL = {k.value: k for k in Kind}  # a kind's value is its graph label
# How far behind the store a cached snapshot may be and still be caught up by replaying
# the changes since (one statement per 500 of them); further behind, it is read whole.
CATCH_UP_VERSIONS = 2000


@dataclass(frozen=True, slots=True)
class Replayed:
    """A snapshot caught up with changes another process wrote: `after` is `before` with
    `changes` replayed (so a caller holding `before`'s evaluation can update it)."""

    before: Portfolio
    changes: tuple[Change, ...]
    after: Portfolio


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit log entry: what an applied change did, by whom, with before and after."""

    operation: str
    actor: str
    item_id: str | None = None
    justification: str | None = None
    before: Any = None
    after: Any = None
    item_ids: tuple[str, ...] = ()
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"))
    # History: the change itself (Store.write fills it from the change it writes, so
    # no caller can forget it), the violation events it caused (rules/events.py) and
    # the fingerprint of the policy those were computed with.
    change: Any = None
    events: Any = None
    policy: str | None = None

    def params(self) -> dict[str, Any]:
        return {
            "auditId": self.id,
            # Nulls left out: see graph/rows.py on FalkorDB and `SET += {null}`.
            "audit": {key: value for key, value in {
                "at": self.at,
                "actor": self.actor,
                "operation": self.operation,
                "itemId": self.item_id,
                "itemIds": list(self.item_ids),
                "justification": self.justification,
                "before": _json_text(self.before),
                "after": _json_text(self.after),
                "change": _json_text(self.change),
                "events": _json_text(self.events),
                "policy": self.policy,
            }.items() if value is not None},
        }


def _json_text(value: Any) -> str | None:
    """JSON as text: neither engine stores maps as properties."""
    return None if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: str
    seq: int
    at: str
    actor: str
    operation: str
    item_id: str | None
    justification: str | None
    before: Any
    after: Any
    item_ids: tuple[str, ...] = ()  # every item an import touched

    @property
    def version(self) -> int:
        """The portfolio version this entry wrote (the log and the versions are one sequence)."""
        return self.seq


class Store:
    """Portfolio reads and guarded writes over an engine; caches the snapshot by version."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._snapshot: Portfolio | None = None
        self._snapshot_lock = asyncio.Lock()
        self._history: History | None = None
        self.replayed: Replayed | None = None  # the last catch-up (see snapshot)

    @property
    def history(self) -> History:
        """This store's history (graph/history.py): earlier versions, and the changes a
        cached snapshot is caught up with. One per store, so its caches are shared."""
        if self._history is None:
            from graph.history import History  # history builds on the store

            self._history = History(self)
        return self._history

    # --- lifecycle --------------------------------------------------------

    async def start(self) -> None:
        """Open the engine, bootstrap it and make sure history is kept from here on."""
        from graph.history import ensure_history  # history builds on the store

        await self.engine.start()
        await self.engine.bootstrap()
        await ensure_history(self)

    async def close(self) -> None:
        await self.engine.close()

    async def ready(self) -> bool:
        return await self.engine.ping()

    # --- versions and snapshots ---------------------------------------------

    async def version(self) -> int:
        rows = await self.engine.read(q.VERSION)
        return int(rows[0]["version"]) if rows else 0

    async def snapshot(self) -> Portfolio:
        """The whole portfolio at one version; cached until the version moves. Do not mutate.

        When another process wrote (an API replica, the CLI), the cached snapshot is
        brought forward by replaying the changes written since, as history does
        (graph/history.py); only when that cannot be done (too far behind, a change
        without history) is the whole portfolio read again."""
        version = await self.version()
        cached = self._snapshot
        if cached is not None and cached.version == version:
            return cached
        async with self._snapshot_lock:
            for _ in range(20):
                # A writer of this process may have remembered the current version
                # meanwhile: use it rather than reloading everything.
                version = await self.version()
                cached = self._snapshot
                if cached is not None and cached.version == version:
                    return cached
                if cached is not None and cached.version < version <= (
                        cached.version + CATCH_UP_VERSIONS):
                    # Written changes never change: the replay is `version`, whatever
                    # is written after it.
                    changes = await self.history.changes_since(cached.version, version)
                    if changes is not None:
                        caught_up = replayed(cached, changes, version)
                        self.replayed = Replayed(cached, tuple(changes), caught_up)
                        self.remember(caught_up)
                        return caught_up
                portfolio = await self._load(version)
                if await self.version() == version:
                    self.remember(portfolio)
                    return portfolio
            raise RuntimeError("the portfolio kept changing while a snapshot was read")

    def remembered(self) -> Portfolio | None:
        """The snapshot last cached (possibly behind the store: check its version)."""
        return self._snapshot

    def remember(self, portfolio: Portfolio) -> None:
        """Adopt a snapshot the caller built for a version it just wrote (saves a reload)."""
        if self._snapshot is None or portfolio.version > self._snapshot.version:
            self._snapshot = portfolio

    async def _load(self, version: int) -> Portfolio:
        kinds = list(Kind)
        with paused_gc():
            items = asyncio.gather(*(self.engine.read(q.ALL_ITEMS[kind]) for kind in kinds))
            links = asyncio.gather(*(self.engine.read(q.ALL_LINKS[link]) for link in LINKS))
            results = await asyncio.gather(items, links, self.engine.read(q.ALL_DEPENDENCIES))
            # Rebuilding 50,000 model items is CPU work: off the event loop.
            return await asyncio.to_thread(_portfolio, version, kinds, *results)

    async def counts(self) -> dict[Kind, int]:
        rows = await self.engine.read(q.COUNTS)
        counts = dict.fromkeys(Kind, 0)
        for row in rows:
            counts[_kind_from_labels(row["labels"])] += int(row["count"])
        return counts

    # --- guarded writes ---------------------------------------------------

    async def write(self, change: Change, expected_version: int,
                    audit: AuditRecord) -> int | None:
        """Write one change in one statement if the version is still `expected_version`;
        the new version, or None (nothing written) when another writer moved it.

        The audit entry written with it keeps the change itself, so any version can
        be rebuilt from the one before (graph/history.py)."""
        audit = replace(audit, change=change.to_json())
        if isinstance(change, PutDocument):
            # Only the blocks (and parameters) of what the change carries.
            kinds = frozenset(kind_of(item) for item in change.items)
            deps = bool(change.dependencies)
            return await self._guarded(q.put_document(kinds, deps),
                                       _put_params(change, kinds, deps), expected_version, audit)
        if isinstance(change, RemoveDependency):
            return await self._guarded(q.REMOVE_DEPENDENCY,
                                       {"from": change.from_id, "to": change.to_id},
                                       expected_version, audit)
        if isinstance(change, DeleteItem):
            return await self._guarded(q.DELETE_ITEM, {"id": change.item_id},
                                       expected_version, audit)
        raise TypeError(f"not a change: {change!r}")

    async def restore_archive(self, change: PutDocument, entries: Sequence[AuditRecord],
                              seqs: Sequence[int], archived_version: int,
                              expected_version: int, audit: AuditRecord) -> int | None:
        """Into an empty store: the archived audit entries (with their `seqs`), then the
        document, then `audit`, in one statement; the new version, or None when the store
        moved or is not empty (nothing written)."""
        params = _put_params(change, frozenset(Kind), dependencies=True)
        params["entries"] = [
            {"id": entry.id, "seq": seq, "props": entry.params()["audit"]}
            for entry, seq in zip(entries, seqs, strict=True)
        ]
        params["archivedVersion"] = archived_version
        return await self._guarded(q.RESTORE_ARCHIVE, params, expected_version, audit)

    async def audit_entries_upto(self, version: int, page: int = 1000) -> list[AuditEntry]:
        """Every audit entry written at or before `version`, oldest first (read in pages)."""
        entries: list[AuditEntry] = []
        before = version + 1
        while True:
            batch = await self.audit_log(before_seq=before, limit=page)
            entries.extend(batch)
            if len(batch) < page:
                return entries[::-1]
            before = batch[-1].seq

    async def _guarded(self, statement: str, params: dict[str, Any], expected_version: int,
                       audit: AuditRecord) -> int | None:
        rows = await self.engine.write(
            statement, {**params, **audit.params(), "expectedVersion": expected_version}
        )
        return int(rows[0]["version"]) if rows else None

    # --- audit log ----------------------------------------------------------

    async def audit_log(self, *, item_id: str | None = None, actor: str | None = None,
                        since: str | None = None, before_seq: int | None = None,
                        limit: int = 100) -> list[AuditEntry]:
        """Audit entries, newest first."""
        rows = await self.engine.read(q.AUDIT_LOG, {
            "itemId": item_id, "actor": actor, "since": since, "beforeSeq": before_seq,
            "limit": limit,
        })
        return [audit_entry(row["entry"]) for row in rows]


def _put_params(change: PutDocument, kinds: frozenset[Kind],
                dependencies: bool) -> dict[str, Any]:
    """The parameters of a statement with the blocks of `kinds` (a superset of the change's)
    and of the dependencies when `dependencies`: item rows by document key, the pairs."""
    params: dict[str, Any] = {DOCUMENT_KEYS[kind]: [] for kind in kinds}
    for item in change.items:
        kind = kind_of(item)
        params[DOCUMENT_KEYS[kind]].append(to_write_row(item, kind))
    if dependencies:
        params["dependencies"] = [{"from": a, "to": b} for a, b in change.dependencies]
    return params


def _portfolio(version: int, kinds: list[Kind], items: Sequence[list[Row]],
               links: Sequence[list[Row]], dependencies: list[Row]) -> Portfolio:
    """The snapshot from the rows of every ALL_ITEMS statement (in `kinds` order), of
    every ALL_LINKS statement (in LINKS order) and of ALL_DEPENDENCIES."""
    rows = {kind: {row["item"]["id"]: row["item"] for row in found}
            for kind, found in zip(kinds, items, strict=True)}
    for link, found in zip(LINKS, links, strict=True):
        attach_links(rows[link.kind], link, found)
    portfolio = Portfolio(version=version)
    for kind in kinds:
        target = portfolio.collection(kind)
        for item_id, row in rows[kind].items():
            target[item_id] = from_row(kind, row)
    portfolio.dependencies = {(r["source"], r["target"]) for r in dependencies}
    return portfolio


def _kind_from_labels(labels: Sequence[str]) -> Kind:
    for label in labels:
        kind = _KIND_OF_LABEL.get(label)
        if kind is not None:
            return kind
    raise ValueError(f"no portfolio kind among labels {list(labels)}")


def audit_entry(row: Row) -> AuditEntry:
    def load(value: Any) -> Any:
        return None if value is None else json.loads(value)

    return AuditEntry(
        id=row["id"],
        seq=int(row["seq"]),
        at=row["at"],
        actor=row["actor"],
        operation=row["operation"],
        item_id=row.get("itemId"),
        justification=row.get("justification"),
        before=load(row.get("before")),
        after=load(row.get("after")),
        item_ids=tuple(row.get("itemIds") or ()),
    )
