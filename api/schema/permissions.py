"""Role checks on the root fields: a missing role is a GraphQL error with code FORBIDDEN."""

from __future__ import annotations

from typing import Any

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension

from api.context import Info
from api.errors import ErrorCode
from api.roles import Role, has_role


class HasRole(BasePermission):
    """The actor holds `role` or a role that includes it (admin > portfolio > editor > viewer)."""

    error_extensions = {"code": ErrorCode.FORBIDDEN}  # noqa: RUF012  # strawberry reads it per class

    def __init__(self, role: Role) -> None:
        self.role = role
        self.message = f"this operation needs the {role} role"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return has_role(info.context.actor, self.role)


def needs(role: Role) -> list[FieldExtension]:
    """Field extensions that refuse the field unless the actor holds `role`."""
    return [PermissionExtension([HasRole(role)], use_directives=False)]


VIEWER = Role.VIEWER
EDITOR = Role.EDITOR
PORTFOLIO = Role.PORTFOLIO
ADMIN = Role.ADMIN
