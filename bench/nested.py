"""The whole tree, themes -> epics -> features -> dependsOn, over HTTP and in memory.

- in memory: the same answer built from the request's view (graph/view.py) as
  plain dicts, what the resolvers do without GraphQL and HTTP;
- GraphQL: the real query over HTTP (`Cache-Control: no-cache`: computed, not
  served from the response cache).

The old naive-vs-DataLoader comparison went with the DataLoaders: nested
fields now read the view the root field got, with no engine read at all.
"""

from __future__ import annotations

from typing import Any

from bench import queries as Q
from bench.common import NO_CACHE, client, gql, measure
from graph.model import Kind
from graph.view import PortfolioView, link_field

_FEATURE_EPIC = link_field(Kind.FEATURE, "epic")


def tree(view: PortfolioView) -> list[dict[str, Any]]:
    """The whole tree as the query asks for it, from the view."""
    p = view.portfolio

    def feature(fid: str) -> dict[str, Any]:
        f = p.features[fid]
        return {"id": f.id, "name": f.name, "dependsOn": [
            {"id": d, "name": p.features[d].name} for d in view.depends_on(fid)]}

    return [{"id": t, "name": p.themes[t].name, "epics": [
        {"id": e, "name": p.epics[e].name,
         "features": [feature(f) for f in view.children(_FEATURE_EPIC, e)]}
        for e in view.theme_epics(t)]} for t in view.ids(Kind.THEME)]


def _objects(data: dict[str, Any]) -> int:
    total = 0
    for theme in data["themes"]:
        total += 1
        for epic in theme["epics"]:
            total += 1
            for feature in epic["features"]:
                total += 1 + len(feature["dependsOn"])
    return total


async def tree_cases(view: PortfolioView, url: str, repeat: int, budget: float
                     ) -> dict[str, Any]:
    async def direct() -> Any:
        return tree(PortfolioView(view.portfolio))  # indexes built as a new version would

    async with client(url) as http:
        objects = _objects(await gql(http, Q.WHOLE_TREE))
        api = await measure(lambda: gql(http, Q.WHOLE_TREE, headers=NO_CACHE), repeat, budget,
                            warmup=1)
    memory = await measure(direct, repeat, budget, warmup=1)
    return {f"whole tree ({objects:,} objects)": {"api": api, "direct": memory}}
