"""Exports of Jira, Azure DevOps and spreadsheets mapped onto the portfolio document."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from graph.document import ParsedDocument
from graph.model import Kind
from graph.sources import (
    MappingError,
    SourceError,
    SourceFormat,
    convert,
    load_mapping,
    parse_csv,
)
from graph.sources.convert import lookup
from tests.helpers import DATA

SOURCES = DATA / "sources"
# The teams and PIs of the contract's example portfolio, which the exports refer to.
EXISTING = {"T-KESTREL": Kind.TEAM, "T-ORBIT": Kind.TEAM, "PI-26-1": Kind.PI,
            "PI-26-2": Kind.PI}


def jira(path: Path = SOURCES / "jira", **override: Any) -> Any:
    mapping = load_mapping(SourceFormat.JIRA, SOURCES / "jira-mapping.yaml")
    if override:
        mapping = mapping.model_copy(update=override)
    return convert(SourceFormat.JIRA, path, mapping, EXISTING)


def parsed(converted: Any) -> ParsedDocument:
    result = converted.validate(existing=EXISTING)
    assert isinstance(result, ParsedDocument), result
    return result


def test_lookup_walks_dotted_paths_and_dotted_keys() -> None:
    data = {"status": {"name": "Done"}, "fixVersions": [{"name": "PI 26.1"}],
            "System.AreaPath": "Meridian\\Kestrel", "System.AssignedTo": {"displayName": "Sam"}}
    assert lookup(data, "status.name") == "Done"
    assert lookup(data, "fixVersions.0.name") == "PI 26.1"
    assert lookup(data, "fixVersions.3.name") is None
    assert lookup(data, "System.AreaPath") == "Meridian\\Kestrel"
    assert lookup(data, "System.AssignedTo.displayName") == "Sam"
    assert lookup(data, "nope.name") is None


def test_jira_pages_become_epics_features_and_dependencies() -> None:
    converted = jira()
    doc = parsed(converted)
    epics = {e.id: e for e in doc.items[Kind.EPIC]}
    features = {f.id: f for f in doc.items[Kind.FEATURE]}
    assert sorted(epics) == ["PAY-1", "PAY-5"]
    assert sorted(features) == ["PAY-2", "PAY-3", "PAY-6"]  # the Bug is not a portfolio item
    assert epics["PAY-1"].state == "IMPLEMENTING" and epics["PAY-5"].state == "ANALYZING"
    assert epics["PAY-1"].business_owner == "Dana Whitfield"
    pay3 = features["PAY-3"]
    assert (pay3.epic, pay3.team, pay3.pi, pay3.points, pay3.type) == (
        "PAY-1", "T-ORBIT", "PI-26-2", 5.0, "ENABLER")  # the "Enabler" label, any case
    assert features["PAY-6"].state == "VALIDATING"
    # PAY-2 blocks PAY-3 (seen from both sides: one dependency); PAY-3 blocks PAY-6.
    assert {(d.from_id, d.to_id) for d in doc.dependencies} == {
        ("PAY-3", "PAY-2"), ("PAY-6", "PAY-3")}
    source = pay3.source
    assert source is not None
    assert (source.system, source.key, source.url, source.imported_at) == (
        "jira", "PAY-3", "https://meridian.atlassian.net/browse/PAY-3", converted.imported_at)


def write_pages(tmp_path: Path, change: Any) -> Path:
    folder = tmp_path / "jira"
    folder.mkdir()
    for page in sorted((SOURCES / "jira").iterdir()):
        data = json.loads(page.read_text())
        change(page.name, data)
        (folder / page.name).write_text(json.dumps(data))
    return folder


def test_a_bad_issue_is_named_by_file_and_key(tmp_path: Path) -> None:
    def break_it(name: str, page: Any) -> None:
        if name == "search-page-2.json":
            page["issues"][1]["fields"]["status"]["name"] = "Blocked"
            page["issues"][1]["fields"]["customfield_10016"] = "lots"
            page["issues"][1]["fields"]["fixVersions"][0]["name"] = "PI 27.9"

    errors = jira(write_pages(tmp_path, break_it)).validate(existing=EXISTING)
    assert isinstance(errors, list)
    found = {(e.path, e.code) for e in errors}
    assert ("search-page-2.json:PAY-6.state", "INVALID_ENUM") in found
    assert ("search-page-2.json:PAY-6.points", "INVALID_NUMBER") in found
    assert any("feature.states" in e.message for e in errors)


def test_unknown_references_point_at_the_issue(tmp_path: Path) -> None:
    def break_it(name: str, page: Any) -> None:
        if name == "search-page-2.json":
            page["issues"][1]["fields"]["fixVersions"][0]["name"] = "PI 27.9"
            page["issues"][1]["fields"]["issuelinks"].append(
                {"type": {"name": "Blocks"}, "inwardIssue": {"key": "OPS-77"}})

    pages = write_pages(tmp_path, break_it)
    errors = jira(pages).validate(existing=EXISTING)
    assert isinstance(errors, list)
    found = {(e.path, e.code) for e in errors}
    assert ("search-page-2.json:PAY-6.pi", "UNKNOWN_REFERENCE") in found
    assert ("search-page-2.json:PAY-6.issuelinks.1.to", "UNKNOWN_REFERENCE") in found
    # The mapping can say that links leaving the import are to be left out.
    errors = jira(pages, ignore_unknown_links=True).validate(existing=EXISTING)
    assert isinstance(errors, list)
    assert {(e.path, e.code) for e in errors} == {("search-page-2.json:PAY-6.pi",
                                                   "UNKNOWN_REFERENCE")}


def test_azure_devops_work_items() -> None:
    mapping = load_mapping(SourceFormat.AZURE_DEVOPS,
                           data={"values": {"team": {"Kestrel": "T-KESTREL", "Orbit": "T-ORBIT"}}})
    converted = convert(SourceFormat.AZURE_DEVOPS, SOURCES / "azure-devops-workitems.json",
                        mapping, EXISTING)
    doc = parsed(converted)
    assert [e.id for e in doc.items[Kind.EPIC]] == ["ADO-101"]
    features = {f.id: f for f in doc.items[Kind.FEATURE]}
    assert sorted(features) == ["ADO-102", "ADO-103"]  # 104 is Removed, 105 a user story
    assert converted.skipped == ["azure-devops-workitems.json:104"]
    assert (features["ADO-103"].type, features["ADO-103"].team, features["ADO-103"].pi,
            features["ADO-103"].state, features["ADO-103"].epic) == (
        "ENABLER", "T-ORBIT", "PI-26-1", "IMPLEMENTING", "ADO-101")
    # 102's Predecessor 103, and 103's Successor 102: the same dependency, once.
    assert [(d.from_id, d.to_id) for d in doc.dependencies] == [("ADO-102", "ADO-103")]
    assert doc.items[Kind.EPIC][0].business_owner == "Sam Okafor"
    epic_source = doc.items[Kind.EPIC][0].source
    feature_source = features["ADO-102"].source
    assert epic_source is not None and feature_source is not None
    assert (epic_source.system, epic_source.key) == ("azure-devops", "101")
    assert epic_source.url == "https://dev.azure.com/meridian/Meridian/_workitems/edit/101"
    assert feature_source.url == "https://dev.azure.com/meridian/_workitems/edit/102"


@pytest.mark.parametrize("path", ["portfolio.csv", "csv-sheets"])
def test_csv_one_sheet_or_a_sheet_per_kind(path: str) -> None:
    converted = convert(SourceFormat.CSV, SOURCES / path, load_mapping(SourceFormat.CSV),
                        EXISTING)
    doc = parsed(converted)
    assert len(doc.items[Kind.EPIC]) == 1 and len(doc.items[Kind.FEATURE]) == 2
    assert len(doc.dependencies) == 1
    if path == "portfolio.csv":
        wallet = {f.id: f for f in doc.items[Kind.FEATURE]}["F-WALLET-PUSH"]
        assert wallet.name == "Push provisioning to wallets, phase 1"
        assert wallet.wsjf is not None and wallet.wsjf.job_size == 8
        assert (doc.dependencies[0].from_id, doc.dependencies[0].to_id) == (
            "F-WALLET-PUSH", "F-TOKEN-VAULT")


def test_csv_rows_are_named_by_line() -> None:
    text = ("kind,id,name,workType,state,points,wsjf.jobSize\n"
            "feature,F-1,One,BUSINESS,BACKLOG,3,\n"
            "feature,F-2,Two,BUSINESS,SOMEDAY,-1,5\n")
    rows = parse_csv("plan.csv", text)
    from graph.sources import read_records, to_document

    mapping = load_mapping(SourceFormat.CSV)
    records, edges = read_records(SourceFormat.CSV, [("plan.csv", rows)], mapping)
    errors = to_document(SourceFormat.CSV, mapping, records, edges).validate()
    assert isinstance(errors, list)
    found = {(e.path, e.code) for e in errors}
    assert ("plan.csv:row 3.state", "INVALID_ENUM") in found
    assert ("plan.csv:row 3.wsjf", "REQUIRED") in found  # one WSJF input of four


def test_repeated_csv_headers_collect_every_value() -> None:
    rows = parse_csv("jira.csv", "Issue key,Blocks,Blocks\nPAY-1,PAY-2,\nPAY-3,PAY-4,PAY-5\n")
    assert rows == [(2, {"Issue key": "PAY-1", "Blocks": ["PAY-2"]}),
                    (3, {"Issue key": "PAY-3", "Blocks": ["PAY-4", "PAY-5"]})]


def test_unreadable_exports_and_bad_mappings_say_what_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(SourceError, match=r"broken\.json: not readable JSON"):
        convert(SourceFormat.JIRA, tmp_path / "broken.json", load_mapping(SourceFormat.JIRA))
    (tmp_path / "other.json").write_text(json.dumps({"value": []}))
    with pytest.raises(SourceError, match=r"other\.json: not a Jira search result"):
        convert(SourceFormat.JIRA, tmp_path / "other.json", load_mapping(SourceFormat.JIRA))
    with pytest.raises(SourceError, match="no such file"):
        convert(SourceFormat.CSV, tmp_path / "nope.csv", load_mapping(SourceFormat.CSV))
    with pytest.raises(MappingError, match=r"feature\.fields\.colour"):
        load_mapping(SourceFormat.JIRA, data={"feature": {"fields": {"colour": "x"}}})
    with pytest.raises(MappingError, match=r"types\.Task"):
        load_mapping(SourceFormat.JIRA, data={"types": {"Task": "story"}})
    with pytest.raises(MappingError, match="unknownKey"):
        load_mapping(SourceFormat.JIRA, data={"unknownKey": 1})
    original = copy.deepcopy(load_mapping(SourceFormat.JIRA).model_dump())
    load_mapping(SourceFormat.JIRA, data={"values": {"team": {"A": "T-A"}}})
    assert load_mapping(SourceFormat.JIRA).model_dump() == original  # presets stay as they were
