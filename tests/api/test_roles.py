"""Roles nest (admin > portfolio > editor > viewer); unknown role names grant nothing."""

from __future__ import annotations

from api.roles import ANONYMOUS, Actor, Role, has_role


def test_a_role_includes_every_lower_one_and_no_higher_one() -> None:
    order = list(Role)
    assert [r.value for r in order] == ["viewer", "editor", "portfolio", "admin"]
    for held in order:
        actor = Actor("a", frozenset({held.value}))  # tokens carry plain strings
        for wanted in order:
            assert has_role(actor, wanted) == (order.index(held) >= order.index(wanted))


def test_unknown_role_names_grant_nothing_and_open_mode_holds_every_role() -> None:
    assert not any(has_role(Actor("a", frozenset({"root", "Admin", ""})), r) for r in Role)
    assert not has_role(Actor("nobody"), Role.VIEWER)
    assert all(has_role(ANONYMOUS, r) for r in Role)
