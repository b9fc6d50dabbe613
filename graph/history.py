"""The portfolio as of any version: an event log (each audit entry keeps its change)
plus checkpoints, rebuilt in memory.

Version V is rebuilt from the latest checkpoint at or before V (the empty portfolio
at version 0, or the stored checkpoint where the history of an older store begins)
by replaying the stored changes after it, in place. Each process keeps a few rebuilt
versions (LRU) and an in-memory checkpoint every `every` versions, so any version
costs at most `every` small replays after the first read; all of it is keyed by
version, which never changes meaning (no earlier version can be changed), so there is
nothing to invalidate.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from graph.changes import Change, DeleteItem, PutDocument, change_from_json, replayed
from graph.cypher import history as q
from graph.model import Item, Kind, Portfolio

if TYPE_CHECKING:
    from graph.store import AuditEntry, Store

PAGE = 500  # changes read per statement while replaying
# Replay work between in-memory checkpoints, in items written (see _cost): a large import
# gets a checkpoint right after it, small changes one every ~50. Doubles past the maximum.
CHECKPOINT_EVERY = 50
MAX_CHECKPOINTS = 64
REBUILT_KEPT = 8  # rebuilt versions kept per process (LRU)
PARSED_KEPT = 4096  # small parsed changes kept, so a rebuild near a checkpoint reads nothing
SMALL_CHANGE = 20


class HistoryUnavailable(Exception):
    """The version asked for cannot be rebuilt (before the history start, or not written)."""


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An audit entry with the violation events stored with it (None when none were)."""

    entry: AuditEntry
    events: list[dict[str, Any]] | None
    policy: str | None


def portfolio_json(portfolio: Portfolio) -> dict[str, Any]:
    """The whole portfolio in the import document's format (dependencies sorted)."""
    items: list[Item] = []
    for kind in Kind:
        collection = portfolio.collection(kind)
        items.extend(collection[i] for i in sorted(collection))
    document: dict[str, Any] = PutDocument(tuple(items),
                                           tuple(sorted(portfolio.dependencies))).to_json()["put"]
    return document


def portfolio_from_json(document: dict[str, Any], version: int) -> Portfolio:
    portfolio = Portfolio(version=version)
    change_from_json({"put": document}).apply_in_place(portfolio)
    return portfolio


async def last_unrecorded(store: Store) -> int | None:
    """The last version written without its change (by a version older than history)."""
    rows = await store.engine.read(q.LAST_UNRECORDED)
    value = rows[0]["version"] if rows else None
    return None if value is None else int(value)


async def history_start(store: Store) -> int | None:
    """The first version that can be rebuilt: 0 for a store kept with history from the
    start; for an older store, its checkpoint; None while that is not written yet."""
    last = await last_unrecorded(store)
    if last is None:
        return 0
    rows = await store.engine.read(q.CHECKPOINT_VERSIONS, {"limit": 10_000})
    after = [int(r["version"]) for r in rows if int(r["version"]) >= last]
    return min(after) if after else None


async def ensure_history(store: Store, attempts: int = 20) -> int:
    """Make history complete from now on: for a store that holds versions written
    without their changes, write (once) a checkpoint of the current portfolio.
    Idempotent; returns the history start."""
    for _ in range(attempts):
        start = await history_start(store)
        if start is not None:
            return start
        snapshot = await store.snapshot()
        await store.engine.write(q.WRITE_CHECKPOINT, {
            "lockId": uuid.uuid4().hex, "version": snapshot.version,
            "checkpointId": f"checkpoint-{snapshot.version}",
            "portfolio": json.dumps(portfolio_json(snapshot), sort_keys=True,
                                    separators=(",", ":")),
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        })  # no row: a writer moved the version meanwhile; try again at the new one
    raise RuntimeError("the portfolio kept changing while its history checkpoint was written")


def _cost(change: Change) -> int:
    """Replay work of a change, in items: what in-memory checkpoints are spaced by."""
    if isinstance(change, PutDocument):
        return 1 + len(change.items) + len(change.dependencies)
    if isinstance(change, DeleteItem):
        return 10  # copies the portfolio once (Portfolio.without)
    return 1


