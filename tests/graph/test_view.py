"""The read view against plain re-computations of the contract's rules, on a synthetic
portfolio (pure: no engine). Each index and page must equal what a full scan gives."""

from __future__ import annotations

import random
from functools import partial
from typing import Any

import pytest

from graph.changes import apply
from graph.document import ParsedDocument, validate_document
from graph.keyset import Bound, Order, Sort, SortField
from graph.model import (
    LINKS,
    EpicState,
    FeatureState,
    Horizon,
    Kind,
    Portfolio,
    WorkType,
    kind_of,
)
from graph.samples.synthetic import synthetic_document
from graph.view import EpicQuery, FeatureQuery, PortfolioView


@pytest.fixture(scope="module")
def view() -> PortfolioView:
    parsed = validate_document(synthetic_document(400, 3))
    assert isinstance(parsed, ParsedDocument)
    return PortfolioView(apply(Portfolio(), parsed.change()))


def themes_of_epic(p: Portfolio, epic_id: str | None) -> set[str]:
    if epic_id is None:
        return set()
    epic = p.epics[epic_id]
    themes = set(epic.themes)
    for kr in epic.key_results:
        themes.update(p.objectives[p.key_results[kr].objective].themes)
    return themes


def feature_matches(p: Portfolio, q: FeatureQuery) -> list[str]:
    out = []
    for f in p.features.values():
        team = p.teams.get(f.team) if f.team else None
        art = p.arts.get(team.art) if team and team.art else None
        if ((q.states is None or f.state in q.states) and (q.type is None or f.type == q.type)
                and (q.epic is None or f.epic == q.epic) and (q.team is None or f.team == q.team)
                and (q.art is None or (team is not None and team.art == q.art))
                and (q.value_stream is None or (art is not None
                                                and art.value_stream == q.value_stream))
                and (q.pi is None or f.pi == q.pi)
                and (q.search is None or q.search.lower() in f.id.lower()
                     or q.search.lower() in f.name.lower())
                and (q.aligned is None or bool(themes_of_epic(p, f.epic)) == q.aligned)):
            out.append(f.id)
    return sorted(out)


def epic_matches(p: Portfolio, q: EpicQuery) -> list[str]:
    return sorted(
        e.id for e in p.epics.values()
        if (q.states is None or e.state in q.states) and (q.type is None or e.type == q.type)
        and (q.value_stream is None or e.value_stream == q.value_stream)
        and (q.horizon is None or e.horizon == q.horizon)
        and (q.theme is None or q.theme in themes_of_epic(p, e.id))
        and (q.search is None or q.search.lower() in e.id.lower()
             or q.search.lower() in e.name.lower())
        and (q.aligned is None or bool(themes_of_epic(p, e.id)) == q.aligned))


def pages(read: Any, first: int) -> tuple[list[str], set[int]]:
    """Every id, following the cursor page by page; the totals each page reported."""
    seen: list[str] = []
    totals: set[int] = set()
    after = None
    while True:
        page = read(first, after)
        totals.add(page.total)
        seen += page.ids
        if not page.has_next:
            return seen, totals
        after = page.ids[-1]


def pick(rng: random.Random, values: list[Any]) -> Any:
    return rng.choice([None, None, *values])


def test_feature_pages_equal_a_full_scan(view: PortfolioView) -> None:
    p, rng = view.portfolio, random.Random(7)
    for _ in range(300):
        states = rng.choice([None, frozenset(rng.sample(list(FeatureState), rng.randint(1, 3)))])
        query = FeatureQuery(
            states=states, type=pick(rng, list(WorkType)), epic=pick(rng, list(p.epics)),
            team=pick(rng, list(p.teams)), art=pick(rng, list(p.arts)),
            value_stream=pick(rng, list(p.value_streams)), pi=pick(rng, list(p.pis)),
            search=pick(rng, ["1", "F-00", "a"]), aligned=pick(rng, [True, False]))
        expected = feature_matches(p, query)
        first = rng.choice([0, 1, 7, 50, 500])
        if first == 0:
            page = view.feature_page(query, 0, None)
            assert (page.ids, page.total, page.has_next) == ([], len(expected), bool(expected))
            continue
        seen, totals = pages(lambda n, a, q=query: view.feature_page(q, n, a), first)
        assert seen == expected, query
        assert totals == {len(expected)}


