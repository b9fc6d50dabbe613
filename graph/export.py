"""Export: a portfolio as an import document, and the archive that carries its audit log.

Pure: no engine, no I/O. `document(portfolio)` is the contract's portfolio
document (every item of every kind, empty optional fields left out, all
dependencies), so export -> import into an empty store gives the same
portfolio. The import document refuses unknown keys, so the audit log cannot
ride inside it: `archive(...)` wraps the document and the audit entries in a
separate, versioned envelope that `portfolio-graph import --with-audit`
reads back with `parse_archive`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graph.document import Code, InputError, _map_pydantic
from graph.model import DOCUMENT_KEYS, Portfolio, unstorable_paths

ARCHIVE_FORMAT = "portfolio-graph-archive"
ARCHIVE_FORMAT_VERSION = 1
_ARCHIVE_KEYS = ("format", "formatVersion", "exportedAt", "portfolioVersion", "portfolio",
                 "auditLog")


def document(portfolio: Portfolio) -> dict[str, Any]:
    """The whole portfolio as an import document: items by id, dependencies by (from, to)."""
    doc: dict[str, Any] = {}
    for kind, key in DOCUMENT_KEYS.items():
        items = portfolio.collection(kind)
        doc[key] = [_item_json(items[item_id]) for item_id in sorted(items)]
    doc["dependencies"] = [{"from": a, "to": b} for a, b in sorted(portfolio.dependencies)]
    return doc


def _item_json(item: BaseModel) -> dict[str, Any]:
    data = item.model_dump(by_alias=True, mode="json", exclude_none=True)
    # Empty lists and maps are the fields' defaults: leave them out like absent values.
    return {key: value for key, value in data.items() if value not in ([], {})}


class ArchivedEntry(BaseModel):
    """One audit entry as an archive carries it: everything an auditor relies on."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: str = Field(min_length=1, max_length=128)
    seq: int = Field(ge=1)
    at: str
    actor: str
    operation: str
    item_id: str | None = Field(default=None, alias="itemId")
    item_ids: tuple[str, ...] = Field(default=(), alias="itemIds", strict=False)
    justification: str | None = None
    before: Any = None
    after: Any = None

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


def entry_json(*, id: str, seq: int, at: str, actor: str, operation: str,
               item_id: str | None, justification: str | None, before: Any, after: Any,
               item_ids: Sequence[str] = ()) -> dict[str, Any]:
    """An audit entry in the archive's format (every key present, null when empty)."""
    return ArchivedEntry.model_validate({
        "id": id, "seq": seq, "at": at, "actor": actor, "operation": operation,
        "itemId": item_id, "itemIds": tuple(item_ids), "justification": justification,
        "before": before, "after": after,
    }).as_json()


def archive(portfolio: Portfolio, audit_log: Sequence[dict[str, Any]],
            exported_at: str) -> dict[str, Any]:
    """The export archive: the document plus the audit log up to the portfolio's version,
    oldest first (entries as made by `entry_json`)."""
    return {
        "format": ARCHIVE_FORMAT,
        "formatVersion": ARCHIVE_FORMAT_VERSION,
        "exportedAt": exported_at,
        "portfolioVersion": portfolio.version,
        "portfolio": document(portfolio),
        "auditLog": [e for e in sorted(audit_log, key=lambda e: int(e["seq"]))
                     if int(e["seq"]) <= portfolio.version],
    }


def is_archive(raw: Any) -> bool:
    """True for something that claims to be an export archive (not an import document)."""
    return isinstance(raw, dict) and "format" in raw and "portfolio" in raw


@dataclass(frozen=True, slots=True)
class Archive:
    """A well-formed archive; its `portfolio` is still a raw document for the import to check."""

    exported_at: str
    portfolio_version: int
    portfolio: Any
    audit_log: tuple[ArchivedEntry, ...]


def parse_archive(raw: Any) -> Archive | list[InputError]:
    """Check the archive's envelope and every audit entry; all problems, or the archive."""
    if not isinstance(raw, dict):
        return [InputError("", "an archive must be a JSON object", Code.INVALID_TYPE)]
    errors = [InputError(str(key), f"unknown field '{key}': archives define no such key",
                         Code.UNKNOWN_FIELD) for key in raw if key not in _ARCHIVE_KEYS]
    errors += [InputError(key, f"{key} is required", Code.REQUIRED)
               for key in _ARCHIVE_KEYS if key not in raw]
    if errors:
        return errors
    if raw["format"] != ARCHIVE_FORMAT:
        errors.append(InputError("format", f"format {raw['format']!r} is not "
                                 f"{ARCHIVE_FORMAT!r}", Code.INVALID_ENUM))
    if raw["formatVersion"] != ARCHIVE_FORMAT_VERSION:
        errors.append(InputError("formatVersion", f"format version {raw['formatVersion']!r} "
                                 f"is not supported (this version reads "
                                 f"{ARCHIVE_FORMAT_VERSION})", Code.INVALID_ENUM))
    version = raw["portfolioVersion"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        errors.append(InputError("portfolioVersion", "portfolioVersion must be an integer >= 0",
                                 Code.INVALID_NUMBER))
        version = None
    if not isinstance(raw["exportedAt"], str) or not _is_instant(raw["exportedAt"]):
        errors.append(InputError("exportedAt", "exportedAt must be an ISO-8601 instant",
                                 Code.INVALID_DATE))
    entries = _entries(raw["auditLog"], version, errors)
    if errors:
        return errors
    assert version is not None
    return Archive(raw["exportedAt"], version, raw["portfolio"], tuple(entries))


def _entries(raw: Any, version: int | None, errors: list[InputError]) -> list[ArchivedEntry]:
    if not isinstance(raw, list):
        errors.append(InputError("auditLog", "auditLog must be a list", Code.INVALID_TYPE))
        return []
    entries: list[ArchivedEntry] = []
    ids: set[str] = set()
    last_seq = 0
    for index, value in enumerate(raw):
        path = f"auditLog.{index}"
        errors.extend(InputError(where, "text must not contain U+0000 or unpaired surrogates",
                                 Code.INVALID_TEXT) for where in unstorable_paths(value, path))
        try:
            entry = ArchivedEntry.model_validate(value)
        except ValidationError as exc:
            errors.extend(_map_pydantic(path, None, exc))
            continue
        if not _is_instant(entry.at):
            errors.append(InputError(f"{path}.at", f"at {entry.at!r} is not an ISO-8601 instant",
                                     Code.INVALID_DATE))
        if entry.id in ids:
            errors.append(InputError(f"{path}.id", f"duplicate audit entry id '{entry.id}'",
                                     Code.DUPLICATE_ID))
        ids.add(entry.id)
        # Entries keep their sequence numbers: oldest first, each once, none past the version.
        if entry.seq <= last_seq or (version is not None and entry.seq > version):
            errors.append(InputError(f"{path}.seq", f"seq {entry.seq} must be above the one "
                                     f"before ({last_seq}) and at most portfolioVersion",
                                     Code.INVALID_NUMBER))
        last_seq = max(last_seq, entry.seq)
        entries.append(entry)
    return entries


def _is_instant(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
