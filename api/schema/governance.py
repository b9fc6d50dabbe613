"""Governance: violations, guardrails, the audit log and the WSJF ranking."""

from __future__ import annotations

import base64
import binascii
import re
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from api.errors import bad_input
from api.schema.enums import Severity
from api.schema.paging import shown
from api.schema.work import WorkItem, Wsjf
from graph import store
from rules import policy
from rules import violation as v


@strawberry.type
class Violation:
    rule: str
    severity: Severity
    subject_type: str
    subject_id: strawberry.ID
    related_ids: list[strawberry.ID]
    excess: float
    message: str

    @classmethod
    def of(cls, found: v.Violation) -> Violation:
        return cls(
            rule=found.rule, severity=found.severity, subject_type=found.subject_type.value,
            # IDs are strings: strawberry.ID(x) is x, at the price of a call per id.
            subject_id=cast(strawberry.ID, found.subject_id),
            related_ids=cast(list[strawberry.ID], list(found.related_ids)),
            excess=found.excess, message=found.message,
        )


# The wrappers of the newest list wrapped per filter (`wrapped`), at most CARRIED_LISTS
# filters: a change's next version carries most rules Violations as the same objects
# (rules/incremental.py), so their wrappers are reused. At 50,000 features the first
# violations request after every change wrapped 13,458: 14 ms; with the reuse, 4 ms.
CARRIED_LISTS = 8
_carried: OrderedDict[Hashable, dict[int, tuple[v.Violation, Violation]]] = OrderedDict()
_carried_lock = threading.Lock()


def wrapped(found: Sequence[v.Violation], key: Hashable) -> list[Violation]:
    """`[Violation.of(x) for x in found]`, reusing the wrapper of every `x` that was in the
    list last wrapped under `key` (the same object: by identity, the object held)."""
    with _carried_lock:
        last = _carried.get(key, {})
    kept: dict[int, tuple[v.Violation, Violation]] = {}
    out = []
    for violation in found:
        entry = last.get(id(violation))
        wrapper = (entry[1] if entry is not None and entry[0] is violation
                   else Violation.of(violation))
        kept[id(violation)] = (violation, wrapper)
        out.append(wrapper)
    with _carried_lock:
        _carried[key] = kept
        _carried.move_to_end(key)
        while len(_carried) > CARRIED_LISTS:
            _carried.popitem(last=False)
    return out


@strawberry.type
class Guardrail:
    rule: str
    enabled: bool
    severity: Severity
    params: JSON
    description: str

    @classmethod
    def of(cls, rail: policy.Guardrail) -> Guardrail:
        return cls(rule=rail.rule, enabled=rail.enabled, severity=rail.severity,
                   params=JSON(rail.params), description=rail.description)


_AUDIT_CURSOR = "AuditEntry:"
# A sequence number as this API writes it: ASCII digits, no sign, no leading zero, and
# small enough for a 64-bit engine integer (a larger one made the engine fail).
_SEQ = re.compile(r"(0|[1-9][0-9]{0,17})")


def audit_cursor(seq: int) -> str:
    return base64.b64encode(f"{_AUDIT_CURSOR}{seq}".encode()).decode()


def audit_seq(cursor: str, argument: str = "before") -> int:
    """The sequence number an audit cursor stands for; BAD_USER_INPUT when it is not one."""
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    digits = text.removeprefix(_AUDIT_CURSOR)
    if text.startswith(_AUDIT_CURSOR) and _SEQ.fullmatch(digits):
        seq = int(digits)
        if audit_cursor(seq) == cursor:
            return seq
    raise bad_input(f"invalid audit log cursor {shown(cursor)} in `{argument}`: pass an "
                    "AuditEntry's `cursor`", argument=argument)



@strawberry.type
class AuditEntry:
    id: strawberry.ID
    at: datetime
    actor: str
    operation: str = strawberry.field(description=(
        "e.g. importPortfolio, upsertFeature, addDependency, removeDependency, deleteItem"))
    item_id: strawberry.ID | None
    justification: str | None = strawberry.field(
        description="Set when a blocking guardrail was overridden.")
    before: JSON | None
    after: JSON | None
    cursor: str = strawberry.field(
        description="Opaque cursor of this entry; pass it as `before` for older entries.")
    version: int = strawberry.field(description="The portfolio version this entry wrote.")

    @classmethod
    def of(cls, entry: store.AuditEntry) -> AuditEntry:
        return cls(
            id=strawberry.ID(entry.id), at=datetime.fromisoformat(entry.at), actor=entry.actor,
            operation=entry.operation,
            item_id=None if entry.item_id is None else strawberry.ID(entry.item_id),
            justification=entry.justification,
            before=None if entry.before is None else JSON(entry.before),
            after=None if entry.after is None else JSON(entry.after),
            cursor=audit_cursor(entry.seq), version=entry.version,
        )


@strawberry.type
class RankedItem:
    rank: int
    item: WorkItem
    wsjf: Wsjf
