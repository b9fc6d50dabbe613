"""Validation of the portfolio document: every problem, with its path and code, nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from graph.document import ParsedDocument, validate_document, validate_item
from graph.model import Kind
from tests.helpers import example


def errors_of(raw: Any, **kwargs: Any) -> set[tuple[str, str]]:
    result = validate_document(raw, **kwargs)
    assert isinstance(result, list), "expected the document to be rejected"
    return {(e.path, e.code) for e in result}


def test_example_document_is_valid_and_complete() -> None:
    parsed = validate_document(example())
    assert isinstance(parsed, ParsedDocument)
    assert parsed.count() == 18 and len(parsed.dependencies) == 2


def test_empty_document_is_valid() -> None:
    parsed = validate_document({})
    assert isinstance(parsed, ParsedDocument) and parsed.count() == 0


@pytest.mark.parametrize("raw, expected", [
    ([], {("", "INVALID_TYPE")}),
    ({"feature": []}, {("feature", "UNKNOWN_FIELD")}),
    ({"themes": {}}, {("themes", "INVALID_TYPE")}),
    ({"themes": ["TH-1"]}, {("themes.0", "INVALID_TYPE")}),
    ({"themes": [{"name": "x"}]}, {("themes.0.id", "REQUIRED")}),
    ({"themes": [{"id": "-x", "name": "x"}]}, {("themes.0.id", "INVALID_ID")}),
    ({"themes": [{"id": "x" * 65, "name": "x"}]}, {("themes.0.id", "INVALID_ID")}),
    ({"pis": [{"id": "P", "name": "p", "start": 20260105, "end": "2026-03-13"}]},
     {("pis.0.start", "INVALID_DATE")}),
    ({"valueStreams": [{"id": "V", "name": "v", "budget": "lots"}]},
     {("valueStreams.0.budget", "INVALID_NUMBER")}),
    ({"valueStreams": [{"id": "V", "name": "v", "budget": True}]},
     {("valueStreams.0.budget", "INVALID_NUMBER")}),
    ({"keyResults": [{"id": "K", "title": "k", "objective": "O-NONE"}]},
     {("keyResults.0.objective", "UNKNOWN_REFERENCE")}),
    ({"dependencies": [{"from": "F-1"}]}, {("dependencies.0.to", "REQUIRED")}),
])
def test_each_problem_is_reported_with_its_path(raw: Any, expected: set[tuple[str, str]]) -> None:
    assert errors_of(raw) == expected


def test_every_problem_is_reported_not_just_the_first() -> None:
    raw = example()
    raw["features"][0]["type"] = "SPIKE"  # invalid entry: its references are still checked
    raw["features"][0]["team"] = "T-NONE"
    raw["features"][1]["pi"] = "PI-NONE"
    raw["features"][2]["wsjf"]["jobSize"] = 0
    raw["dependencies"].append({"from": "F-TRACING", "to": "F-NONE"})
    assert errors_of(raw) == {
        ("features.0.type", "INVALID_ENUM"),
        ("features.0.team", "UNKNOWN_REFERENCE"),
        ("features.1.pi", "UNKNOWN_REFERENCE"),
        ("features.2.wsjf.jobSize", "OFF_SCALE"),
        ("dependencies.2.to", "UNKNOWN_REFERENCE"),
    }


def test_duplicate_is_reported_at_second_occurrence_across_kinds() -> None:
    raw = example()
    raw["features"][1]["id"] = "E-CHATBOT"
    assert ("features.1.id", "DUPLICATE_ID") in errors_of(raw)


def test_references_resolve_against_the_graph_and_check_kinds() -> None:
    doc = {"features": [{"id": "F-9", "name": "n", "type": "BUSINESS", "state": "FUNNEL",
                         "epic": "E-1", "team": "E-1"}]}
    existing = {"E-1": Kind.EPIC}
    assert errors_of(doc, existing=existing) == {("features.0.team", "UNKNOWN_REFERENCE")}
    clash = {"themes": [{"id": "E-1", "name": "a theme reusing an epic's id"}]}
    assert errors_of(clash, existing=existing) == {("themes.0.id", "DUPLICATE_ID")}


def test_policy_scale_is_used() -> None:
    raw = example()
    assert errors_of(raw, scale=(1, 2, 3)) >= {("epics.0.wsjf.userBusinessValue", "OFF_SCALE")}


def test_duplicate_dependencies_collapse() -> None:
    raw = example()
    raw["dependencies"].append(dict(raw["dependencies"][0]))
    parsed = validate_document(raw)
    assert isinstance(parsed, ParsedDocument) and len(parsed.dependencies) == 2


def test_validate_item_prefixes_paths_with_input() -> None:
    result = validate_item(Kind.FEATURE, {"id": "F-1", "name": "n", "type": "BUSINESS",
                                          "state": "NOPE", "points": -1})
    assert isinstance(result, list)
    assert {(e.path, e.code) for e in result} == {
        ("input.state", "INVALID_ENUM"), ("input.points", "INVALID_NUMBER")}


def test_text_no_engine_can_store_is_reported_where_it_is() -> None:
    raw = {"themes": [{"id": "TH-1", "name": "a\x00b", "description": "ok"},
                      {"id": "TH-2", "name": "fine", "description": "\ud800"}],
           "teams": [{"id": "T-1", "name": "t", "capacity": {"P\x00": 1}}]}
    assert [(e.path, e.code) for e in validate_document(raw) if e.code == "INVALID_TEXT"] == [
        ("themes.0.name", "INVALID_TEXT"), ("themes.1.description", "INVALID_TEXT"),
        ("teams.0.capacity.P\x00", "INVALID_TEXT")]
