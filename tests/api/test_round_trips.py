"""Reads resolve from the request's view: one engine read per request (the version check),
however deep the query and however many items it returns."""

from __future__ import annotations

from typing import Any

from api.roles import Actor
from api.service import PortfolioService
from graph.engines.base import Engine
from graph.model import Kind
from graph.store import Store
from rules.policy import default_policy
from tests.api.conftest import IMPORT, ApiFactory, CountingEngine
from tests.conftest import wipe

NESTED = "{ themes { id epics { id features { id dependsOn { id } } } } }"


def portfolio(themes: int, epics_per_theme: int, features_per_epic: int) -> dict[str, Any]:
    """Themes -> epics -> features; every feature depends on one of the platform features.

    The platform features belong to no epic, so `dependsOn` reaches items no other
    level of the query returned.
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
    # The version check; the import left the snapshot of its version in memory.
    assert small_reads == large_reads == 1


async def test_root_fields_of_one_request_share_one_view(make_api: ApiFactory,
                                                         engine: Engine) -> None:
    """Several root fields (and the view they share) cost one version check in all."""
    counting = CountingEngine(engine)
    service = PortfolioService(Store(counting), default_policy())
    async with make_api(service_=service) as api:
        assert (await api.data(IMPORT, {"doc": portfolio(2, 2, 3)}))["importPortfolio"][
            "applied"] is True
        counting.reads = 0
        data = await api.data("""{ themes { id } a: epic(id: "E-0-0") { features { id } }
            b: feature(id: "F-0-0-0") { dependsOn { id } epic { id } }
            features(first: 5) { totalCount } epics(filter: {theme: "TH-1"}) { totalCount }
            node(id: "TH-0") { id } ranking(level: FEATURE) { rank } }""")
        assert data["features"]["totalCount"] == 15 and data["epics"]["totalCount"] == 2
        assert counting.reads == 1


async def test_another_writer_makes_the_next_request_reload(make_api: ApiFactory,
                                                            engine: Engine) -> None:
    """A version moved by another process: the next request reloads the snapshot and its
    view shows the change (the cache follows the version, not a timer)."""
    counting = CountingEngine(engine)
    service = PortfolioService(Store(counting), default_policy())
    other = PortfolioService(Store(engine), default_policy())
    async with make_api(service_=service) as api:
        assert (await api.data(IMPORT, {"doc": portfolio(1, 1, 2)}))["importPortfolio"][
            "applied"] is True
        before = await api.data('{ epic(id: "E-0-0") { features { id } } }')
        assert [f["id"] for f in before["epic"]["features"]] == ["F-0-0-0", "F-0-0-1"]
        moved = await other.upsert(Kind.FEATURE, {
            "id": "F-0-0-9", "name": "new", "type": "BUSINESS", "state": "BACKLOG",
            "epic": "E-0-0"}, Actor(id="other", roles=frozenset({"admin"})))
        assert moved.applied
        counting.reads = 0
        after = await api.data('{ epic(id: "E-0-0") { features { id } } }')
        assert [f["id"] for f in after["epic"]["features"]] == ["F-0-0-0", "F-0-0-1", "F-0-0-9"]
        assert counting.reads > 1  # the version check, then the reload


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
