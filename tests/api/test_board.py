"""The program board over GraphQL: dependencies with both ends' team, ART and PI."""

from __future__ import annotations

from api.demo import load_demo
from api.roles import Actor, Role
from tests.api.conftest import Api

BOARD = """query Board($pi: ID, $art: ID, $conflicts: Boolean!, $cross: Boolean!) {
  dependencies(piId: $pi, art: $art, conflictsOnly: $conflicts, crossArtOnly: $cross) {
    from { id pi { id start } } to { id pi { id start } }
    fromTeam { id } toTeam { id } fromArt { id } toArt { id } fromPi { id } toPi { id }
    crossesArt scheduleConflict unplanned } }"""


async def board(api: Api, **variables: object) -> list[dict[str, object]]:
    values = {"pi": None, "art": None, "conflicts": False, "cross": False, **variables}
    edges: list[dict[str, object]] = (await api.data(BOARD, values))["dependencies"]
    return edges


async def test_the_board_lists_every_dependency_with_where_each_end_is(api: Api) -> None:
    assert (await load_demo(api.service, Actor("cli:t", frozenset({Role.ADMIN})))).applied
    portfolio = await api.service.snapshot()
    edges = await board(api)
    assert [(e["from"]["id"], e["to"]["id"]) for e in edges] == sorted(portfolio.dependencies)
    for edge in edges:
        a, b = portfolio.features[edge["from"]["id"]], portfolio.features[edge["to"]["id"]]
        assert (edge["fromPi"] or {}).get("id") == a.pi and (edge["toPi"] or {}).get("id") == b.pi
        assert (edge["fromTeam"] or {}).get("id") == a.team
        later = a.pi is not None and b.pi is not None and (
            portfolio.pis[b.pi].start > portfolio.pis[a.pi].start)
        assert edge["scheduleConflict"] is later
        arts = ((edge["fromArt"] or {}).get("id"), (edge["toArt"] or {}).get("id"))
        assert edge["crossesArt"] is (None not in arts and arts[0] != arts[1])
    conflicts = await board(api, conflicts=True)
    assert conflicts and all(e["scheduleConflict"] for e in conflicts)
    assert len(conflicts) == sum(1 for e in edges if e["scheduleConflict"])
    cross = await board(api, cross=True)
    assert cross and len(cross) == sum(1 for e in edges if e["crossesArt"])
    in_pi = await board(api, pi="PI-26-1")
    assert in_pi and all("PI-26-1" in ((e["fromPi"] or {}).get("id"), (e["toPi"] or {}).get("id"))
                         for e in in_pi)
    assert len(in_pi) < len(edges)
