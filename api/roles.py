"""Who acts and what they may do: the actor, the roles and how they nest.

Roles nest: admin > portfolio > editor > viewer (README, "Authentication"). Queries
need viewer, changes editor, overrides and epic approval portfolio, import and
delete admin. A token may carry role names this API does not know: they grant
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """The roles, lowest first: each includes the ones before it."""

    VIEWER = "viewer"
    EDITOR = "editor"
    PORTFOLIO = "portfolio"
    ADMIN = "admin"


_RANK = {role.value: rank for rank, role in enumerate(Role)}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: the token's subject (or `cli:<user>`) and the role names it holds."""

    id: str
    roles: frozenset[str] = frozenset()


def has_role(actor: Actor, role: Role) -> bool:
    """The actor holds `role` or a role that includes it."""
    want = _RANK[role]
    return any(_RANK.get(held, -1) >= want for held in actor.roles)


# Open mode (no JWT secret, loopback only): every request acts as this actor.
ANONYMOUS = Actor(id="anonymous", roles=frozenset(Role))
