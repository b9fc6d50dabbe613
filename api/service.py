"""The portfolio service: every use case the API and the CLI offer, in one place.

It joins the store (graph) and the rules: validation, guardrail enforcement,
dry runs, overrides, the audit record and the retry when another writer moved
the portfolio version between check and write. No Cypher here.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from graph.changes import DeleteItem, PutDocument, RemoveDependency, apply
from graph.document import (
    Code,
    InputError,
    ParsedDocument,
    reference_error,
    validate_document,
    validate_item,
)
from graph.model import (
    Epic,
    Item,
    Kind,
    Portfolio,
    Severity,
)
from graph.store import Actor, AuditEntry, AuditRecord, Store
from graph.view import PortfolioView
from rules import ranking as rules_ranking
from rules.evaluate import blocking, evaluate, introduced
from rules.impact import ImpactResult, impact
from rules.policy import Policy
from rules.trace import Trace, Tracer
from rules.violation import Violation
from rules.wsjf import plain_order

WRITE_ATTEMPTS = 20
T = TypeVar("T")


class ServiceError(Exception):
    """An expected failure the API turns into a GraphQL error with `code`."""

    def __init__(self, code: str, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extensions = extensions


class Forbidden(ServiceError):
    def __init__(self, message: str) -> None:
        super().__init__("FORBIDDEN", message)


ROLE_ORDER = ("viewer", "editor", "portfolio", "admin")


def has_role(actor: Actor, role: str) -> bool:
    """Roles nest: admin > portfolio > editor > viewer."""
    want = ROLE_ORDER.index(role)
    return any(r in ROLE_ORDER and ROLE_ORDER.index(r) >= want for r in actor.roles)


@dataclass(slots=True)
class ImportOutcome:
    applied: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)


@dataclass(slots=True)
class ChangeOutcome:
    applied: bool
    item: Item | None = None
    errors: list[InputError] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)


def _item_json(item: Item | None) -> Any:
    return None if item is None else item.model_dump(by_alias=True, mode="json")


class PortfolioService:
    """Use cases over one store and one policy; safe to share across requests."""

    def __init__(self, store: Store, policy: Policy) -> None:
        self.store = store
        self.policy = policy
        self._evaluated: tuple[int, list[Violation]] | None = None
        self._view: PortfolioView | None = None
        # One change at a time in this process: concurrent changes would only lose
        # the version race to each other after a full evaluation each. The version
        # guard in the write statement still serialises against other processes.
        self._write_lock = asyncio.Lock()

    # --- reads that need the whole portfolio --------------------------------

    async def snapshot(self) -> Portfolio:
        return await self.store.snapshot()

    def _evaluate(self, portfolio: Portfolio) -> list[Violation]:
        cached = self._evaluated
        if cached is not None and cached[0] == portfolio.version:
            return cached[1]
        result = evaluate(portfolio, self.policy)
        self._evaluated = (portfolio.version, result)
        return result

    async def view(self) -> PortfolioView:
        """The read view of the current snapshot: one per version, kept beside the snapshot
        (a new version gets a new view, so its indexes never go stale)."""
        portfolio = await self.snapshot()
        cached = self._view
        if cached is None or cached.portfolio is not portfolio:
            cached = self._view = PortfolioView(portfolio)
        return cached

    # Reads computed on a view: pure CPU work on one version, safe to run off the event
    # loop (they only read the view and publish whole values).

    def violations_in(self, view: PortfolioView, severity: Severity | None = None,
                      rule: str | None = None) -> list[Violation]:
        """The view's violations, evaluated once per version (shared with the write path)."""
        cached = self._evaluated
        if cached is None or cached[0] != view.version:
            found = view.derived("violations", lambda: evaluate(view.portfolio, self.policy))
            cached = self._evaluated = (view.version, found)
        return [
            v for v in cached[1]
            if (severity is None or v.severity == severity) and (rule is None or v.rule == rule)
        ]

    async def violations(self, severity: Severity | None = None,
                         rule: str | None = None) -> list[Violation]:
        return self.violations_in(await self.view(), severity, rule)

    def impact(self, view: PortfolioView, root_id: str, max_depth: int = 10,
               slip_to_pi: str | None = None) -> ImpactResult | None:
        """Impact on the view, walking its per-version reverse dependency index."""
        return impact(view.portfolio, root_id, max_depth, slip_to_pi,
                      dependents_index=view.dependents_index())

    def trace(self, view: PortfolioView, item_id: str) -> Trace | None:
        """The trace of an epic or feature; each epic's reach is walked once per version."""
        return view.derived("tracer", lambda: Tracer(view.portfolio)).trace(item_id)

    def ranking(self, view: PortfolioView, level: rules_ranking.Level, *,
                scope: str | None = None, pi_id: str | None = None,
                respect_dependencies: bool = False,
                limit: int = 100) -> list[rules_ranking.RankedEntry]:
        """WSJF ranking on the view. The plain order of a level is sorted once per version;
        an order that respects dependencies is kept per (level, scope, PI) and version."""
        rules_ranking.check_limit(limit)
        ordered = view.derived(("plain order", level), lambda: plain_order(
            rules_ranking.candidates(view.portfolio, level)))
        if not respect_dependencies:
            return rules_ranking.rank(view.portfolio, level, scope=scope, pi_id=pi_id,
                                      limit=limit, ordered=ordered)
        entries = view.derived(
            ("respecting order", level, scope, pi_id),
            lambda: rules_ranking.rank(view.portfolio, level, scope=scope, pi_id=pi_id,
                                       respect_dependencies=True,
                                       limit=rules_ranking.MAX_LIMIT, ordered=ordered))
        return entries[:limit]

    async def audit_log(self, *, item_id: str | None = None, actor: str | None = None,
                        since: str | None = None, before_seq: int | None = None,
                        limit: int = 100) -> list[AuditEntry]:
        """Audit entries, newest first (read from the engine: the log is not in the view)."""
        return await self.store.audit_log(item_id=item_id, actor=actor, since=since,
                                          before_seq=before_seq, limit=limit)

    # --- import ---------------------------------------------------------------

    async def import_document(self, raw: Any, actor: Actor) -> ImportOutcome:
        """Validate the whole document, then write it in one statement; never blocked."""
        return await self._until_written(lambda: self._import_once(raw, actor), "the import")

    async def _import_once(self, raw: Any, actor: Actor) -> ImportOutcome | None:
        before = await self.snapshot()
        parsed = validate_document(raw, scale=self.policy.wsjf_scale, existing=before.kinds())
        if not isinstance(parsed, ParsedDocument):
            return ImportOutcome(applied=False, errors=parsed)
        change = parsed.change()
        after = apply(before, change)
        created: list[str] = []
        updated: list[str] = []
        for item in change.items:
            (updated if before.get(item.id) is not None else created).append(item.id)
        audit = AuditRecord(
            operation="importPortfolio", actor=actor.id,
            after={"created": created, "updated": updated},
            item_ids=tuple(created + updated),
        )
        version = await self.store.write(change, before.version, audit)
        if version is None:
            return None
        self._adopt(after, version)
        return ImportOutcome(applied=True, created=created, updated=updated,
                             violations=self._evaluate(after))

    async def _until_written(self, attempt: Callable[[], Awaitable[T | None]],
                             what: str = "it") -> T:
        """Run a change's check-and-write one at a time in this process, again while
        another process moves the version under it (`attempt` then returns None)."""
        async with self._write_lock:
            for _ in range(WRITE_ATTEMPTS):
                outcome = await attempt()
                if outcome is not None:
                    return outcome
                await _backoff()
        raise ServiceError("CONFLICT", f"the portfolio kept changing; try {what} again")

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
        elif wanted != current and not has_role(actor, "portfolio"):
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
        """Check what the change introduces, then write it; None when the version moved."""
        after = apply(before, change)
        found = evaluate(after, self.policy)
        new = introduced(self._evaluate(before), found)
        blocked = blocking(new)
        if blocked and justification is None:
            return ChangeOutcome(applied=False, item=item, violations=new)
        if dry_run:
            return ChangeOutcome(applied=False, item=item, violations=new)
        if blocked:
            audit = replace(audit, justification=justification)
        version = await self.store.write(change, before.version, audit)
        if version is None:
            return None
        self._adopt(after, version)
        self._evaluated = (version, found)  # the next change's `before`, already evaluated
        return ChangeOutcome(applied=True, item=item, violations=new)

    # --- unenforced changes ----------------------------------------------------

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
        version = await self.store.write(change, before.version, audit)
        if version is None:
            return None
        self._adopt(apply(before, change), version)
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
        version = await self.store.write(change, before.version, audit)
        if version is None:
            return None
        self._adopt(apply(before, change), version)
        return ChangeOutcome(applied=True, item=item)


def _check_override(actor: Actor, justification: str | None) -> None:
    if justification is not None:
        if not justification.strip():
            raise ServiceError("BAD_USER_INPUT", "an override needs a non-empty justification")
        if not has_role(actor, "portfolio"):
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


__all__: Sequence[str] = (
    "ChangeOutcome",
    "Forbidden",
    "ImportOutcome",
    "PortfolioService",
    "ServiceError",
    "has_role",
)
