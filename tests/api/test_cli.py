"""The `portfolio-graph` command, in process, on its own embedded engine per data dir."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Any

import pytest

from api.cli import main
from tests.helpers import DATA, example


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return str(path)


def test_demo_then_audit_and_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    code, out, _ = run(capsys, "demo", "--data-dir", data)
    assert code == 0 and "Imported:" in out
    code, out, _ = run(capsys, "audit", "--data-dir", data, "--format", "json")
    violations = json.loads(out)
    assert code == 1  # the demo plants ERROR-severity violations
    assert {"approval.significant-epic", "dependency.schedule-conflict"} <= {
        v["rule"] for v in violations if v["severity"] == "ERROR"}
    code, out, _ = run(capsys, "log", "--data-dir", data, "--format", "json")
    *story, entry = json.loads(out)  # newest first: the story's three changes, the import
    assert code == 0
    assert (entry["operation"], entry["actor"]) == ("importPortfolio", f"cli:{getpass.getuser()}")
    assert len(entry["after"]["created"]) > 200
    assert [(e["operation"], e["itemId"]) for e in story] == [("upsertEpic", "E-CUSTOMER-360")] * 3
    assert story[-1]["justification"]  # the override that broke the budget


def test_audit_exits_zero_without_errors(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    raw = example()
    raw["epics"][1]["approved"] = True  # the example's only significant unapproved epic
    raw["dependencies"] = [d for d in raw["dependencies"] if d["to"] != "F-SESSION-REPL"]
    assert run(capsys, "import", write(tmp_path, "p.json", raw), "--data-dir", data)[0] == 0
    code, out, _ = run(capsys, "audit", "--data-dir", data, "--format", "json")
    assert code == 0, out
    assert all(v["severity"] != "ERROR" for v in json.loads(out))


def test_invalid_import_exits_1_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    data = str(tmp_path / "data")
    assert run(capsys, "import", str(DATA / "example-portfolio.json"), "--data-dir", data)[0] == 0
    raw = example()
    raw["themes"].append({"id": "TH-NEW", "name": "would be created"})
    raw["features"][0]["wsjf"]["jobSize"] = 7
    code, _, err = run(capsys, "import", write(tmp_path, "bad.json", raw), "--data-dir", data,
                       "--format", "json")
    assert code == 1
    code, out, _ = run(capsys, "import", write(tmp_path, "bad.json", raw), "--data-dir", data,
                       "--format", "json")
    result = json.loads(out)
    assert result["applied"] is False
    assert [(e["path"], e["code"]) for e in result["errors"]] == [
        ("features.0.wsjf.jobSize", "OFF_SCALE")]
    _, out, _ = run(capsys, "log", "--data-dir", data, "--format", "json")
    assert len(json.loads(out)) == 1  # only the first import
    code, _, err = run(capsys, "import", str(tmp_path / "missing.json"), "--data-dir", data)
    assert code == 2 and "No such file" in err
    (tmp_path / "broken.json").write_text("{not json")
    code, _, err = run(capsys, "import", str(tmp_path / "broken.json"), "--data-dir", data)
    assert code == 1 and "not valid JSON" in err


def test_policy_file_changes_the_audit_and_bad_policy_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    data = str(tmp_path / "data")
    assert run(capsys, "import", str(DATA / "example-portfolio.json"), "--data-dir", data)[0] == 0
    policy = tmp_path / "policy.yaml"
    policy.write_text("guardrails:\n  traceability.unaligned: {enabled: false}\n"
                      "  approval.significant-epic: {severity: warning}\n")
    _, default_out, _ = run(capsys, "audit", "--data-dir", data, "--format", "json")
    code, custom_out, _ = run(capsys, "audit", "--data-dir", data, "--format", "json",
                              "--policy", str(policy))
    default = {(v["rule"], v["subjectId"]): v["severity"] for v in json.loads(default_out)}
    custom = {(v["rule"], v["subjectId"]): v["severity"] for v in json.loads(custom_out)}
    assert default[("traceability.unaligned", "F-TRACING")] == "WARNING"
    assert ("traceability.unaligned", "F-TRACING") not in custom
    assert default[("approval.significant-epic", "E-CHECKOUT-HA")] == "ERROR"
    assert custom[("approval.significant-epic", "E-CHECKOUT-HA")] == "WARNING"
    example_policy = str(DATA / "example-policy.yaml")
    assert run(capsys, "audit", "--data-dir", data, "--policy", example_policy)[0] in (0, 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text("guardrails:\n  kanban.wip-limit: {limits: {ANALYZING: -1}}\n")
    code, _, err = run(capsys, "audit", "--data-dir", data, "--policy", str(bad))
    assert code == 2 and "kanban.wip-limit" in err


def test_serve_refuses_open_mode_off_loopback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PORTFOLIO_JWT_SECRET", raising=False)
    code, _, err = run(capsys, "serve", "--host", "0.0.0.0", "--data-dir", str(tmp_path))
    assert code == 2 and "PORTFOLIO_JWT_SECRET" in err


# --- imports from Jira, Azure DevOps and spreadsheets ---------------------------

SOURCES = DATA / "sources"


def test_import_from_jira_lands_with_its_dependencies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert run(capsys, "import", write(tmp_path, "example.json", example()),
               "--data-dir", data)[0] == 0
    code, out, err = run(capsys, "import", str(SOURCES / "jira"), "--from", "jira",
                         "--mapping", str(SOURCES / "jira-mapping.yaml"), "--data-dir", data,
                         "--format", "json")
    assert code == 0, err
    assert json.loads(out)["created"] == 5
    code, out, _ = run(capsys, "log", "--data-dir", data, "--format", "json", "--limit", "1")
    [entry] = json.loads(out)
    assert sorted(entry["after"]["created"]) == ["PAY-1", "PAY-2", "PAY-3", "PAY-5", "PAY-6"]


def test_a_bad_export_writes_nothing_and_names_the_row(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert run(capsys, "import", write(tmp_path, "example.json", example()),
               "--data-dir", data)[0] == 0
    sheet = tmp_path / "plan.csv"
    sheet.write_text("kind,id,name,workType,state,team\n"
                     "feature,F-NEW,New,BUSINESS,BACKLOG,T-KESTREL\n"
                     "feature,F-BAD,Bad,BUSINESS,BACKLOG,T-NOBODY\n")
    code, out, _ = run(capsys, "import", str(sheet), "--from", "csv", "--data-dir", data,
                       "--format", "json")
    result = json.loads(out)
    assert code == 1 and result["applied"] is False
    assert [(e["path"], e["code"]) for e in result["errors"]] == [
        ("plan.csv:row 3.team", "UNKNOWN_REFERENCE")]
    code, out, _ = run(capsys, "log", "--data-dir", data, "--format", "json")
    assert len(json.loads(out)) == 1  # only the first import


def test_export_and_mapping_errors_exit_1_with_the_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    code, _, err = run(capsys, "import", str(tmp_path / "missing"), "--from", "jira",
                       "--data-dir", data)
    assert code == 1 and "no such file or folder" in err
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("feature: {fields: {colour: summary}}\n")
    code, _, err = run(capsys, "import", str(SOURCES / "jira"), "--from", "jira",
                       "--mapping", str(mapping), "--data-dir", data)
    assert code == 1 and "feature.fields.colour" in err


def test_the_document_schema_accepts_documents_and_names_what_is_wrong(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema

    from graph.samples.demo import demo_document

    code, out, _ = run(capsys, "schema", "document")
    schema = json.loads(out)
    assert code == 0
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    for document in (example(), demo_document()):
        assert list(validator.iter_errors(document)) == []
    bad = example()
    bad["features"][0]["wsjf"]["jobSize"] = 4  # not on the modified Fibonacci scale
    bad["features"][1]["colour"] = "red"
    bad["pis"][0]["start"] = "next monday"
    bad["teams"][0]["id"] = "team one"
    errors = list(validator.iter_errors(bad))
    # An optional object's errors sit in the context of its anyOf (object or null).
    found = {tuple(e.absolute_path) for error in errors for e in [error, *error.context]}
    assert {("features", 0, "wsjf", "jobSize"), ("features", 1), ("pis", 0, "start"),
            ("teams", 0, "id")} <= found
    policy = tmp_path / "policy.yaml"
    policy.write_text("wsjf: {scale: [1, 2, 4, 8]}\n")
    code, out, _ = run(capsys, "schema", "document", "--policy", str(policy))
    assert json.loads(out)["$defs"]["Wsjf"]["properties"]["jobSize"]["enum"] == [1, 2, 4, 8]


def test_graph_draws_the_program_board(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "data")
    assert run(capsys, "demo", "--data-dir", data)[0] == 0
    code, out, _ = run(capsys, "graph", "--data-dir", data, "--format", "dot",
                       "--conflicts-only")
    assert code == 0 and out.startswith("digraph program_board {")
    conflicts = out.count('label="conflict"')
    assert conflicts >= 1  # the demo plants schedule conflicts
    assert out.count(" -> ") == conflicts  # and only those are drawn
    code, out, _ = run(capsys, "graph", "--data-dir", data)
    assert code == 0 and out.startswith("flowchart LR")
    code, out, _ = run(capsys, "audit", "--data-dir", data, "--format", "json")
    planted = {v["subjectId"] for v in json.loads(out) if v["rule"] ==
               "dependency.schedule-conflict"}
    code, out, _ = run(capsys, "graph", "--data-dir", data, "--around", sorted(planted)[0],
                       "--out", str(tmp_path / "impact.mmd"))
    assert code == 0 and (tmp_path / "impact.mmd").read_text().startswith("flowchart LR")
    code, _, err = run(capsys, "graph", "--data-dir", data, "--pi", "PI-NOPE")
    assert code == 2 and "No PI with id 'PI-NOPE'" in err


def test_graph_escapes_names_for_each_format(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    document = example()
    document["features"][0]["name"] = 'Evil "] --> x; } digraph { [label="'
    dependency = document["dependencies"][0]
    data = str(tmp_path / "data")
    assert run(capsys, "import", write(tmp_path, "doc.json", document), "--data-dir", data)[0] == 0
    code, dot, _ = run(capsys, "graph", "--data-dir", data, "--format", "dot")
    assert code == 0 and dependency["from"] in dot
    [line] = [line for line in dot.splitlines() if "Evil" in line]
    assert line.replace('\\"', "").count('"') == 2  # only the label's own quotes are bare
    code, mermaid, _ = run(capsys, "graph", "--data-dir", data)
    [line] = [line for line in mermaid.splitlines() if "Evil" in line]
    assert code == 0 and line.count('"') == 2 and "#quot;] --#gt; x;" in line


# --- user text is printed as it is (issue 10 item 5) ---------------------------------

MARKUP = "[/]"  # a closing tag with nothing to close: rich's MarkupError when parsed
EMOJI = ":smile: [bold]"


async def _override_with_justification(data: str, justification: str) -> None:
    """An ERROR-introducing dependency, overridden: the log then shows the justification."""
    from api.roles import Actor, Role
    from api.service import PortfolioService
    from graph.config import EngineConfig
    from graph.engines.falkordb import FalkorDBEngine
    from graph.store import Store
    from rules.policy import default_policy

    store = Store(FalkorDBEngine(EngineConfig(data_dir=Path(data)), supervise=False))
    await store.start()
    try:
        service = PortfolioService(store, default_policy())
        outcome = await service.add_dependency(
            "F-INTENTS", "F-SESSION-REPL", Actor(id="lpm", roles=frozenset({Role.PORTFOLIO})),
            justification=justification)
        assert outcome.applied
    finally:
        await store.close()


def test_names_and_justifications_with_markup_print_as_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    import asyncio

    data = str(tmp_path / "data")
    raw = example()
    names = {f["id"]: f for f in raw["features"]}
    names["F-SESSION-REPL"]["name"] = MARKUP  # F-HANDOVER depends on it: schedule conflict
    names["F-HANDOVER"]["name"] = EMOJI
    code, out, _ = run(capsys, "import", write(tmp_path, "p.json", raw), "--data-dir", data)
    assert code == 0, out
    assert MARKUP in out and ":smile:" in out and "[bold]" in out  # the import's violations
    code, out, _ = run(capsys, "audit", "--data-dir", data)
    assert code == 1 and MARKUP in out and ":smile:" in out  # the CI gate still decides
    asyncio.run(_override_with_justification(data, "[/] [red]urgent :fire:"))
    code, out, _ = run(capsys, "log", "--data-dir", data)
    assert code == 0 and "[/] [red]urgent :fire:" in out
    code, out, _ = run(capsys, "demo", "--data-dir", data)
    assert code == 0 and MARKUP in out  # demo reports the violations of the whole store


def test_rejections_and_paths_with_markup_print_as_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    data = str(tmp_path / "data")
    raw = {"themes": [{"id": "[/]", "name": "x"}]}
    code, _, err = run(capsys, "import", write(tmp_path, "bad.json", raw), "--data-dir", data)
    assert code == 1 and "invalid id '[/]'" in err and "nothing was written" in err
    code, _, err = run(capsys, "import", str(tmp_path / "[red]gone:x:.json"), "--data-dir", data)
    assert code == 2 and "[red]gone:x:.json" in err
    (tmp_path / "[red]broken.json").write_text("{not json")
    code, _, err = run(capsys, "import", str(tmp_path / "[red]broken.json"), "--data-dir", data)
    assert code == 1 and "[red]broken.json is not valid JSON" in err


def test_a_data_dir_others_can_write_is_refused_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    data = tmp_path / "shared"
    data.mkdir()
    data.chmod(0o777)
    code, _, err = run(capsys, "audit", "--data-dir", str(data))
    assert code == 3 and str(data) in err and "chmod 700" in err
    assert list(data.iterdir()) == []  # nothing created in it


def test_the_demo_story_breaks_a_budget_and_mends_it(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """`demo` leaves a history to explore: VS-RETAIL over budget at versions 2 and 3 (by
    less at 3), within it at 4 and at the import."""
    data = str(tmp_path / "data")
    assert run(capsys, "demo", "--data-dir", data)[0] == 0

    def retail_excess(*as_of: str) -> float | None:
        _, out, _ = run(capsys, "audit", "--data-dir", data, "--format", "json", *as_of)
        found = [v["excess"] for v in json.loads(out)
                 if (v["rule"], v["subjectId"]) == ("budget.value-stream", "VS-RETAIL")]
        return found[0] if found else None

    assert retail_excess("--as-of", "1") is None
    assert retail_excess("--as-of", "2") == 130_000
    assert retail_excess("--as-of", "3") == 30_000
    assert retail_excess() is None
