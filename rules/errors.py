"""Errors of the rules package: data fields first, the text is for people.

A bad policy is a load-time `PolicyError`; a query the rules cannot answer
(bad argument, dependency cycle, unknown PI) is a `QueryError`. Violations of
guardrails are results, never exceptions.
"""

from __future__ import annotations


class Code:
    """Stable error codes; the API passes them on as GraphQL `extensions.code`."""

    INVALID_POLICY = "INVALID_POLICY"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    DEPENDENCY_CYCLE = "DEPENDENCY_CYCLE"
    NOT_FOUND = "NOT_FOUND"


class RulesError(Exception):
    """Base of every error raised by the rules package."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class PolicyError(RulesError):
    """A policy that cannot be loaded; `key` is the dotted path of the offending entry.

    >>> str(PolicyError("guardrails.kanban.wip-limit.limits.ANALYZING", "must be a number >= 0"))
    'guardrails.kanban.wip-limit.limits.ANALYZING: must be a number >= 0'
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(Code.INVALID_POLICY, message)
        self.key = key

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class QueryError(RulesError):
    """A ranking or impact query that cannot be answered; `members` lists the items involved."""

    def __init__(self, code: str, message: str, members: list[str] | None = None) -> None:
        super().__init__(code, message)
        self.members: list[str] = list(members or [])


class RankingError(QueryError):
    """`rank` was given a bad argument (INVALID_ARGUMENT) or met a cycle (DEPENDENCY_CYCLE)."""


class ImpactError(QueryError):
    """`impact` was given a bad depth (INVALID_ARGUMENT) or an unknown PI (NOT_FOUND)."""