def test_epic_pages_equal_a_full_scan(view: PortfolioView) -> None:
    p, rng = view.portfolio, random.Random(11)
    for _ in range(300):
        states = rng.choice([None, frozenset(rng.sample(list(EpicState), rng.randint(1, 3)))])
        query = EpicQuery(
            states=states, type=pick(rng, list(WorkType)),
            value_stream=pick(rng, list(p.value_streams)), theme=pick(rng, list(p.themes)),
            horizon=pick(rng, list(Horizon)), search=pick(rng, ["1", "E-0"]),
            aligned=pick(rng, [True, False]))
        seen, totals = pages(lambda n, a, q=query: view.epic_page(q, n, a), rng.choice([1, 3, 50]))
        assert seen == epic_matches(p, query), query
        assert totals == {len(seen)}


def test_children_of_every_link_field_are_its_reverse(view: PortfolioView) -> None:
    p = view.portfolio
    for link in LINKS:
        expected: dict[str, list[str]] = {}
        for item in p.collection(link.kind).values():
            for target in link.ids(item):
                expected.setdefault(target, []).append(item.id)
        assert expected, f"the synthetic portfolio has no {link.kind.value}.{link.field}"
        for target in p.collection(link.target):
            assert list(view.children(link, target)) == sorted(expected.get(target, [])), link


def test_each_kind_has_its_own_collection(view: PortfolioView) -> None:
    p = view.portfolio
    for kind in Kind:
        items = p.collection(kind)
        assert items, f"the synthetic portfolio has no {kind.value}"
        assert {kind_of(item) for item in items.values()} == {kind}
        assert all(p.get(item_id) is item for item_id, item in items.items())


def test_dependencies_themes_and_pis(view: PortfolioView) -> None:
    p = view.portfolio
    assert p.dependencies
    for fid in p.features:
        assert list(view.depends_on(fid)) == sorted(b for a, b in p.dependencies if a == fid)
        assert list(view.dependents(fid)) == sorted(a for a, b in p.dependencies if b == fid)
    for theme in p.themes:
        epics = sorted(e for e in p.epics if theme in themes_of_epic(p, e))
        assert list(view.theme_epics(theme)) == epics
        assert list(view.theme_features(theme)) == sorted(
            f.id for f in p.features.values() if f.epic in epics)
    assert [pi.id for pi in view.pis_by_start()] == [
        pi.id for pi in sorted(p.pis.values(), key=lambda pi: (pi.start, pi.id))]
    assert view.ids(Kind.FEATURE) == sorted(p.features)


def test_derived_values_are_built_once_per_view(view: PortfolioView) -> None:
    calls: list[int] = []
    for _ in range(3):
        assert view.derived("test-key", lambda: calls.append(1) or 42) == 42
    assert calls == [1]
    assert PortfolioView(view.portfolio).derived("test-key", lambda: 7) == 7  # a new version


# --- orders and windows (graph/keyset.py) ------------------------------------------------

KANBAN = {Kind.FEATURE: list(FeatureState), Kind.EPIC: list(EpicState)}


def sort_value(p: Portfolio, kind: Kind, item_id: str, field: SortField) -> Any:
    """A sort value computed from the portfolio alone, as the contract's docs define it."""
    item = p.collection(kind)[item_id]
    if field is SortField.NAME:
        return item.name.casefold()
    if field is SortField.STATE:
        return KANBAN[kind].index(item.state)
    if field is SortField.WSJF_SCORE:
        return None if item.wsjf is None else item.wsjf.score
    if kind is Kind.FEATURE:
        return None if item.pi is None else p.pis[item.pi].start.isoformat()
    starts = [p.pis[f.pi].start.isoformat() for f in p.features.values()
              if f.epic == item_id and f.pi is not None]
    return min(starts, default=None)


