"""Relay-style connections over features and epics: opaque cursors, bounded pages."""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from enum import Enum

import strawberry
from strawberry.types.nodes import SelectedField

from api.context import Info
from api.errors import bad_input
from api.schema.work import Epic, Feature
from graph.keyset import Bound, Sort, SortField, SortValue
from graph.model import ID_RE

MAX_FIRST = 500  # also the most `last` takes

_VALUE_TYPES: dict[SortField, tuple[type, ...]] = {
    SortField.NAME: (str,), SortField.STATE: (int,), SortField.WSJF_SCORE: (int, float),
    SortField.PI_START: (str,)}
_NULLABLE = {SortField.WSJF_SCORE, SortField.PI_START}


def encode_cursor(item_id: str, sort: Sort | None = None, value: SortValue = None) -> str:
    """An opaque cursor. In id order (the contract's), the base64 of the item id; under an
    ordering, the base64 of the JSON `[ordering, sort value, id]`, so a page continues
    from the position itself, whatever has changed since."""
    text = item_id if sort is None else json.dumps([sort.tag, value, item_id],
                                                   separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(cursor: str | None, argument: str = "after",
                  sort: Sort | None = None) -> Bound | None:
    """The position a cursor names, for a page in `sort`'s order (id order without one).

    BAD_USER_INPUT naming `argument` when it is not a cursor of ours, or when it was made
    for a page in another order (its position would mean nothing in this one).
    """
    if cursor is None:
        return None
    found = _decoded(cursor)
    if found is None:
        raise bad_input(f"invalid cursor {shown(cursor)} in `{argument}`: pass a cursor this "
                        "API returned", argument=argument)
    tag, bound = found
    wanted = "id" if sort is None else sort.tag
    if tag != wanted:
        made = "id order" if tag == "id" else f"orderBy {tag}"
        asked = "id order" if sort is None else f"orderBy {sort.tag}"
        raise bad_input(f"the cursor in `{argument}` was made for a page in {made}, but this "
                        f"page is in {asked}: pass a cursor from a page in the same order",
                        argument=argument)
    return bound


def _decoded(cursor: str) -> tuple[str, Bound] | None:
    """(the ordering's tag, or "id"; the position) of a cursor this API made, else None."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if ID_RE.fullmatch(text):
        return ("id", Bound(text)) if encode_cursor(text) == cursor else None
    try:
        tag, value, item_id = json.loads(text)
        field, direction = tag.split(":")
        sort = Sort(SortField(field), {"ASC": False, "DESC": True}[direction])
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    nullable = value is None and sort.field in _NULLABLE
    if not (isinstance(item_id, str) and ID_RE.fullmatch(item_id)) or isinstance(value, bool) \
            or not (nullable or isinstance(value, _VALUE_TYPES[sort.field])) \
            or (isinstance(value, float) and not math.isfinite(value)) \
            or encode_cursor(item_id, sort, value) != cursor:
        return None
    return sort.tag, Bound(item_id, value)


def shown(value: str, limit: int = 40) -> str:
    """A client's value quoted in a message, cut short: an error never echoes 100 KB back."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


def page_size(first: int | None, default: int = 50, argument: str = "first") -> int:
    """`first` (or `last`), checked: between 0 and MAX_FIRST (BAD_USER_INPUT otherwise)."""
    size = default if first is None else first
    if not 0 <= size <= MAX_FIRST:
        raise bad_input(f"{argument} must be between 0 and {MAX_FIRST} (got {size})",
                        argument=argument)
    return size


@dataclass(frozen=True, slots=True)
class Window:
    """A connection's checked paging arguments: `first` or `last`, and the cursors'
    positions."""

    first: int | None
    last: int | None
    after: Bound | None
    before: Bound | None
    sort: Sort | None


def window(info: Info, first: int | None, last: int | None, after: str | None,
           before: str | None, sort: Sort | None) -> Window:
    """Relay's paging arguments, checked: `first` and `last` exclude each other (`first`
    counts only when the operation gives it: its default of 50 yields to `last`), each
    0 to MAX_FIRST; cursors of this API made for the same order."""
    given = given_arguments(info)
    if last is not None and "first" in given and first is not None:
        raise bad_input("give `first` or `last`, not both: `first` pages forward from "
                        "`after`, `last` backward from `before`", argument="first")
    if last is not None:
        size, first = page_size(last, argument="last"), None
    else:
        size = page_size(first)
    return Window(first=None if last is not None else size,
                  last=size if last is not None else None,
                  after=decode_cursor(after, "after", sort),
                  before=decode_cursor(before, "before", sort), sort=sort)


def given_arguments(info: Info) -> set[str]:
    """Names of the arguments the operation gives this field a value (not null; a variable
    the request leaves unset gives none)."""
    selected = info.selected_fields[0]
    if not isinstance(selected, SelectedField):  # a resolver's own field is never a fragment
        return set()
    return {name for name, value in selected.arguments.items() if value is not None}


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(
        description="Opaque cursor of the last edge; pass it as `after` for the next page.")
    has_previous_page: bool = strawberry.field(default=False, description=(
        "Whether edges come before this page: with `last`, more in the window than the page "
        "holds; else whether any precede `after` (false without `after`). Relay's "
        "definition."))
    start_cursor: str | None = strawberry.field(default=None, description=(
        "Opaque cursor of the first edge; pass it as `before` (with `last`) for the page "
        "before."))


@strawberry.type
class FeatureEdge:
    cursor: str
    node: Feature


@strawberry.type
class FeatureConnection:
    edges: list[FeatureEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class EpicEdge:
    cursor: str
    node: Epic


@strawberry.type
class EpicConnection:
    edges: list[EpicEdge]
    page_info: PageInfo
    total_count: int


@strawberry.enum(description="Which way an ordering runs; nulls come last either way.")
class OrderDirection(Enum):
    ASC = strawberry.enum_value("ASC", description=(
        "Smallest first: A to Z, the Kanban's first state first, lowest score first, "
        "earliest date first."))
    DESC = strawberry.enum_value("DESC", description=(
        "Largest first: Z to A, the Kanban's last state first, highest score first, "
        "latest date first."))


@strawberry.enum(description="What a page of features can be ordered by.")
class FeatureOrderField(Enum):
    NAME = strawberry.enum_value("NAME", description="The name, case-insensitively.")
    STATE = strawberry.enum_value("STATE", description=(
        "The state, in the order of the ART Kanban (FUNNEL to DONE), not alphabetically."))
    WSJF_SCORE = strawberry.enum_value("WSJF_SCORE", description=(
        "The WSJF score (as `wsjf.score` shows it); features without WSJF inputs last."))
    PI_START = strawberry.enum_value("PI_START", description=(
        "The start date of the feature's PI; unplanned features last."))


@strawberry.enum(description="What a page of epics can be ordered by.")
class EpicOrderField(Enum):
    NAME = strawberry.enum_value("NAME", description="The name, case-insensitively.")
    STATE = strawberry.enum_value("STATE", description=(
        "The state, in the order of the portfolio Kanban (FUNNEL to DONE), not "
        "alphabetically."))
    WSJF_SCORE = strawberry.enum_value("WSJF_SCORE", description=(
        "The WSJF score (as `wsjf.score` shows it); epics without WSJF inputs last."))
    PI_START = strawberry.enum_value("PI_START", description=(
        "When the epic's work is planned to start: the earliest start date among the PIs "
        "of its features; epics with no feature in a PI last."))


@strawberry.input(description=(
    "The order of a page of features: a field and a direction, then id (ascending) among "
    "equal values."))
class FeatureOrder:
    field: FeatureOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Which way; ASC when left out.")

    def sort(self) -> Sort:
        return Sort(SortField(self.field.name), self.direction is OrderDirection.DESC)


@strawberry.input(description=(
    "The order of a page of epics: a field and a direction, then id (ascending) among "
    "equal values."))
class EpicOrder:
    field: EpicOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Which way; ASC when left out.")

    def sort(self) -> Sort:
        return Sort(SortField(self.field.name), self.direction is OrderDirection.DESC)
