"""The guardrail registry: every rule by id, with its defaults and a one-line description.

A rule is a pure function `(portfolio, settings) -> list[Violation]`, added with
`@register(...)`; the policy reads ids, default severities and parameters
from here, so a rule is defined in one place only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from graph.model import Portfolio, Severity
from rules.scope import Scope
from rules.settings import Param, RuleSettings
from rules.violation import Violation

RuleCheck = Callable[[Portfolio, RuleSettings], list[Violation]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    check: RuleCheck
    default_severity: Severity
    description: str
    params: Mapping[str, Param]
    scope: Scope | None = None

    def default_settings(self) -> RuleSettings:
        defaults = {name: param.default for name, param in self.params.items()}
        return RuleSettings(True, self.default_severity, MappingProxyType(defaults))


_RULES: dict[str, Rule] = {}


def register(
    rule_id: str,
    *,
    default_severity: Severity,
    description: str,
    params: Mapping[str, Param] | None = None,
    scope: Scope | None = None,
) -> Callable[[RuleCheck], RuleCheck]:
    """Add the decorated check to the registry under `rule_id`.

    `scope` says what the rule reads and how to re-run it for only the subjects
    a change touches (see `rules.scope`); without one, every change re-runs the
    whole rule.
    """

    def add(check: RuleCheck) -> RuleCheck:
        if rule_id in _RULES:
            raise ValueError(f"guardrail {rule_id} is registered twice")
        _RULES[rule_id] = Rule(
            rule_id,
            check,
            default_severity,
            description,
            MappingProxyType(dict(params or {})),
            scope,
        )
        return check

    return add


def registered() -> list[Rule]:
    """Every registered rule, ordered by id."""
    return [_RULES[rule_id] for rule_id in sorted(_RULES)]


def get_rule(rule_id: str) -> Rule:
    return _RULES[rule_id]


def default_settings(rule_id: str) -> RuleSettings:
    """The built-in settings of one rule: what runs when no policy mentions it."""
    return _RULES[rule_id].default_settings()
