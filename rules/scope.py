"""What a change touches, and what each rule declares it reads: the base of incremental evaluation.

A rule registered with a `Scope` can be re-run for only the subjects a change
can alter (see `rules.incremental`):

- `reads`: the item kinds (and whether the dependencies) the rule looks at; a
  change touching none of them leaves the rule's violations as they were.
- `subjects`: the subject ids (a violation's `subject_id`) whose violations
  may differ between the snapshots before and after the change, or None when
  the whole rule must run again (e.g. a PI rename reaches every message).
- `slice`: a small portfolio holding everything the rule reads for those
  subjects, on which the rule's own check runs; its violations of the given
  subjects are exactly those of the whole snapshot after the change.

A rule registered without a scope is always re-run whole, so a new rule cannot
be silently wrong; `tests/rules/test_incremental.py` checks every scope
against a full evaluation over random sequences of changes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graph.model import Kind, Portfolio
from rules.violation import Violation

Groups = Mapping[str, tuple[str, ...]]


def pick(collection: Mapping[str, Any], ids: Iterable[str]) -> dict[str, Any]:
    """The items of `collection` with these ids (ids it lacks are skipped)."""
    return {i: collection[i] for i in ids if i in collection}


def members(groups: Groups, keys: Iterable[str]) -> set[str]:
    """The union of the groups of `keys`."""
    out: set[str] = set()
    for key in keys:
        out.update(groups.get(key, ()))
    return out


@dataclass(frozen=True, slots=True)
class Index:
    """Lookups of one snapshot that the scopes need, each id -> the ids grouped under it.

    Built once (`build`) and then carried from snapshot to snapshot by the
    change (`updated`), sharing every group the change leaves alone.
    """

    features_by_team: Groups
    features_by_epic: Groups
    epics_by_value_stream: Groups
    depends_on: Groups
    dependents: Groups

    @classmethod
    def build(cls, portfolio: Portfolio) -> Index:
        by_team: dict[str, list[str]] = {}
        by_epic: dict[str, list[str]] = {}
        for feature in portfolio.features.values():
            if feature.team is not None:
                by_team.setdefault(feature.team, []).append(feature.id)
            if feature.epic is not None:
                by_epic.setdefault(feature.epic, []).append(feature.id)
        by_stream: dict[str, list[str]] = {}
        for epic in portfolio.epics.values():
            if epic.value_stream is not None:
                by_stream.setdefault(epic.value_stream, []).append(epic.id)
        forward: dict[str, list[str]] = {}
        backward: dict[str, list[str]] = {}
        for a, b in portfolio.dependencies:
            forward.setdefault(a, []).append(b)
            backward.setdefault(b, []).append(a)
        return cls(*(_frozen(g) for g in (by_team, by_epic, by_stream, forward, backward)))

    def updated(
        self,
        before: Portfolio,
        after: Portfolio,
        items: Mapping[Kind, Collection[str]],
        added: Collection[tuple[str, str]],
        removed: Collection[tuple[str, str]],
    ) -> Index:
        """The index of `after`, given this one is `before`'s and the change between them."""
        by_team = _Regroup(self.features_by_team)
        by_epic = _Regroup(self.features_by_epic)
        for feature_id in items.get(Kind.FEATURE, ()):
            old = before.features.get(feature_id)
            new = after.features.get(feature_id)
            by_team.move(feature_id, _field(old, "team"), _field(new, "team"))
            by_epic.move(feature_id, _field(old, "epic"), _field(new, "epic"))
        by_stream = _Regroup(self.epics_by_value_stream)
        for epic_id in items.get(Kind.EPIC, ()):
            old_epic = before.epics.get(epic_id)
            new_epic = after.epics.get(epic_id)
            by_stream.move(
                epic_id, _field(old_epic, "value_stream"), _field(new_epic, "value_stream")
            )
        forward = _Regroup(self.depends_on)
        backward = _Regroup(self.dependents)
        for a, b in removed:
            forward.move(b, a, None)
            backward.move(a, b, None)
        for a, b in added:
            forward.move(b, None, a)
            backward.move(a, None, b)
        return Index(by_team.result, by_epic.result, by_stream.result, forward.result,
                     backward.result)


def _field(item: Any, name: str) -> str | None:
    value: str | None = None if item is None else getattr(item, name)
    return value


def _frozen(groups: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {key: tuple(ids) for key, ids in groups.items()}


class _Regroup:
    """Copy-on-write edits of one `Groups`: the first edit copies the outer dict only."""

    def __init__(self, groups: Groups) -> None:
        self.result = groups
        self._copied: dict[str, tuple[str, ...]] | None = None

    def move(self, item_id: str, old: str | None, new: str | None) -> None:
        if old == new:
            return
        if self._copied is None:
            self._copied = dict(self.result)
            self.result = self._copied
        groups = self._copied
        if old is not None:
            kept = tuple(i for i in groups.get(old, ()) if i != item_id)
            if kept:
                groups[old] = kept
            else:
                groups.pop(old, None)
        if new is not None:
            groups[new] = (*groups.get(new, ()), item_id)


@dataclass(frozen=True, slots=True)
class Delta:
    """One change between two snapshots, as the scopes see it.

    `items` names every item (by kind) whose value differs, added or removed
    included (naming more is allowed); `added`/`removed` are the dependencies
    really added/removed; `index` is the index of `after`.
    """

    before: Portfolio
    after: Portfolio
    items: Mapping[Kind, frozenset[str]]
    added: frozenset[tuple[str, str]]
    removed: frozenset[tuple[str, str]]
    index: Index

    def changed(self, kind: Kind) -> frozenset[str]:
        return self.items.get(kind, frozenset())

    def values(self, kind: Kind, field: str) -> set[str]:
        """The values of `field` the changed items of `kind` had before or have after (no None)."""
        out: set[str] = set()
        for portfolio in (self.before, self.after):
            collection = portfolio.collection(kind)
            for item_id in self.changed(kind):
                value = _field(collection.get(item_id), field)
                if value is not None:
                    out.add(value)
        return out


Subjects = Callable[[Delta, Sequence[Violation]], "set[str] | None"]
Slice = Callable[[Delta, set[str]], Portfolio]


@dataclass(frozen=True, slots=True)
class Scope:
    """What a rule reads, and how to re-run it for only the subjects a change touches.

    `subjects(delta, previous)` gets the rule's violations before the change
    (`previous`); None from it, or no `subjects` at all, re-runs the whole rule
    whenever a change touches what it `reads`.
    """

    reads: frozenset[Kind]
    dependencies: bool = False
    subjects: Subjects | None = None
    slice: Slice | None = None

    def touched_by(self, delta: Delta) -> bool:
        if self.dependencies and (delta.added or delta.removed):
            return True
        return any(delta.changed(kind) for kind in self.reads)


def whole_rule(*kinds: Kind, dependencies: bool = False) -> Scope:
    """A rule cheap enough to re-run whole whenever a change touches what it reads."""
    return Scope(frozenset(kinds), dependencies)


def per_item(*kinds: Kind) -> Scope:
    """A rule whose subject is one item of these kinds, judged on that item's own fields only."""

    def subjects(delta: Delta, previous: Sequence[Violation]) -> set[str]:
        return {i for kind in kinds for i in delta.changed(kind)}

    def slice_(delta: Delta, ids: set[str]) -> Portfolio:
        portfolio = Portfolio()
        for kind in kinds:
            portfolio.collection(kind).update(pick(delta.after.collection(kind), ids))
        return portfolio

    return Scope(frozenset(kinds), subjects=subjects, slice=slice_)