class History:
    """Rebuilds earlier versions of one store's portfolio; one per process and store."""

    def __init__(self, store: Store, *, every: int = CHECKPOINT_EVERY,
                 max_checkpoints: int = MAX_CHECKPOINTS, kept: int = REBUILT_KEPT) -> None:
        self.store = store
        self.every = every
        self.max_checkpoints = max_checkpoints
        self.kept = kept
        self._start: int | None = None
        self._checkpoints: dict[int, Portfolio] = {}
        self._frontier: Portfolio | None = None  # private working copy, replayed forward
        self._rebuilt: OrderedDict[int, Portfolio] = OrderedDict()
        self._parsed: OrderedDict[int, Change] = OrderedDict()
        self._since_checkpoint = 0  # replay cost since the last checkpoint
        self._lock = asyncio.Lock()

    async def start(self) -> int:
        """The first version that can be rebuilt (cached: it only moves by a restart)."""
        if self._start is None:
            found = await history_start(self.store)
            if found is None:
                found = await ensure_history(self.store)
            self._start = found
        return self._start

    async def version_at(self, at: str) -> int:
        """The last version written at or before `at` (UTC ISO text); 0 before the first."""
        rows = await self.store.engine.read(q.VERSION_AT, {"at": at})
        value = rows[0]["version"] if rows else None
        return 0 if value is None else int(value)

    async def portfolio(self, version: int) -> Portfolio:
        """The portfolio as it was at `version`; shared and cached: do not mutate."""
        current = self.store.remembered()
        if current is not None and current.version == version:
            return current
        cached = self._rebuilt.get(version)
        if cached is not None:
            self._rebuilt.move_to_end(version)
            return cached
        async with self._lock:
            cached = self._rebuilt.get(version)
            if cached is None:
                try:
                    cached = await self._rebuild(version)
                except HistoryUnavailable:
                    # Another process may have moved the history start meanwhile (an
                    # archive loaded into the empty store): forget what was cached, once.
                    self._forget()
                    cached = await self._rebuild(version)
                self._rebuilt[version] = cached
                while len(self._rebuilt) > self.kept:
                    self._rebuilt.popitem(last=False)
            return cached

    async def changes_since(self, after: int, upto: int) -> list[Change] | None:
        """The changes of versions (after, upto], oldest first (what brings a snapshot of
        `after` to `upto`: Store.snapshot); None when they cannot all be read (a version
        written without its change, or not written)."""
        try:
            changes: list[Change] = []
            while after < upto:  # a page of changes per statement
                page = min(upto, after + PAGE)
                changes += await self._changes(after, page)
                after = page
        except HistoryUnavailable:
            return None
        return changes

    def _forget(self) -> None:
        self._start = None
        self._checkpoints.clear()
        self._frontier = None
        self._rebuilt.clear()
        self._parsed.clear()
        self._since_checkpoint = 0

    async def _rebuild(self, version: int) -> Portfolio:
        start = await self.start()
        if version < start:
            raise HistoryUnavailable(f"version {version} is before the history start {start}")
        if not self._checkpoints:
            base = await self._base(start)
            self._checkpoints[start] = base
            self._frontier = base.copy()
        assert self._frontier is not None
        if version > self._frontier.version:
            await self._advance(version)
            return self._frontier.copy()
        base_version = max(v for v in self._checkpoints if v <= version)
        return replayed(self._checkpoints[base_version],
                        await self._changes(base_version, version), version)

    async def _base(self, start: int) -> Portfolio:
        if start == 0:
            return Portfolio(version=0)
        rows = await self.store.engine.read(q.CHECKPOINT_AT, {"version": start})
        if not rows or int(rows[0]["version"]) != start:
            raise HistoryUnavailable(f"no checkpoint at the history start {start}")
        return portfolio_from_json(json.loads(rows[0]["portfolio"]), start)

    async def _advance(self, version: int) -> None:
        """Replay the frontier forward to `version`, keeping a checkpoint every `every`."""
        frontier = self._frontier
        assert frontier is not None
        while frontier.version < version:
            upto = min(version, frontier.version + PAGE)
            for at, change in await self._numbered(frontier.version, upto):
                change.apply_in_place(frontier)
                frontier.version = at
                self._since_checkpoint += _cost(change)
                if self._since_checkpoint >= self.every:
                    self._checkpoints[at] = frontier.copy()
                    self._since_checkpoint = 0
            if frontier.version < upto:
                raise HistoryUnavailable(f"version {frontier.version + 1} was not written")
        self._thin()

    def _thin(self) -> None:
        """Bound memory: past `max_checkpoints`, keep every other one (spacing doubles)."""
        while len(self._checkpoints) > self.max_checkpoints:
            self.every *= 2
            ordered = sorted(self._checkpoints)
            keep = {ordered[0], *ordered[2::2]}
            self._checkpoints = {v: self._checkpoints[v] for v in keep}

    async def _changes(self, after: int, upto: int) -> list[Change]:
        cached = [self._parsed.get(v) for v in range(after + 1, upto + 1)]
        if all(c is not None for c in cached):
            return [c for c in cached if c is not None]
        numbered = await self._numbered(after, upto)
        if len(numbered) != upto - after:
            raise HistoryUnavailable(f"versions {after + 1}..{upto} are not all written")
        return [change for _, change in numbered]

    async def _numbered(self, after: int, upto: int) -> list[tuple[int, Change]]:
        rows = await self.store.engine.read(
            q.CHANGES_BETWEEN, {"after": after, "upTo": upto, "limit": upto - after})
        out: list[tuple[int, Change]] = []
        for row in rows:
            if row["change"] is None:
                raise HistoryUnavailable(f"version {row['version']} was written without history")
            version, change = int(row["version"]), change_from_json(json.loads(row["change"]))
            out.append((version, change))
            if _cost(change) <= SMALL_CHANGE:
                self._parsed[version] = change
                while len(self._parsed) > PARSED_KEPT:
                    self._parsed.popitem(last=False)
        return out

    async def entries(self, after: int, upto: int, limit: int = PAGE) -> list[StoredEntry]:
        """Audit entries of the versions in (after, upto], oldest first, with their events."""
        from graph.store import audit_entry

        rows = await self.store.engine.read(
            q.ENTRIES_BETWEEN, {"after": after, "upTo": upto, "limit": limit})
        return [StoredEntry(audit_entry(row["entry"]),
                            None if row["events"] is None else json.loads(row["events"]),
                            row["policy"]) for row in rows]


