"""One nested query three ways: themes -> epics -> features -> dependsOn.

- naive: what resolvers without DataLoaders do, one engine call per field per
  item, awaited one after another (the N+1 trap);
- batched direct: the same reads one call per level (what the loaders send);
- GraphQL: the real query over HTTP, batched by the request's DataLoaders.

The same themes in all three (the first 3, about the same work at every scale:
each theme has about as many epics whatever the portfolio's size).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench import queries as Q
from bench.common import client, gql, measure
from graph.cypher.statements import Link
from graph.model import Kind
from graph.store import Store


async def naive(store: Store, themes: Sequence[str]) -> int:
    """Returns the number of engine calls made."""
    calls = 0
    for theme in themes:
        await store.items(Kind.THEME, [theme])
        (epic_ids,) = await store.theme_epics([theme])
        calls += 2
        for epic in epic_ids:
            await store.items(Kind.EPIC, [epic])
            (feature_ids,) = await store.linked(Link.EPIC_FEATURES, [epic])
            calls += 2
            for feature in feature_ids:
                await store.items(Kind.FEATURE, [feature])
                (dep_ids,) = await store.linked(Link.FEATURE_DEPENDS_ON, [feature])
                calls += 2
                for dep in dep_ids:
                    await store.items(Kind.FEATURE, [dep])
                    calls += 1
    return calls


async def batched(store: Store, themes: Sequence[str]) -> int:
    """Returns the number of items read (each feature read once per level)."""
    await store.items(Kind.THEME, themes)
    epic_ids = sorted({e for group in await store.theme_epics(themes) for e in group})
    await store.items(Kind.EPIC, epic_ids)
    feature_ids = sorted({f for group in await store.linked(Link.EPIC_FEATURES, epic_ids)
                          for f in group})
    await store.items(Kind.FEATURE, feature_ids)
    dep_ids = sorted({d for group in await store.linked(Link.FEATURE_DEPENDS_ON, feature_ids)
                      for d in group})
    await store.items(Kind.FEATURE, dep_ids)
    return len(themes) + len(epic_ids) + len(feature_ids) + len(dep_ids)


def _objects(data: dict[str, Any]) -> int:
    total = 0
    for theme in data.values():
        total += 1
        for epic in theme["epics"]:
            total += 1
            for feature in epic["features"]:
                total += 1 + len(feature["dependsOn"])
    return total


async def nested_cases(store: Store, url: str, themes: Sequence[str], repeat: int,
                       budget: float) -> dict[str, Any]:
    calls = await naive(store, themes)
    distinct = await batched(store, themes)
    query = Q.nested(themes)
    async with client(url) as http:
        objects = _objects(await gql(http, query))
        api = await measure(lambda: gql(http, query), repeat, budget, warmup=1)
    naive_stats = await measure(lambda: naive(store, themes), min(repeat, 5), budget, warmup=0)
    batched_stats = await measure(lambda: batched(store, themes), repeat, budget)
    size = f"{len(themes)} themes, {objects:,} objects in the response"
    return {
        f"nested: naive, one call per field ({calls:,} calls)": {"direct": naive_stats},
        f"nested: batched direct, 7 calls ({distinct:,} distinct items)": {"direct": batched_stats},
        f"nested: GraphQL + DataLoaders ({size})": {"api": api,
                                                     "naive_over_api": _ratio(naive_stats, api)},
    }


def _ratio(slow: dict[str, float], fast: dict[str, float]) -> float | None:
    if slow.get("median") and fast.get("median"):
        return round(slow["median"] / fast["median"], 1)
    return None
