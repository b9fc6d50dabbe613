"""The policy: the WSJF scale and each guardrail's settings, read once at start-up.

A policy file (YAML; JSON is accepted) overrides the built-in defaults key by
key, also inside `limits`, `bands` and `enablerShare`. Anything it cannot use
(an unknown key, rule or parameter, a value of the wrong type or range) is a
`PolicyError` naming the dotted key, so a typo never silently drops a limit.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from graph.model import DEFAULT_WSJF_SCALE, Severity
from rules.errors import PolicyError
from rules.guardrails.registry import Rule, registered
from rules.settings import RuleSettings, jsonable, mapping

__all__ = [
    "Guardrail",
    "Policy",
    "PolicyError",
    "RuleSettings",
    "default_policy",
    "load_policy",
    "policy_from_mapping",
]

TOP_LEVEL_KEYS = ("wsjf", "guardrails")
WSJF_KEYS = ("scale",)
COMMON_KEYS = ("enabled", "severity")


@dataclass(frozen=True, slots=True)
class Guardrail:
    """One rule as the API's `guardrails` query shows it: effective settings, plain JSON params."""

    rule: str
    enabled: bool
    severity: Severity
    params: dict[str, Any]
    description: str


@dataclass(frozen=True, slots=True)
class Policy:
    """Effective settings: the WSJF scale and every registered rule's settings."""

    wsjf_scale: tuple[int, ...]
    rules: Mapping[str, RuleSettings]

    def settings(self, rule_id: str) -> RuleSettings:
        return self.rules[rule_id]

    def guardrails(self) -> list[Guardrail]:
        """Every rule, ordered by id, with its effective (merged) settings and a description."""
        out = []
        for rule in registered():
            settings = self.rules[rule.id]
            out.append(
                Guardrail(
                    rule=rule.id,
                    enabled=settings.enabled,
                    severity=settings.severity,
                    params=jsonable(settings.params),
                    description=rule.description,
                )
            )
        return out


def _unknown(key: str, name: object, known: Iterable[str], what: str) -> PolicyError:
    known = list(known)
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f"did you mean {close[0]}?" if close else f"expected one of {', '.join(known)}"
    return PolicyError(f"{key}.{name}" if key else str(name), f"unknown {what}: {hint}")


def _scale(value: Any, key: str) -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or not value:
        raise PolicyError(key, "must be a non-empty list of distinct positive integers")
    seen: set[int] = set()
    for index, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int) or item < 1:
            raise PolicyError(f"{key}.{index}", "must be a positive integer")
        if item in seen:
            raise PolicyError(f"{key}.{index}", f"{item} is already on the scale")
        seen.add(item)
    return tuple(value)


def _severity(value: Any, key: str) -> Severity:
    if isinstance(value, str) and value.upper() in Severity.__members__:
        return Severity[value.upper()]
    raise PolicyError(key, "must be one of info, warning, error")


def _rule_settings(rule: Rule, value: Any, key: str) -> RuleSettings:
    defaults = rule.default_settings()
    given = {} if value is None else mapping(value, key)
    enabled, severity = defaults.enabled, defaults.severity
    params = dict(defaults.params)
    for name, item in given.items():
        where = f"{key}.{name}"
        if name == "enabled":
            if not isinstance(item, bool):
                raise PolicyError(where, "must be true or false")
            enabled = item
        elif name == "severity":
            severity = _severity(item, where)
        elif name in rule.params:
            params[name] = rule.params[name].merge(item, where)
        else:
            raise _unknown(key, name, [*COMMON_KEYS, *rule.params], "parameter")
    return RuleSettings(enabled, severity, MappingProxyType(params))


def policy_from_mapping(data: Any) -> Policy:
    """A policy from parsed YAML/JSON; raises PolicyError naming the first bad key."""
    top = mapping({} if data is None else data, "policy")
    for name in top:
        if name not in TOP_LEVEL_KEYS:
            raise _unknown("", name, TOP_LEVEL_KEYS, "key")
    scale = DEFAULT_WSJF_SCALE
    wsjf = top.get("wsjf")
    if wsjf is not None:
        for name, item in mapping(wsjf, "wsjf").items():
            if name not in WSJF_KEYS:
                raise _unknown("wsjf", name, WSJF_KEYS, "key")
            scale = _scale(item, "wsjf.scale")
    rules = {rule.id: rule for rule in registered()}
    given = top.get("guardrails")
    given = {} if given is None else mapping(given, "guardrails")
    for name in given:
        if name not in rules:
            raise _unknown("guardrails", name, rules, "rule")
    settings = {
        rule_id: _rule_settings(rule, given.get(rule_id), f"guardrails.{rule_id}")
        for rule_id, rule in rules.items()
    }
    return Policy(scale, MappingProxyType(settings))


@cache
def default_policy() -> Policy:
    """The built-in defaults: what applies without a policy file."""
    return policy_from_mapping({})


def load_policy(path: Path | str | None) -> Policy:
    """Read a policy file (YAML, or JSON for a .json name); None means the defaults."""
    if path is None:
        return default_policy()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(str(path), f"cannot read the policy file: {exc}") from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise PolicyError(str(path), f"not a valid policy document: {exc}") from exc
    return policy_from_mapping(data)
