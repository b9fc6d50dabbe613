"""Relay-style connections over features and epics: opaque cursors, bounded pages."""

from __future__ import annotations

import base64
import binascii

import strawberry

from api.errors import bad_input
from api.schema.work import Epic, Feature
from graph.model import ID_RE

MAX_FIRST = 500


def encode_cursor(item_id: str) -> str:
    """An opaque cursor: the base64 of the item id (pages are ordered by id)."""
    return base64.urlsafe_b64encode(item_id.encode()).decode()


def decode_cursor(cursor: str | None) -> str | None:
    """The id an `after` cursor stands for; BAD_USER_INPUT when it is not a cursor of ours."""
    if cursor is None:
        return None
    try:
        item_id = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        item_id = ""
    if not ID_RE.fullmatch(item_id) or encode_cursor(item_id) != cursor:
        raise bad_input(f"invalid cursor {shown(cursor)} in `after`: pass a cursor this API "
                        "returned", argument="after")
    return item_id


def shown(value: str, limit: int = 40) -> str:
    """A client's value quoted in a message, cut short: an error never echoes 100 KB back."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


def page_size(first: int | None, default: int = 50) -> int:
    """`first`, checked: between 0 and MAX_FIRST (BAD_USER_INPUT otherwise)."""
    size = default if first is None else first
    if not 0 <= size <= MAX_FIRST:
        raise bad_input(f"first must be between 0 and {MAX_FIRST} (got {size})",
                        argument="first")
    return size


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None = strawberry.field(
        description="Opaque cursor of the last edge; pass it as `after` for the next page.")


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
