"""History use cases: the portfolio, its violations and its events as of any version,
and what differs between two versions. Shared by the API, the CLI and subscriptions.

Earlier versions come from graph/history.py (stored changes replayed from a
checkpoint). Violations of any version are computed with the policy running now:
the events stored with a change are used when they were computed with the same
policy (same fingerprint), and recomputed by replay and evaluation otherwise.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from api.errors import ErrorCode, ServiceError
from graph.changes import item_json
from graph.history import HistoryUnavailable, StoredEntry
from graph.model import Item, Kind, Portfolio
from graph.store import AuditEntry, Store
from graph.view import PortfolioView
from rules.evaluate import evaluate
from rules.events import ViolationEvent, event_from_json, policy_fingerprint, violation_events
from rules.incremental import Touched, evaluate_change
from rules.policy import Policy
from rules.violation import Violation

MAX_HISTORY_LIMIT = 1000
PAGE = 500
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    """A small least-recently-used map (keys are versions: their values never change)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> V:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return value


def invalid(message: str, argument: str) -> ServiceError:
    return ServiceError(ErrorCode.INVALID_ARGUMENT, message, argument=argument)


def utc_text(moment: datetime, argument: str = "asOf.at",
             code: ErrorCode = ErrorCode.INVALID_ARGUMENT) -> str:
    """How the audit log stores time: UTC ISO 8601 with milliseconds (orders as text).

    An instant whose UTC time falls outside years 1 to 9999 (0001-01-01T00:00:00+01:00)
    cannot be represented: an error with `code` naming the argument, not an internal one.
    """
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    try:
        return aware.astimezone(UTC).isoformat(timespec="milliseconds")
    except OverflowError:
        raise ServiceError(
            code, f"`{argument}` must be an instant between 0001-01-01T00:00:00Z and "
            f"9999-12-31T23:59:59Z once converted to UTC (got {aware.isoformat()})",
            argument=argument) from None


@dataclass(frozen=True, slots=True)
class AsOfValue:
    """Which version to read: exactly one of a version number or an instant."""

    version: int | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class VersionInfo:
    version: int
    entry: AuditEntry | None  # None for version 0 (and versions before the log kept them)


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    event: ViolationEvent
    entry: AuditEntry


@dataclass(frozen=True, slots=True)
class ItemDiff:
    id: str
    kind: Kind
    fields: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(slots=True)
class Diff:
    from_version: int
    to_version: int
    added: list[ItemDiff] = field(default_factory=list)
    removed: list[ItemDiff] = field(default_factory=list)
    changed: list[ItemDiff] = field(default_factory=list)
    dependencies_added: list[tuple[str, str]] = field(default_factory=list)
    dependencies_removed: list[tuple[str, str]] = field(default_factory=list)
    violations_opened: list[Violation] = field(default_factory=list)
    violations_closed: list[Violation] = field(default_factory=list)


