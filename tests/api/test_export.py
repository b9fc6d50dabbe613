"""Export and the archive's import, on the real embedded engine.

Failure cases first: an archive that is malformed, that carries an invalid
portfolio, or that meets a store holding data writes nothing. Then the round
trips: export -> import into an empty store gives the same items,
dependencies, violations and ranking (demo and a 500-feature synthetic
portfolio), and the archive keeps every audit entry as it was.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from api.roles import Actor
from api.service import PortfolioService
from graph.engines.base import Engine
from graph.export import document, parse_archive
from graph.history import History, HistoryUnavailable, history_start
from graph.model import Epic, Feature, Kind, Portfolio, Team
from graph.samples.demo import demo_document
from graph.samples.synthetic import synthetic_document
from graph.store import Store
from rules.policy import default_policy, policy_from_mapping
from rules.ranking import RankingError, rank
from tests.conftest import wipe
from tests.helpers import content_hash, example

ADMIN = Actor("alice", frozenset({"admin"}))
MOVER = Actor("cli:mover", frozenset({"admin"}))
# One epic may be implementing: the example already has E-CHATBOT there.
TIGHT = policy_from_mapping({"guardrails": {"kanban.wip-limit": {"limits": {"IMPLEMENTING": 1}}}})


def fresh(engine: Engine) -> PortfolioService:
    return PortfolioService(Store(engine), default_policy())


async def archived_example(engine: Engine) -> dict[str, Any]:
    """An archive of the example after an import, an override, and a delete."""
    service = PortfolioService(Store(engine), TIGHT)
    assert (await service.import_document(example(), ADMIN)).applied
    epic = next(e for e in example()["epics"] if e["id"] == "E-CHECKOUT-HA")
    epic.update(name="Checkout [high availability]", state="IMPLEMENTING")
    outcome = await service.upsert(Kind.EPIC, epic, ADMIN, justification="Board decision 7")
    assert outcome.applied and outcome.violations  # an override of the WIP limit
    assert (await service.delete_item("F-SESSION-REPL", ADMIN)).applied
    return await service.export(with_audit=True)


async def assert_unchanged(service: PortfolioService, digest: str) -> None:
    assert await content_hash(service.store.engine) == digest
    assert await service.store.version() == 0
    assert await service.store.audit_log() == []


# --- failures: nothing is written ---------------------------------------------------


@pytest.mark.parametrize(("change", "path", "code"), [
    (lambda a: a.update(format="something-else"), "format", "INVALID_ENUM"),
    (lambda a: a.update(formatVersion=2), "formatVersion", "INVALID_ENUM"),
    (lambda a: a.update(extra=1), "extra", "UNKNOWN_FIELD"),
    (lambda a: a.pop("auditLog"), "auditLog", "REQUIRED"),
    (lambda a: a.update(portfolioVersion=-1), "portfolioVersion", "INVALID_NUMBER"),
    (lambda a: a.update(exportedAt="yesterday"), "exportedAt", "INVALID_DATE"),
    (lambda a: a["auditLog"].append(dict(a["auditLog"][0], seq=99)), "auditLog.3.id",
     "DUPLICATE_ID"),
    (lambda a: a["auditLog"].reverse(), "auditLog.1.seq", "INVALID_NUMBER"),
    (lambda a: a["auditLog"][2].update(seq=4), "auditLog.2.seq", "INVALID_NUMBER"),
    (lambda a: a["auditLog"][0].update(colour="red"), "auditLog.0.colour", "UNKNOWN_FIELD"),
    (lambda a: a["auditLog"][0].pop("actor"), "auditLog.0.actor", "REQUIRED"),
    (lambda a: a["auditLog"][1].update(at="noon"), "auditLog.1.at", "INVALID_DATE"),
    (lambda a: a["portfolio"]["features"][0].update(epic="E-NOPE"), "portfolio.features.0.epic",
     "UNKNOWN_REFERENCE"),
    (lambda a: a["portfolio"].update(colour="red"), "portfolio.colour", "UNKNOWN_FIELD"),
])
async def test_a_bad_archive_is_refused_whole(falkordb: Engine, change: Any, path: str,
                                              code: str) -> None:
    archive = await archived_example(falkordb)
    change(archive)
    await wipe(falkordb)
    service = fresh(falkordb)
    digest = await content_hash(falkordb)
    outcome = await service.import_archive(archive, MOVER)
    assert not outcome.applied
    assert (path, code) in [(e.path, e.code) for e in outcome.errors], outcome.errors
    await assert_unchanged(service, digest)


async def test_an_archive_never_lands_on_a_store_holding_data(falkordb: Engine) -> None:
    archive = await archived_example(falkordb)
    service = fresh(falkordb)
    digest, log = await content_hash(falkordb), await service.store.audit_log()
    outcome = await service.import_archive(archive, MOVER)
    assert not outcome.applied
    [error] = outcome.errors
    assert error.code == "NOT_EMPTY" and "version 3" in error.message
    assert await content_hash(falkordb) == digest
    assert await service.store.audit_log() == log


def test_parse_archive_refuses_what_is_not_an_archive() -> None:
    assert [e.code for e in parse_archive([1])] == ["INVALID_TYPE"]  # type: ignore[union-attr]
    errors = parse_archive(example())
    assert isinstance(errors, list)
    assert {(e.path, e.code) for e in errors} >= {("themes", "UNKNOWN_FIELD"),
                                                  ("format", "REQUIRED")}


# --- the document -----------------------------------------------------------------------


def test_document_leaves_out_empty_optional_fields() -> None:
    portfolio = Portfolio(
        teams={"T-1": Team(id="T-1", name="One")},
        epics={"E-1": Epic(id="E-1", name="E", type="BUSINESS", state="FUNNEL")},
        features={"F-2": Feature(id="F-2", name="Two", type="ENABLER", state="BACKLOG",
                                 points=3),
                  "F-1": Feature(id="F-1", name="One", type="BUSINESS", state="DONE")},
        dependencies={("F-2", "F-1")},
    )
    doc = document(portfolio)
    assert doc["teams"] == [{"id": "T-1", "name": "One"}]
    assert doc["epics"] == [{"id": "E-1", "name": "E", "type": "BUSINESS", "state": "FUNNEL",
                             "approved": False}]
    assert doc["features"] == [
        {"id": "F-1", "name": "One", "type": "BUSINESS", "state": "DONE"},
        {"id": "F-2", "name": "Two", "type": "ENABLER", "state": "BACKLOG", "points": 3.0}]
    assert doc["dependencies"] == [{"from": "F-2", "to": "F-1"}]
    assert doc["themes"] == [] and "keyResults" in doc


# --- round trips --------------------------------------------------------------------------


def rankings(portfolio: Portfolio) -> list[Any]:
    out: list[Any] = []
    for level in ("EPIC", "FEATURE"):
        for respect in (False, True):
            try:
                entries = rank(portfolio, level, respect_dependencies=respect, limit=1000)
                out.append([(e.rank, e.item_id, e.wsjf.score) for e in entries])
            except RankingError as exc:  # a cycle: the same error on both sides
                out.append((exc.code, str(exc)))
    return out


async def observed(service: PortfolioService) -> tuple[Any, ...]:
    portfolio = await service.snapshot()
    items = {kind: dict(portfolio.collection(kind)) for kind in Kind}
    violations = [v.as_json() for v in await service.violations()]
    return items, sorted(portfolio.dependencies), violations, rankings(portfolio)


@pytest.mark.parametrize("source", ["demo", "synthetic-500"])
async def test_export_then_import_into_an_empty_store_is_the_same_portfolio(
    falkordb: Engine, source: str,
) -> None:
    raw = demo_document() if source == "demo" else synthetic_document(500, seed=3)
    service = fresh(falkordb)
    assert (await service.import_document(raw, ADMIN)).applied
    before = await observed(service)
    exported = await service.export()
    assert len(exported["features"]) == (150 if source == "demo" else 500)

    await wipe(falkordb)
    again = fresh(falkordb)
    outcome = await again.import_document(json.loads(json.dumps(exported)), ADMIN)
    assert outcome.applied, outcome.errors[:3]
    after = await observed(again)
    assert after[0] == before[0]  # items, field by field
    assert after[1] == before[1] and len(before[1]) > 0  # dependencies
    assert after[2] == before[2] and len(before[2]) > 0  # violations
    assert after[3] == before[3]  # rankings
    assert await again.export() == exported  # a fixed point


async def test_the_archive_carries_the_audit_log_as_it_was(falkordb: Engine) -> None:
    archive = await archived_example(falkordb)
    old = fresh(falkordb)
    old_log = await old.store.audit_log()
    old_state = await observed(old)
    assert [e["operation"] for e in archive["auditLog"]] == [
        "importPortfolio", "upsertEpic", "deleteItem"]
    assert archive["portfolioVersion"] == 3

    await wipe(falkordb)
    service = fresh(falkordb)
    outcome = await service.import_archive(copy.deepcopy(archive), MOVER)
    assert outcome.applied, outcome.errors
    assert await observed(service) == old_state
    [restore, *carried] = await service.store.audit_log()
    assert carried == old_log  # id, seq, at, actor, operation, item ids, justification, ...
    assert carried[1].justification == "Board decision 7"
    assert carried[0].before["id"] == "F-SESSION-REPL"  # the deleted item, kept for auditors
    assert (restore.operation, restore.actor, restore.seq) == ("importPortfolio", "cli:mover", 4)
    assert "version 3" in (restore.justification or "")
    assert await service.store.version() == 4
    assert await service.store.audit_log(item_id="F-SESSION-REPL") != []
    # The archived entries carry no changes: history starts at the import's version.
    assert await history_start(service.store) == 4
    history = History(service.store)
    assert (await history.portfolio(4)).features == (await service.store.snapshot()).features
    with pytest.raises(HistoryUnavailable, match="before the history start 4"):
        await history.portfolio(3)


# --- the command line -----------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_export_round_trip_and_archive(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    source, target, moved = (str(tmp_path / n) for n in ("src", "dst", "moved"))
    assert run(capsys, "demo", "--data-dir", source)[0] == 0
    code, out, _ = run(capsys, "export", "--data-dir", source)
    assert code == 0
    printed = json.loads(out)
    doc_file = tmp_path / "doc.json"
    assert run(capsys, "export", "--data-dir", source, "--out", str(doc_file))[0] == 0
    assert json.loads(doc_file.read_text()) == printed
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["doc.json"]  # no temp

    assert run(capsys, "import", str(doc_file), "--data-dir", target)[0] == 0
    assert json.loads(run(capsys, "export", "--data-dir", target)[1]) == printed

    archive_file = tmp_path / "archive.json"
    assert run(capsys, "export", "--data-dir", source, "--with-audit",
               "--out", str(archive_file))[0] == 0
    code, _, err = run(capsys, "import", str(archive_file), "--data-dir", moved)
    assert code == 1 and "--with-audit" in err and "nothing was written" in err
    code, _, _ = run(capsys, "import", "--with-audit", str(archive_file), "--data-dir", moved)
    assert code == 0
    code, out, _ = run(capsys, "log", "--data-dir", moved, "--format", "json")
    # Newest first: the archive's import, then the demo's story and import, carried over.
    assert [e["operation"] for e in json.loads(out)] == [
        "importPortfolio", "upsertEpic", "upsertEpic", "upsertEpic", "importPortfolio"]
    assert json.loads(run(capsys, "export", "--data-dir", moved)[1]) == printed
    # Into a store holding data: refused, nothing written.
    code, _, err = run(capsys, "import", "--with-audit", str(archive_file), "--data-dir", moved)
    assert code == 1 and "NOT_EMPTY" in err
    log = json.loads(run(capsys, "log", "--data-dir", moved, "--format", "json")[1])
    assert len(log) == 5  # unchanged


def test_cli_export_to_a_missing_directory_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    data = str(tmp_path / "data")
    assert run(capsys, "demo", "--data-dir", data)[0] == 0
    code, _, err = run(capsys, "export", "--data-dir", data, "--out",
                       str(tmp_path / "nope" / "doc.json"))
    assert code == 1 and "cannot write" in err
    assert not (tmp_path / "nope").exists()
    code, _, err = run(capsys, "export", "--data-dir", data, "--out", str(tmp_path))
    assert code == 1 and "is a directory" in err
