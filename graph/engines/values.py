"""Parameter checks and result normalisation shared by both engines.

Both engines accept and return the same plain values, so a statement that
works on the embedded engine works on Neo4j with the same Python data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from graph.engines.base import Params
from graph.model import UNSTORABLE_TEXT

PLAIN_SCALARS = (str, int, float, bool, type(None))


def check_params(params: Params | None) -> dict[str, Any]:
    """Copy `params` into a dict, refusing values the engines cannot pass on unchanged.

    The FalkorDB client inlines parameters as Cypher text, so anything but
    str/int/float/bool/None/list/dict would arrive as its `str()`: a date would
    silently become a different string. Refusing it keeps both engines equal.
    """
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise TypeError(f"query parameters must be a mapping, got {type(params).__name__}")
    out: dict[str, Any] = {}
    for key, value in params.items():
        if not isinstance(key, str):
            raise TypeError(f"query parameter names must be str, got {key!r}")
        _check_value(value, f"${key}")
        out[key] = value
    return out


def _check_value(value: object, where: str) -> None:
    if isinstance(value, str) and UNSTORABLE_TEXT.search(value):
        # FalkorDB's client inlines parameters into the statement text, read as a C string.
        raise ValueError(f"query parameter {where} holds U+0000 or an unpaired surrogate")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"query parameter {where} is {value}: only finite floats can be passed")
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        raise ValueError(f"query parameter {where} does not fit in 64 bits, as both engines need")
    if isinstance(value, PLAIN_SCALARS):
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_value(item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"query parameter {where} has a non-str map key {key!r}")
            _check_value(item, f"{where}.{key}")
        return
    raise TypeError(
        f"query parameter {where} is a {type(value).__name__}: pass only str, int, float, "
        "bool, None, list or dict (convert dates to ISO-8601 strings first)"
    )


def plain(value: Any) -> Any:
    """Turn a driver value into plain Python: dict, list, str, int, float, bool or None.

    Temporal values become ISO-8601 strings (the app stores dates as strings);
    a graph node or edge that slipped into a result becomes its property dict.
    """
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    # neo4j.time types; checked before tuples because neo4j's Duration is a tuple.
    iso_format = getattr(value, "iso_format", None)
    if callable(iso_format):
        return str(iso_format())
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    properties = getattr(value, "properties", None)  # falkordb Node / Edge
    if isinstance(properties, Mapping):
        return plain(properties)
    raise TypeError(f"cannot convert a {type(value).__name__} result value to plain data")
