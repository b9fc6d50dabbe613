"""Limits on a document's shape, depth and aliases, in time linear in the document.

strawberry's QueryDepthLimiter and MaxAliasesLimiter walk a fragment again at
every spread, so fragments that each spread the next one twice take 2^n steps
to validate (18 levels: 4 to 10 s of CPU before either limit answers). These
rules give the same answers and messages with each fragment walked once, and
refuse fragments spreading each other more than MAX_FRAGMENT_NESTING deep
(which adds no depth, only recursion for every later walk). Introspection
fields (`__schema`, `__type`) do not count towards depth, as in strawberry;
the query cost (api/cost.py) bounds what they return.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)

MAX_FRAGMENT_NESTING = 50


class _TooNested(Exception):
    pass


def _fragments(context: ValidationContext) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in context.document.definitions
            if isinstance(d, FragmentDefinitionNode)}


def _operations(context: ValidationContext) -> list[OperationDefinitionNode]:
    return [d for d in context.document.definitions if isinstance(d, OperationDefinitionNode)]


def _name(operation: OperationDefinitionNode) -> str:
    return operation.name.value if operation.name else "anonymous"


def depth_rule(max_depth: int) -> type[ValidationRule]:
    """Refuses operations nested deeper than `max_depth` fields (strawberry's message)."""

    class MaxDepth(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            walk = _Depth(_fragments(context), max_depth + 1)
            for operation in _operations(context):
                try:
                    depth = walk.selections(operation.selection_set, 0)
                except _TooNested:
                    context.report_error(GraphQLError(
                        f"'{_name(operation)}' nests fragment spreads more than "
                        f"{MAX_FRAGMENT_NESTING} deep", operation))
                    continue
                if depth > max_depth:
                    context.report_error(GraphQLError(
                        f"'{_name(operation)}' exceeds maximum operation depth of {max_depth}",
                        operation))

    return MaxDepth


def alias_rule(max_aliases: int) -> type[ValidationRule]:
    """Refuses documents with more than `max_aliases` aliases, each spread counted (strawberry's
    count and message)."""

    class MaxAliases(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            walk = _Aliases(_fragments(context))
            try:
                total = sum(walk.selections(o.selection_set) for o in _operations(context))
            except _TooNested:
                return  # the depth rule reports it
            if total > max_aliases:
                context.report_error(GraphQLError(
                    f"{total} aliases found. Allowed: {max_aliases}"))

    return MaxAliases


class _Walk:
    """Walks fragments once each (memo), refusing chains of spreads past the nesting cap."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.memo: dict[str, int] = {}
        self.walking: list[str] = []

    def fragment(self, name: str) -> int:
        if name in self.memo:
            return self.memo[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.walking:  # a cycle: another rule refuses it
            return 0
        if len(self.walking) >= MAX_FRAGMENT_NESTING:
            raise _TooNested
        self.walking.append(name)
        try:
            found = self.fragment_value(definition.selection_set)
        finally:
            self.walking.pop()
        self.memo[name] = found
        return found

    def fragment_value(self, node: SelectionSetNode) -> int:
        raise NotImplementedError


class _Depth(_Walk):
    """Depths capped at `cap` (one past the limit): enough to refuse, never a deep walk."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], cap: int) -> None:
        super().__init__(fragments)
        self.cap = cap

    def fragment_value(self, node: SelectionSetNode) -> int:
        return self.selections(node, 0)

    def selections(self, node: SelectionSetNode, above: int) -> int:
        deepest = 0
        for selection in node.selections:
            deepest = max(deepest, self.selection(selection, above))
            if above + deepest >= self.cap:
                break
        return deepest

    def selection(self, node: Any, above: int) -> int:
        if isinstance(node, FieldNode):
            if node.selection_set is None or node.name.value.startswith("__"):
                return 0
            if above + 1 >= self.cap:
                return 1
            return 1 + self.selections(node.selection_set, above + 1)
        if isinstance(node, InlineFragmentNode):
            return self.selections(node.selection_set, above)
        if isinstance(node, FragmentSpreadNode):
            return min(self.fragment(node.name.value), self.cap - above)
        return 0


class _Aliases(_Walk):
    def fragment_value(self, node: SelectionSetNode) -> int:
        return self.selections(node)

    def selections(self, node: SelectionSetNode) -> int:
        total = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                total += selection.alias is not None
                if selection.selection_set is not None:
                    total += self.selections(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                total += self.selections(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return total
