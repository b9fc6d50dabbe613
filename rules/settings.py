"""A rule's effective settings, and the kinds of parameter a policy may set.

Each `Param` knows its default, checks a policy's value and merges it over the
default key by key (a policy giving `limits: {ANALYZING: 3}` keeps the default
IMPLEMENTING limit). Parsed values keep a JSON-like shape (mappings, pairs,
numbers) so that settings built by hand in a test look like a policy file.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from graph.model import Severity
from rules.errors import PolicyError


@dataclass(frozen=True, slots=True)
class RuleSettings:
    """How one rule runs: on or off, at what severity, with which parameters."""

    enabled: bool
    severity: Severity
    params: Mapping[str, Any] = field(default_factory=dict)


def jsonable(value: Any) -> Any:
    """A plain JSON value (dicts and lists) for a parsed parameter."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def number(value: Any, key: str, *, high: float | None = None) -> float:
    """`value` if it is a finite number >= 0 (and <= high), else a PolicyError naming `key`."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    in_range = is_number and math.isfinite(value) and value >= 0 and (high is None or value <= high)
    if not in_range:
        wanted = "a number >= 0" if high is None else f"a number between 0 and {high:g}"
        raise PolicyError(key, f"must be {wanted}")
    return value  # type: ignore[no-any-return]  # checked above: int or float


def mapping(value: Any, key: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(key, "must be a mapping")
    return value


def unknown_key(key: str, name: Any, expected: Iterable[str]) -> PolicyError:
    return PolicyError(f"{key}.{name}", f"unknown key (expected one of {', '.join(expected)})")


class Param(ABC):
    """One parameter of a rule: its default and how a policy value is checked and merged."""

    default: Any

    @abstractmethod
    def merge(self, value: Any, key: str) -> Any:
        """The effective value when a policy gives `value` at dotted `key`."""


class Number(Param):
    """A number >= 0, optionally capped (`threshold`, `tolerance`)."""

    def __init__(self, default: float, *, high: float | None = None) -> None:
        self.default = default
        self.high = high

    def merge(self, value: Any, key: str) -> Any:
        return number(value, key, high=self.high)


class NumbersByName(Param):
    """Numbers >= 0 keyed by a fixed set of names, merged key by key (`limits`)."""

    def __init__(self, default: Mapping[str, float], names: Iterable[str], what: str) -> None:
        self.default = MappingProxyType(dict(default))
        self.names = tuple(names)
        self.what = what

    def merge(self, value: Any, key: str) -> Any:
        merged = dict(self.default)
        for name, item in mapping(value, key).items():
            if name not in self.names:
                expected = ", ".join(self.names)
                message = f"unknown {self.what} (expected one of {expected})"
                raise PolicyError(f"{key}.{name}", message)
            merged[name] = number(item, f"{key}.{name}")
        return MappingProxyType(merged)


class ShareRange(Param):
    """A `{min, max}` pair of shares in [0, 1], merged key by key (`enablerShare`)."""

    def __init__(self, low: float, high: float) -> None:
        self.default = MappingProxyType({"min": low, "max": high})

    def merge(self, value: Any, key: str) -> Any:
        merged = dict(self.default)
        for name, item in mapping(value, key).items():
            if name not in merged:
                raise unknown_key(key, name, merged)
            merged[name] = number(item, f"{key}.{name}", high=1)
        if merged["min"] > merged["max"]:
            raise PolicyError(key, f"min {merged['min']:g} is above max {merged['max']:g}")
        return MappingProxyType(merged)


class Bands(Param):
    """`[low, high]` share bands keyed by a fixed set of names, merged key by key (`bands`)."""

    def __init__(self, default: Mapping[str, tuple[float, float]], names: Iterable[str]) -> None:
        self.default = MappingProxyType(dict(default))
        self.names = tuple(names)

    def merge(self, value: Any, key: str) -> Any:
        merged = dict(self.default)
        for name, band in mapping(value, key).items():
            where = f"{key}.{name}"
            if name not in self.names:
                expected = ", ".join(self.names)
                raise PolicyError(where, f"unknown horizon (expected one of {expected})")
            if not isinstance(band, list | tuple) or len(band) != 2:
                raise PolicyError(where, "must be a pair [low, high] of shares between 0 and 1")
            low = number(band[0], f"{where}.0", high=1)
            high = number(band[1], f"{where}.1", high=1)
            if low > high:
                raise PolicyError(where, f"low {low:g} is above high {high:g}")
            merged[name] = (low, high)
        return MappingProxyType(merged)
