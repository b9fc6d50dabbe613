"""Import from a spreadsheet at scale: figures to read, not assertions.

    python -m bench.import_sources [--features 5000] [--repeat 3]

Writes the synthetic portfolio's epics, features and dependencies as one CSV
sheet in our own columns (the `csv` preset), imports everything else as a
document first (themes, teams, PIs, ... that the sheet refers to), then times
`import --from csv` in process on a fresh embedded engine: reading and mapping
the sheet, validation, and the write through the service, median of --repeat.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import statistics
import time
from collections.abc import Sequence
from typing import Any

from api.roles import Actor, Role
from api.service import PortfolioService
from bench.common import remove, temp_root
from graph.config import EngineConfig
from graph.engines.falkordb import FalkorDBEngine
from graph.samples.synthetic import synthetic_document
from graph.sources import SourceFormat, load_mapping, parse_csv, read_records, to_document
from graph.sources.mapping import EPIC_FIELDS, FEATURE_FIELDS
from graph.store import Store
from rules.policy import default_policy

ACTOR = Actor(id="cli:bench", roles=frozenset({Role.ADMIN}))
COLUMNS = ["kind", "id", "workType", "dependsOn",
           *sorted((EPIC_FIELDS | FEATURE_FIELDS) - {"id"})]


def sheet(document: dict[str, Any]) -> str:
    """Epics and features as one CSV sheet in the `csv` preset's columns."""
    depends: dict[str, list[str]] = {}
    for dep in document.get("dependencies", []):
        depends.setdefault(dep["from"], []).append(dep["to"])
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS)
    writer.writeheader()
    for kind, key in (("epic", "epics"), ("feature", "features")):
        for item in document.get(key, []):
            row: dict[str, Any] = {"kind": kind, "id": item["id"], "workType": item["type"],
                                   "dependsOn": " ".join(depends.get(item["id"], []))}
            for name, value in item.items():
                if name == "wsjf":
                    row.update({f"wsjf.{k}": v for k, v in value.items()})
                elif name in COLUMNS and name != "type":
                    row[name] = ";".join(value) if isinstance(value, list) else value
            writer.writerow(row)
    return out.getvalue()


async def run_once(features: int) -> dict[str, float]:
    document = synthetic_document(features)
    rest = {k: v for k, v in document.items() if k not in ("epics", "features", "dependencies")}
    text = sheet(document)
    root = temp_root("pgs-")
    engine = FalkorDBEngine(EngineConfig(data_dir=root / "data"))
    store = Store(engine)
    await store.start()
    try:
        service = PortfolioService(store, default_policy())
        assert (await service.import_document(rest, ACTOR)).applied
        began = time.perf_counter()
        mapping = load_mapping(SourceFormat.CSV)
        rows = parse_csv("plan.csv", text)
        records, edges = read_records(SourceFormat.CSV, [("plan.csv", rows)], mapping)
        existing = (await service.snapshot()).kinds()
        converted = to_document(SourceFormat.CSV, mapping, records, edges, existing)
        mapped = time.perf_counter()
        outcome = await service.import_document(converted.document, ACTOR,
                                                validate=converted.validate)
        done = time.perf_counter()
        if not outcome.applied:
            raise RuntimeError(f"import refused: {outcome.errors[:3]}")
        return {"read and map (ms)": (mapped - began) * 1000,
                "validate and write (ms)": (done - mapped) * 1000,
                "total (ms)": (done - began) * 1000,
                "items": len(records), "dependencies": len(edges)}
    finally:
        await store.close()
        remove(root)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    runs = [asyncio.run(run_once(args.features)) for _ in range(args.repeat)]
    print(f"CSV import of {runs[0]['items']:,.0f} epics and features with "
          f"{runs[0]['dependencies']:,.0f} dependency references "
          f"(median of {args.repeat}, 2 cores):")
    for key in ("read and map (ms)", "validate and write (ms)", "total (ms)"):
        print(f"  {key:<26} {statistics.median(r[key] for r in runs):>9,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
