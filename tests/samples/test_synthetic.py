"""The synthetic generator: valid at benchmark sizes, seeded, with realistic ratios."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from graph.document import ParsedDocument, validate_document
from graph.samples.synthetic import main, synthetic_document

Doc = dict[str, Any]


@pytest.fixture(scope="module")
def small() -> Doc:
    return synthetic_document(500, seed=7)


@pytest.fixture(scope="module")
def medium() -> Doc:
    return synthetic_document(5_000, seed=1)


def topological_order_exists(edges: list[tuple[str, str]]) -> bool:
    """Kahn's algorithm: True when the dependency graph has no cycle."""
    outgoing: dict[str, list[str]] = {}
    indegree: Counter[str] = Counter()
    nodes: set[str] = set()
    for source, target in edges:
        outgoing.setdefault(source, []).append(target)
        indegree[target] += 1
        nodes.update((source, target))
    ready = [node for node in nodes if indegree[node] == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for target in outgoing.get(node, ()):
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    return seen == len(nodes)


def test_topological_check_sees_cycles() -> None:
    assert topological_order_exists([("A", "B"), ("B", "C"), ("A", "C")])
    assert not topological_order_exists([("A", "B"), ("B", "C"), ("C", "A")])


@pytest.mark.parametrize("fixture", ["small", "medium"])
def test_validates_against_the_contract(fixture: str, request: pytest.FixtureRequest) -> None:
    doc = request.getfixturevalue(fixture)
    result = validate_document(doc)
    assert isinstance(result, ParsedDocument), result[:5]
    assert len(result.dependencies) == len(doc["dependencies"])


def test_same_seed_same_document_other_seed_other_document(small: Doc) -> None:
    assert json.dumps(synthetic_document(500, seed=7)) == json.dumps(small)
    other = synthetic_document(500, seed=8)
    assert json.dumps(other) != json.dumps(small)
    assert other["dependencies"] != small["dependencies"]


@pytest.mark.parametrize("fixture", ["small", "medium"])
def test_ids_unique_and_sizes_follow_the_knob(fixture: str,
                                              request: pytest.FixtureRequest) -> None:
    doc = request.getfixturevalue(fixture)
    n = len(doc["features"])
    ids = [item["id"] for key, items in doc.items() if key != "dependencies" for item in items]
    assert len(ids) == len(set(ids))
    assert len(doc["epics"]) == n // 5
    assert len(doc["pis"]) == 8
    assert len(doc["objectives"]) == 2 * len(doc["themes"])
    assert len(doc["keyResults"]) == 3 * len(doc["objectives"])
    assert len(doc["themes"]) == max(3, len(doc["epics"]) // 50)
    teams_per_art = Counter(team["art"] for team in doc["teams"])
    assert len(teams_per_art) == len(doc["arts"]) >= 2
    if n >= 5_000:
        assert 6 <= sum(teams_per_art.values()) / len(teams_per_art) <= 10
        assert 2 <= len(doc["arts"]) / len(doc["valueStreams"]) <= 4


def test_pis_are_ordered_timeboxes(medium: Doc) -> None:
    pis = medium["pis"]
    assert all(pi["start"] < pi["end"] for pi in pis)
    assert all(a["end"] < b["start"] for a, b in pairwise(pis))


@pytest.mark.parametrize("fixture", ["small", "medium"])
def test_dependency_ratios(fixture: str, request: pytest.FixtureRequest) -> None:
    doc = request.getfixturevalue(fixture)
    features = {f["id"]: f for f in doc["features"]}
    order = {feature_id: index for index, feature_id in enumerate(features)}
    art = {team["id"]: team["art"] for team in doc["teams"]}
    start = {pi["id"]: pi["start"] for pi in doc["pis"]}
    edges = [(dep["from"], dep["to"]) for dep in doc["dependencies"]]

    assert abs(len(edges) / len(features) - 3) <= 0.5
    assert len(set(edges)) == len(edges)
    assert all(order[a] > order[b] for a, b in edges)  # always to an earlier feature
    assert topological_order_exists(edges)

    with_teams = [(features[a], features[b]) for a, b in edges
                  if "team" in features[a] and "team" in features[b]]
    cross = sum(art[a["team"]] != art[b["team"]] for a, b in with_teams) / len(with_teams)
    assert 0.2 <= cross <= 0.4
    both_planned = [(a, b) for a, b in with_teams if "pi" in a and "pi" in b]
    later = sum(start[b["pi"]] > start[a["pi"]] for a, b in both_planned) / len(both_planned)
    assert 0 < later < 0.15  # schedule conflicts exist, but most point backwards


@pytest.mark.parametrize("fixture", ["small", "medium"])
def test_feature_mix(fixture: str, request: pytest.FixtureRequest) -> None:
    doc = request.getfixturevalue(fixture)
    features = doc["features"]
    n = len(features)
    assert 0.05 * n <= sum("pi" not in f for f in features) <= 0.2 * n
    assert 0 < sum("epic" not in f for f in features) <= 0.1 * n
    assert 0.15 * n <= sum(f["state"] == "DONE" for f in features) <= 0.5 * n
    assert {f["type"] for f in features} == {"BUSINESS", "ENABLER"}
    per_team_pi = Counter((f["team"], f["pi"]) for f in features if "team" in f and "pi" in f)
    average = sum(per_team_pi.values()) / (len(doc["teams"]) * len(doc["pis"]))
    assert 9 <= average <= 15
    per_epic = Counter(f["epic"] for f in features if "epic" in f)
    assert 4 <= sum(per_epic.values()) / len(doc["epics"]) <= 6
    scale = {1, 2, 3, 5, 8, 13, 20}
    for item in [*features, *doc["epics"]]:
        if "wsjf" in item:
            assert set(item["wsjf"].values()) <= scale


def test_some_team_pis_are_overloaded(medium: Doc) -> None:
    load: Counter[tuple[str, str]] = Counter()
    for f in medium["features"]:
        if "team" in f and "pi" in f and "points" in f:
            load[(f["team"], f["pi"])] += f["points"]
    cells = [(team["id"], pi, capacity) for team in medium["teams"]
             for pi, capacity in team["capacity"].items()]
    assert len(cells) == 8 * len(medium["teams"])
    overloaded = sum(load[(team, pi)] > capacity for team, pi, capacity in cells)
    assert 0.05 * len(cells) <= overloaded <= 0.35 * len(cells)


def test_large_scale_keeps_its_shape() -> None:
    doc = synthetic_document(50_000, seed=3)
    assert len(doc["features"]) == 50_000
    assert len(doc["epics"]) == 10_000
    assert abs(len(doc["dependencies"]) / 50_000 - 3) <= 0.1
    assert len({f["id"] for f in doc["features"]}) == 50_000


@pytest.mark.parametrize("features", [1, 2, 7, 61])
def test_tiny_portfolios_are_valid(features: int) -> None:
    doc = synthetic_document(features, seed=features)
    assert len(doc["features"]) == features
    assert isinstance(validate_document(doc), ParsedDocument)


@pytest.mark.parametrize("bad", [0, -5, True])
def test_rejects_a_meaningless_size(bad: int) -> None:
    with pytest.raises(ValueError, match="features"):
        synthetic_document(bad)


def test_cli_writes_the_seeded_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--features", "120", "--seed", "4"]) == 0
    assert json.loads(capsys.readouterr().out) == synthetic_document(120, seed=4)


def test_cli_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "portfolio.json"
    assert main(["--features", "30", "--seed", "5", "--indent", "2", "-o", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("{\n  ")
    assert json.loads(text) == synthetic_document(30, seed=5)


def test_cli_rejects_zero_features(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--features", "0"])
    assert exit_info.value.code == 2
    assert "--features" in capsys.readouterr().err


def test_module_entry_point_runs() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "graph.samples.synthetic", "--features", "60", "--seed", "2"],
        capture_output=True, text=True, check=True, timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert json.loads(completed.stdout) == synthetic_document(60, seed=2)


def test_slip_impact_stays_local_like_a_real_program_board(medium: Doc) -> None:
    """Transitive dependents within 10 hops stay in the tens, not a share of the portfolio."""
    dependents: dict[str, list[str]] = {}
    for dep in medium["dependencies"]:
        dependents.setdefault(dep["to"], []).append(dep["from"])
    sizes = []
    for root in dependents:
        seen, frontier = {root}, [root]
        for _ in range(10):
            frontier = [d for f in frontier for d in dependents.get(f, []) if d not in seen]
            seen.update(frontier)
        sizes.append(len(seen) - 1)
    sizes.sort()
    total = len(medium["features"])
    assert sizes[int(0.99 * len(sizes))] < 0.03 * total  # a few core providers reach more
    assert sizes[-1] < 0.1 * total
    assert sum(size >= 5 for size in sizes) > 0.1 * len(sizes)  # yet slips do cascade
