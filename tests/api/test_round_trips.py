"""Nested lists batch per level: engine reads do not grow with the number of items returned."""

from __future__ import annotations

from typing import Any

from api.service import PortfolioService
from graph.engines.base import Engine
from graph.store import Store
from rules.policy import default_policy
from tests.api.conftest import IMPORT, ApiFactory, CountingEngine
from tests.conftest import wipe

NESTED = "{ themes { id epics { id features { id dependsOn { id } } } } }"


def portfolio(themes: int, epics_per_theme: int, features_per_epic: int) -> dict[str, Any]:
    """Themes -> epics -> features; every feature depends on one of the platform features.

    The platform features belong to no epic, so `dependsOn` needs items the
    loaders have not seen yet at every size: one more batch, never one per item.
    """
    doc: dict[str, Any] = {"themes": [], "epics": [], "features": [], "dependencies": []}
    platform = [f"F-PLATFORM-{n}" for n in range(3)]
    doc["features"] += [{"id": p, "name": p, "type": "ENABLER", "state": "BACKLOG"}
                        for p in platform]
    for t in range(themes):
        theme = f"TH-{t}"
        doc["themes"].append({"id": theme, "name": theme})
        for e in range(epics_per_theme):
            epic = f"E-{t}-{e}"
            doc["epics"].append({"id": epic, "name": epic, "type": "BUSINESS",
                                 "state": "ANALYZING", "themes": [theme]})
            for f in range(features_per_epic):
                feature = f"F-{t}-{e}-{f}"
                doc["features"].append({"id": feature, "name": feature, "type": "BUSINESS",
                                        "state": "BACKLOG", "epic": epic})
                target = platform[(t + e + f) % len(platform)]
                doc["dependencies"].append({"from": feature, "to": target})
    return doc


async def reads_for(make_api: ApiFactory, engine: Engine, doc: dict[str, Any]
                    ) -> tuple[int, int]:
    counting = CountingEngine(engine)
    service = PortfolioService(Store(counting), default_policy())
    async with make_api(service_=service) as api:
        assert (await api.data(IMPORT, {"doc": doc}))["importPortfolio"]["applied"] is True
        counting.reads = 0
        data = await api.data(NESTED)
        returned = sum(len(f["dependsOn"]) for t in data["themes"] for e in t["epics"]
                       for f in e["features"])
        return counting.reads, returned


async def test_reads_do_not_grow_with_the_portfolio(make_api: ApiFactory,
                                                    engine: Engine) -> None:
    small_reads, small_items = await reads_for(make_api, engine, portfolio(2, 2, 3))
    await wipe(engine)
    large_reads, large_items = await reads_for(make_api, engine, portfolio(4, 3, 6))
    assert (small_items, large_items) == (12, 72)
    # themes: ids + items; epics: link + items; features: link + items; dependsOn: link + items
    assert small_reads == large_reads == 8


async def test_traces_read_the_snapshot_once_per_request(make_api: ApiFactory,
                                                         engine: Engine) -> None:
    """Traces resolve in memory from the request's snapshot: one version check, however many."""
    counting = CountingEngine(engine)
    service = PortfolioService(Store(counting), default_policy())
    async with make_api(service_=service) as api:
        assert (await api.data(IMPORT, {"doc": portfolio(2, 2, 3)}))["importPortfolio"][
            "applied"] is True
        for ids in (["F-0-0-0"], [f"F-{t}-{e}-{f}" for t in range(2) for e in range(2)
                                  for f in range(3)]):
            query = "{ " + " ".join(
                f't{n}: trace(id: "{i}") {{ item {{ ... on Feature {{ id }} }} epic {{ id }} '
                "themes { id name } aligned }" for n, i in enumerate(ids)) + " }"
            counting.reads = 0
            data = await api.data(query)
            assert len(data) == len(ids)
            assert all(t["themes"] and t["aligned"] for t in data.values())
            assert counting.reads == 1  # the version check; the snapshot is already current