class HistoryService:
    """History reads over one store and the policy running now; one per process."""

    def __init__(self, store: Store, policy: Policy) -> None:
        self.store = store
        self.policy = policy
        self.fingerprint = policy_fingerprint(policy)
        self.history = store.history
        self._views: Lru[int, PortfolioView] = Lru(8)
        self._events: Lru[int, list[ViolationEvent]] = Lru(20_000)

    # --- versions ---------------------------------------------------------------

    async def current(self) -> int:
        return await self.store.version()

    async def start(self) -> int:
        return await self.history.start()

    async def resolve(self, as_of: AsOfValue, argument: str = "asOf") -> int:
        """The version `as_of` names; INVALID_ARGUMENT naming the problem otherwise."""
        if (as_of.version is None) == (as_of.at is None):
            given = "both" if as_of.version is not None else "neither"
            raise invalid(f"{argument} takes exactly one of version and at (got {given})",
                          argument)
        current = await self.current()
        if as_of.version is not None:
            version = as_of.version
            if version < 0:
                raise invalid(f"{argument}.version must be 0 or more (got {version})", argument)
            if version > current:
                raise invalid(f"{argument}.version {version} is after the current version "
                              f"{current}", argument)
        else:
            assert as_of.at is not None
            version = min(await self.history.version_at(utc_text(as_of.at, f"{argument}.at")),
                          current)
        start = await self.start()
        if version < start:
            raise invalid(f"{argument} names version {version}, before historyStart {start}: "
                          "this store kept no history before it", argument)
        return version

    async def version_info(self, version: int) -> VersionInfo:
        if version == 0:
            return VersionInfo(0, None)
        stored = await self.history.entries(version - 1, version, 1)
        return VersionInfo(version, stored[0].entry if stored else None)

    # --- the portfolio and its violations as of a version ------------------------

    async def portfolio(self, version: int) -> Portfolio:
        try:
            return await self.history.portfolio(version)
        except HistoryUnavailable as exc:
            raise invalid(str(exc), "asOf") from exc

    async def view(self, version: int) -> PortfolioView:
        """The read view of an earlier version (its indexes and evaluation kept with it)."""
        cached = self._views.get(version)
        if cached is None:
            cached = self._views.put(version, PortfolioView(await self.portfolio(version)))
        return cached

    async def violations(self, version: int) -> list[Violation]:
        view = await self.view(version)
        found: list[Violation] = view.derived(
            "violations", lambda: evaluate(view.portfolio, self.policy))
        return found

    # --- violation events -----------------------------------------------------------

    async def events(self, stored: StoredEntry) -> list[ViolationEvent]:
        """The events of one version under the policy running now."""
        version = stored.entry.seq
        cached = self._events.get(version)
        if cached is not None:
            return cached
        if stored.events is not None and stored.policy == self.fingerprint:
            found = [event_from_json(e) for e in stored.events]
        else:  # written under another policy (or without events): replay and evaluate
            found = violation_events(await self.violations(version - 1),
                                     await self.violations(version))
        return self._events.put(version, found)

    async def entries(self, after: int, upto: int) -> list[StoredEntry]:
        """Stored entries of the versions in (after, upto], all of them, oldest first."""
        out: list[StoredEntry] = []
        while after < upto:
            page = await self.history.entries(after, min(upto, after + PAGE), PAGE)
            if not page:
                break
            out += page
            after = page[-1].entry.seq
        return out

    async def violation_history(self, rule: str | None = None, subject_id: str | None = None,
                                since: AsOfValue | None = None, until: AsOfValue | None = None,
                                limit: int = 100) -> list[HistoryEvent]:
        if not 1 <= limit <= MAX_HISTORY_LIMIT:
            raise invalid(f"limit must be between 1 and {MAX_HISTORY_LIMIT} (got {limit})",
                          "limit")
        after = await self.start() if since is None else await self.resolve(since, "since")
        upto = await self.current() if until is None else await self.resolve(until, "until")
        out: list[HistoryEvent] = []
        while after < upto and len(out) < limit:
            page = await self.history.entries(after, min(upto, after + PAGE), PAGE)
            if not page:
                break
            for stored in page:
                for event in await self.events(stored):
                    v = event.violation
                    if (rule is None or v.rule == rule) and (
                            subject_id is None or v.subject_id == subject_id):
                        out.append(HistoryEvent(event, stored.entry))
            after = page[-1].entry.seq
        return out[:limit]

    # --- changes between two versions --------------------------------------------------

    async def diff(self, from_: AsOfValue, to: AsOfValue | None) -> Diff:
        start = await self.resolve(from_, "from")
        end = await self.current() if to is None else await self.resolve(to, "to")
        if start > end:
            raise invalid(f"from (version {start}) is after to (version {end})", "from")
        before_view, after_view = await self.view(start), await self.view(end)
        before, after = before_view.portfolio, after_view.portfolio
        diff = Diff(start, end)
        for kind in Kind:
            old, new = before.collection(kind), after.collection(kind)
            for item_id in old.keys() | new.keys():
                a, b = old.get(item_id), new.get(item_id)
                if a is b:
                    continue
                if a is None:
                    diff.added.append(_item_diff(kind, item_id, None, b))
                elif b is None:
                    diff.removed.append(_item_diff(kind, item_id, a, None))
                elif a != b:
                    diff.changed.append(_item_diff(kind, item_id, a, b))
        for items in (diff.added, diff.removed, diff.changed):
            items.sort(key=lambda d: d.id)
        diff.dependencies_added = sorted(after.dependencies - before.dependencies)
        diff.dependencies_removed = sorted(before.dependencies - after.dependencies)
        old_v = await self.violations(start)
        # The later version's violations from the earlier one's and what differs between
        # them (rules/incremental.py; equal to a full evaluation, cached on its view).
        new_v: list[Violation] = after_view.derived("violations", lambda: evaluate_change(
            before, old_v, after, Touched.between(before, after), self.policy).violations)
        old_keys, new_keys = {v.key for v in old_v}, {v.key for v in new_v}
        diff.violations_opened = [v for v in new_v if v.key not in old_keys]
        diff.violations_closed = [v for v in old_v if v.key not in new_keys]
        return diff


def _item_diff(kind: Kind, item_id: str, before: Item | None, after: Item | None) -> ItemDiff:
    old = None if before is None else item_json(before)
    new = None if after is None else item_json(after)
    if old is None or new is None:
        fields = sorted((old or new or {}).keys())
    else:
        fields = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
    return ItemDiff(item_id, kind, fields, old, new)