def ordered(p: Portfolio, kind: Kind, ids: list[str], sort: Sort | None) -> list[str]:
    if sort is None:
        return sorted(ids)
    values = {i: sort_value(p, kind, i, sort.field) for i in ids}
    present = sorted((i for i in ids if values[i] is not None), key=lambda i: i)
    present.sort(key=values.__getitem__, reverse=sort.descending)
    return present + sorted(i for i in ids if values[i] is None)


def cursor(ids: list[str], values: dict[str, Any], n: int | None) -> Bound | None:
    """A cursor on the n-th id (wrapping round), or none."""
    if n is None or not ids:
        return None
    item_id = ids[n % len(ids)]
    return Bound(item_id, values.get(item_id))


def random_sort(rng: random.Random) -> Sort | None:
    return rng.choice([None, Sort(rng.choice(list(SortField)), rng.choice([False, True]))])


@pytest.mark.parametrize("kind", [Kind.FEATURE, Kind.EPIC])
def test_windows_in_every_order_equal_slices_of_a_full_sort(view: PortfolioView,
                                                            kind: Kind) -> None:
    """Random filters, orders, cursors and sizes: each page is the slice of the sorted
    matches between the cursors, and the Relay flags say what lies around it."""
    p, rng = view.portfolio, random.Random(23)
    for _ in range(400):
        if kind is Kind.FEATURE:
            states = rng.choice([None, frozenset(rng.sample(list(FeatureState), 3))])
            fq = FeatureQuery(states=states, type=pick(rng, list(WorkType)),
                              pi=pick(rng, list(p.pis)), search=pick(rng, ["1", "a"]))
            matches, read = feature_matches(p, fq), partial(view.feature_page, fq)
        else:
            estates = rng.choice([None, frozenset(rng.sample(list(EpicState), 2))])
            eq = EpicQuery(states=estates, type=pick(rng, list(WorkType)),
                           search=pick(rng, ["1", None]))
            matches, read = epic_matches(p, eq), partial(view.epic_page, eq)
        sort = random_sort(rng)
        want = ordered(p, kind, matches, sort)
        values = view.sort_values(kind, sort.field) if sort else {}

        after, before = (cursor(want, values, rng.choice([None, rng.randrange(100)]))
                         for _ in range(2))
        lo = 0 if after is None else want.index(after.id) + 1
        hi = len(want) if before is None else want.index(before.id)
        inside = want[lo:max(lo, hi)]
        size = rng.choice([0, 1, 4, 30])
        if rng.random() < 0.5:
            page = read(size, after, before=before, sort=sort)
            assert page.ids == inside[:size], (sort, after, before, size)
            assert page.has_next is (len(inside) > size)
            assert page.has_previous is (after is not None and lo > 0)
        else:
            page = read(None, after, last=size, before=before, sort=sort)
            assert page.ids == inside[max(0, len(inside) - size):], (sort, after, before)
            assert page.has_previous is (len(inside) > size)
            assert page.has_next is (before is not None and hi < len(want))
        assert page.total == len(matches)
        if sort is not None:
            assert page.values == [values[i] for i in page.ids]


def test_a_cursor_whose_item_changed_or_went_falls_between_its_neighbours() -> None:
    """`Order.boundary` of a (value, id) no item has any more lies exactly between the
    places around it, in both directions, also among nulls."""
    values = {"A": "b", "B": "a", "C": None, "D": "b", "E": None}
    asc, desc = Order(values, False), Order(values, True)
    assert asc.ids == ["B", "A", "D", "C", "E"] and desc.ids == ["A", "D", "B", "C", "E"]
    assert asc.boundary(Bound("A", "b")) == 1  # exactly there
    assert asc.boundary(Bound("B", "ab")) == 0.5  # a value between "a" (B) and "b" (A)
    assert asc.boundary(Bound("Z", "a")) == 0.5
    assert asc.boundary(Bound("0", None)) == 2.5 and asc.boundary(Bound("Z", None)) == 4.5
    assert desc.boundary(Bound("Z", "c")) == -0.5 and desc.boundary(Bound("B", "ab")) == 1.5
