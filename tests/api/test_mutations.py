"""Every mutation over HTTP: writes, dry runs, blocking guardrails, overrides, input errors."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import IMPORT, Api, example_document

CHANGE = "applied item { id } errors { path code message } violations { rule severity subjectId }"
UPSERT_EPIC = f"""
mutation($input: EpicInput!, $dryRun: Boolean, $override: OverrideInput) {{
  upsertEpic(input: $input, dryRun: $dryRun, override: $override) {{ {CHANGE} }} }}"""
UPSERT_FEATURE = f"""
mutation($input: FeatureInput!, $dryRun: Boolean, $override: OverrideInput) {{
  upsertFeature(input: $input, dryRun: $dryRun, override: $override) {{ {CHANGE} }} }}"""
ADD_DEPENDENCY = f"""
mutation($from: ID!, $to: ID!, $dryRun: Boolean, $override: OverrideInput) {{
  addDependency(from: $from, to: $to, dryRun: $dryRun, override: $override) {{ {CHANGE} }} }}"""
REMOVE_DEPENDENCY = f"""
mutation($from: ID!, $to: ID!) {{ removeDependency(from: $from, to: $to) {{ {CHANGE} }} }}"""
DELETE = f"""mutation($id: ID!) {{ deleteItem(id: $id) {{ {CHANGE} }} }}"""
AUDIT = """query($item: ID) { auditLog(itemId: $item) {
  operation actor itemId justification before after } }"""

BIG_EPIC = {"id": "E-BIG", "name": "Core banking swap", "type": "BUSINESS",
            "state": "IMPLEMENTING", "estimatedCost": 2000000, "themes": ["TH-DIGITAL"],
            "businessOwner": "Sam"}


def rules_of(result: dict[str, Any]) -> list[str]:
    return [v["rule"] for v in result["violations"]]


async def test_import_counts_created_and_updated(api: Api) -> None:
    first = (await api.data(IMPORT, {"doc": example_document()}))["importPortfolio"]
    assert (first["applied"], first["created"], first["updated"], first["errors"]) == (
        True, 18, 0, [])
    assert "traceability.unaligned" in rules_of(first)
    again = (await api.data(IMPORT, {"doc": {"themes": [
        {"id": "TH-DIGITAL", "name": "Digital first"}, {"id": "TH-NEW", "name": "New"}]}}))
    result = again["importPortfolio"]
    assert (result["applied"], result["created"], result["updated"]) == (True, 1, 1)
    themes = await api.data("{ themes { id name } }")
    assert themes["themes"][0] == {"id": "TH-DIGITAL", "name": "Digital first"}


async def test_invalid_import_writes_nothing_and_reports_paths(example: Api) -> None:
    before = await example.data("{ features(first: 500) { totalCount } auditLog { id } }")
    doc = {
        "features": [{"id": "F-NEW", "name": "x", "type": "BUSINESS", "state": "BACKLOG",
                      "wsjf": {"userBusinessValue": 1, "timeCriticality": 1,
                               "riskReductionOpportunityEnablement": 1, "jobSize": 4}},
                     {"id": "F-OTHER", "name": "y", "type": "BUSINESS", "state": "NOPE",
                      "colour": "red"},
                     {"id": "F-THIRD", "name": "z", "type": "BUSINESS", "state": "BACKLOG",
                      "team": "T-NOWHERE"}],
    }
    result = (await example.data(IMPORT, {"doc": doc}))["importPortfolio"]
    assert result["applied"] is False and result["created"] == 0
    found = {(e["path"], e["code"]) for e in result["errors"]}
    assert ("features.0.wsjf.jobSize", "OFF_SCALE") in found
    assert ("features.1.state", "INVALID_ENUM") in found
    assert ("features.1.colour", "UNKNOWN_FIELD") in found
    assert "UNKNOWN_REFERENCE" in {code for _, code in found}
    after = await example.data("{ features(first: 500) { totalCount } auditLog { id } }")
    assert after == before


async def test_reference_error_paths_index_the_document(api: Api) -> None:
    doc = {"features": [
        {"id": "F-A", "name": "a", "type": "BUSINESS", "state": "NOPE"},
        {"id": "F-B", "name": "b", "type": "BUSINESS", "state": "BACKLOG", "team": "T-NOWHERE"},
    ]}
    result = (await api.data(IMPORT, {"doc": doc}))["importPortfolio"]
    assert {(e["path"], e["code"]) for e in result["errors"]} == {
        ("features.0.state", "INVALID_ENUM"), ("features.1.team", "UNKNOWN_REFERENCE")}


async def test_upsert_epic_creates_and_is_audited(example: Api) -> None:
    epic = {"id": "E-NEW", "name": "Open banking", "type": "BUSINESS", "state": "FUNNEL",
            "horizon": "H3", "themes": ["TH-DIGITAL"],
            "wsjf": {"userBusinessValue": 3, "timeCriticality": 2,
                     "riskReductionOpportunityEnablement": 1, "jobSize": 5}}
    result = (await example.data(UPSERT_EPIC, {"input": epic}))["upsertEpic"]
    assert result == {"applied": True, "item": {"id": "E-NEW"}, "errors": [], "violations": []}
    stored = (await example.data('{ epic(id: "E-NEW") { horizon themes { id } wsjf { score } '
                                 'approved } }'))["epic"]
    assert stored == {"horizon": "H3", "themes": [{"id": "TH-DIGITAL"}],
                      "wsjf": {"score": 1.2}, "approved": False}
    log = (await example.data(AUDIT, {"item": "E-NEW"}))["auditLog"]
    assert [(e["operation"], e["actor"], e["before"]) for e in log] == [
        ("upsertEpic", "anonymous", None)]
    assert log[0]["after"]["horizon"] == "H3"


async def test_upsert_replaces_and_keeps_approval_when_left_out(example: Api) -> None:
    epic = {"id": "E-CHATBOT", "name": "Chatbot v2", "type": "BUSINESS", "state": "IMPLEMENTING"}
    result = (await example.data(UPSERT_EPIC, {"input": epic}))["upsertEpic"]
    assert result["applied"] is True
    stored = (await example.data('{ epic(id: "E-CHATBOT") { name approved horizon '
                                 'keyResults { id } } }'))["epic"]
    assert stored == {"name": "Chatbot v2", "approved": True, "horizon": None, "keyResults": []}


async def test_dry_run_writes_nothing(example: Api) -> None:
    epic = {"id": "E-DRY", "name": "Dry", "type": "ENABLER", "state": "FUNNEL"}
    result = (await example.data(UPSERT_EPIC, {"input": epic, "dryRun": True}))["upsertEpic"]
    assert result["applied"] is False and result["item"] == {"id": "E-DRY"}
    assert result["errors"] == []
    check = await example.data('{ epic(id: "E-DRY") { id } auditLog { operation } }')
    assert check["epic"] is None
    assert [e["operation"] for e in check["auditLog"]] == ["importPortfolio"]


async def test_blocking_guardrail_then_override_with_justification(example: Api) -> None:
    blocked = (await example.data(UPSERT_EPIC, {"input": BIG_EPIC}))["upsertEpic"]
    assert blocked["applied"] is False
    assert ("approval.significant-epic", "ERROR", "E-BIG") in {
        (v["rule"], v["severity"], v["subjectId"]) for v in blocked["violations"]}
    assert (await example.data('{ epic(id: "E-BIG") { id } }'))["epic"] is None
    preview = (await example.data(UPSERT_EPIC, {
        "input": BIG_EPIC, "dryRun": True, "override": {"justification": "board decision"}}))
    assert preview["upsertEpic"]["applied"] is False
    assert (await example.data('{ epic(id: "E-BIG") { id } }'))["epic"] is None
    done = (await example.data(UPSERT_EPIC, {
        "input": BIG_EPIC, "override": {"justification": "board decision 2026-02"}}))
    assert done["upsertEpic"]["applied"] is True
    assert "approval.significant-epic" in rules_of(done["upsertEpic"])
    log = (await example.data(AUDIT, {"item": "E-BIG"}))["auditLog"]
    assert [(e["operation"], e["justification"]) for e in log] == [
        ("upsertEpic", "board decision 2026-02")]


async def test_empty_justification_is_bad_input(example: Api) -> None:
    body = await example.gql(UPSERT_EPIC, {"input": BIG_EPIC,
                                           "override": {"justification": "  "}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["data"] is None


async def test_upsert_feature_input_errors_are_data_with_paths(example: Api) -> None:
    feature = {"id": "F-NEW", "name": "x", "type": "BUSINESS", "state": "BACKLOG",
               "team": "T-NOWHERE", "epic": "F-INTENTS",
               "wsjf": {"userBusinessValue": 1, "timeCriticality": 1,
                        "riskReductionOpportunityEnablement": 1, "jobSize": 4}}
    result = (await example.data(UPSERT_FEATURE, {"input": feature}))["upsertFeature"]
    assert result["applied"] is False and result["violations"] == []
    found = {(e["path"], e["code"]) for e in result["errors"]}
    # Paths point into the mutation's `input` argument.
    assert found == {("input.wsjf.jobSize", "OFF_SCALE"), ("input.team", "UNKNOWN_REFERENCE"),
                     ("input.epic", "UNKNOWN_REFERENCE")}
    assert (await example.data('{ feature(id: "F-NEW") { id } }'))["feature"] is None


async def test_upsert_feature_blocked_by_schedule_conflict(example: Api) -> None:
    moved = {"id": "F-INTENTS", "name": "Intents", "type": "BUSINESS", "state": "BACKLOG",
             "epic": "E-CHATBOT", "team": "T-ORBIT", "pi": "PI-26-2", "points": 21,
             "wsjf": {"userBusinessValue": 8, "timeCriticality": 5,
                      "riskReductionOpportunityEnablement": 3, "jobSize": 8}}
    result = (await example.data(UPSERT_FEATURE, {"input": moved}))["upsertFeature"]
    assert result["applied"] is False
    assert [(v["rule"], v["subjectId"]) for v in result["violations"]] == [
        ("dependency.schedule-conflict", "F-HANDOVER")]
    pi = await example.data('{ feature(id: "F-INTENTS") { pi { id } } }')
    assert pi["feature"]["pi"]["id"] == "PI-26-1"


async def test_add_and_remove_dependency(example: Api) -> None:
    added = (await example.data(ADD_DEPENDENCY, {"from": "F-TRACING", "to": "F-INTENTS"}))
    assert added["addDependency"] == {"applied": True, "item": {"id": "F-TRACING"},
                                      "errors": [], "violations": []}
    deps = await example.data('{ feature(id: "F-INTENTS") { dependents { id } } }')
    assert [f["id"] for f in deps["feature"]["dependents"]] == ["F-HANDOVER", "F-TRACING"]
    removed = (await example.data(REMOVE_DEPENDENCY, {"from": "F-TRACING", "to": "F-INTENTS"}))
    assert removed["removeDependency"]["applied"] is True
    deps = await example.data('{ feature(id: "F-INTENTS") { dependents { id } } }')
    assert [f["id"] for f in deps["feature"]["dependents"]] == ["F-HANDOVER"]
    again = (await example.data(REMOVE_DEPENDENCY, {"from": "F-TRACING", "to": "F-INTENTS"}))
    assert again["removeDependency"]["applied"] is False
    assert again["removeDependency"]["errors"][0]["code"] == "NOT_FOUND"
    ops = [e["operation"] for e in (await example.data(AUDIT, {"item": "F-TRACING"}))["auditLog"]]
    assert ops == ["removeDependency", "addDependency", "importPortfolio"]


async def test_add_dependency_cycle_is_blocked_and_errors_are_data(example: Api) -> None:
    cycle = (await example.data(ADD_DEPENDENCY, {"from": "F-INTENTS", "to": "F-HANDOVER",
                                                 "dryRun": False}))["addDependency"]
    assert cycle["applied"] is False
    assert "dependency.cycle" in rules_of(cycle)
    itself = (await example.data(ADD_DEPENDENCY, {"from": "F-INTENTS", "to": "F-INTENTS"}))
    assert [(e["path"], e["code"]) for e in itself["addDependency"]["errors"]] == [
        ("to", "SELF_DEPENDENCY")]
    unknown = (await example.data(ADD_DEPENDENCY, {"from": "E-CHATBOT", "to": "F-NOPE"}))
    assert {(e["path"], e["code"]) for e in unknown["addDependency"]["errors"]} == {
        ("from", "UNKNOWN_REFERENCE"), ("to", "UNKNOWN_REFERENCE")}
    deps = await example.data('{ feature(id: "F-INTENTS") { dependsOn { id } } }')
    assert deps["feature"]["dependsOn"] == []


async def test_delete_item(example: Api) -> None:
    refused = (await example.data(DELETE, {"id": "O-UPTIME"}))["deleteItem"]
    assert refused["applied"] is False
    assert [(e["path"], e["code"]) for e in refused["errors"]] == [("id", "IN_USE")]
    deleted = (await example.data(DELETE, {"id": "T-KESTREL"}))["deleteItem"]
    assert deleted["applied"] is True and deleted["item"] == {"id": "T-KESTREL"}
    after = await example.data('{ teams { id } feature(id: "F-HANDOVER") { team { id } } }')
    assert after == {"teams": [{"id": "T-ORBIT"}], "feature": {"team": None}}
    missing = (await example.data(DELETE, {"id": "T-KESTREL"}))["deleteItem"]
    assert missing["applied"] is False and missing["errors"][0]["code"] == "NOT_FOUND"
    log = (await example.data(AUDIT, {"item": "T-KESTREL"}))["auditLog"]
    assert log[0]["operation"] == "deleteItem" and log[0]["before"]["name"] == "Kestrel"
