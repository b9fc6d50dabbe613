"""The demo portfolio: valid, the documented size, and exactly the planted findings.

The guardrail checks here are a small independent oracle over the raw document
(the rules package has its own tests); they pin down what the demo's audit
must show, so a data edit that adds or hides a finding fails here.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import date
from itertools import pairwise
from typing import Any

import pytest

from graph.document import ParsedDocument, validate_document
from graph.model import EpicState, FeatureState, Horizon, WorkType
from graph.samples.demo import demo_document

Doc = dict[str, Any]
COMMITTED = {"PORTFOLIO_BACKLOG", "IMPLEMENTING"}


@pytest.fixture(scope="module")
def doc() -> Doc:
    return demo_document()


def by_id(doc: Doc, key: str) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in doc[key]}


def find_cycle(edges: list[tuple[str, str]]) -> list[str] | None:
    """A dependency cycle as a list of ids, or None: iterative three-colour DFS."""
    graph: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        graph[source].append(target)
    colour: dict[str, int] = {}  # 1 on the stack, 2 finished
    for root in list(graph):
        if root in colour:
            continue
        stack = [(root, iter(graph[root]))]
        path = [root]
        colour[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour.get(child) == 1:
                return [*path[path.index(child):], child]
            elif child not in colour:
                colour[child] = 1
                path.append(child)
                stack.append((child, iter(graph[child])))
    return None


def test_find_cycle_detects_cycles() -> None:
    assert find_cycle([("A", "B"), ("B", "C")]) is None
    assert find_cycle([("A", "B"), ("B", "C"), ("C", "A")]) == ["A", "B", "C", "A"]
    assert find_cycle([("X", "A"), ("A", "B"), ("B", "A")]) == ["A", "B", "A"]


def test_demo_validates_against_the_contract(doc: Doc) -> None:
    result = validate_document(doc)
    assert isinstance(result, ParsedDocument), result
    assert len(result.dependencies) == len(doc["dependencies"])  # no duplicates either


def test_demo_is_deterministic_and_fresh() -> None:
    first = demo_document()
    assert json.dumps(first) == json.dumps(demo_document())
    first["features"].clear()
    first["teams"][0]["capacity"].clear()
    again = demo_document()
    assert len(again["features"]) == 150
    assert again["teams"][0]["capacity"]


def test_demo_has_the_documented_size(doc: Doc) -> None:
    counts = {key: len(value) for key, value in doc.items()}
    assert counts == {
        "themes": 4, "objectives": 6, "keyResults": 15, "valueStreams": 2, "arts": 3,
        "teams": 12, "pis": 4, "epics": 31, "features": 150, "dependencies": 68,
    }
    teams_per_art = Counter(team["art"] for team in doc["teams"])
    assert teams_per_art == {"ART-CHANNELS": 4, "ART-PAYMENTS": 4, "ART-DATA": 4}
    assert {art["name"] for art in doc["arts"]} == {
        "Digital Channels", "Payments Platform", "Data & Insights"}
    assert all(len(team["capacity"]) == 4 for team in doc["teams"])
    key_results_per_objective = Counter(kr["objective"] for kr in doc["keyResults"])
    assert set(key_results_per_objective.values()) <= {2, 3}
    assert all(theme.get("description") for theme in doc["themes"])


def test_ids_are_unique_and_names_plausible(doc: Doc) -> None:
    ids = [item["id"] for key, items in doc.items() if key != "dependencies" for item in items]
    assert len(ids) == len(set(ids))
    names = [item.get("name") or item["title"]
             for key, items in doc.items() if key != "dependencies" for item in items]
    generic = re.compile(r"^(Feature|Epic|Team|Theme|Objective|Key result|Item)\s*\d+$", re.I)
    assert not [name for name in names if generic.match(name)]
    feature_names = [feature["name"] for feature in doc["features"]]
    assert len(feature_names) == len(set(feature_names))


def test_pis_are_ten_week_2026_timeboxes_in_order(doc: Doc) -> None:
    pis = doc["pis"]
    assert [pi["id"] for pi in pis] == ["PI-26-1", "PI-26-2", "PI-26-3", "PI-26-4"]
    assert [pi["name"] for pi in pis] == ["PI 26.1", "PI 26.2", "PI 26.3", "PI 26.4"]
    spans = [(date.fromisoformat(pi["start"]), date.fromisoformat(pi["end"])) for pi in pis]
    for start, end in spans:
        assert start.year == end.year == 2026
        assert 63 <= (end - start).days <= 70
    for (_, end), (next_start, _) in pairwise(spans):
        assert end < next_start


def test_every_state_type_and_horizon_is_represented(doc: Doc) -> None:
    assert {e["state"] for e in doc["epics"]} == {s.value for s in EpicState}
    assert {f["state"] for f in doc["features"]} == {s.value for s in FeatureState}
    assert {e["type"] for e in doc["epics"]} == {t.value for t in WorkType}
    assert {f["type"] for f in doc["features"]} == {t.value for t in WorkType}
    assert {e["horizon"] for e in doc["epics"]} == {h.value for h in Horizon}
    costs = [e["estimatedCost"] for e in doc["epics"]]
    assert sum(cost > 1_000_000 for cost in costs) >= 5


def test_features_are_planned_and_estimated(doc: Doc) -> None:
    features = doc["features"]
    planned = [f for f in features if "pi" in f]
    assert 120 <= len(planned) <= 140
    assert all("team" in f and "points" in f and "wsjf" in f for f in planned)
    assert all("wsjf" in f for f in features if f["state"] not in ("FUNNEL", "DONE"))
    assert all("wsjf" in e for e in doc["epics"] if e["state"] not in ("FUNNEL", "DONE"))


def test_dependencies_cross_trains_and_have_no_cycle(doc: Doc) -> None:
    features, teams = by_id(doc, "features"), by_id(doc, "teams")
    edges = [(dep["from"], dep["to"]) for dep in doc["dependencies"]]
    assert find_cycle(edges) is None
    assert len(set(edges)) == len(edges)

    def art(feature_id: str) -> str | None:
        team = features[feature_id].get("team")
        return None if team is None else str(teams[team]["art"])

    cross = [(a, b) for a, b in edges if art(a) and art(b) and art(a) != art(b)]
    assert len(cross) >= 10


# The planted guardrail findings --------------------------------------------------


def test_one_team_is_overloaded_in_one_pi(doc: Doc) -> None:
    load: Counter[tuple[str, str]] = Counter()
    for f in doc["features"]:
        if "team" in f and "pi" in f and "points" in f:
            load[(f["team"], f["pi"])] += f["points"]
    overloaded = [(team["id"], pi, load[(team["id"], pi)] - capacity)
                  for team in doc["teams"] for pi, capacity in team["capacity"].items()
                  if load[(team["id"], pi)] > capacity]
    assert overloaded == [("T-LEDGER", "PI-26-2", 10)]


def test_enabler_share_per_train_and_pi_is_within_the_default_band(doc: Doc) -> None:
    teams = by_id(doc, "teams")
    points: Counter[tuple[str, str]] = Counter()
    enabler: Counter[tuple[str, str]] = Counter()
    for f in doc["features"]:
        if "team" in f and "pi" in f and "points" in f:
            key = (teams[f["team"]]["art"], f["pi"])
            points[key] += f["points"]
            if f["type"] == "ENABLER":
                enabler[key] += f["points"]
    assert len(points) == 12
    outside = {key: enabler[key] / total for key, total in points.items()
               if not 0.1 <= enabler[key] / total <= 0.4}
    assert outside == {}


def test_dependency_findings_are_one_conflict_and_one_unplanned(doc: Doc) -> None:
    features = by_id(doc, "features")
    start = {pi["id"]: pi["start"] for pi in doc["pis"]}
    conflicts, unplanned = [], []
    for dep in doc["dependencies"]:
        a, b = features[dep["from"]], features[dep["to"]]
        if "pi" in a and "pi" in b and start[b["pi"]] > start[a["pi"]]:
            conflicts.append((a["id"], b["id"]))
        if "pi" in a and "pi" not in b and b["state"] != "DONE":
            unplanned.append((a["id"], b["id"]))
    assert conflicts == [("F-SEPA-APP-UX", "F-SEPA-LIMITS")]
    assert unplanned == [("F-NBO-INAPP-CARDS", "F-CONSENT-MARKETING")]


def test_epic_governance_findings(doc: Doc) -> None:
    epics = doc["epics"]
    unapproved = [e["id"] for e in epics if e.get("estimatedCost", 0) >= 1_000_000
                  and e["state"] in COMMITTED | {"DONE"} and not e.get("approved")]
    assert unapproved == ["E-REQUEST-TO-PAY"]
    ownerless = [e["id"] for e in epics
                 if e["state"] not in ("FUNNEL", "DONE") and not e.get("businessOwner")]
    assert ownerless == ["E-CHAT-ASSIST"]
    assert sum(not e.get("businessOwner") for e in epics) >= 3  # a few ideas lack one
    wip = Counter(e["state"] for e in epics)
    assert wip["ANALYZING"] <= 5
    assert wip["IMPLEMENTING"] <= 8


def test_only_the_platform_chore_is_unaligned(doc: Doc) -> None:
    objectives, krs = by_id(doc, "objectives"), by_id(doc, "keyResults")
    epics = by_id(doc, "epics")

    def epic_themes(epic: dict[str, Any]) -> set[str]:
        themes = set(epic.get("themes", []))
        for kr in epic.get("keyResults", []):
            themes.update(objectives[krs[kr]["objective"]]["themes"])
        return themes

    unaligned = [e["id"] for e in epics.values() if not epic_themes(e)]
    unaligned += [f["id"] for f in doc["features"]
                  if "epic" not in f or not epic_themes(epics[f["epic"]])]
    assert unaligned == ["F-CI-PIPELINES"]


def test_budgets_and_horizon_mix_hold(doc: Doc) -> None:
    committed = [e for e in doc["epics"] if e["state"] in COMMITTED]
    for stream in doc["valueStreams"]:
        spend = sum(e["estimatedCost"] for e in committed if e["valueStream"] == stream["id"])
        assert 0 < spend <= stream["budget"], stream["id"]
    total = sum(e["estimatedCost"] for e in committed)
    bands = {"H0": (0, 0.1), "H1": (0.5, 0.8), "H2": (0.1, 0.3), "H3": (0, 0.15)}
    for horizon, (low, high) in bands.items():
        share = sum(e["estimatedCost"] for e in committed if e["horizon"] == horizon) / total
        assert low <= share <= high, horizon
