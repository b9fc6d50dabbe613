"""The guardrail registry: every rule by id, with its defaults and a one-line description.

A rule is a pure function `(portfolio, settings) -> list[Violation]`, added with
`@register(...)`; the policy reads ids, default severities and parameters
from here, and `Violation.key` reads how the rule's violations are told apart,
so a rule is defined in one place only.
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
    keyed_by_first_related: bool = False
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
    keyed_by_first_related: bool = False,
    scope: Scope | None = None,
) -> Callable[[RuleCheck], RuleCheck]:
    """Add the decorated check to the registry under `rule_id`.

    `keyed_by_first_related`: one subject can break the rule several times, told
    apart by the first related id (a team once per PI, a feature once per
    dependency). A violation's identity across snapshots (`Violation.key`) then
    includes that id, so a change that adds a second one on the same subject is
    seen as new: without it, `introduced` would let it through unblocked.

    `scope` says what the rule reads and how to re-run it for only the subjects
    a change touches (see `rules.scope`); without one, every change re-runs the
    whole rule.
    """

    def add(check: RuleCheck) -> RuleCheck:
        if rule_id in _RULES:
            raise ValueError(f"guardrail {rule_id} is registered twice")
        _RULES[rule_id] = Rule(
            rule_id, check, default_severity, description, MappingProxyType(dict(params or {})),
            keyed_by_first_related, scope,
        )
        return check

    return add


def registered() -> list[Rule]:
    """Every registered rule, ordered by id."""
    return [_RULES[rule_id] for rule_id in sorted(_RULES)]


def get_rule(rule_id: str) -> Rule:
    return _RULES[rule_id]


def keyed_by_first_related(rule_id: str) -> bool:
    """Whether the rule's violations are told apart by their first related id (see register)."""
    rule = _RULES.get(rule_id)
    return rule is not None and rule.keyed_by_first_related


def default_settings(rule_id: str) -> RuleSettings:
    """The built-in settings of one rule: what runs when no policy mentions it."""
    return _RULES[rule_id].default_settings()
