"""Reports for auditors and RTEs as CSV, JSON or a table: violations, the audit log, the
WSJF ranking and a feature's impact (`portfolio-graph audit|log|rank|impact`).

Rows are built once as plain dicts with fixed columns, then written in the asked
format, so every format carries the same data. CSV cells are text as given (the
csv module quotes what needs quoting); lists are joined with `;`, JSON values
(an audit entry's before and after) written as compact JSON.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from graph.model import Portfolio
from graph.store import AuditEntry
from rules.impact import ImpactResult
from rules.ranking import RankedEntry
from rules.violation import Violation

Row = dict[str, Any]

VIOLATION_COLUMNS = ("rule", "severity", "subjectType", "subjectId", "relatedIds", "excess",
                     "message")
LOG_COLUMNS = ("version", "at", "actor", "operation", "itemId", "justification", "before",
               "after")
RANK_COLUMNS = ("rank", "id", "name", "score", "costOfDelay", "jobSize",
                "userBusinessValue", "timeCriticality", "riskReductionOpportunityEnablement")
IMPACT_COLUMNS = ("depth", "id", "name", "team", "art", "pi", "slipsTo")


def violation_rows(violations: Sequence[Violation]) -> list[Row]:
    return [v.as_json() for v in violations]


def log_rows(entries: Sequence[AuditEntry]) -> list[Row]:
    return [{"version": e.seq, "at": e.at, "actor": e.actor, "operation": e.operation,
             "itemId": e.item_id, "justification": e.justification, "before": e.before,
             "after": e.after} for e in entries]


def rank_rows(portfolio: Portfolio, entries: Sequence[RankedEntry]) -> list[Row]:
    rows = []
    for e in entries:
        item = portfolio.get(e.item_id)
        rows.append({"rank": e.rank, "id": e.item_id, "name": getattr(item, "name", None),
                     "score": e.wsjf.score, "costOfDelay": e.wsjf.cost_of_delay,
                     "jobSize": e.wsjf.job_size, "userBusinessValue": e.wsjf.user_business_value,
                     "timeCriticality": e.wsjf.time_criticality,
                     "riskReductionOpportunityEnablement":
                         e.wsjf.risk_reduction_opportunity_enablement})
    return rows


def impact_rows(portfolio: Portfolio, result: ImpactResult) -> list[Row]:
    """The root (depth 0), then every impacted feature by depth and id."""
    slips = {s.item_id: s.to_pi_id for s in result.slips}
    rows = []
    for item_id, depth in [(result.root_id, 0), *((i.item_id, i.depth) for i in result.items)]:
        feature = portfolio.features[item_id]
        team = portfolio.teams.get(feature.team) if feature.team else None
        rows.append({"depth": depth, "id": item_id, "name": feature.name, "team": feature.team,
                     "art": team.art if team else None, "pi": feature.pi,
                     "slipsTo": slips.get(item_id)})
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def write(rows: Sequence[Row], columns: Sequence[str], fmt: str, console: Console,
          title: str) -> None:
    """Rows as csv (on standard output), json or a table."""
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([[_cell(row.get(c)) for c in columns] for row in rows])
        sys.stdout.flush()
    elif fmt == "json":
        console.print_json(data=[{c: row.get(c) for c in columns} for row in rows])
    else:
        table = Table(*columns, title=title)
        for row in rows:
            table.add_row(*(_cell(row.get(c)) for c in columns))
        console.print(table)
