"""A PutDocument runs only the blocks of what it carries (`put_document`), with the same result.

The statement of a change holds the guard, the write blocks of its items' kinds (in
write order), the dependencies' block when it adds any, and the audit entry; each
block is linted for Neo4j in a statement of its own (`all_statements`), and writing
any selection of kinds leaves the store as `apply` says, on every engine.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from graph.changes import PutDocument, apply
from graph.cypher import statements as q
from graph.document import ParsedDocument, validate_document
from graph.engines.base import Engine, Params, Row
from graph.model import DOCUMENT_KEYS, Arity, Item, Kind, Portfolio, links_of
from graph.store import AuditRecord, Store
from tests.helpers import example

ORDER = q.write_order()
UNWIND = re.compile(r"UNWIND \$(\w+) AS")


def unwound(statement: str) -> list[str]:
    """The parameters a statement's blocks unwind, in order."""
    return UNWIND.findall(statement)


def test_a_single_feature_upsert_statement_holds_the_feature_block_only() -> None:
    statement = q.put_document(frozenset({Kind.FEATURE}), False)
    assert unwound(statement) == ["features"]
    assert "$dependencies" not in statement
    assert len(statement) < len(q.APPLY_DOCUMENT) / 3
    assert unwound(q.put_document(frozenset(), True)) == ["dependencies"]
    assert unwound(q.APPLY_DOCUMENT) == [DOCUMENT_KEYS[k] for k in ORDER] + ["dependencies"]


def test_every_variant_is_the_guard_linted_blocks_in_write_order_and_the_audit() -> None:
    """So linting each block in a statement of its own (all_statements) covers every
    variant put_document can generate (2^10 of them, too many to lint one by one)."""
    named = q.all_statements()
    empty = named["APPLY_DOCUMENT.empty"]
    assert empty == q._GUARD + q._AUDIT

    def block(name: str) -> str:
        text = named[f"APPLY_DOCUMENT.{name}"]
        assert text.startswith(q._GUARD) and text.endswith(q._AUDIT), name
        return text[len(q._GUARD):len(text) - len(q._AUDIT)]

    blocks = {kind: block(kind.name) for kind in Kind}
    deps = block("dependencies")
    for size in range(len(Kind) + 1):
        for kinds in itertools.combinations(ORDER, size):
            for with_deps in (False, True):
                expected = (q._GUARD + "".join(blocks[k] for k in kinds)
                            + (deps if with_deps else "") + q._AUDIT)
                assert q.put_document(frozenset(kinds), with_deps) == expected, kinds
    assert q.put_document(frozenset(Kind), True) == q.APPLY_DOCUMENT


class Recording:
    """The real engine, remembering what was written (statement and parameters)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name = engine.name
        self.writes: list[tuple[str, dict[str, Any]]] = []

    async def read(self, statement: str, params: Params | None = None,
                   *, timeout: float | None = None) -> list[Row]:
        return await self.engine.read(statement, params, timeout=timeout)

    async def write(self, statement: str, params: Params | None = None,
                    *, timeout: float | None = None) -> list[Row]:
        self.writes.append((statement, dict(params or {})))
        return await self.engine.write(statement, params, timeout=timeout)


async def imported(store: Store) -> Portfolio:
    parsed = validate_document(example())
    assert isinstance(parsed, ParsedDocument), parsed
    assert await store.write(parsed.change(), 0, AuditRecord("importPortfolio", "t")) == 1
    return await store.snapshot()


async def test_an_upsert_sends_its_own_block_and_parameters(engine: Engine) -> None:
    recording = Recording(engine)
    store = Store(recording)  # type: ignore[arg-type]  # an Engine but start/close
    before = await imported(store)
    feature = next(iter(before.features.values()))
    change = PutDocument(items=(feature.model_copy(update={"name": "renamed"}),))
    assert await store.write(change, before.version, AuditRecord("upsertFeature", "t")) == 2
    statement, params = recording.writes[-1]
    assert unwound(statement) == ["features"]
    assert set(params) == {"features", "auditId", "audit", "expectedVersion"}
    assert (await store.snapshot()).features[feature.id].name == "renamed"


def changed(portfolio: Portfolio, kind: Kind, n: int) -> Item:
    """An item of `kind` with its text and every link changed (to other existing targets)."""
    items = [portfolio.collection(kind)[i] for i in sorted(portfolio.collection(kind))]
    item = items[n % len(items)]
    text = "name" if "name" in type(item).model_fields else "title"
    update: dict[str, Any] = {text: f"{getattr(item, text)} (change {n})"}
    for link in links_of(kind):
        current = link.ids(item)
        others = [t for t in sorted(portfolio.collection(link.target)) if t not in current]
        if not others:
            continue
        other = others[n % len(others)]
        if link.arity is Arity.ONE:
            update[link.field] = other
        elif link.arity is Arity.MANY:  # one dropped, one added; sorted as the store reads
            update[link.field] = tuple(sorted({*current[1:], other}))
        else:
            value = getattr(item, link.field)
            update[link.field] = {other: float(n + 1),
                                  **{k: v + 1 for k, v in list(value.items())[1:]}}
    return item.model_copy(update=update)


def new_dependency(portfolio: Portfolio) -> tuple[str, str]:
    ids = sorted(portfolio.features)
    return next((a, b) for a in ids for b in ids
                if a != b and (a, b) not in portfolio.dependencies)


def combinations() -> list[tuple[tuple[Kind, ...], bool]]:
    """A dependency alone, every kind alone and every pair of kinds (some with a new
    dependency: the example's 4 features leave 10 pairs to add), then everything."""
    kinds = [*itertools.combinations(ORDER, 1), *itertools.combinations(ORDER, 2)]
    return [((), True), *((k, i % 8 == 0) for i, k in enumerate(kinds)), (tuple(ORDER), True)]


async def test_each_combination_of_kinds_writes_what_apply_says(engine: Engine) -> None:
    store = Store(engine)
    before = await imported(store)
    for n, (kinds, with_deps) in enumerate(combinations()):
        change = PutDocument(items=tuple(changed(before, k, n) for k in kinds),
                             dependencies=(new_dependency(before),) if with_deps else ())
        version = await store.write(change, before.version, AuditRecord("put", "t"))
        assert version == before.version + 1, (kinds, with_deps)
        expected = apply(before, change)
        expected.version = version
        after = await Store(engine).snapshot()  # read back, not the cache
        assert after == expected, (kinds, with_deps)
        before = after
