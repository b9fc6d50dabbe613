"""The demo portfolio: Meridian Bank's 2026 plan as a contract portfolio document.

`portfolio-graph demo` and `serve --demo` load it. It is static and
deterministic, and deliberately breaks a few guardrails so that `audit` has
something to show: see `demo_features.py` for what is planted and why.
"""

from __future__ import annotations

from typing import Any

from graph.samples.demo_data import (
    ARTS,
    EPICS,
    KEY_RESULTS,
    OBJECTIVES,
    PIS,
    TEAMS,
    THEMES,
    VALUE_STREAMS,
)
from graph.samples.demo_dependencies import DEPENDENCIES
from graph.samples.demo_features import FEATURES

WSJF_KEYS = ("userBusinessValue", "timeCriticality", "riskReductionOpportunityEnablement",
             "jobSize")


def _wsjf(spec: str) -> dict[str, int]:
    """Turn "8 5 3 13" into the document's WSJF object."""
    values = [int(part) for part in spec.split()]
    if len(values) != len(WSJF_KEYS):
        raise ValueError(f"WSJF needs {len(WSJF_KEYS)} inputs, got {spec!r}")
    return dict(zip(WSJF_KEYS, values, strict=True))


def _pi_id(number: int | None) -> str | None:
    return None if number is None else PIS[number - 1][0]


def _compact(entry: dict[str, Any]) -> dict[str, Any]:
    """Leave out absent optional fields, as a hand-written document would."""
    return {key: value for key, value in entry.items() if value is not None}


def _epics() -> list[dict[str, Any]]:
    return [
        _compact({
            "id": epic_id, "name": name, "type": kind, "state": state, "horizon": horizon,
            "estimatedCost": cost, "approved": approved, "businessOwner": owner,
            "valueStream": stream, "themes": list(themes), "keyResults": list(key_results),
            "wsjf": None if wsjf is None else _wsjf(wsjf),
        })
        for (epic_id, name, kind, state, horizon, cost, approved, owner, stream, themes,
             key_results, wsjf) in EPICS
    ]


def _features() -> list[dict[str, Any]]:
    features = [
        _compact({
            "id": feature_id, "name": name, "type": kind, "state": state, "epic": epic,
            "team": team, "pi": _pi_id(pi), "points": points,
            "wsjf": None if wsjf is None else _wsjf(wsjf),
        })
        for epic, rows in FEATURES.items()
        for (feature_id, name, kind, state, team, pi, points, wsjf) in rows
    ]
    return sorted(features, key=lambda feature: feature["id"])


def demo_document() -> dict[str, Any]:
    """A fresh copy of the demo portfolio document (camelCase keys, contract format)."""
    return {
        "themes": [
            {"id": theme_id, "name": name, "description": description}
            for theme_id, name, description in THEMES
        ],
        "objectives": [
            {"id": objective_id, "title": title, "themes": list(themes)}
            for objective_id, title, themes in OBJECTIVES
        ],
        "keyResults": [
            {"id": kr_id, "title": title, "objective": objective, "baseline": baseline,
             "target": target, "current": current, "unit": unit}
            for kr_id, objective, title, baseline, target, current, unit in KEY_RESULTS
        ],
        "valueStreams": [
            {"id": stream_id, "name": name, "budget": budget}
            for stream_id, name, budget in VALUE_STREAMS
        ],
        "arts": [
            {"id": art_id, "name": name, "valueStream": stream}
            for art_id, name, stream in ARTS
        ],
        "teams": [
            {"id": team_id, "name": name, "art": art,
             "capacity": {pi[0]: points for pi, points in zip(PIS, capacity, strict=True)}}
            for team_id, name, art, capacity in TEAMS
        ],
        "pis": [
            {"id": pi_id, "name": name, "start": start, "end": end}
            for pi_id, name, start, end in PIS
        ],
        "epics": _epics(),
        "features": _features(),
        "dependencies": [{"from": source, "to": target} for source, target in DEPENDENCIES],
    }
