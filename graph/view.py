"""One portfolio version, indexed for reading: what every GraphQL read resolves from.

A `PortfolioView` wraps the whole-portfolio snapshot of one version and keeps
the indexes a read needs: children by parent for every link field (derived
from `LINKS`, never written out by hand), dependencies both ways, PIs by start
date, the themes each epic and feature reaches, the browsing filters and
sorted ids for keyset paging. Each index is built on first use and kept for
the life of the view, which is the life of its version: a new version gets a
new view, so no index is ever stale and none needs a timer.

Pure: imports only the model. Values it returns are shared; never mutate them.
Building an index from several threads at once is harmless (each builds the
same value; the last one kept wins).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from graph.keyset import Bound, Key, Order, Page, Sort, SortField, SortValue, window
from graph.model import (
    LINKS,
    EpicState,
    FeatureState,
    Horizon,
    Item,
    Kind,
    LinkField,
    Portfolio,
    ProgramIncrement,
    WorkType,
)

T = TypeVar("T")
_LINK: dict[tuple[Kind, str], LinkField] = {(link.kind, link.field): link for link in LINKS}
_NONE: tuple[str, ...] = ()


def link_field(kind: Kind, field: str) -> LinkField:
    """The link field `field` of items of `kind` (KeyError when it is not a link)."""
    return _LINK[(kind, field)]


@dataclass(frozen=True, slots=True)
class FeatureQuery:
    """A feature page's filter (see the contract, "Browsing"): every given field must hold.

    `art` and `value_stream` are those of the feature's team; `aligned` means the
    feature's epic reaches a theme; `search` is a case-insensitive substring of
    the id or the name.
    """

    states: frozenset[FeatureState] | None = None
    type: WorkType | None = None
    epic: str | None = None
    team: str | None = None
    art: str | None = None
    value_stream: str | None = None
    pi: str | None = None
    search: str | None = None
    aligned: bool | None = None


@dataclass(frozen=True, slots=True)
class EpicQuery:
    """An epic page's filter; `theme` matches the themes of the epic's trace."""

    states: frozenset[EpicState] | None = None
    type: WorkType | None = None
    value_stream: str | None = None
    theme: str | None = None
    horizon: Horizon | None = None
    search: str | None = None
    aligned: bool | None = None


# A browsing index: value -> the ids holding it, in id order.
Index = dict[Any, list[str]]


class PortfolioView:
    """The snapshot of one version with lazily built, immutable read indexes."""

    __slots__ = ("_memo", "portfolio")

    def __init__(self, portfolio: Portfolio) -> None:
        self.portfolio = portfolio
        self._memo: dict[Any, Any] = {}

    @property
    def version(self) -> int:
        return self.portfolio.version

    def derived(self, key: Any, build: Callable[[], T]) -> T:
        """A value computed from this version once (`build()` on first ask), e.g. a ranking
        order or a tracer: callers outside graph/ cache their own derivations here, so
        they follow the version like every index."""
        memo = self._memo
        try:
            return memo[key]  # type: ignore[no-any-return]  # the caller's key fixes its type
        except KeyError:
            value = memo[key] = build()
            return value

    # --- items ------------------------------------------------------------------

    def get(self, kind: Kind, item_id: str | None) -> Any:
        """The item of `kind` with this id, or None."""
        return None if item_id is None else self.portfolio.collection(kind).get(item_id)

    def items(self, kind: Kind, ids: Iterable[str]) -> list[Any]:
        """Items of `kind` in the order of `ids`, skipping ids that are not of that kind."""
        collection = self.portfolio.collection(kind)
        return [item for item in map(collection.get, ids) if item is not None]

    def find(self, item_id: str) -> Item | None:
        """Any item by id, whatever its kind."""
        return self.portfolio.get(item_id)

    def ids(self, kind: Kind) -> list[str]:
        """Every id of `kind`, in id order."""
        return self.derived(("ids", kind), lambda: sorted(self.portfolio.collection(kind)))

    def pis_by_start(self) -> list[ProgramIncrement]:
        """Every PI by start date, then id."""
        return self.derived("pis_by_start", lambda: sorted(
            self.portfolio.pis.values(), key=lambda pi: (pi.start, pi.id)))

    # --- links ------------------------------------------------------------------

    def children(self, link: LinkField, parent_id: str) -> Sequence[str]:
        """Ids of the items whose `link` names `parent_id`, in id order."""
        return self.derived(("children", link), lambda: self._reverse(link)).get(
            parent_id, _NONE)

    def _reverse(self, link: LinkField) -> dict[str, tuple[str, ...]]:
        collection = self.portfolio.collection(link.kind)
        groups: dict[str, list[str]] = {}
        for item_id in self.ids(link.kind):  # in id order, so every group is too
            for target in link.ids(collection[item_id]):
                groups.setdefault(target, []).append(item_id)
        return {target: tuple(ids) for target, ids in groups.items()}

    def depends_on(self, feature_id: str) -> Sequence[str]:
        """Features `feature_id` depends on, in id order."""
        return self._dependencies()[0].get(feature_id, _NONE)

    def dependents(self, feature_id: str) -> Sequence[str]:
        """Features that depend on `feature_id`, in id order."""
        return self._dependencies()[1].get(feature_id, _NONE)

    def dependents_index(self) -> dict[str, tuple[str, ...]]:
        """B -> the features that depend on B (what impact walks)."""
        return self._dependencies()[1]

    def _dependencies(self) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
        def build() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
            out: dict[str, list[str]] = {}
            into: dict[str, list[str]] = {}
            for a, b in self.portfolio.dependencies:  # each group sorted below: cheaper
                out.setdefault(a, []).append(b)      # than sorting all the pairs first
                into.setdefault(b, []).append(a)
            return ({k: tuple(sorted(v)) for k, v in sorted(out.items())},
                    {k: tuple(sorted(v)) for k, v in sorted(into.items())})

        return self.derived("dependencies", build)

    # --- strategy: what each epic and feature reaches -----------------------------

    def epic_themes(self, epic_id: str | None) -> Sequence[str]:
        """Themes an epic's trace reaches (its own, and its key results' objectives'), by id."""
        return _NONE if epic_id is None else self._epic_themes().get(epic_id, _NONE)

    def _epic_themes(self) -> dict[str, tuple[str, ...]]:
        def build() -> dict[str, tuple[str, ...]]:
            p = self.portfolio
            out: dict[str, tuple[str, ...]] = {}
            for epic in p.epics.values():
                themes = set(epic.themes)
                for kr_id in epic.key_results:
                    kr = p.key_results.get(kr_id)
                    objective = None if kr is None else p.objectives.get(kr.objective)
                    if objective is not None:
                        themes.update(objective.themes)
                out[epic.id] = tuple(sorted(themes))
            return out

        return self.derived("epic_themes", build)

    def theme_epics(self, theme_id: str) -> Sequence[str]:
        """Epics whose trace reaches the theme, in id order."""
        return self._epic_index()["theme"].get(theme_id, _NONE)

    def theme_features(self, theme_id: str) -> Sequence[str]:
        """Features whose trace (through their epic) reaches the theme, in id order."""
        return self._feature_index()["theme"].get(theme_id, _NONE)

    # --- browsing -------------------------------------------------------------------

    def feature_page(self, query: FeatureQuery, first: int | None, after: str | Bound | None,
                     *, last: int | None = None, before: str | Bound | None = None,
                     sort: Sort | None = None) -> Page:
        """Features matching `query` between the cursors (`after`, `before`: ids in id
        order, else `Bound`s), the `first` or the `last` of them, in id order or `sort`'s."""
        return self._page(Kind.FEATURE, self._feature_conditions(query), first, after,
                          last, before, sort)

    def feature_ids(self, query: FeatureQuery) -> list[str]:
        """Every feature matching `query`, in id order."""
        return self._matches(Kind.FEATURE, self._feature_conditions(query))

    def _feature_conditions(self, query: FeatureQuery) -> list[_Condition]:
        index = self._feature_index()
        p = self.portfolio
        features = p.features

        def team_art(fid: str) -> str | None:
            team = p.teams.get(features[fid].team or "")
            return None if team is None else team.art

        def team_stream(fid: str) -> str | None:
            art = p.arts.get(team_art(fid) or "")
            return None if art is None else art.value_stream

        conditions = [
            _Condition([((name, value), index[name].get(value, []))], test)
            for name, value, test in (
                ("type", query.type, lambda i: features[i].type == query.type),
                ("epic", query.epic, lambda i: features[i].epic == query.epic),
                ("team", query.team, lambda i: features[i].team == query.team),
                ("art", query.art, lambda i: team_art(i) == query.art),
                ("value_stream", query.value_stream,
                 lambda i: team_stream(i) == query.value_stream),
                ("pi", query.pi, lambda i: features[i].pi == query.pi),
                ("aligned", query.aligned,
                 lambda i: bool(self.epic_themes(features[i].epic)) == query.aligned),
            ) if value is not None]
        if query.states is not None:
            states = query.states
            conditions.append(_Condition(
                [(("state", s), index["state"].get(s, [])) for s in sorted(states)],
                lambda i: features[i].state in states))
        if query.search is not None:
            conditions.append(_Condition(None, self._search("features", query.search)))
        return conditions

    def epic_page(self, query: EpicQuery, first: int | None, after: str | Bound | None,
                  *, last: int | None = None, before: str | Bound | None = None,
                  sort: Sort | None = None) -> Page:
        """Epics matching `query` between the cursors, as `feature_page`."""
        return self._page(Kind.EPIC, self._epic_conditions(query), first, after, last, before,
                          sort)

    def _epic_conditions(self, query: EpicQuery) -> list[_Condition]:
        index = self._epic_index()
        epics = self.portfolio.epics
        conditions = [
            _Condition([((name, value), index[name].get(value, []))], test)
            for name, value, test in (
                ("type", query.type, lambda i: epics[i].type == query.type),
                ("value_stream", query.value_stream,
                 lambda i: epics[i].value_stream == query.value_stream),
                ("theme", query.theme, lambda i: query.theme in self.epic_themes(i)),
                ("horizon", query.horizon, lambda i: epics[i].horizon == query.horizon),
                ("aligned", query.aligned,
                 lambda i: bool(self.epic_themes(i)) == query.aligned),
            ) if value is not None]
        if query.states is not None:
            states = query.states
            conditions.append(_Condition(
                [(("state", s), index["state"].get(s, [])) for s in sorted(states)],
                lambda i: epics[i].state in states))
        if query.search is not None:
            conditions.append(_Condition(None, self._search("epics", query.search)))
        return conditions

    # --- orderings ------------------------------------------------------------------

    def order(self, kind: Kind, sort: Sort) -> Order:
        """Every epic or feature in `sort`'s order, built once per version."""
        return self.derived(("order", kind, sort),
                            lambda: Order(self.sort_values(kind, sort.field), sort.descending))

    def sort_values(self, kind: Kind, field: SortField) -> dict[str, SortValue]:
        """Each epic's or feature's value for `field`, as a cursor carries it: the
        casefolded name; the state's place on its Kanban (FUNNEL 0, ...); the WSJF score
        (null without inputs); the start date of the feature's PI, for an epic the
        earliest start of its features' PIs (null when none is planned)."""
        def build() -> dict[str, SortValue]:
            items = self.portfolio.collection(kind)
            if field is SortField.NAME:
                return {i: item.name.casefold() for i, item in items.items()}
            if field is SortField.STATE:
                places = {state: n for n, state in enumerate(
                    EpicState if kind is Kind.EPIC else FeatureState)}
                return {i: places[item.state] for i, item in items.items()}
            if field is SortField.WSJF_SCORE:
                return {i: None if item.wsjf is None else item.wsjf.score
                        for i, item in items.items()}
            starts = {pi.id: pi.start.isoformat() for pi in self.portfolio.pis.values()}
            feature_start = {i: starts.get(f.pi or "") for i, f in self.portfolio.features.items()}
            if kind is Kind.FEATURE:
                return dict(feature_start)
            link = link_field(Kind.FEATURE, "epic")
            return {i: min((s for f in self.children(link, i)
                            if (s := feature_start[f]) is not None), default=None)
                    for i in items}

        return self.derived(("sort values", kind, field), build)

    # --- pages ------------------------------------------------------------------------

    def _page(self, kind: Kind, conditions: list[_Condition], first: int | None,
              after: str | Bound | None, last: int | None, before: str | Bound | None,
              sort: Sort | None) -> Page:
        """Keyset paging over sorted id lists: the most selective condition drives, the
        others test each of its ids.

        With one indexed condition (or none) the page is sliced between the cursors with
        bisect and the total is a sum of lengths: the cost is set by the page. With more,
        the cost is the size of the most selective condition (the total needs every
        match). Under a `sort`, each list the page reads is put in its order once per
        version (kept in the view).
        """
        order = None if sort is None else self.order(kind, sort)
        key: Key = None if order is None else order.place.__getitem__
        lists, tests = self._driven(kind, conditions, sort, order)
        if tests:
            stream = lists[0] if len(lists) == 1 else heapq.merge(*lists, key=key)
            lists = [[i for i in stream if all(test(i) for test in tests)]]
        ids, has_previous, has_next = window(
            lists, key, _position(order, after), _position(order, before), first, last)
        return Page(ids=ids, has_next=has_next, total=sum(map(len, lists)),
                    has_previous=has_previous,
                    values=None if order is None else [order.values[i] for i in ids])

    def _driven(self, kind: Kind, conditions: list[_Condition], sort: Sort | None,
                order: Order | None) -> tuple[list[list[str]], list[Callable[[str], bool]]]:
        """The lists of the most selective indexed condition (all ids when none), in the
        page's order, and the tests of the other conditions."""
        indexed = [c for c in conditions if c.lists is not None]
        driver = min(indexed, key=lambda c: c.size) if indexed else None
        tests = [c.test for c in conditions if c is not driver]
        if driver is None or driver.lists is None:
            return [self.ids(kind) if order is None else order.ids], tests
        if order is None:
            return [ids for _, ids in driver.lists], tests
        return [self.derived(("arranged", kind, sort, tag), partial(order.arrange, ids))
                for tag, ids in driver.lists], tests

    def _matches(self, kind: Kind, conditions: list[_Condition]) -> list[str]:
        lists, tests = self._driven(kind, conditions, None, None)
        stream = lists[0] if len(lists) == 1 else heapq.merge(*lists)
        return [i for i in stream if all(test(i) for test in tests)]

    def _search(self, which: str, text: str) -> Callable[[str], bool]:
        def build() -> dict[str, tuple[str, str]]:
            items = getattr(self.portfolio, which)
            return {i: (i.lower(), item.name.lower()) for i, item in items.items()}

        haystacks = self.derived(("search", which), build)
        needle = text.lower()

        def test(item_id: str) -> bool:
            lowered_id, lowered_name = haystacks[item_id]
            return needle in lowered_id or needle in lowered_name

        return test

    def _feature_index(self) -> dict[str, Index]:
        def build() -> dict[str, Index]:
            p = self.portfolio
            names = ("state", "type", "epic", "team", "art", "value_stream", "pi", "aligned",
                     "theme")
            index: dict[str, Index] = {name: {} for name in names}
            epic_themes = self._epic_themes()
            for fid in self.ids(Kind.FEATURE):
                f = p.features[fid]
                team = None if f.team is None else p.teams.get(f.team)
                art_id = None if team is None else team.art
                art = None if art_id is None else p.arts.get(art_id)
                themes = _NONE if f.epic is None else epic_themes.get(f.epic, _NONE)
                for name, value in (("state", f.state), ("type", f.type), ("epic", f.epic),
                                    ("team", f.team), ("art", art_id),
                                    ("value_stream", None if art is None else art.value_stream),
                                    ("pi", f.pi), ("aligned", bool(themes))):
                    if value is not None:
                        index[name].setdefault(value, []).append(fid)
                for theme in themes:
                    index["theme"].setdefault(theme, []).append(fid)
            return index

        return self.derived("feature_index", build)

    def _epic_index(self) -> dict[str, Index]:
        def build() -> dict[str, Index]:
            p = self.portfolio
            names = ("state", "type", "value_stream", "horizon", "aligned", "theme")
            index: dict[str, Index] = {name: {} for name in names}
            epic_themes = self._epic_themes()
            for eid in self.ids(Kind.EPIC):
                e = p.epics[eid]
                themes = epic_themes.get(eid, _NONE)
                for name, value in (("state", e.state), ("type", e.type),
                                    ("value_stream", e.value_stream), ("horizon", e.horizon),
                                    ("aligned", bool(themes))):
                    if value is not None:
                        index[name].setdefault(value, []).append(eid)
                for theme in themes:
                    index["theme"].setdefault(theme, []).append(eid)
            return index

        return self.derived("epic_index", build)

    def prepare(self) -> PortfolioView:
        """Build the indexes most reads use now (e.g. in a worker thread), not on first use."""
        for link in LINKS:
            self.children(link, "")
        self._dependencies()
        self._feature_index()
        self._epic_index()
        self.pis_by_start()
        return self


@dataclass(frozen=True, slots=True)
class _Condition:
    """One filter condition: the ids that hold it (a union of disjoint id-sorted lists, each
    with the index key it came from; None when no index serves it) and the same test on
    one id."""

    lists: list[tuple[Hashable, list[str]]] | None
    test: Callable[[str], bool]

    @property
    def size(self) -> float:
        return float("inf") if self.lists is None else sum(len(ids) for _, ids in self.lists)


def _position(order: Order | None, cursor: str | Bound | None) -> Any:
    """A cursor as a position in the page's key: the id in id order, else a place."""
    if cursor is None:
        return None
    bound = Bound(cursor) if isinstance(cursor, str) else cursor
    return bound.id if order is None else order.boundary(bound)
