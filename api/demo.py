"""The demo: Meridian Bank's portfolio, and a short PI-planning story on top of it.

The import is version 1. Then, so that `asOf`, `violationHistory` and `changes`
have something to show, the Customer 360 epic grows past the Retail value
stream's budget under an LPM override (version 2), is trimmed (3: the breach
shrinks) and trimmed again (4: it closes). docs/API.md walks through it.
"""

from __future__ import annotations

from typing import Any

from api.outcomes import ImportOutcome
from api.roles import Actor
from api.service import PortfolioService
from graph.model import Kind
from graph.samples.demo import demo_document

STORY_EPIC = "E-CUSTOMER-360"
# Retail's committed cost is 5.63M against a 6.8M budget: 2.4M breaks it by 130,000,
# 2.3M by 30,000, and 2.0M is back within it.
STORY = (
    (2_400_000, "LPM approved the data-platform extension in PI 26.2 planning"),
    (2_300_000, None),
    (2_000_000, None),
)


async def load_demo(service: PortfolioService, actor: Actor) -> ImportOutcome:
    """Import the demo portfolio and play the story; the import's outcome."""
    document = demo_document()
    outcome = await service.import_document(document, actor)
    if not outcome.applied:
        return outcome
    epic: dict[str, Any] = next(e for e in document["epics"] if e["id"] == STORY_EPIC)
    for cost, justification in STORY:
        changed = await service.upsert(Kind.EPIC, {**epic, "estimatedCost": cost}, actor,
                                       justification=justification)
        if not changed.applied:
            raise RuntimeError(f"the demo story's change to {STORY_EPIC} was refused: "
                               f"{changed.errors or changed.violations}")
    return outcome
