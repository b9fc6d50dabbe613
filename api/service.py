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

from graph.document import (
    Code,
    InputError,
    ParsedDocument,
    reference_error,
    validate_document,
    validate_item,
)
from graph.model import (
    Dependency,
    Epic,
    Item,
    Kind,
    Portfolio,
    Severity,
    kind_of,
)
from graph.store import Actor, AuditRecord, Store
from rules.evaluate import blocking, evaluate, introduced
from rules.graphs import dependents
from rules.impact import ImpactResult, impact
from rules.policy import Policy
from rules.violation import Violation

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
        self._dependents: tuple[int, dict[str, list[str]]] | None = None
        # One change at a time in this process: concurrent changes would only lose
        # the version race to each other after a full evaluation each. The version
        # guard in the write statement still serialises against other processes.
        self._write_lock = asyncio.Lock()
        self.conflicts = 0  # changes retried after another writer moved the version

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

    async def violations(self, severity: Severity | None = None,
                         rule: str | None = None) -> list[Violation]:
        found = self._evaluate(await self.snapshot())
        return [
            v for v in found
            if (severity is None or v.severity == severity) and (rule is None or v.rule == rule)
        ]

    async def impact(self, root_id: str, max_depth: int = 10,
                     slip_to_pi: str | None = None) -> tuple[Portfolio, ImpactResult | None]:
        """Impact on the current snapshot, with the reverse dependency index kept per version."""
        portfolio = await self.snapshot()
        cached = self._dependents
        if cached is None or cached[0] != portfolio.version:
            cached = (portfolio.version, dependents(portfolio.dependencies))
            self._dependents = cached
        result = impact(portfolio, root_id, max_depth, slip_to_pi, dependents_index=cached[1])
        return portfolio, result

    # --- import ---------------------------------------------------------------

    async def import_document(self, raw: Any, actor: Actor) -> ImportOutcome:
        """Validate the whole document, then write it in one statement; never blocked."""
        return await self._until_written(lambda: self._import_once(raw, actor), "the import")

    async def _import_once(self, raw: Any, actor: Actor) -> ImportOutcome | None:
        before = await self.snapshot()
        parsed = validate_document(raw, scale=self.policy.wsjf_scale, existing=_kinds(before))
        if not isinstance(parsed, ParsedDocument):
            return ImportOutcome(applied=False, errors=parsed)
        after = before.copy()
        created: list[str] = []
        updated: list[str] = []
        for item in parsed.all_items():
            (updated if before.get(item.id) is not None else created).append(item.id)
            after.put(item)
        after.dependencies.update((d.from_id, d.to_id) for d in parsed.dependencies)
        audit = AuditRecord(
            operation="importPortfolio", actor=actor.id,
            after={"created": created, "updated": updated},
            item_ids=tuple(created + updated),
        )
        version = await self.store.apply_document(parsed, before.version, audit)
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
                self.conflicts += 1
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
        item = validate_item(kind, data, scale=self.policy.wsjf_scale, existing=_kinds(before))
        if isinstance(item, list):
            return ChangeOutcome(applied=False, errors=item)
        doc = ParsedDocument()
        doc.items[kind].append(item)
        after = before.copy()
        after.put(item)
        operation = "upsertEpic" if kind is Kind.EPIC else "upsertFeature"
        return await self._enforced(
            before, after, doc, actor, dry_run, justification,
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
        doc = ParsedDocument()
        doc.dependencies.append(Dependency.model_validate({"from": from_id, "to": to_id}))
        after = before.copy()
        after.dependencies.add((from_id, to_id))
        return await self._enforced(
            before, after, doc, actor, dry_run, justification,
            AuditRecord(operation="addDependency", actor=actor.id, item_id=from_id,
                        after={"from": from_id, "to": to_id}),
            before.features[from_id],
        )

    async def _enforced(self, before: Portfolio, after: Portfolio, doc: ParsedDocument,
                        actor: Actor, dry_run: bool, justification: str | None,
                        audit: AuditRecord, item: Item) -> ChangeOutcome | None:
        """Check what the change introduces, then write it; None when the version moved."""
        found = evaluate(after, self.policy)
        new = introduced(self._evaluate(before), found)
        blocked = blocking(new)
        if blocked and justification is None:
            return ChangeOutcome(applied=False, item=item, violations=new)
        if dry_run:
            return ChangeOutcome(applied=False, item=item, violations=new)
        if blocked:
            audit = replace(audit, justification=justification)
        version = await self.store.apply_document(doc, before.version, audit)
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
        version = await self.store.remove_dependency(from_id, to_id, before.version, audit)
        if version is None:
            return None
        after = before.copy()
        after.dependencies.discard((from_id, to_id))
        self._adopt(after, version)
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
        version = await self.store.delete_item(item_id, before.version, audit)
        if version is None:
            return None
        self._adopt(_without(before, item), version)
        return ChangeOutcome(applied=True, item=item)


def _kinds(portfolio: Portfolio) -> dict[str, Kind]:
    kinds: dict[str, Kind] = {}
    for kind in Kind:
        kinds.update(dict.fromkeys(portfolio.collection(kind), kind))
    return kinds


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


def _without(portfolio: Portfolio, item: Item) -> Portfolio:
    """The snapshot after deleting `item`: links to it are dropped from other items."""
    after = portfolio.copy()
    kind = kind_of(item)
    del after.collection(kind)[item.id]
    gone = item.id
    if kind is Kind.FEATURE:
        after.dependencies = {d for d in after.dependencies if gone not in d}
    for fid, feature in list(after.features.items()):
        if gone in (feature.epic, feature.team, feature.pi):
            after.features[fid] = feature.model_copy(update={
                "epic": None if feature.epic == gone else feature.epic,
                "team": None if feature.team == gone else feature.team,
                "pi": None if feature.pi == gone else feature.pi,
            })
    for eid, epic in list(after.epics.items()):
        if gone in (epic.value_stream, *epic.themes, *epic.key_results):
            after.epics[eid] = epic.model_copy(update={
                "value_stream": None if epic.value_stream == gone else epic.value_stream,
                "themes": tuple(t for t in epic.themes if t != gone),
                "key_results": tuple(k for k in epic.key_results if k != gone),
            })
    for tid, team in list(after.teams.items()):
        if gone == team.art or gone in team.capacity:
            after.teams[tid] = team.model_copy(update={
                "art": None if team.art == gone else team.art,
                "capacity": {p: c for p, c in team.capacity.items() if p != gone},
            })
    for aid, art in list(after.arts.items()):
        if art.value_stream == gone:
            after.arts[aid] = art.model_copy(update={"value_stream": None})
    for oid, objective in list(after.objectives.items()):
        if gone in objective.themes:
            after.objectives[oid] = objective.model_copy(
                update={"themes": tuple(t for t in objective.themes if t != gone)})
    return after


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
