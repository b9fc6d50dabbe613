"""The engine contract, run on every available engine: plain rows, atomic statements, schema."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import date
from typing import Any

import pytest

from graph.config import EngineConfig
from graph.cypher.bootstrap import UNIQUE_ID_LABELS
from graph.cypher.labels import Label
from graph.engines import create_engine
from graph.engines.base import Engine, EngineQueryError
from graph.engines.falkordb import FalkorDBEngine
from graph.engines.neo4j import Neo4jEngine

CREATE_ITEM = f"CREATE (n:{Label.ITEM}:{Label.FEATURE} {{id: $id}}) SET n += $props"
COUNT_ID = f"MATCH (n:{Label.ITEM} {{id: $id}}) RETURN count(n) AS c"
META = f"MATCH (m:{Label.META}) RETURN m.id AS id, m.version AS version"

# Strings that break naive quoting: the FalkorDB client inlines parameters as text.
NASTY = ['', '"', "'", "\\", 'a\\', '\\"', '"}) DETACH DELETE n //', "`x`", "$id", "\n\r\t",
         "CYPHER x=1", "é中文🙂", "\u2028", "{a: 1}", "null", "true", "1e3", " ", "\\n"]


def random_texts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    alphabet = [chr(c) for c in range(1, 0x2FF)] + list('"\'\\`{}$\n') * 20 + ["🙂", "中"]
    return ["".join(rng.choices(alphabet, k=rng.randint(0, 40))) for _ in range(count)]


async def test_params_and_rows_round_trip_as_plain_python(engine: Engine) -> None:
    props: dict[str, Any] = {"name": 'say "hi"\\', "points": 13, "big": 2**53 + 1,
                             "ratio": 0.1, "tiny": 1e-7, "done": False,
                             "tags": ["a", "b'"], "empty": ""}
    assert await engine.write(CREATE_ITEM, {"id": "F-1", "props": props}) == []
    rows = await engine.read(
        f"MATCH (n:{Label.ITEM} {{id: $id}}) "
        "RETURN n {.*} AS item, n.points AS points, [n.points, null] AS list, "
        "{k: n.name, nested: {t: n.tags}} AS map, null AS nothing, n.done AS done",
        {"id": "F-1"})
    assert rows == [{"item": {"id": "F-1", **props}, "points": 13, "list": [13, None],
                     "map": {"k": props["name"], "nested": {"t": ["a", "b'"]}},
                     "nothing": None, "done": False}]
    row = rows[0]
    # Exact builtin types: no OrderedDict, driver or numpy types leak out.
    assert type(row["map"]) is dict and type(row["item"]) is dict
    assert type(row["points"]) is int and type(row["item"]["ratio"]) is float
    assert type(row["done"]) is bool


async def test_any_text_survives_as_a_parameter(engine: Engine) -> None:
    texts = NASTY + random_texts(300)
    rows = await engine.read("UNWIND $texts AS t RETURN t", {"texts": texts})
    assert [row["t"] for row in rows] == texts
    # And as stored properties, where an injection would do damage.
    await engine.write(f"UNWIND range(0, size($texts) - 1) AS i "
                       f"CREATE (:{Label.ITEM} {{id: 'T' + toString(i), name: $texts[i]}})",
                       {"texts": NASTY})
    stored = await engine.read(f"MATCH (n:{Label.ITEM}) RETURN n.id AS id, n.name AS name")
    assert {row["id"]: row["name"] for row in stored} == {f"T{i}": t for i, t in enumerate(NASTY)}


async def test_nodes_and_dates_in_results_become_plain(engine: Engine) -> None:
    await engine.write(CREATE_ITEM, {"id": "F-2", "props": {"name": "n"}})
    rows = await engine.read(f"MATCH (n:{Label.FEATURE}) RETURN n, date('2024-02-29') AS d")
    assert rows == [{"n": {"id": "F-2", "name": "n"}, "d": "2024-02-29"}]


@pytest.mark.parametrize(("value", "error"), [
    (date(2024, 1, 1), TypeError), ((1, 2), TypeError), ({1: "x"}, TypeError),
    ([b"bytes"], TypeError), (float("nan"), ValueError), ({"x": float("inf")}, ValueError),
    ([2**63], ValueError),
])
async def test_unsupported_parameters_are_refused(engine: Engine, value: object,
                                                  error: type[Exception]) -> None:
    with pytest.raises(error, match=r"\$p"):
        await engine.write(CREATE_ITEM, {"id": "F-3", "props": {}, "p": value})
    assert await engine.read(COUNT_ID, {"id": "F-3"}) == [{"c": 0}]


async def test_read_refuses_to_write(engine: Engine) -> None:
    with pytest.raises(EngineQueryError):
        await engine.read(CREATE_ITEM, {"id": "F-4", "props": {}})
    assert await engine.read(COUNT_ID, {"id": "F-4"}) == [{"c": 0}]


async def test_bad_statement_is_a_query_error_and_engine_stays_usable(engine: Engine) -> None:
    with pytest.raises(EngineQueryError) as caught:
        await engine.read("MATCH (n RETURN n")
    assert not caught.value.constraint_violation
    assert await engine.read("RETURN 1 AS one") == [{"one": 1}]
    assert await engine.ping()


async def test_failing_statement_changes_nothing(engine: Engine) -> None:
    # The third row violates the unique id: the two before it must roll back too.
    with pytest.raises(EngineQueryError) as caught:
        await engine.write(f"UNWIND ['a', 'b', 'a'] AS id CREATE (:{Label.ITEM} {{id: id}})")
    assert caught.value.constraint_violation
    assert await engine.read(f"MATCH (n:{Label.ITEM}) RETURN count(n) AS c") == [{"c": 0}]


async def test_ids_are_unique_across_kinds(engine: Engine) -> None:
    await engine.write(CREATE_ITEM, {"id": "X-1", "props": {}})
    with pytest.raises(EngineQueryError) as caught:
        await engine.write(f"CREATE (:{Label.ITEM}:{Label.EPIC} {{id: 'X-1'}})")
    assert caught.value.constraint_violation
    for label in (Label.FEATURE, Label.AUDIT, Label.META):
        # Unique per label too, even without the Item label.
        with pytest.raises(EngineQueryError):
            await engine.write(f"UNWIND [1, 2] AS i CREATE (:{label} {{id: 'dup'}})")
    assert await engine.read(COUNT_ID, {"id": "X-1"}) == [{"c": 1}]


async def test_bootstrap_is_idempotent_and_keeps_the_version(engine: Engine) -> None:
    await engine.write(f"MATCH (m:{Label.META}) SET m.version = 5")
    await engine.bootstrap()
    await engine.bootstrap()
    assert await engine.read(META) == [{"id": "portfolio", "version": 5}]


async def test_read_timeout_is_enforced(engine: Engine) -> None:
    started = time.monotonic()
    with pytest.raises(EngineQueryError, match=r"(?i)time"):
        # About a second of work without the timeout (9M rows, small lists).
        await engine.read("UNWIND range(1, 3000) AS a UNWIND range(1, 3000) AS b "
                          "WITH a, b WHERE (a * b) % 7 = 0 RETURN count(*) AS c", timeout=0.05)
    assert time.monotonic() - started < 0.8


async def test_200_concurrent_reads_all_succeed(engine: Engine) -> None:
    await engine.write(f"UNWIND range(1, 50) AS i CREATE (:{Label.ITEM} {{id: 'R' + toString(i)}})")
    started = time.monotonic()
    results = await asyncio.gather(*(
        engine.read(f"MATCH (n:{Label.ITEM}) WHERE n.id = $id RETURN n.id AS id",
                    {"id": f"R{i % 50 + 1}"}) for i in range(200)))
    elapsed = time.monotonic() - started
    assert [rows for rows in results] == [[{"id": f"R{i % 50 + 1}"}] for i in range(200)]
    assert elapsed < 10, f"200 concurrent reads took {elapsed:.2f}s"


def test_create_engine_picks_by_config(tmp_path: Any) -> None:
    assert isinstance(create_engine(EngineConfig(data_dir=tmp_path)), FalkorDBEngine)
    assert isinstance(create_engine(EngineConfig(neo4j_uri="bolt://localhost:7687")), Neo4jEngine)


def test_every_item_kind_has_a_unique_id() -> None:
    others = {Label.ITEM, Label.AUDIT, Label.META, Label.CHECKPOINT}
    kinds = {label for label in Label} - others
    assert kinds <= set(UNIQUE_ID_LABELS)
    assert others <= set(UNIQUE_ID_LABELS)


async def test_falkordb_connections_have_no_socket_read_timeout(falkordb: Engine) -> None:
    """Regression: redis-py 8's default 5 s socket timeout failed any statement slower than 5 s
    (a 50k-feature import); statements are bounded by the engine's own timeout instead."""
    pool = falkordb._pool  # type: ignore[attr-defined]
    assert pool.connection_kwargs["socket_timeout"] is None
    assert pool.connection_kwargs["socket_connect_timeout"] == 5.0
