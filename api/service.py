"""The portfolio service: every use case the API and the CLI offer, in one place.

It joins the store (graph) and the rules: validation, guardrail enforcement,
dry runs, overrides, the audit record and the retry when another writer moved
the portfolio version between check and write. No Cypher here.
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from api.errors import ErrorCode, Forbidden, ServiceError
from api.outcomes import ChangeOutcome, ImportOutcome
from api.roles import Actor, Role, has_role
from graph.changes import (
    Change,
    DeleteItem,
    PutDocument,
    RemoveDependency,
    apply,
    changed_ids,
)
from graph.document import (
    Code,
    InputError,
    ParsedDocument,
    reference_error,
    validate_document,
    validate_item,
)
from graph.export import Archive, archive, document, entry_json, parse_archive
from graph.history import ensure_history
from graph.model import (
    Epic,
    Item,
    Kind,
    Portfolio,
    Severity,
    Wsjf,
)
from graph.store import AuditEntry, AuditRecord, Store
from graph.view import FeatureQuery, PortfolioView
from rules import dashboard
from rules import ranking as rules_ranking
from rules.evaluate import blocking, evaluate
from rules.events import policy_fingerprint
from rules.guardrails.capacity import OVERLOAD
from rules.impact import ImpactResult, impact
from rules.incremental import Reevaluation, Touched, evaluate_change, index_of
from rules.policy import Policy
from rules.trace import Trace, Tracer
from rules.violation import Violation
from rules.wsjf import plain_order

if TYPE_CHECKING:
    from api.history import HistoryService

WRITE_ATTEMPTS = 20


class Validate(Protocol):
    """How an import validates its document (validate_document's signature)."""

    def __call__(self, raw: Any, *, scale: Sequence[int],
                 existing: Mapping[str, Kind]) -> ParsedDocument | list[InputError]: ...
T = TypeVar("T")
# Changes another process wrote that are evaluated one by one after a catch-up (each an
# incremental evaluation); more at once, the snapshot is evaluated whole.
INCREMENTAL_REPLAY = 50
# Items of a level that may differ for its plain order to be carried (PortfolioService.
# _plain_order) rather than sorted again: each is an insertion into the list.
CARRIED_ORDER = 1000
# Dependency-respecting orders kept for the next version, newest (level, scope, PI) first.
RESPECTING_ORDERS = 32


def _item_json(item: Item | None) -> Any:
    return None if item is None else item.model_dump(by_alias=True, mode="json")


class PortfolioService:
    """Use cases over one store and one policy; safe to share across requests."""

    def __init__(self, store: Store, policy: Policy) -> None:
        self.store = store
        self.policy = policy
        self._evaluated: tuple[int, list[Violation]] | None = None
        self._view: PortfolioView | None = None
        # The newest plain WSJF order computed per level, with its snapshot: the next
        # version's is carried from it (rules.ranking.carried_order) instead of sorted.
        self._plain_orders: dict[str, tuple[Portfolio, list[tuple[str, Wsjf]]]] = {}
        # The newest dependency-respecting order per (level, scope, PI), with its snapshot:
        # reused by the next version when the change does not move it (_respecting).
        self._respecting_orders: OrderedDict[
            tuple[str, str | None, str | None],
            tuple[Portfolio, list[rules_ranking.RankedEntry]]] = OrderedDict()
        self._orders_lock = threading.Lock()
        # One change at a time in this process: concurrent changes would only lose
        # the version race to each other after a full evaluation each. The version
        # guard in the write statement still serialises against other processes.
        self._write_lock = asyncio.Lock()
        self._fingerprint = policy_fingerprint(policy)
        self.conflicts = 0  # changes retried after another writer moved the version
        self._history: HistoryService | None = None

    @property
    def history(self) -> HistoryService:
        """Reads of earlier versions (api/history.py), sharing this store and policy."""
        if self._history is None:
            from api.history import HistoryService  # builds on this module

            self._history = HistoryService(self.store, self.policy)
        return self._history

    def _reevaluation(self, before: Portfolio, found: Sequence[Violation], after: Portfolio,
                      change: Change) -> Reevaluation:
        """`after`'s evaluation from `before`'s violations `found` and the change: only
        the rules and subjects the change can touch are evaluated again."""
        return evaluate_change(before, found, after, Touched.by(before, after, change),
                               self.policy)

    def _with_events(self, audit: AuditRecord, evaluation: Reevaluation) -> AuditRecord:
        """The audit record with the violation events the change causes, stored with it."""
        events = evaluation.events()
        return replace(audit, events=[e.as_json() for e in events], policy=self._fingerprint)

    # --- reads that need the whole portfolio --------------------------------

    async def snapshot(self) -> Portfolio:
        return await self.store.snapshot()

    def _evaluate(self, portfolio: Portfolio) -> list[Violation]:
        cached = self._evaluated
        if cached is not None and cached[0] == portfolio.version:
            return cached[1]
        result = self._evaluate_fresh(portfolio)
        self._evaluated = (portfolio.version, result)
        return result

    def _evaluate_fresh(self, portfolio: Portfolio) -> list[Violation]:
        """A whole evaluation; but when the store caught `portfolio` up with changes
        another process wrote, from a version evaluated here, change by change
        (rules/incremental.py), as after a change of this process."""
        replayed, cached = self.store.replayed, self._evaluated
        if (replayed is None or replayed.after is not portfolio or cached is None
                or cached[0] != replayed.before.version
                or len(replayed.changes) > INCREMENTAL_REPLAY):
            return evaluate(portfolio, self.policy)
        before, found = replayed.before, cached[1]
        last = len(replayed.changes) - 1
        for n, change in enumerate(replayed.changes):
            # The last step ends on the store's snapshot itself (equal to the apply), so
            # the rules' per-snapshot index carries on to the next catch-up.
            after = portfolio if n == last else apply(before, change)
            found = self._reevaluation(before, found, after, change).violations
            before = after
        return found

    async def view(self) -> PortfolioView:
        """The read view of the current snapshot: one per version, kept beside the snapshot
        (a new version gets a new view, so its indexes never go stale)."""
        portfolio = await self.snapshot()
        cached = self._view
        if cached is None or cached.portfolio is not portfolio:
            cached = self._view = PortfolioView(portfolio)
        return cached

    async def view_at(self, version: int) -> PortfolioView:
        """The read view of `version`: the current one's, or history's for an earlier one."""
        current = await self.view()
        if version == current.version:
            return current
        return await self.history.view(version)

    # Reads computed on a view: pure CPU work on one version, safe to run off the event
    # loop (they only read the view and publish whole values).

    def violations_in(self, view: PortfolioView, severity: Severity | None = None,
                      rule: str | None = None) -> list[Violation]:
        """The view's violations, evaluated once per version (shared with the write path)."""
        cached = self._evaluated
        if cached is not None and cached[0] == view.version:
            found = cached[1]
        else:
            found = view.derived("violations", lambda: self._evaluate_fresh(view.portfolio))
            if cached is None or view.version > cached[0]:  # never an earlier version's
                self._evaluated = (view.version, found)
        return [
            v for v in found
            if (severity is None or v.severity == severity) and (rule is None or v.rule == rule)
        ]

    async def violations(self, severity: Severity | None = None,
                         rule: str | None = None) -> list[Violation]:
        return self.violations_in(await self.view(), severity, rule)

    def violation_counts(self, view: PortfolioView, severity: Severity | None = None,
                         rule: str | None = None) -> dashboard.ViolationCounts:
        """The view's violations (filtered as `violations_in`) counted by rule, severity and
        ART."""
        return dashboard.violation_counts(view.portfolio,
                                          self.violations_in(view, severity, rule))

    def feature_counts(self, view: PortfolioView,
                       query: FeatureQuery) -> list[dashboard.PiFeatureCounts]:
        """The features matching `query`, counted by PI and state."""
        return dashboard.feature_counts(view.portfolio, view.feature_ids(query))

    def team_loads(self, view: PortfolioView, *, pi_id: str | None = None,
                   art: str | None = None) -> list[dashboard.TeamLoad]:
        """Each team's planned load against its capacity per PI (computed once per version,
        with the tolerance of the policy's `capacity.team-overload`), in a PI or a train."""
        tolerance = float(self.policy.settings(OVERLOAD).params["tolerance"])
        rows = view.derived(("team loads", tolerance),
                            lambda: dashboard.team_loads(view.portfolio, tolerance))
        teams = view.portfolio.teams
        return [r for r in rows if (pi_id is None or r.pi == pi_id)
                and (art is None or teams[r.team].art == art)]

    def impact(self, view: PortfolioView, root_id: str, max_depth: int = 10,
               slip_to_pi: str | None = None) -> ImpactResult | None:
        """Impact on the view, walking its per-version reverse dependency index."""
        return impact(view.portfolio, root_id, max_depth, slip_to_pi,
                      dependents_index=view.dependents_index(), tracer=_tracer(view))

    def trace(self, view: PortfolioView, item_id: str) -> Trace | None:
        """The trace of an epic or feature."""
        return _tracer(view).trace(item_id)

    def ranking(self, view: PortfolioView, level: rules_ranking.Level, *,
                scope: str | None = None, pi_id: str | None = None,
                respect_dependencies: bool = False,
                limit: int = 100) -> list[rules_ranking.RankedEntry]:
        """WSJF ranking on the view. The plain order of a level is made once per version
        (carried from the last one made: `_plain_order`); an order that respects
        dependencies is kept per (level, scope, PI) and version."""
        rules_ranking.check_limit(limit)
        ordered = view.derived(("plain order", level), lambda: self._plain_order(view, level))
        if not respect_dependencies:
            return rules_ranking.rank(view.portfolio, level, scope=scope, pi_id=pi_id,
                                      limit=limit, ordered=ordered)
        entries = view.derived(("respecting order", level, scope, pi_id),
                               lambda: self._respecting(view, level, scope, pi_id, ordered))
        return entries[:limit]

    def _respecting(self, view: PortfolioView, level: rules_ranking.Level, scope: str | None,
                    pi_id: str | None, ordered: list[tuple[str, Wsjf]]
                    ) -> list[rules_ranking.RankedEntry]:
        """The dependency-respecting order on the view: the newest one computed for these
        arguments when the change since leaves it as it is (`rules.ranking.same_ranking`),
        else computed."""
        key, portfolio = (level, scope, pi_id), view.portfolio
        with self._orders_lock:  # queries run on several threads (api/offload.py)
            last = self._respecting_orders.get(key)
        if last is not None and rules_ranking.same_ranking(last[0], portfolio):
            entries = last[1]
        else:
            entries = rules_ranking.rank(portfolio, level, scope=scope, pi_id=pi_id,
                                         respect_dependencies=True,
                                         limit=rules_ranking.MAX_LIMIT, ordered=ordered,
                                         index=index_of(portfolio))
        with self._orders_lock:
            newest = self._respecting_orders.get(key)
            if newest is None or newest[0].version <= portfolio.version:
                self._respecting_orders[key] = (portfolio, entries)
                self._respecting_orders.move_to_end(key)
                while len(self._respecting_orders) > RESPECTING_ORDERS:
                    self._respecting_orders.popitem(last=False)
        return entries

    def _plain_order(self, view: PortfolioView,
                     level: rules_ranking.Level) -> list[tuple[str, Wsjf]]:
        """The level's plain order on the view: carried from the newest one computed when
        few items of the level differ between the two snapshots, else sorted."""
        portfolio, last = view.portfolio, self._plain_orders.get(level)
        ordered = None
        if last is not None:
            touched = changed_ids(last[0], portfolio,
                                  Kind.EPIC if level == "EPIC" else Kind.FEATURE)
            if len(touched) <= CARRIED_ORDER:
                ordered = rules_ranking.carried_order(last[1], portfolio, level, touched)
        if ordered is None:
            ordered = plain_order(rules_ranking.candidates(portfolio, level))
        if last is None or last[0].version <= portfolio.version:
            self._plain_orders[level] = (portfolio, ordered)
        return ordered

    async def audit_log(self, *, item_id: str | None = None, actor: str | None = None,
                        since: str | None = None, before_seq: int | None = None,
                        limit: int = 100) -> list[AuditEntry]:
        """Audit entries, newest first (read from the engine: the log is not in the view)."""
        return await self.store.audit_log(item_id=item_id, actor=actor, since=since,
                                          before_seq=before_seq, limit=limit)

    # --- import ---------------------------------------------------------------

    async def import_document(self, raw: Any, actor: Actor, *,
                              validate: Validate = validate_document) -> ImportOutcome:
        """Validate the whole document, then write it in one statement; never blocked.
        `validate` may name errors by another path (a converted export: its rows)."""
        return await self._until_written(lambda: self._import_once(raw, actor, validate),
                                         "the import")

    async def _import_once(self, raw: Any, actor: Actor,
                           validate: Validate) -> ImportOutcome | None:
        before = await self.snapshot()
        # Validating a large document is seconds of CPU work: off the server's loop, which
        # keeps answering meanwhile (so are the apply and the evaluation: _write_evaluated).
        parsed = await asyncio.to_thread(
            lambda: validate(raw, scale=self.policy.wsjf_scale, existing=before.kinds()))
        if not isinstance(parsed, ParsedDocument):
            return ImportOutcome(applied=False, errors=parsed)
        change = parsed.change()
        created: list[str] = []
        updated: list[str] = []
        for item in change.items:
            (updated if before.get(item.id) is not None else created).append(item.id)
        audit = AuditRecord(
            operation="importPortfolio", actor=actor.id,
            after={"created": created, "updated": updated},
            item_ids=tuple(created + updated),
        )
        found = await self._write_evaluated(before, change, audit)
        if found is None:
            return None
        return ImportOutcome(applied=True, created=created, updated=updated, violations=found)

    # --- export and the archive's import --------------------------------------------

    async def export(self, *, with_audit: bool = False,
                     exported_at: str | None = None) -> dict[str, Any]:
        """The portfolio as an import document, or with `with_audit` the archive that also
        carries the audit log up to the same version (graph/export.py)."""
        portfolio = await self.snapshot()
        if not with_audit:
            return document(portfolio)
        entries = await self.store.audit_entries_upto(portfolio.version)
        return archive(portfolio, [entry_json(
            id=e.id, seq=e.seq, at=e.at, actor=e.actor, operation=e.operation,
            item_id=e.item_id, item_ids=e.item_ids, justification=e.justification,
            before=e.before, after=e.after) for e in entries],
            exported_at or datetime.now(UTC).isoformat(timespec="milliseconds"))

    async def import_archive(self, raw: Any, actor: Actor) -> ImportOutcome:
        """Import an export archive into an EMPTY store, audit log included, all or nothing:
        two histories are never interleaved, so a store that holds anything refuses."""
        parsed = parse_archive(raw)
        if isinstance(parsed, list):
            return ImportOutcome(applied=False, errors=parsed)
        return await self._until_written(lambda: self._import_archive_once(parsed, actor),
                                         "the import")

    async def _import_archive_once(self, archived: Archive,
                                   actor: Actor) -> ImportOutcome | None:
        before = await self.snapshot()
        items = sum(len(before.collection(kind)) for kind in Kind)
        if before.version or items or await self.store.audit_log(limit=1):
            return ImportOutcome(applied=False, errors=[InputError(
                "", f"an archive imports into an empty store only; this one is at version "
                f"{before.version} with {items} items: use a new data dir or database",
                "NOT_EMPTY")])
        doc = validate_document(archived.portfolio, scale=self.policy.wsjf_scale)
        if not isinstance(doc, ParsedDocument):
            return ImportOutcome(applied=False, errors=[
                replace(e, path=f"portfolio.{e.path}" if e.path else "portfolio") for e in doc])
        change = doc.change()
        after = apply(Portfolio(), change)
        created = list(change.item_ids())
        audit = AuditRecord(
            operation="importPortfolio", actor=actor.id,
            justification=(f"import of an export archive taken at {archived.exported_at} "
                           f"at version {archived.portfolio_version}, with "
                           f"{len(archived.audit_log)} audit entries"),
            after={"created": created, "updated": []}, item_ids=tuple(created),
        )
        entries = [AuditRecord(
            id=e.id, at=e.at, actor=e.actor, operation=e.operation, item_id=e.item_id,
            item_ids=e.item_ids, justification=e.justification, before=e.before, after=e.after,
        ) for e in archived.audit_log]
        version = await self.store.restore_archive(
            change, entries, [e.seq for e in archived.audit_log], archived.portfolio_version,
            before.version, audit)
        if version is None:
            return None
        # The archived entries carry no changes: history starts at this version.
        await ensure_history(self.store)
        self._adopt(after, version)
        return ImportOutcome(applied=True, created=created, violations=self._evaluate(after))

    async def _until_written(self, attempt: Callable[[], Awaitable[T | None]],
                             what: str = "it") -> T:
        """Run a change's check-and-write one at a time in this process, again while
        another process moves the version under it (`attempt` then returns None)."""
        async with self._write_lock:
            for _ in range(WRITE_ATTEMPTS):
                outcome = await attempt()
                if outcome is not None:
                    return outcome
                self.conflicts += 1
                await _backoff()
        raise ServiceError(ErrorCode.CONFLICT,
                           f"the portfolio kept changing; try {what} again")

    def _adopt(self, after: Portfolio, version: int) -> None:
        """`after` is the portfolio at the version this process just wrote: cache it."""
        after.version = version
        self.store.remember(after)

    # --- enforced changes -------------------------------------------------------

    async def upsert(self, kind: Kind, raw: Mapping[str, Any], actor: Actor, *,
                     dry_run: bool = False, justification: str | None = None) -> ChangeOutcome:
        """Replace (or create) one epic or feature, enforcing the guardrails."""
        assert kind in (Kind.EPIC, Kind.FEATURE)
        _check_override(actor, justification)
        return await self._until_written(
            lambda: self._upsert_once(kind, raw, actor, dry_run, justification))

    async def _upsert_once(self, kind: Kind, raw: Mapping[str, Any], actor: Actor,
                           dry_run: bool, justification: str | None) -> ChangeOutcome | None:
        before = await self.snapshot()
        data = dict(raw)
        existing = before.get(str(data.get("id")))
        if kind is Kind.EPIC:
            data = self._approval(data, existing, actor)
        source = getattr(existing, "source", None)
        if data.get("source") is None and source is not None:
            # Where an imported item came from stays true when it is edited here.
            data["source"] = source.model_dump(by_alias=True, mode="json")
        item = validate_item(kind, data, scale=self.policy.wsjf_scale, existing=before.kinds())
        if isinstance(item, list):
            return ChangeOutcome(applied=False, errors=item)
        change = PutDocument(items=(item,))
        operation = "upsertEpic" if kind is Kind.EPIC else "upsertFeature"
        return await self._enforced(
            before, change, actor, dry_run, justification,
            AuditRecord(operation=operation, actor=actor.id, item_id=item.id,
                        before=_item_json(existing), after=_item_json(item)),
            item,
        )

    def _approval(self, data: dict[str, Any], existing: Item | None,
                  actor: Actor) -> dict[str, Any]:
        current = existing.approved if isinstance(existing, Epic) else False
        wanted = data.get("approved")
        if wanted is None:
            data["approved"] = current
        elif wanted != current and not has_role(actor, Role.PORTFOLIO):
            raise Forbidden("changing an epic's approval needs the portfolio role")
        return data

    async def add_dependency(self, from_id: str, to_id: str, actor: Actor, *,
                             dry_run: bool = False,
                             justification: str | None = None) -> ChangeOutcome:
        _check_override(actor, justification)
        return await self._until_written(
            lambda: self._add_dependency_once(from_id, to_id, actor, dry_run, justification))

    async def _add_dependency_once(self, from_id: str, to_id: str, actor: Actor, dry_run: bool,
                                   justification: str | None) -> ChangeOutcome | None:
        before = await self.snapshot()
        errors = _dependency_errors(before, from_id, to_id)
        if errors:
            return ChangeOutcome(applied=False, errors=errors)
        return await self._enforced(
            before, PutDocument(dependencies=((from_id, to_id),)), actor, dry_run, justification,
            AuditRecord(operation="addDependency", actor=actor.id, item_id=from_id,
                        after={"from": from_id, "to": to_id}),
            before.features[from_id],
        )

    async def _enforced(self, before: Portfolio, change: PutDocument,
                        actor: Actor, dry_run: bool, justification: str | None,
                        audit: AuditRecord, item: Item) -> ChangeOutcome | None:
        """Check what the change introduces, then write it; None when the version moved.

        The check (the change applied in memory, the guardrails it can touch, the
        violation events) runs in a worker thread: the server's loop goes on answering."""
        after, found, new, written = await asyncio.to_thread(
            self._checked, before, change, dry_run, justification, audit)
        if written is None:
            return ChangeOutcome(applied=False, item=item, violations=new)
        version = await self.store.write(change, before.version, written)
        if version is None:
            return None
        self._adopt(after, version)
        self._evaluated = (version, found)  # the next change's `before`, already evaluated
        return ChangeOutcome(applied=True, item=item, violations=new)

    def _checked(self, before: Portfolio, change: PutDocument, dry_run: bool,
                 justification: str | None, audit: AuditRecord
                 ) -> tuple[Portfolio, list[Violation], list[Violation], AuditRecord | None]:
        """The portfolio after `change`, its violations, those the change introduces, and
        the audit record to write with it: None for a dry run or a change its new
        violations block without a justification (nothing is written, no events)."""
        after = apply(before, change)
        evaluation = self._reevaluation(before, self._evaluate(before), after, change)
        found, new = evaluation.violations, evaluation.introduced()
        blocked = bool(blocking(new))
        if (blocked and justification is None) or dry_run:
            return after, found, new, None
        if blocked:
            audit = replace(audit, justification=justification)
        return after, found, new, self._with_events(audit, evaluation)

    # --- unenforced changes ----------------------------------------------------

    async def _write_evaluated(self, before: Portfolio, change: Change,
                               audit: AuditRecord) -> list[Violation] | None:
        """Write a change the guardrails do not decide on (an import, a removal, a delete)
        with its violation events (history needs them): the violations after it, or None
        when another writer moved the version (nothing written)."""
        def check() -> tuple[Portfolio, list[Violation], AuditRecord]:
            after = apply(before, change)
            evaluation = self._reevaluation(before, self._evaluate(before), after, change)
            return after, evaluation.violations, self._with_events(audit, evaluation)

        after, found, audit = await asyncio.to_thread(check)  # off the server's loop
        version = await self.store.write(change, before.version, audit)
        if version is None:
            return None
        self._adopt(after, version)
        self._evaluated = (version, found)
        return found

    async def remove_dependency(self, from_id: str, to_id: str, actor: Actor) -> ChangeOutcome:
        return await self._until_written(
            lambda: self._remove_dependency_once(from_id, to_id, actor))

    async def _remove_dependency_once(self, from_id: str, to_id: str,
                                      actor: Actor) -> ChangeOutcome | None:
        before = await self.snapshot()
        if (from_id, to_id) not in before.dependencies:
            return ChangeOutcome(applied=False, errors=[InputError(
                "to", f"'{from_id}' does not depend on '{to_id}'", Code.NOT_FOUND)])
        audit = AuditRecord(operation="removeDependency", actor=actor.id, item_id=from_id,
                            before={"from": from_id, "to": to_id})
        change = RemoveDependency(from_id, to_id)
        if await self._write_evaluated(before, change, audit) is None:
            return None
        return ChangeOutcome(applied=True, item=before.features.get(from_id))

    async def delete_item(self, item_id: str, actor: Actor) -> ChangeOutcome:
        """Remove an item and its links; features of a deleted parent keep existing."""
        return await self._until_written(lambda: self._delete_item_once(item_id, actor))

    async def _delete_item_once(self, item_id: str, actor: Actor) -> ChangeOutcome | None:
        before = await self.snapshot()
        item = before.get(item_id)
        if item is None:
            return ChangeOutcome(applied=False, errors=[InputError(
                "id", f"no portfolio item with id '{item_id}'", Code.NOT_FOUND)])
        users = _key_results_of(before, item_id)
        if users:
            return ChangeOutcome(applied=False, item=item, errors=[InputError(
                "id", f"objective '{item_id}' still has key results: {', '.join(users)}",
                Code.IN_USE)])
        audit = AuditRecord(operation="deleteItem", actor=actor.id, item_id=item_id,
                            before=_item_json(item))
        change = DeleteItem(item_id)
        if await self._write_evaluated(before, change, audit) is None:
            return None
        return ChangeOutcome(applied=True, item=item)


def _check_override(actor: Actor, justification: str | None) -> None:
    if justification is not None:
        if not justification.strip():
            raise ServiceError(ErrorCode.BAD_USER_INPUT,
                               "an override needs a non-empty justification")
        if not has_role(actor, Role.PORTFOLIO):
            raise Forbidden("overriding a guardrail needs the portfolio role")


def _dependency_errors(portfolio: Portfolio, from_id: str, to_id: str) -> list[InputError]:
    errors = [error for path, ref in (("from", from_id), ("to", to_id))
              if (error := reference_error(path, ref, Kind.FEATURE,
                                           portfolio.kind_of_id(ref))) is not None]
    if from_id == to_id:
        errors.append(InputError("to", f"'{from_id}' cannot depend on itself",
                                 Code.SELF_DEPENDENCY))
    return errors


def _key_results_of(portfolio: Portfolio, item_id: str) -> list[str]:
    if item_id not in portfolio.objectives:
        return []
    return sorted(k.id for k in portfolio.key_results.values() if k.objective == item_id)


async def _backoff() -> None:
    await asyncio.sleep(random.uniform(0.001, 0.01))


def _tracer(view: PortfolioView) -> Tracer:
    """The view's tracer: each epic's reach is walked once per version (traces, impacts)."""
    return view.derived("tracer", lambda: Tracer(view.portfolio))


__all__: Sequence[str] = ("PortfolioService",)
