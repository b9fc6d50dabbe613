"""How a tool's export maps onto the portfolio document: a YAML file, or a built-in preset.

A mapping says which source item types become epics and features, which source
field (a dotted path into the item, first non-empty of a list wins) fills each
of our fields, how source states and values map to ours, and which links are
dependencies. Presets for stock Jira Cloud, Azure DevOps and our own CSV columns
are below; a mapping file overrides a preset key by key.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel


class SourceFormat(StrEnum):
    JIRA = "jira"
    AZURE_DEVOPS = "azure-devops"
    CSV = "csv"


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the key."""


PARENT = "@parent"  # the item's parent as the source links it (Jira parent / ADO Hierarchy)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)


class WorkTypeRule(_Strict):
    """ENABLER when the field's value (or any element of a list) is one of `enabler`."""

    field: str | None = None
    enabler: list[str] = Field(default_factory=list)


class KindMapping(_Strict):
    """Our field name -> source path(s); source state -> our state."""

    fields: dict[str, str | list[str]] = Field(default_factory=dict)
    states: dict[str, str] = Field(default_factory=dict)
    work_type: WorkTypeRule = Field(default_factory=WorkTypeRule)


class Mapping(_Strict):
    types: dict[str, str] = Field(default_factory=dict)
    epic: KindMapping = Field(default_factory=KindMapping)
    feature: KindMapping = Field(default_factory=KindMapping)
    # Our reference field (team, pi, valueStream, horizon, ...) -> {source value: our value}.
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    # Link types that are dependencies (Jira link type names; ADO relation names).
    dependency_links: list[str] = Field(default_factory=list)
    # CSV: columns listing keys this item depends on / keys this item blocks.
    depends_on_fields: list[str] = Field(default_factory=list)
    blocks_fields: list[str] = Field(default_factory=list)
    # CSV: the column naming the item type (one sheet for all kinds).
    type_field: str | None = None
    key_field: str | None = None
    url_field: str | None = None
    id_prefix: str = ""
    skip_states: list[str] = Field(default_factory=list)
    # Dependencies onto items neither imported nor in the graph: an error unless true.
    ignore_unknown_links: bool = False


_WSJF = {
    "wsjf.userBusinessValue", "wsjf.timeCriticality",
    "wsjf.riskReductionOpportunityEnablement", "wsjf.jobSize",
}
EPIC_FIELDS = frozenset({"name", "state", "horizon", "estimatedCost", "approved",
                         "businessOwner", "valueStream", "themes", "keyResults", *_WSJF})
FEATURE_FIELDS = frozenset({"name", "state", "points", "epic", "team", "pi", *_WSJF})

_CSV_WORK_TYPE = {"field": "workType", "enabler": ["ENABLER"]}

PRESETS: dict[SourceFormat, dict[str, Any]] = {
    # Stock Jira Cloud: Epic -> epic, Story -> feature, "Blocks" links, story points in
    # customfield_10016 (the default "Story point estimate" field), PI as fix version.
    SourceFormat.JIRA: {
        "types": {"Epic": "epic", "Story": "feature", "Feature": "feature"},
        "epic": {
            "fields": {"name": "summary", "state": "status.name",
                       "businessOwner": "assignee.displayName"},
            "states": {"To Do": "FUNNEL", "Analysis": "ANALYZING", "In Progress": "IMPLEMENTING",
                       "Done": "DONE"},
            "workType": {"field": "labels", "enabler": ["enabler"]},
        },
        "feature": {
            "fields": {"name": "summary", "state": "status.name", "points": "customfield_10016",
                       "epic": [PARENT, "customfield_10014"], "pi": "fixVersions.0.name",
                       "team": "customfield_10001.name"},
            "states": {"To Do": "BACKLOG", "In Progress": "IMPLEMENTING",
                       "In Review": "VALIDATING", "Done": "DONE"},
            "workType": {"field": "labels", "enabler": ["enabler"]},
        },
        "dependencyLinks": ["Blocks"],
    },
    # Azure DevOps (Agile/SAFe process): Epic and Feature work items, Predecessor links,
    # value area "Architectural" for enablers; ids prefixed (ADO ids are numbers).
    SourceFormat.AZURE_DEVOPS: {
        "types": {"Epic": "epic", "Feature": "feature"},
        "epic": {
            "fields": {"name": "System.Title", "state": "System.State",
                       "businessOwner": "System.AssignedTo.displayName"},
            "states": {"New": "FUNNEL", "Active": "IMPLEMENTING", "Resolved": "IMPLEMENTING",
                       "Closed": "DONE"},
            "workType": {"field": "Microsoft.VSTS.Common.ValueArea",
                         "enabler": ["Architectural"]},
        },
        "feature": {
            "fields": {"name": "System.Title", "state": "System.State", "epic": PARENT,
                       "points": "Microsoft.VSTS.Scheduling.Effort",
                       "pi": "System.IterationPath", "team": "System.AreaPath"},
            "states": {"New": "BACKLOG", "Active": "IMPLEMENTING", "Resolved": "VALIDATING",
                       "Closed": "DONE"},
            "workType": {"field": "Microsoft.VSTS.Common.ValueArea",
                         "enabler": ["Architectural"]},
        },
        "dependencyLinks": ["System.LinkTypes.Dependency-Reverse"],
        "idPrefix": "ADO-",
        "skipStates": ["Removed"],
    },
    # Our own columns: one sheet with a `kind` column (epic or feature), or epics.csv and
    # features.csv; `workType` ENABLER or BUSINESS; `dependsOn` lists ids (comma or space).
    SourceFormat.CSV: {
        "types": {"epic": "epic", "feature": "feature", "Epic": "epic", "Feature": "feature"},
        "epic": {"fields": {f: f for f in sorted(EPIC_FIELDS)}, "workType": _CSV_WORK_TYPE},
        "feature": {"fields": {f: f for f in sorted(FEATURE_FIELDS)}, "workType": _CSV_WORK_TYPE},
        "dependsOnFields": ["dependsOn"],
        "typeField": "kind",
        "keyField": "id",
        "urlField": "url",
    },
}


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_mapping(source: SourceFormat, path: Path | None = None,
                 data: dict[str, Any] | None = None) -> Mapping:
    """The preset for `source`, overridden key by key by a mapping file or mapping data."""
    override: Any = data or {}
    if path is not None:
        try:
            override = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise MappingError(f"cannot read mapping {path}: {exc}") from exc
    if not isinstance(override, dict):
        raise MappingError("a mapping must be a YAML/JSON object")
    try:
        mapping = Mapping.model_validate(_merge(PRESETS[source], override))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MappingError(f"mapping key {where}: {first['msg']}") from exc
    for key, kind in mapping.types.items():
        if kind not in ("epic", "feature"):
            raise MappingError(f"mapping key types.{key}: '{kind}' is not epic or feature")
    for kind, allowed in (("epic", EPIC_FIELDS), ("feature", FEATURE_FIELDS)):
        for name in getattr(mapping, kind).fields:
            if name not in allowed:
                raise MappingError(
                    f"mapping key {kind}.fields.{name}: not a field of a {kind} "
                    f"(one of {', '.join(sorted(allowed))})")
    return mapping
