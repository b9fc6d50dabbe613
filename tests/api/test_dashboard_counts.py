"""Dashboard counts over HTTP on each engine: `violationCounts`, `featureCounts` and
`teamLoads`, each against a count made here from the imported document (and, for the
violations, from the `violations` list the API serves), now and `asOf` an earlier
version."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pytest

from tests.api.conftest import IMPORT, Api
from tests.api.test_ordered_pages import FEATURE_STATES, document

VIOLATIONS = """query($asOf: AsOf, $severity: Severity, $rule: String) {
  violations(asOf: $asOf, severity: $severity, rule: $rule) {
    rule severity subjectType subjectId } }"""
VIOLATION_COUNTS = """query($asOf: AsOf, $severity: Severity, $rule: String) {
  violationCounts(asOf: $asOf, severity: $severity, rule: $rule) {
    total byRule { rule severity count } bySeverity { severity count }
    byArt { art { id name } count } } }"""
FEATURE_COUNTS = """query($asOf: AsOf, $filter: FeatureFilter) {
  featureCounts(asOf: $asOf, filter: $filter) {
    pi { id start } total byState { state count } } }"""
TEAM_LOADS = """query($asOf: AsOf, $pi: ID, $art: ID) {
  teamLoads(asOf: $asOf, piId: $pi, art: $art) {
    team { id } pi { id } plannedPoints featureCount capacity ratio overloaded } }"""
SEVERITY_FIRST = ["ERROR", "WARNING", "INFO"]


@pytest.fixture
async def loaded(api: Api) -> tuple[Api, dict[str, Any]]:
    doc = document()
    # One overloaded team and PI, one team at exactly its capacity: both sides of the test.
    planned = [f for f in doc["features"] if f.get("team") and f.get("pi") and f.get("points")]
    team_id, pi_id = planned[0]["team"], planned[0]["pi"]
    team = next(t for t in doc["teams"] if t["id"] == team_id)
    load = sum(f["points"] for f in doc["features"]
               if f.get("team") == team_id and f.get("pi") == pi_id and f.get("points"))
    team.setdefault("capacity", {})[pi_id] = load - 1
    other = next(f for f in planned if f["team"] != team_id)
    other_team = next(t for t in doc["teams"] if t["id"] == other["team"])
    other_team.setdefault("capacity", {})[other["pi"]] = sum(
        f["points"] for f in doc["features"] if f.get("team") == other["team"]
        and f.get("pi") == other["pi"] and f.get("points"))
    # And a team planning in a PI where it has no recorded capacity.
    third = next(f for f in planned if f["team"] not in (team_id, other["team"]))
    next(t for t in doc["teams"] if t["id"] == third["team"]).get("capacity", {}).pop(
        third["pi"], None)
    data = await api.data(IMPORT, {"doc": doc})
    assert data["importPortfolio"]["applied"] is True, data["importPortfolio"]["errors"][:3]
    return api, doc


def art_of(doc: dict[str, Any], violation: dict[str, Any]) -> str | None:
    """The ART of a violation as documented: the subject's, or its team's."""
    teams = {t["id"]: t for t in doc["teams"]}
    features = {f["id"]: f for f in doc["features"]}
    kind, subject = violation["subjectType"], violation["subjectId"]
    if kind == "ReleaseTrain":
        return str(subject)
    team_id = subject if kind == "Team" else (
        features[subject].get("team") if kind == "Feature" else None)
    art = teams[team_id].get("art") if team_id in teams else None
    return None if art is None else str(art)


def counted(doc: dict[str, Any], violations: list[dict[str, Any]]) -> dict[str, Any]:
    rules = Counter((v["rule"], v["severity"]) for v in violations)
    severities = Counter(v["severity"] for v in violations)
    arts = Counter(art_of(doc, v) for v in violations)
    return {
        "total": len(violations),
        "byRule": [{"rule": r, "severity": s, "count": n} for (r, s), n in sorted(rules.items())],
        "bySeverity": [{"severity": s, "count": severities[s]} for s in SEVERITY_FIRST
                       if severities[s]],
        "byArt": sorted(([art, n] for art, n in arts.items()),
                        key=lambda pair: (pair[0] is None, pair[0] or "")),
    }


def served_arts(counts: dict[str, Any]) -> list[list[Any]]:
    return [[None if c["art"] is None else c["art"]["id"], c["count"]] for c in counts["byArt"]]


@pytest.mark.parametrize("filters", [{}, {"severity": "WARNING"},
                                     {"rule": "wsjf.missing-inputs"}])
async def test_violation_counts_are_the_violations_counted(loaded: tuple[Api, dict[str, Any]],
                                                           filters: dict[str, Any]) -> None:
    api, doc = loaded
    violations = (await api.data(VIOLATIONS, filters))["violations"]
    assert violations, filters
    counts = (await api.data(VIOLATION_COUNTS, filters))["violationCounts"]
    want = counted(doc, violations)
    assert counts["total"] == want["total"]
    assert counts["byRule"] == want["byRule"]
    assert counts["bySeverity"] == want["bySeverity"]
    assert served_arts(counts) == want["byArt"]
    assert sum(c["count"] for c in counts["byArt"]) == len(violations)


async def test_violations_are_counted_under_arts_and_under_null(
        loaded: tuple[Api, dict[str, Any]]) -> None:
    """The demo-like data has both: violations of features and teams on trains, and of
    epics and value streams, which belong to none."""
    api, _ = loaded
    arts = served_arts((await api.data(VIOLATION_COUNTS))["violationCounts"])
    assert arts[-1][0] is None and len(arts) > 1
    assert [a for a, _ in arts[:-1]] == sorted(a for a, _ in arts[:-1])


def features_by_pi(doc: dict[str, Any], keep: Any = None) -> list[dict[str, Any]]:
    starts = {pi["id"]: pi["start"] for pi in doc["pis"]}
    groups: dict[str | None, Counter[str]] = {}
    for feature in doc["features"]:
        if keep is None or keep(feature):
            groups.setdefault(feature.get("pi"), Counter())[feature["state"]] += 1
    order = sorted(groups, key=lambda pi: (pi is None, starts.get(pi or "", ""), pi or ""))
    return [{"pi": None if pi is None else {"id": pi, "start": starts[pi]},
             "total": sum(groups[pi].values()),
             "byState": [{"state": s, "count": groups[pi][s]} for s in FEATURE_STATES
                         if groups[pi][s]]}
            for pi in order]


async def test_feature_counts_by_state_per_pi(loaded: tuple[Api, dict[str, Any]]) -> None:
    api, doc = loaded
    counts = (await api.data(FEATURE_COUNTS))["featureCounts"]
    assert counts == features_by_pi(doc)
    assert counts[-1]["pi"] is None  # the document has unplanned features
    assert sum(c["total"] for c in counts) == len(doc["features"])
    teams = {t["id"]: t for t in doc["teams"]}
    art = doc["arts"][0]["id"]
    filtered = (await api.data(FEATURE_COUNTS, {"filter": {"art": art, "type": "BUSINESS"}}))
    assert filtered["featureCounts"] == features_by_pi(
        doc, lambda f: f["type"] == "BUSINESS" and teams.get(f.get("team", ""), {}).get("art")
        == art)


def approx(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with their floats rounded to 9 places (sums of points need not be exact)."""
    return [{k: round(v, 9) if isinstance(v, float) else v for k, v in row.items()}
            for row in rows]


