"""Every docstring example in the rules package runs, and every rule has one."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import rules
from rules.guardrails.registry import Rule, registered

MODULES = sorted(m.name for m in pkgutil.walk_packages(rules.__path__, f"{rules.__name__}."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module: ModuleType = importlib.import_module(name)
    result = doctest.testmod(module, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


@pytest.mark.parametrize("rule", registered(), ids=lambda rule: rule.id)
def test_every_rule_has_an_example(rule: Rule) -> None:
    doc = rule.check.__doc__
    assert doc and ">>>" in doc, f"{rule.id} has no docstring example"


def test_every_contract_rule_is_registered() -> None:
    assert [rule.id for rule in registered()] == [
        "approval.significant-epic",
        "budget.value-stream",
        "capacity.allocation",
        "capacity.team-overload",
        "dependency.cycle",
        "dependency.schedule-conflict",
        "dependency.unplanned",
        "engagement.business-owner",
        "investment.horizon-mix",
        "kanban.wip-limit",
        "traceability.unaligned",
        "wsjf.missing-inputs",
    ]
