"""Reports for auditors and RTEs from the command line: csv, json and table carry the same
rows as the API's answers (audit, log --overrides-only, rank, impact)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from graph.config import EngineConfig
from graph.engines.falkordb import FalkorDBEngine
from graph.model import Portfolio
from graph.store import Store
from rules.impact import impact
from rules.ranking import rank


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    data = str(tmp_path / "data")
    assert run(capsys, "demo", "--data-dir", data)[0] == 0
    return data


def snapshot(data: str) -> Portfolio:
    async def load() -> Portfolio:
        store = Store(FalkorDBEngine(EngineConfig(data_dir=Path(data)), supervise=False))
        await store.start()
        try:
            return await store.snapshot()
        finally:
            await store.close()

    return asyncio.run(load())


def test_audit_and_log_as_csv(demo: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "audit", "--data-dir", demo, "--format", "json")
    as_json: list[dict[str, Any]] = json.loads(out)
    code_csv, out, _ = run(capsys, "audit", "--data-dir", demo, "--format", "csv")
    as_csv = rows(out)
    assert code == code_csv == 1 and len(as_csv) == len(as_json) > 0
    for a, b in zip(as_json, as_csv, strict=True):
        assert (b["rule"], b["subjectId"], b["relatedIds"], float(b["excess"]), b["message"]) == (
            a["rule"], a["subjectId"], ";".join(a["relatedIds"]), a["excess"], a["message"])
    _, out, _ = run(capsys, "log", "--data-dir", demo, "--format", "csv", "--overrides-only")
    [override] = rows(out)  # the demo story's one override
    assert (override["operation"], override["itemId"], override["version"]) == (
        "upsertEpic", "E-CUSTOMER-360", "2")
    assert "LPM approved" in override["justification"]
    assert json.loads(override["after"])["estimatedCost"] == 2_400_000
    _, out, _ = run(capsys, "log", "--data-dir", demo, "--format", "csv")
    assert [r["version"] for r in rows(out)] == ["4", "3", "2", "1"]


def test_rank_in_every_format_is_the_ranking(demo: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    portfolio = snapshot(demo)
    expected = rank(portfolio, "FEATURE", pi_id="PI-26-2", respect_dependencies=True, limit=20)
    argv = ("rank", "--data-dir", demo, "--pi", "PI-26-2", "--respect-dependencies",
            "--limit", "20")
    _, out, _ = run(capsys, *argv, "--format", "csv")
    as_csv = rows(out)
    assert [(int(r["rank"]), r["id"]) for r in as_csv] == [(e.rank, e.item_id) for e in expected]
    assert [float(r["score"]) for r in as_csv] == [e.wsjf.score for e in expected]
    _, out, _ = run(capsys, *argv, "--format", "json")
    assert [r["id"] for r in json.loads(out)] == [e.item_id for e in expected]
    code, _, err = run(capsys, "rank", "--data-dir", demo, "--limit", "0")
    assert code == 2 and "limit" in err


def test_impact_with_a_slip_as_csv(demo: str, capsys: pytest.CaptureFixture[str]) -> None:
    portfolio = snapshot(demo)
    result = impact(portfolio, "F-SEPA-INSTANT-POSTING", 10, "PI-26-3")
    assert result is not None and result.items
    _, out, _ = run(capsys, "impact", "F-SEPA-INSTANT-POSTING", "--data-dir", demo,
                    "--slip-to", "PI-26-3", "--format", "csv")
    found = rows(out)
    assert [(r["id"], int(r["depth"])) for r in found] == [
        ("F-SEPA-INSTANT-POSTING", 0), *((i.item_id, i.depth) for i in result.items)]
    slips = {s.item_id: s.to_pi_id for s in result.slips}
    assert {r["id"]: r["slipsTo"] for r in found if r["slipsTo"]} == slips
    code, _, err = run(capsys, "impact", "E-CUSTOMER-360", "--data-dir", demo)
    assert code == 2 and "features only" in err
    code, _, err = run(capsys, "impact", "F-SEPA-INSTANT-POSTING", "--data-dir", demo,
                       "--slip-to", "PI-NOPE")
    assert code == 2 and "PI-NOPE" in err
