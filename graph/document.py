"""The portfolio document: parse and validate completely before anything is written.

`validate_document` returns either a `ParsedDocument` or every problem found as
an `InputError` with a dotted path (lists index from 0) and a stable code.
References may point into the document or at items already in the graph,
given as `existing` (id -> kind).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from graph.changes import PutDocument
from graph.model import (
    DEFAULT_WSJF_SCALE,
    DOCUMENT_KEYS,
    ID_RE,
    MODEL_OF_KIND,
    Arity,
    Dependency,
    Item,
    Kind,
    ProgramIncrement,
    links_of,
    unstorable_paths,
)

KEY_TO_KIND: dict[str, Kind] = {key: kind for kind, key in DOCUMENT_KEYS.items()}
WSJF_FIELDS = (
    "userBusinessValue",
    "timeCriticality",
    "riskReductionOpportunityEnablement",
    "jobSize",
)


class Code:
    """Stable error codes of the contract (plus INVALID_TYPE for a value of the wrong JSON type)."""

    REQUIRED = "REQUIRED"
    INVALID_ID = "INVALID_ID"
    DUPLICATE_ID = "DUPLICATE_ID"
    UNKNOWN_REFERENCE = "UNKNOWN_REFERENCE"
    INVALID_ENUM = "INVALID_ENUM"
    OFF_SCALE = "OFF_SCALE"
    SELF_DEPENDENCY = "SELF_DEPENDENCY"
    INVALID_DATE = "INVALID_DATE"
    INVALID_RANGE = "INVALID_RANGE"
    INVALID_NUMBER = "INVALID_NUMBER"
    UNKNOWN_FIELD = "UNKNOWN_FIELD"
    INVALID_TYPE = "INVALID_TYPE"
    INVALID_TEXT = "INVALID_TEXT"
    IN_USE = "IN_USE"
    NOT_FOUND = "NOT_FOUND"


@dataclass(frozen=True, slots=True)
class InputError:
    path: str
    message: str
    code: str


@dataclass(slots=True)
class ParsedDocument:
    """A valid document: items by kind, in document order, and its dependencies."""

    items: dict[Kind, list[Item]] = field(default_factory=lambda: {k: [] for k in Kind})
    dependencies: list[Dependency] = field(default_factory=list)

    def all_items(self) -> Iterable[Item]:
        for kind in Kind:
            yield from self.items[kind]

    def change(self) -> PutDocument:
        """The document as the change the store writes."""
        return PutDocument(tuple(self.all_items()),
                           tuple((d.from_id, d.to_id) for d in self.dependencies))

    def count(self) -> int:
        return sum(len(v) for v in self.items.values())


_PYDANTIC_CODES: dict[str, str] = {
    "missing": Code.REQUIRED,
    "extra_forbidden": Code.UNKNOWN_FIELD,
    "enum": Code.INVALID_ENUM,
    "string_pattern_mismatch": Code.INVALID_ID,
    "date_parsing": Code.INVALID_DATE,
    "date_from_datetime_parsing": Code.INVALID_DATE,
    "date_from_datetime_inexact": Code.INVALID_DATE,
    "date_type": Code.INVALID_DATE,
    "greater_than_equal": Code.INVALID_NUMBER,
    "finite_number": Code.INVALID_NUMBER,
    "float_type": Code.INVALID_NUMBER,
    "float_parsing": Code.INVALID_NUMBER,
    "int_type": Code.INVALID_NUMBER,
    "int_parsing": Code.INVALID_NUMBER,
    "int_from_float": Code.INVALID_NUMBER,
}

# Required fields whose `null` is reported as REQUIRED rather than a type error.
_REQUIRED_FIELDS: dict[Kind, frozenset[str]] = {
    Kind.THEME: frozenset({"id", "name"}),
    Kind.OBJECTIVE: frozenset({"id", "title"}),
    Kind.KEY_RESULT: frozenset({"id", "title", "objective"}),
    Kind.VALUE_STREAM: frozenset({"id", "name"}),
    Kind.ART: frozenset({"id", "name"}),
    Kind.TEAM: frozenset({"id", "name"}),
    Kind.PI: frozenset({"id", "name", "start", "end"}),
    Kind.EPIC: frozenset({"id", "name", "type", "state"}),
    Kind.FEATURE: frozenset({"id", "name", "type", "state"}),
}


def reference_error(path: str, ref: str, want: Kind, found: Kind | None) -> InputError | None:
    """The UNKNOWN_REFERENCE error for `ref` at `path` (None when it is the kind wanted)."""
    if found is want:
        return None
    if found is None:
        message = f"unknown {want.value} '{ref}'"
    else:
        message = f"'{ref}' is {_a(found.value)}, not {_a(want.value)}"
    return InputError(path, message, Code.UNKNOWN_REFERENCE)


def _a(noun: str) -> str:
    return ("an " if noun[0] in "AEIOU" else "a ") + noun


def _join(*parts: object) -> str:
    return ".".join(str(p) for p in parts)


def _map_pydantic(prefix: str, kind: Kind | None, exc: ValidationError) -> list[InputError]:
    errors: list[InputError] = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        path = _join(prefix, *loc)
        etype = err["type"]
        code = _PYDANTIC_CODES.get(etype, Code.INVALID_TYPE)
        leaf = loc[-1] if loc else ""
        if (
            err.get("input") is None
            and kind is not None
            and len(loc) == 1
            and leaf in _REQUIRED_FIELDS[kind]
        ):
            code = Code.REQUIRED
        if loc[:1] == ["wsjf"] and code == Code.INVALID_NUMBER:
            code = Code.OFF_SCALE
        if code == Code.REQUIRED:
            message = f"{leaf or 'value'} is required"
        elif code == Code.UNKNOWN_FIELD:
            message = f"unknown field '{leaf}': the contract defines no such key"
        elif code == Code.INVALID_ENUM:
            expected = err.get("ctx", {}).get("expected", "")
            message = f"{leaf} {err.get('input')!r} is not one of {expected}"
        elif code == Code.INVALID_ID:
            message = (
                f"invalid id {err.get('input')!r}: ids match [A-Za-z0-9][A-Za-z0-9_-]{{0,63}}"
            )
        else:
            message = f"{leaf}: {err['msg']}"
        errors.append(InputError(path, message, code))
    return errors


class _Validator:
    def __init__(self, scale: Sequence[int], existing: Mapping[str, Kind]) -> None:
        self.scale = tuple(scale)
        self.existing = existing
        self.errors: list[InputError] = []
        self.doc = ParsedDocument()
        self.kind_in_doc: dict[str, Kind] = {}
        # Every entry (parsed or not) with its path and kind, for reference checks.
        self.entries: list[tuple[str, Kind, dict[str, Any]]] = []
        self.parsed_dependencies: list[tuple[str, Dependency]] = []

    def error(self, path: str, message: str, code: str) -> None:
        self.errors.append(InputError(path, message, code))

    def run(self, raw: Any) -> None:
        if not isinstance(raw, dict):
            self.error("", "the portfolio document must be a JSON object", Code.INVALID_TYPE)
            return
        for key in raw:
            if key not in KEY_TO_KIND and key != "dependencies":
                self.error(str(key), f"unknown field '{key}': the contract defines no such key",
                           Code.UNKNOWN_FIELD)
        for kind, key in DOCUMENT_KEYS.items():
            for index, entry in self._entries(raw, key):
                self._item(kind, f"{key}.{index}", entry)
        for index, entry in self._entries(raw, "dependencies"):
            self._dependency(f"dependencies.{index}", entry)
        self._references()

    def _entries(self, raw: dict[str, Any], key: str) -> list[tuple[int, Any]]:
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(key, f"{key} must be a list", Code.INVALID_TYPE)
            return []
        return list(enumerate(value))

    def _item(self, kind: Kind, path: str, entry: Any) -> None:
        if not isinstance(entry, dict):
            self.error(path, "each entry must be a JSON object", Code.INVALID_TYPE)
            return
        item_id = entry.get("id")
        self.entries.append((path, kind, entry))
        for where in unstorable_paths(entry, path):
            # Free text is stored as given, except what no engine can store.
            self.error(where, "text must not contain U+0000 or unpaired surrogates",
                       Code.INVALID_TEXT)
        self._check_raw(kind, path, entry)
        try:
            item = MODEL_OF_KIND[kind].model_validate(entry)
        except ValidationError as exc:
            self.errors.extend(_map_pydantic(path, kind, exc))
            item = None
        if isinstance(item_id, str) and ID_RE.fullmatch(item_id):
            self._claim_id(kind, item_id, path)
        if item is not None:  # still checked for references; any error rejects the document
            self.doc.items[kind].append(item)

    def _check_raw(self, kind: Kind, path: str, entry: dict[str, Any]) -> None:
        """Checks pydantic cannot express: the WSJF scale, ISO date strings, date order."""
        wsjf = entry.get("wsjf")
        if isinstance(wsjf, dict):
            for name in WSJF_FIELDS:
                value = wsjf.get(name)
                if value is None or isinstance(value, bool) or not isinstance(value, int):
                    continue  # missing / wrong type: reported by the model
                if value not in self.scale:
                    self.error(
                        _join(path, "wsjf", name),
                        f"{name} {value} is not on the WSJF scale {list(self.scale)}",
                        Code.OFF_SCALE,
                    )
        if kind is Kind.PI:
            for name in ("start", "end"):
                value = entry.get(name)
                if value is not None and not isinstance(value, str):
                    self.error(_join(path, name), f"{name} must be an ISO date string",
                               Code.INVALID_DATE)
            try:
                pi = ProgramIncrement.model_validate(entry)
            except ValidationError:
                return
            if pi.end < pi.start:
                self.error(_join(path, "end"), f"end {pi.end} is before start {pi.start}",
                           Code.INVALID_RANGE)

    def _claim_id(self, kind: Kind, item_id: str, path: str) -> None:
        if item_id in self.kind_in_doc:
            self.error(_join(path, "id"), f"duplicate id '{item_id}': ids are unique across "
                       "the whole portfolio", Code.DUPLICATE_ID)
            return
        self.kind_in_doc[item_id] = kind
        other = self.existing.get(item_id)
        if other is not None and other is not kind:
            self.error(_join(path, "id"), f"id '{item_id}' already belongs to {_a(other.value)}",
                       Code.DUPLICATE_ID)

    def _dependency(self, path: str, entry: Any) -> None:
        if not isinstance(entry, dict):
            self.error(path, "each dependency must be a JSON object", Code.INVALID_TYPE)
            return
        try:
            dep = Dependency.model_validate(entry)
        except ValidationError as exc:
            self.errors.extend(_map_pydantic(path, None, exc))
            return
        if dep.from_id == dep.to_id:
            self.error(path, f"'{dep.from_id}' cannot depend on itself", Code.SELF_DEPENDENCY)
            return
        self.doc.dependencies.append(dep)
        self.parsed_dependencies.append((path, dep))

    def _resolve(self, path: str, ref: str, want: Kind) -> None:
        found = self.kind_in_doc.get(ref) or self.existing.get(ref)
        error = reference_error(path, ref, want, found)
        if error is not None:
            self.errors.append(error)

    def _references(self) -> None:
        for path, kind, entry in self.entries:
            for name, ref, want in _raw_references(kind, entry):
                self._resolve(_join(path, name), ref, want)
        for path, dep in self.parsed_dependencies:
            self._resolve(_join(path, "from"), dep.from_id, Kind.FEATURE)
            self._resolve(_join(path, "to"), dep.to_id, Kind.FEATURE)


def _raw_references(kind: Kind, entry: dict[str, Any]) -> Iterable[tuple[str, str, Kind]]:
    """References in a raw entry, also when other fields of it are invalid (strings only).

    Every link field of the kind (LINKS), in table order: an id (ONE), a list of ids
    (MANY, each at `field.index`), or a map keyed by ids (WEIGHTED, at `field.id`).
    """
    for link in links_of(kind):
        value = entry.get(link.alias)
        if link.arity is Arity.ONE:
            if isinstance(value, str):
                yield link.alias, value, link.target
        elif link.arity is Arity.MANY:
            if isinstance(value, list):
                for i, ref in enumerate(value):
                    if isinstance(ref, str):
                        yield f"{link.alias}.{i}", ref, link.target
        elif isinstance(value, dict):
            for ref in value:
                yield f"{link.alias}.{ref}", str(ref), link.target


def validate_document(
    raw: Any,
    *,
    scale: Sequence[int] = DEFAULT_WSJF_SCALE,
    existing: Mapping[str, Kind] | None = None,
) -> ParsedDocument | list[InputError]:
    """Validate a whole portfolio document; all problems or a parsed document, never both."""
    validator = _Validator(scale, existing or {})
    validator.run(raw)
    if validator.errors:
        return validator.errors
    # Dependencies listed twice are one dependency.
    seen: set[tuple[str, str]] = set()
    unique = []
    for dep in validator.doc.dependencies:
        if (dep.from_id, dep.to_id) not in seen:
            seen.add((dep.from_id, dep.to_id))
            unique.append(dep)
    validator.doc.dependencies = unique
    return validator.doc


def validate_item(
    kind: Kind,
    raw: Mapping[str, Any],
    *,
    scale: Sequence[int] = DEFAULT_WSJF_SCALE,
    existing: Mapping[str, Kind] | None = None,
    prefix: str = "input",
) -> Item | list[InputError]:
    """Validate one item (an upsert's input) with the document's rules; paths start at `prefix`."""
    key = DOCUMENT_KEYS[kind]
    result = validate_document({key: [dict(raw)]}, scale=scale, existing=existing)
    if isinstance(result, ParsedDocument):
        return result.items[kind][0]
    head = f"{key}.0"
    return [
        InputError(prefix + e.path[len(head):] if e.path.startswith(head) else e.path,
                   e.message, e.code)
        for e in result
    ]
