"""Seeded synthetic portfolios for benchmarks: realistic ratios at any scale.

`synthetic_document(5_000, seed=1)` is a contract portfolio document with
about 5 features per epic, about 12 planned features per team and PI, ARTs of
about 8 teams, value streams of about 3 ARTs, 8 PIs, and about 3 dependencies
per feature. Dependencies always point from a feature to one generated
earlier, so the dependency graph is acyclic; about 30% cross ARTs, and a few
point at a later PI, so schedule conflicts exist. Same seed, same document.

    python -m graph.samples.synthetic --features 5000 --seed 1 > portfolio.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

SCALE = (1, 2, 3, 5, 8, 13, 20)
PI_COUNT = 8
CURRENT_PI = 2  # PIs before it are delivered, later ones are in the backlog
FEATURES_PER_EPIC = 5
FEATURES_PER_TEAM_PI = 12
PLANNED_SHARE = 0.9
TEAMS_PER_ART = 8
ARTS_PER_VALUE_STREAM = 3
# Providers rarely depend on anything; consumers depend on ~4 providers and
# sometimes one consumer: 3 dependencies per feature on average.
PROVIDER_SHARE = 0.3
PROVIDER_DEPENDS_SHARE = 0.3
CONSUMER_DEPENDENCIES = (3, 4, 4, 5)
CONSUMER_CHAIN_SHARE = 0.15
CROSS_ART_SHARE = 0.3
LATER_PI_SHARE = 0.08  # features planned one PI later than their place in the timeline

_THEMES = ("Digital-first customer journeys", "Real-time payments", "Operational resilience",
           "Data-driven personalisation", "Sustainable finance", "Small-business growth",
           "Cost-efficient operations", "Trusted compliance")
_STREAMS = ("Retail banking", "Payments", "Business banking", "Cards", "Lending",
            "Wealth management", "Insurance", "Treasury")
_ARTS = ("Digital Channels", "Payments Platform", "Data & Insights", "Lending", "Cards",
         "Core Banking", "Wealth", "Business Banking", "Risk & Compliance", "Customer Service")
_TEAMS = ("Orbit", "Kestrel", "Nimbus", "Harbor", "Ledger", "Falcon", "Anvil", "Relay",
          "Prism", "Atlas", "Beacon", "Compass", "Quasar", "Tundra", "Mosaic", "Zephyr",
          "Vector", "Summit", "Lumen", "Cobalt", "Juniper", "Meteor", "Pioneer", "Sequoia")
_ACTIONS = ("Modernise", "Automate", "Digitise", "Simplify", "Personalise", "Consolidate",
            "Secure", "Streamline", "Launch", "Scale", "Retire", "Open up")
_DOMAINS = ("mortgage", "card", "savings", "payment", "loan", "claims", "onboarding",
            "pension", "FX", "merchant", "treasury", "KYC")
_OBJECTS = ("journeys", "servicing", "disputes", "reporting", "pricing", "notifications",
            "analytics", "APIs", "self-service", "fraud checks", "document handling", "limits")
_FEATURE_ADJ = ("Real-time", "Self-service", "Automated", "Bulk", "Mobile", "Instant",
                "Personalised", "Audited", "Batch", "Event-driven", "Secure", "Guided")
_FEATURE_NOUNS = ("alerts", "status tracking", "approval workflow", "export", "search",
                  "dashboard", "limits", "reconciliation", "consent capture", "statements",
                  "document upload", "eligibility check", "notifications", "API")
_OWNERS = ("Marta Kowalczyk", "Daniel Osei", "Sofia Lindqvist", "Henrik Bauer",
           "Amira Haddad", "Lukas Meyer", "Claire Dubois", "Tomasz Nowak", "Ines Carvalho",
           "Ravi Menon", "Elena Petrova", "Jonas Berg")
_EPIC_STATES = (("FUNNEL", 8), ("REVIEWING", 7), ("ANALYZING", 8), ("PORTFOLIO_BACKLOG", 17),
                ("IMPLEMENTING", 40), ("DONE", 20))
_HORIZONS = (("H0", 5), ("H1", 60), ("H2", 25), ("H3", 10))
_POINTS = ((3, 1), (5, 3), (8, 4), (13, 3), (20, 1))
_CURRENT_STATES = (("IMPLEMENTING", 40), ("VALIDATING", 15), ("DEPLOYING", 10),
                   ("RELEASING", 10), ("DONE", 15), ("BACKLOG", 10))
_UNPLANNED_STATES = (("FUNNEL", 50), ("ANALYZING", 30), ("DONE", 20))


class _Picker:
    """Weighted choice over a fixed table, fast enough for 50k draws."""

    def __init__(self, table: Sequence[tuple[Any, int]]) -> None:
        self.values = [value for value, _ in table]
        self.cumulative: list[int] = []
        total = 0
        for _, weight in table:
            total += weight
            self.cumulative.append(total)

    def __call__(self, rng: random.Random) -> Any:
        return rng.choices(self.values, cum_weights=self.cumulative)[0]


_EPIC_STATE = _Picker(_EPIC_STATES)
_HORIZON = _Picker(_HORIZONS)
_POINT = _Picker(_POINTS)
_CURRENT_STATE = _Picker(_CURRENT_STATES)
_UNPLANNED_STATE = _Picker(_UNPLANNED_STATES)


def _numbered(names: Sequence[str], index: int) -> str:
    """The index-th name, with a round number once the list is used up."""
    name = names[index % len(names)]
    return name if index < len(names) else f"{name} {index // len(names) + 1}"


def _wsjf(rng: random.Random, job_size: int | None = None) -> dict[str, int]:
    return {
        "userBusinessValue": rng.choice(SCALE),
        "timeCriticality": rng.choice(SCALE),
        "riskReductionOpportunityEnablement": rng.choice(SCALE),
        "jobSize": job_size if job_size is not None else rng.choice(SCALE),
    }


class _Generator:
    def __init__(self, features: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n_features = features
        self.n_epics = max(1, round(features / FEATURES_PER_EPIC))
        per_team = FEATURES_PER_TEAM_PI * PI_COUNT / PLANNED_SHARE
        self.n_teams = max(4, round(features / per_team))
        self.n_arts = max(2, round(self.n_teams / TEAMS_PER_ART))
        self.n_streams = max(1, round(self.n_arts / ARTS_PER_VALUE_STREAM))
        self.n_themes = max(3, self.n_epics // 50)
        self.width = max(4, len(str(features)))
        self.pi_ids: list[str] = []
        self.team_art: list[int] = []
        self.art_teams: list[list[int]] = [[] for _ in range(self.n_arts)]
        self.epic_art: list[int] = []
        self.key_results: list[str] = []

    def _id(self, prefix: str, index: int) -> str:
        return f"{prefix}-{index + 1:0{self.width}d}"

    def strategy(self) -> dict[str, list[dict[str, Any]]]:
        rng = self.rng
        themes, objectives, key_results = [], [], []
        for t in range(self.n_themes):
            theme_id = self._id("TH", t)
            name = _numbered(_THEMES, t)
            themes.append({"id": theme_id, "name": name,
                           "description": f"{name}: a strategic theme of the portfolio."})
            for o in range(2):
                objective_id = self._id("O", 2 * t + o)
                objectives.append({"id": objective_id, "themes": [theme_id],
                                   "title": f"{name}: objective {o + 1}"})
                for k in range(3):
                    kr_id = self._id("KR", 6 * t + 3 * o + k)
                    baseline = rng.randint(0, 50)
                    target = baseline + rng.randint(10, 50)
                    key_results.append({
                        "id": kr_id, "title": f"{name}: key result {3 * o + k + 1}",
                        "objective": objective_id, "baseline": baseline, "target": target,
                        "current": rng.randint(baseline, target), "unit": "%",
                    })
                    self.key_results.append(kr_id)
        return {"themes": themes, "objectives": objectives, "keyResults": key_results}

    def organisation(self) -> dict[str, list[dict[str, Any]]]:
        rng = self.rng
        streams = [
            {"id": self._id("VS", s), "name": _numbered(_STREAMS, s), "budget": 0}
            for s in range(self.n_streams)
        ]
        arts = [
            {"id": self._id("ART", a), "name": _numbered(_ARTS, a),
             "valueStream": streams[a * self.n_streams // self.n_arts]["id"]}
            for a in range(self.n_arts)
        ]
        teams = []
        for t in range(self.n_teams):
            art = t * self.n_arts // self.n_teams
            self.team_art.append(art)
            self.art_teams[art].append(t)
            teams.append({"id": self._id("T", t), "name": _numbered(_TEAMS, t),
                          "art": arts[art]["id"], "capacity": {}})
        pis = []
        for p in range(PI_COUNT):
            start = date(2026, 1, 5) + timedelta(weeks=13 * p)
            year, quarter = 26 + p // 4, p % 4 + 1
            pi_id = f"PI-{year}-{quarter}"
            self.pi_ids.append(pi_id)
            pis.append({"id": pi_id, "name": f"PI {year}.{quarter}", "start": start.isoformat(),
                        "end": (start + timedelta(weeks=10, days=-3)).isoformat()})
        self.epic_art = [rng.randrange(self.n_arts) for _ in range(self.n_epics)]
        return {"valueStreams": streams, "arts": arts, "teams": teams, "pis": pis}

    def epics(self, arts: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rng = self.rng
        epics = []
        for e in range(self.n_epics):
            state = _EPIC_STATE(rng)
            committed = state in ("PORTFOLIO_BACKLOG", "IMPLEMENTING", "DONE")
            epic: dict[str, Any] = {
                "id": self._id("E", e),
                "name": f"{rng.choice(_ACTIONS)} {rng.choice(_DOMAINS)} {rng.choice(_OBJECTS)}",
                "type": "ENABLER" if rng.random() < 0.25 else "BUSINESS",
                "state": state,
                "horizon": _HORIZON(rng),
                "estimatedCost": int(round(rng.lognormvariate(13.3, 0.7), -4)),
                "approved": rng.random() < (0.92 if committed else 0.1),
                "valueStream": arts[self.epic_art[e]]["valueStream"],
                "themes": [self._id("TH", rng.randrange(self.n_themes))]
                if rng.random() < 0.7 else [],
                "keyResults": rng.sample(self.key_results, rng.randint(1, 2))
                if rng.random() < 0.8 else [],
            }
            # Ideas in the funnel often have no owner yet; a few later epics lost theirs.
            if rng.random() < (0.5 if state == "FUNNEL" else 0.95):
                epic["businessOwner"] = rng.choice(_OWNERS)
            if state != "FUNNEL" or rng.random() < 0.5:
                epic["wsjf"] = _wsjf(rng)
            epics.append(epic)
        return epics

    def features(self) -> tuple[list[dict[str, Any]], list[int], list[bool]]:
        """The features; for each, the ART it belongs to and whether others may depend on it.

        Ideas nobody has planned are rarely a dependency yet: only some unplanned
        features that are not done can be one, which makes `dependency.unplanned` rare.
        """
        rng, n = self.rng, self.n_features
        features, feature_art, targetable = [], [], []
        # An epic's features spread over about two PIs of the timeline.
        spread = max(2, self.n_epics // (2 * PI_COUNT))
        for i in range(n):
            position = i / n
            slot = min(PI_COUNT - 1, int(position * PI_COUNT))
            if rng.random() < LATER_PI_SHARE:
                slot = min(PI_COUNT - 1, slot + 1)
            pi = slot if rng.random() < PLANNED_SHARE else None
            near = int(position * self.n_epics) + rng.randint(-spread, spread)
            epic = min(self.n_epics - 1, max(0, near)) if rng.random() >= 0.04 else None
            if epic is not None and rng.random() < 0.85:
                art = self.epic_art[epic]
                team: int | None = rng.choice(self.art_teams[art])
            else:
                team = rng.randrange(self.n_teams)
                art = self.team_art[team]
            if rng.random() < 0.02:
                team = None
            if pi is None:
                state = _UNPLANNED_STATE(rng)
            elif pi < CURRENT_PI:
                state = "DONE" if rng.random() < 0.95 else "RELEASING"
            elif pi == CURRENT_PI:
                state = _CURRENT_STATE(rng)
            else:
                state = "BACKLOG" if rng.random() < 0.7 else "ANALYZING"
            points: int = _POINT(rng)
            feature: dict[str, Any] = {
                "id": self._id("F", i),
                "name": f"{rng.choice(_FEATURE_ADJ)} {rng.choice(_DOMAINS)} "
                        f"{rng.choice(_FEATURE_NOUNS)}",
                "type": "ENABLER" if rng.random() < 0.25 else "BUSINESS",
                "state": state,
            }
            if epic is not None:
                feature["epic"] = self._id("E", epic)
            if team is not None:
                feature["team"] = self._id("T", team)
            if pi is not None:
                feature["pi"] = self.pi_ids[pi]
            if state != "FUNNEL":
                feature["points"] = points
                feature["wsjf"] = _wsjf(rng, job_size=min(SCALE, key=lambda s: abs(s - points)))
            features.append(feature)
            feature_art.append(art)
            targetable.append(pi is not None or state == "DONE" or rng.random() < 0.15)
        return features, feature_art, targetable

    def dependencies(self, feature_art: list[int], targetable: list[bool]
                     ) -> list[dict[str, str]]:
        """~3 per feature, each to an earlier feature, shaped like a real program board.

        About 30% of features are providers (platform services, APIs, enablers
        others build on) and rarely depend on anything; consumers depend on
        recent providers, mostly of their own ART, and now and then on one
        recent consumer of their ART. That keeps "what breaks if this slips"
        to tens of features, as on a real board, instead of a random graph's
        transitive closure over half the portfolio.
        """
        rng = self.rng
        providers: list[list[int]] = [[] for _ in range(self.n_arts)]
        consumers: list[list[int]] = [[] for _ in range(self.n_arts)]
        window = max(5, self.n_features // (self.n_arts * PI_COUNT * 3))
        dependencies: list[dict[str, str]] = []
        for i, art in enumerate(feature_art):
            provider = rng.random() < PROVIDER_SHARE
            targets: set[int] = set()
            if provider:
                if rng.random() < PROVIDER_DEPENDS_SHARE:
                    self._draw(targets, providers[art], window)
            else:
                wanted = rng.choice(CONSUMER_DEPENDENCIES)
                for _ in range(wanted * 2):  # a few spare draws for duplicates
                    if len(targets) >= wanted:
                        break
                    pool = providers[art]
                    if rng.random() < CROSS_ART_SHARE:
                        other = (art + 1 + rng.randrange(self.n_arts - 1)) % self.n_arts
                        pool = providers[other] or pool
                    self._draw(targets, pool, window)
                if rng.random() < CONSUMER_CHAIN_SHARE:
                    self._draw(targets, consumers[art], window)
            source = self._id("F", i)
            dependencies.extend({"from": source, "to": self._id("F", j)} for j in sorted(targets))
            if targetable[i]:
                (providers if provider else consumers)[art].append(i)
        return dependencies

    def _draw(self, targets: set[int], pool: list[int], window: int) -> None:
        """Add one recent member of `pool` (exponentially more likely the more recent)."""
        if pool:
            back = min(len(pool) - 1, int(self.rng.expovariate(2.0 / window)))
            targets.add(pool[len(pool) - 1 - back])

    def capacities(self, teams: list[dict[str, Any]], features: list[dict[str, Any]],
                   streams: list[dict[str, Any]], epics: list[dict[str, Any]]) -> None:
        """Capacities around the planned load (about one team-PI in six over), budgets
        around committed cost (about one value stream in four over)."""
        rng = self.rng
        load: dict[tuple[str, str], int] = {}
        for feature in features:
            if "team" in feature and "pi" in feature and "points" in feature:
                key = (feature["team"], feature["pi"])
                load[key] = load.get(key, 0) + feature["points"]
        for team in teams:
            for pi_id in self.pi_ids:
                planned = load.get((team["id"], pi_id), 0)
                team["capacity"][pi_id] = max(20, round(planned * rng.uniform(0.9, 1.5)))
        committed: dict[str, float] = {}
        for epic in epics:
            if epic["state"] in ("PORTFOLIO_BACKLOG", "IMPLEMENTING"):
                stream = epic["valueStream"]
                committed[stream] = committed.get(stream, 0.0) + epic["estimatedCost"]
        for stream in streams:
            spend = committed.get(stream["id"], 0.0)
            stream["budget"] = int(round(max(1_000_000, spend * rng.uniform(0.9, 1.3)), -5))


def synthetic_document(features: int, seed: int = 0) -> dict[str, Any]:
    """A seeded portfolio document with `features` features and everything around them."""
    if isinstance(features, bool) or not isinstance(features, int) or features < 1:
        raise ValueError(f"features must be a positive integer, got {features!r}")
    gen = _Generator(features, seed)
    strategy = gen.strategy()
    organisation = gen.organisation()
    epics = gen.epics(organisation["arts"])
    feature_list, feature_art, targetable = gen.features()
    dependencies = gen.dependencies(feature_art, targetable)
    gen.capacities(organisation["teams"], feature_list, organisation["valueStreams"], epics)
    return {**strategy, **organisation, "epics": epics, "features": feature_list,
            "dependencies": dependencies}


def main(argv: Sequence[str] | None = None) -> int:
    """Write a synthetic portfolio document as JSON to stdout (or --output)."""
    parser = argparse.ArgumentParser(
        prog="python -m graph.samples.synthetic",
        description="Write a seeded synthetic portfolio document (JSON) for benchmarks.",
    )
    parser.add_argument("--features", type=int, default=5000, help="number of features")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--indent", type=int, default=None, help="pretty-print with N spaces")
    parser.add_argument("--output", "-o", default="-", help="file to write, '-' for stdout")
    args = parser.parse_args(argv)
    if args.features < 1:
        parser.error("--features must be at least 1")
    document = synthetic_document(args.features, args.seed)
    separators = (",", ":") if args.indent is None else None
    # One write of one string: json.dump's many small writes are 3x slower at 50k features.
    text = json.dumps(document, indent=args.indent, separators=separators) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