def loads(doc: dict[str, Any], tolerance: float = 0.0) -> list[dict[str, Any]]:
    starts = {pi["id"]: pi["start"] for pi in doc["pis"]}
    rows: dict[tuple[str, str], list[float]] = {}
    for feature in doc["features"]:
        if feature.get("team") and feature.get("pi"):
            points = rows.setdefault((feature["team"], feature["pi"]), [])
            points.append(feature.get("points", math.nan))
    for team in doc["teams"]:
        for pi in team.get("capacity", {}):
            rows.setdefault((team["id"], pi), [])
    out = []
    for (team_id, pi), points in sorted(rows.items(), key=lambda r: (starts[r[0][1]], r[0][1],
                                                                     r[0][0])):
        capacity = next(t for t in doc["teams"] if t["id"] == team_id).get(
            "capacity", {}).get(pi)
        total = math.fsum(p for p in points if not math.isnan(p))
        out.append({"team": {"id": team_id}, "pi": {"id": pi}, "plannedPoints": total,
                    "featureCount": len(points),
                    "capacity": None if capacity is None else float(capacity),
                    "ratio": total / capacity if capacity else None,
                    "overloaded": capacity is not None
                    and total > capacity * (1 + tolerance) + 1e-9})
    return out


async def test_team_loads_against_capacity(loaded: tuple[Api, dict[str, Any]]) -> None:
    api, doc = loaded
    rows = (await api.data(TEAM_LOADS))["teamLoads"]
    want = loads(doc)
    assert approx(rows) == approx(want)
    assert any(r["overloaded"] for r in rows)
    assert any(r["ratio"] == 1 and not r["overloaded"] for r in rows)  # at the cap: within
    assert any(r["capacity"] is None for r in rows)  # planned without a recorded capacity
    # The guardrail agrees: one capacity.team-overload violation per overloaded row.
    overloads = (await api.data(VIOLATIONS, {"rule": "capacity.team-overload"}))["violations"]
    assert sorted(v["subjectId"] for v in overloads) == sorted(
        r["team"]["id"] for r in rows if r["overloaded"])
    pi, art = doc["pis"][1]["id"], doc["arts"][0]["id"]
    teams = {t["id"]: t for t in doc["teams"]}
    narrowed = (await api.data(TEAM_LOADS, {"pi": pi, "art": art}))["teamLoads"]
    assert approx(narrowed) == approx([r for r in want if r["pi"]["id"] == pi
                                      and teams[r["team"]["id"]].get("art") == art])
    assert narrowed


async def test_counts_as_of_an_earlier_version(loaded: tuple[Api, dict[str, Any]]) -> None:
    api, doc = loaded
    feature = next(f for f in doc["features"] if f.get("pi") and f.get("team")
                   and f.get("points") and f["state"] != "DONE")
    before_features, before_loads = features_by_pi(doc), loads(doc)
    before_violations = (await api.data(VIOLATIONS))["violations"]
    changed = {**feature, "state": "DONE", "points": feature["points"] + 40}
    result = await api.data(
        'mutation($f: FeatureInput!) { upsertFeature(input: $f, override: '
        '{justification: "test"}) { applied } }', {"f": changed})
    assert result["upsertFeature"]["applied"] is True
    then = {"asOf": {"version": 1}}
    assert (await api.data(FEATURE_COUNTS, then))["featureCounts"] == before_features
    assert approx((await api.data(TEAM_LOADS, then))["teamLoads"]) == approx(before_loads)
    counts = (await api.data(VIOLATION_COUNTS, then))["violationCounts"]
    assert counts["total"] == len(before_violations)
    feature.update(changed)
    assert (await api.data(FEATURE_COUNTS))["featureCounts"] == features_by_pi(doc) \
        != before_features
    assert approx((await api.data(TEAM_LOADS))["teamLoads"]) == approx(loads(doc))
