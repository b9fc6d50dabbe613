"""Source records -> a portfolio document, with every error pointing at the source row.

Each reader (jira.py, azure_devops.py, csv_sheets.py) turns a tool's export into
`Record`s and dependency `Edge`s; `to_document` maps them through a `Mapping`
into the contract's portfolio document, which then goes through the same
validation as any import (`validate_document`): all or nothing, and every
problem named by file and issue key or row (`page-1.json:PAY-12.state`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graph.document import Code, InputError, ParsedDocument, validate_document
from graph.model import DEFAULT_WSJF_SCALE, EpicState, FeatureState, Kind
from graph.sources.mapping import PARENT, KindMapping, Mapping, SourceFormat

WSJF_KEYS = ("userBusinessValue", "timeCriticality", "riskReductionOpportunityEnablement",
             "jobSize")
_REFERENCE_FIELDS = frozenset({"team", "pi", "valueStream", "horizon"})
_LIST_FIELDS = frozenset({"themes", "keyResults"})
_NUMBER_FIELDS = frozenset({"points", "estimatedCost"})
_SPLIT = re.compile(r"[,;\s]+")


@dataclass(frozen=True, slots=True)
class Record:
    """One work item of a source: where it came from and its raw fields."""

    origin: str  # file and key or row, e.g. "page-1.json:PAY-12" or "features.csv:row 4"
    key: str
    type: str | None
    fields: MappingABC[str, Any]
    url: str | None = None
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    """`from_key` depends on `to_key`, as found at `origin`."""

    from_key: str
    to_key: str
    origin: str


@dataclass(slots=True)
class Converted:
    """A document ready for import, or the errors that stop it; never both."""

    document: dict[str, Any] = field(default_factory=dict)
    errors: list[InputError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # origins of items in skipped states
    imported_at: str = ""
    # Document path of each entry ("features.3", "dependencies.0") -> source origin.
    origins: dict[str, str] = field(default_factory=dict)

    def validate(self, raw: Any = None, *, scale: Sequence[int] = DEFAULT_WSJF_SCALE,
                 existing: MappingABC[str, Kind] | None = None
                 ) -> ParsedDocument | list[InputError]:
        """The document's own validation, with error paths pointing at the source
        (`raw`, when given, is this document: the service passes it back)."""
        if self.errors:
            return self.errors
        result = validate_document(self.document if raw is None else raw, scale=scale,
                                   existing=existing)
        if isinstance(result, ParsedDocument):
            return result
        return [InputError(self._source_path(e.path), e.message, e.code) for e in result]

    def _source_path(self, path: str) -> str:
        parts = path.split(".")
        head = ".".join(parts[:2])
        origin = self.origins.get(head)
        if origin is None:
            return path
        rest = ".".join(parts[2:])
        return f"{origin}.{rest}" if rest else origin


def lookup(data: Any, path: str) -> Any:
    """A dotted path into nested maps and lists; a key may itself hold dots (ADO's
    `System.Title`), so the longest key present wins at each level."""
    if isinstance(data, dict) and path in data:  # the common case: a plain key
        return data[path]
    parts = path.split(".")
    current = data
    index = 0
    while index < len(parts):
        if isinstance(current, MappingABC):
            for end in range(len(parts), index, -1):
                key = ".".join(parts[index:end])
                if key in current:
                    current = current[key]
                    index = end
                    break
            else:
                return None
        elif isinstance(current, list) and parts[index].isdigit():
            position = int(parts[index])
            if position >= len(current):
                return None
            current = current[position]
            index += 1
        else:
            return None
    return current


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


class _Mapper:
    def __init__(self, system: SourceFormat, mapping: Mapping, existing_ids: Iterable[str]):
        self.system = system
        self.mapping = mapping
        self.existing = set(existing_ids)
        self.out = Converted(imported_at=datetime.now(UTC).isoformat(timespec="seconds"))
        self.ids: dict[str, str] = {}  # source key -> our id, for imported items
        self.imported: set[str] = set()  # our ids of imported items
        self._enablers: dict[int, frozenset[str]] = {}

    def our_id(self, key: str) -> str:
        return f"{self.mapping.id_prefix}{key}"

    def error(self, where: str, message: str, code: str) -> None:
        self.out.errors.append(InputError(where, message, code))

    def raw(self, record: Record, spec: str | list[str] | None) -> Any:
        for path in [spec] if isinstance(spec, str) else spec or []:
            value = record.parent if path == PARENT else lookup(record.fields, path)
            if not _empty(value):
                return value
        return None

    def run(self, records: Sequence[Record], edges: Sequence[Edge]) -> Converted:
        kinds: list[tuple[Record, str]] = []
        skipped: set[str] = set()
        for record in records:
            kind = self.mapping.types.get(record.type or "")
            if kind is None:
                continue  # item types the mapping does not name are not portfolio items
            state = self.raw(record, getattr(self.mapping, kind).fields.get("state"))
            if isinstance(state, str) and state in self.mapping.skip_states:
                skipped.add(record.key)
                self.out.skipped.append(record.origin)
                continue
            self.ids[record.key] = self.our_id(record.key)
            self.imported.add(self.ids[record.key])
            kinds.append((record, kind))
        for record, kind in kinds:
            self.item(record, kind)
        self.dependencies(edges, skipped)
        return self.out

    def item(self, record: Record, kind: str) -> None:
        rules: KindMapping = getattr(self.mapping, kind)
        our_id = self.ids[record.key]
        entry: dict[str, Any] = {"id": our_id}
        wsjf: dict[str, Any] = {}
        for name, spec in rules.fields.items():
            value = self.raw(record, spec)
            if _empty(value):
                continue
            where = f"{record.origin}.{name}"
            if name == "state":
                entry[name] = self.state(kind, rules, value, where)
            elif name.startswith("wsjf."):
                wsjf[name.removeprefix("wsjf.")] = self.number(value, where, integer=True)
            else:
                entry[name] = self.value(name, value, where)
        entry["type"] = self.work_type(record, rules)
        if wsjf:
            missing = [k for k in WSJF_KEYS if k not in wsjf]
            if missing:
                self.error(f"{record.origin}.wsjf", "WSJF needs all four inputs; missing "
                           + ", ".join(missing), Code.REQUIRED)
            else:
                entry["wsjf"] = wsjf
        entry["source"] = {"system": self.system.value, "key": record.key,
                           "importedAt": self.out.imported_at}
        if record.url:
            entry["source"]["url"] = record.url
        key = "epics" if kind == "epic" else "features"
        items = self.out.document.setdefault(key, [])
        self.out.origins[f"{key}.{len(items)}"] = record.origin
        items.append(entry)

    def state(self, kind: str, rules: KindMapping, value: Any, where: str) -> Any:
        text = str(value)
        if text in rules.states:
            return rules.states[text]
        known = EpicState if kind == "epic" else FeatureState
        if text in known.__members__:
            return text
        self.error(where, f"state '{text}' maps to no {kind} state: add it under "
                   f"{kind}.states in the mapping (one of {', '.join(known.__members__)})",
                   Code.INVALID_ENUM)
        return text

    def work_type(self, record: Record, rules: KindMapping) -> str:
        rule = rules.work_type
        value = None if rule.field is None else lookup(record.fields, rule.field)
        if _empty(value):
            return "BUSINESS"
        values = value if isinstance(value, list) else _SPLIT.split(str(value))
        wanted = self.enabler_values(rules)
        return "ENABLER" if any(str(v).lower() in wanted for v in values) else "BUSINESS"

    def enabler_values(self, rules: KindMapping) -> frozenset[str]:
        found = self._enablers.get(id(rules))
        if found is None:
            found = self._enablers[id(rules)] = frozenset(
                v.lower() for v in rules.work_type.enabler)
        return found

    def value(self, name: str, value: Any, where: str) -> Any:
        if name in _NUMBER_FIELDS:
            return self.number(value, where)
        if name == "approved":
            return value if isinstance(value, bool) else str(value).strip().lower() in (
                "true", "yes", "1", "y")
        if name == "epic":
            key = str(value.get("key") if isinstance(value, MappingABC) else value)
            return self.ids.get(key, self.our_id(key))
        if name in _LIST_FIELDS:
            items = value if isinstance(value, list) else _SPLIT.split(str(value))
            return [self.reference(name, str(v)) for v in items if str(v)]
        if isinstance(value, MappingABC):  # people and named objects: their display name
            value = value.get("displayName") or value.get("name") or value.get("value")
        text = str(value)
        return self.reference(name, text) if name in _REFERENCE_FIELDS else text

    def reference(self, name: str, text: str) -> str:
        table = self.mapping.values.get(name, {})
        if text in table:
            return table[text]
        last = text.rsplit("\\", 1)[-1]  # ADO area and iteration paths: the last step
        return table.get(last, last)

    def number(self, value: Any, where: str, *, integer: bool = False) -> Any:
        if isinstance(value, bool):
            self.error(where, f"expected a number, got {value!r}", Code.INVALID_NUMBER)
            return value
        if isinstance(value, int | float):
            number: float = value
        else:
            try:
                number = float(str(value).strip())
            except ValueError:
                self.error(where, f"expected a number, got {value!r}", Code.INVALID_NUMBER)
                return value
        if integer:
            return int(number) if number == int(number) else number
        return number

    def dependencies(self, edges: Sequence[Edge], skipped: set[str]) -> None:
        seen: set[tuple[str, str]] = set()
        deps = self.out.document.setdefault("dependencies", [])
        for edge in edges:
            if edge.from_key in skipped or edge.to_key in skipped:
                continue
            pair = (self.ids.get(edge.from_key, self.our_id(edge.from_key)),
                    self.ids.get(edge.to_key, self.our_id(edge.to_key)))
            if pair in seen:
                continue
            unknown = [p for p in pair if p not in self.imported and p not in self.existing]
            if unknown and self.mapping.ignore_unknown_links:
                continue
            if edge.from_key not in self.ids and edge.to_key not in self.ids:
                continue  # a link between two items this import does not carry
            seen.add(pair)
            self.out.origins[f"dependencies.{len(deps)}"] = edge.origin
            deps.append({"from": pair[0], "to": pair[1]})
        if not deps:
            del self.out.document["dependencies"]


def to_document(system: SourceFormat, mapping: Mapping, records: Sequence[Record],
                edges: Sequence[Edge], existing_ids: Iterable[str] = ()) -> Converted:
    """Map source records and edges into a portfolio document (validate it with
    `Converted.validate`)."""
    return _Mapper(system, mapping, existing_ids).run(records, edges)
