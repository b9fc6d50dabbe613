"""What a use case of api/service.py reports: applied or not, and why.

Expected failures are data here (input errors with paths and codes, the
violations a change would introduce), not exceptions: the API returns them in
its payloads and the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graph.document import InputError
from graph.model import Item
from rules.violation import Violation


@dataclass(slots=True)
class ImportOutcome:
    applied: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)


@dataclass(slots=True)
class ChangeOutcome:
    applied: bool
    item: Item | None = None
    errors: list[InputError] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
