"""Every type, field, argument and enum value the API serves has a description (GraphiQL
and code generators show them), and the glossary (api/schema/glossary.py) names only
what exists and is not described in the code already."""

from __future__ import annotations

import graphql

from api.schema import build_schema, glossary
from api.schema.glossary import DESCRIPTIONS, coordinates
from tests.api.conftest import make_settings

SERVED = build_schema(make_settings())._schema  # as api/app.py builds it, with extensions


def undescribed(served: graphql.GraphQLSchema) -> list[str]:
    return sorted(coordinate for coordinate, element in coordinates(served).items()
                  if not (getattr(element, "description", None) or "").strip())


def test_every_served_element_has_a_description() -> None:
    missing = undescribed(SERVED)
    assert not missing, f"{len(missing)} without a description: {', '.join(missing)}"


def test_the_walk_sees_every_kind_of_element() -> None:
    """The check above can fail: it finds a type, a field, an argument and an enum value
    whose description is taken away, and leaves introspection's own types out."""
    found = coordinates(SERVED)
    for coordinate in ("Feature", "Feature.pi", "Query.features(orderBy:)",
                       "FeatureState.DONE", "Query.teamLoads(asOf:)"):
        assert coordinate in found, coordinate
    assert not any(c.startswith("__") for c in found)
    probe = build_schema()._schema
    for coordinate in ("Feature", "Feature.pi", "Query.features(orderBy:)", "FeatureState.DONE"):
        coordinates(probe)[coordinate].description = None  # type: ignore[attr-defined]
    assert undescribed(probe) == sorted(["Feature", "Feature.pi", "Query.features(orderBy:)",
                                         "FeatureState.DONE"])


def test_the_printed_sdl_carries_them() -> None:
    """api/schema.graphql (what reviewers and code generators read) is printed from the
    described schema."""
    assert '"""The PI the feature is planned in; null when unplanned."""' in \
        build_schema().as_str()


def test_every_glossary_entry_names_an_element_the_code_leaves_undescribed() -> None:
    found = coordinates(SERVED)
    unknown = sorted(set(DESCRIPTIONS) - set(found))
    assert not unknown, f"glossary entries naming nothing served: {unknown}"
    saved = dict(glossary.DESCRIPTIONS)
    glossary.DESCRIPTIONS.clear()
    try:
        undeclared = set(undescribed(build_schema()._schema))
    finally:
        glossary.DESCRIPTIONS.update(saved)
    shadowed = sorted(set(DESCRIPTIONS) - undeclared)
    assert not shadowed, f"described in the code already (glossary entry unused): {shadowed}"
