"""The portfolio document's JSON Schema, generated from the model (never written by hand).

Converter writers validate a document before they send it. The schema checks
shapes, ids, enums, amounts and the WSJF scale; what it cannot express (ids
unique across the document, references resolving to items of the right kind,
a PI ending after it starts) `portfolio-graph import` still reports, with the
same paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ConfigDict, Field, create_model

from graph.model import DEFAULT_WSJF_SCALE, DOCUMENT_KEYS, MODEL_OF_KIND, Dependency

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def document_json_schema(scale: Sequence[int] = DEFAULT_WSJF_SCALE) -> dict[str, Any]:
    """JSON Schema (2020-12) of the portfolio document, WSJF inputs on `scale`."""
    fields: dict[str, Any] = {
        key: (list[MODEL_OF_KIND[kind]], Field(default_factory=list))  # type: ignore[valid-type]  # a model class from the table
        for kind, key in DOCUMENT_KEYS.items()
    }
    fields["dependencies"] = (list[Dependency], Field(default_factory=list))
    document = create_model("PortfolioDocument", __config__=ConfigDict(extra="forbid"),
                            **fields)
    schema = document.model_json_schema(by_alias=True)
    for name in schema["$defs"]["Wsjf"]["properties"].values():
        name["enum"] = sorted(set(scale))
    schema["$defs"]["Dependency"]["description"] = (
        "`from` depends on `to`: `to` must be delivered first (feature ids).")
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "Portfolio document",
        "description": ("A portfolio for `portfolio-graph import` and `importPortfolio`. Every "
                        "key is optional; ids are unique across the whole document."),
        **schema,
    }
