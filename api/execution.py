"""GraphQL execution with short paths for plain leaves, objects of leaves and resolvers.

A large answer is mostly leaves: `id`, `name`, `state`, `severity` of thousands
of objects. graphql-core resolves each like any field: a path, a resolve info,
the middleware chain (api/cost.py's QueryBudget counts every value), the
resolver, completion by type; each object goes through subfield collection and
its own loop. For a plain leaf (strawberry's "basic" field, an attribute with no
resolver, arguments or field extension, or a resolver `thin_resolvers` calls
directly; `__typename`) of a scalar or enum type, all that yields
`coerce_output_value(read(source))`. `LeafExecutionContext` computes exactly
that, per field, and for an object or a list of objects whose selection is
only such leaves, in one loop; such a selection may nest objects and values of a
union or interface (their type from its `resolve_type`, checked as graphql-core
checks it). It takes graphql-core's path for everything else and wherever the
result could differ:

- a null (a non-null field raises its error, located by graphql-core), a value
  its type does not coerce, a list that is not a list or tuple, a null item;
- an object its type's `is_type_of` refuses, a null in a list of objects;
- an abstract value whose type does not resolve to one of its object types;
- deferred or streamed fields; any middleware other than the query budget;
- once the budget has stopped (its middleware then trims what remains).

Values are counted with the budget as its middleware counts them (one per
field, plus a list's items), so its cap and its deadline stop the same
queries. tests/api/test_execution.py compares every answer, error and count
with graphql-core's own path (`build_schema(plain_execution=True)`).
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from graphql import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInt,
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    get_nullable_type,
    is_abstract_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
)
from graphql.execution.collect_fields import FieldDetailsList, FragmentDetails
from graphql.pyutils import Path, Undefined
from strawberry import Schema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import CustomGraphQLEnumType

from api.pinned import Pinned

if TYPE_CHECKING:  # api.cost loads api.schema, which loads this module
    from api.cost import QueryBudget

_DEFINITION = "strawberry-definition"  # strawberry's back reference on a GraphQLField
_DIRECT = "_portfolio_direct"  # on a resolver of thin_resolvers: the method it calls
_SLOW = object()  # "take graphql-core's path for this field"


@dataclass(frozen=True, slots=True)
class Leaf:
    """How to resolve one plain leaf field: `value(source)`, made once per field
    (`_leaf`), is the completed value (its read, then its coercion), or _SLOW where
    graphql-core's completion could differ."""

    is_list: bool
    value: Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Nested:
    """A plain field of an object type (or a list of non-null ones) whose selection is
    itself plain: `read(source)`, checked with the type's `is_type_of`, then `fields`."""

    read: Callable[[Any], Any]
    non_null: bool
    is_list: bool
    object_type: GraphQLObjectType
    fields: Plan


@dataclass(frozen=True, slots=True)
class Abstract:
    """A plain field of a union or interface type (or a list of non-null ones): each
    value's object type from `abstract.resolve_type`, checked as graphql-core checks it,
    then the selection's plan for that type (`plans`, by type name; None where a type's
    selection is not plain)."""

    read: Callable[[Any], Any]
    non_null: bool
    is_list: bool
    abstract: GraphQLAbstractType
    schema: GraphQLSchema
    plans: dict[str, Plan | None]


# The selection of an object, when every field in it is plain: (response name, how, kind),
# the kind saying how to complete it (one of the five below), decided once per plan.
Plan = list[tuple[str, "Leaf | Nested | Abstract", int]]
_VALUE, _VALUES, _OBJECT, _OBJECTS, _ABSTRACT = range(5)


def _kind(how: Leaf | Nested | Abstract) -> int:
    if isinstance(how, Leaf):
        return _VALUES if how.is_list else _VALUE
    if isinstance(how, Nested):
        return _OBJECTS if how.is_list else _OBJECT
    return _ABSTRACT


def reader_of(field_def: GraphQLField) -> Callable[[Any], Any] | None:
    """How a plain field reads its value from the source: the method `thin_resolvers`
    calls directly, or the attribute of a strawberry basic field; None otherwise."""
    definition = field_def.extensions.get(_DEFINITION)
    if definition is None or field_def.args:
        return None
    direct: Callable[[Any], Any] | None = getattr(field_def.resolve, _DIRECT, None)
    if direct is not None:
        return direct
    if (getattr(field_def.resolve, "_is_default", False)
            and definition.default_resolver is getattr):
        return attrgetter(definition.python_name)
    return None


@functools.lru_cache(maxsize=4096)  # a schema's types do not change once it serves
def leaf_of(parent_type: GraphQLObjectType, name: str) -> Leaf | None:
    """The short path for leaf field `name` of `parent_type`, or None when it has none."""
    if name == "__typename":  # clients such as Apollo ask for it in every selection
        type_name = parent_type.name
        return _leaf(lambda _source: type_name, GraphQLString.coerce_output_value,
                     non_null=True, is_list=False)
    field_def = parent_type.fields.get(name)
    read = None if field_def is None else reader_of(field_def)
    if field_def is None or read is None:
        return None
    return_type: GraphQLOutputType = field_def.type
    inner = get_nullable_type(return_type)
    is_list = is_list_type(inner)
    if is_list:
        item = inner.of_type  # type: ignore[union-attr]
        if not is_non_null_type(item) or not is_leaf_type(get_nullable_type(item)):
            return None  # null items are rare: leave them (and their errors) to graphql-core
        inner = get_nullable_type(item)
    if not is_leaf_type(inner):
        return None
    return _leaf(read, inner.coerce_output_value, non_null=is_non_null_type(return_type),
                 is_list=is_list, enum=inner if isinstance(inner, CustomGraphQLEnumType) else None)


def _leaf(read: Callable[[Any], Any], serialize: Callable[[Any], Any], *, non_null: bool,
          is_list: bool, enum: CustomGraphQLEnumType | None = None) -> Leaf:
    coerce = _enum_coercer(enum) if enum is not None else _scalar_coercer(serialize)
    complete = functools.partial(_completed_leaf, coerce, non_null, is_list)
    return Leaf(is_list=is_list,
                value=_valuer(read, None if is_list else serialize, enum, complete))


# The built-in scalars' own serializers check and convert each value in Python (a Float
# one: 1.2 s of 5.5 s completing 67,000 violation leaves); a value of exactly the type
# they return, and in range (Int: 32 bits) or finite (Float: inf and NaN fail both
# comparisons), comes out of them unchanged, so it is taken as it is. Anything else goes
# through the serializer (and its errors). By serializer: (that type, its range or None).
_UNCHANGED: dict[Any, tuple[type[Any], tuple[float, float] | None]] = {
    GraphQLString.serialize: (str, None),
    GraphQLID.serialize: (str, None),
    GraphQLBoolean.serialize: (bool, None),
    GraphQLInt.serialize: (int, (GRAPHQL_MIN_INT, GRAPHQL_MAX_INT)),
    GraphQLFloat.serialize: (float, (-sys.float_info.max, sys.float_info.max)),
}


def _scalar_coercer(serialize: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`serialize`, taking a built-in scalar's values that it would return unchanged as
    they are (`_UNCHANGED`)."""
    found = _UNCHANGED.get(serialize)
    if found is None:
        return serialize
    exact, bounds = found
    if bounds is None:
        def same(value: Any) -> Any:
            return value if type(value) is exact else serialize(value)

        return same
    low, high = bounds

    def bounded(value: Any) -> Any:
        return value if type(value) is exact and low <= value <= high else serialize(value)

    return bounded


def _enum_coercer(enum_type: CustomGraphQLEnumType) -> Callable[[Any], Any]:
    """strawberry's enum coercion, with its search of the values done once: for a member
    of the Python enum it scans every GraphQL value comparing `.value` (1 s of 2.4 s for
    67,000 violations); anything else takes strawberry's own path."""
    wrapped = enum_type.wrapped_cls
    names = _enum_names(enum_type)
    fallback = enum_type.coerce_output_value

    def coerce(output_value: Any) -> Any:
        if isinstance(output_value, wrapped):
            name = names.get(output_value)
            if name is not None:
                return name
        return fallback(output_value)

    return coerce


def _enum_names(enum_type: CustomGraphQLEnumType) -> dict[Any, str]:
    """The GraphQL name of each member of the enum's Python class."""
    names: dict[Any, str] = {}
    members: list[Any] = list(enum_type.wrapped_cls)
    for member in members:
        for name, value in enum_type.values.items():
            if member.value == value.value:
                names[member] = name
                break
    return names


def _completed_leaf(coerce: Callable[[Any], Any], non_null: bool, is_list: bool,
                    value: Any) -> Any:
    """The completed value of a plain leaf whose read gave `value`, or _SLOW where
    graphql-core's completion could differ (a null, an uncoercible value: its error is
    graphql-core's)."""
    try:
        if value is None:
            return _SLOW if non_null else None
        if is_list:
            if not isinstance(value, list | tuple):
                return _SLOW
            out = []
            for item in value:
                coerced = None if item is None else coerce(item)
                if coerced is None or coerced is Undefined:
                    return _SLOW
                out.append(coerced)
            return out
        coerced = coerce(value)
    except Exception:
        return _SLOW
    return _SLOW if coerced is None or coerced is Undefined else coerced


def _valuer(read: Callable[[Any], Any], serialize: Callable[[Any], Any] | None,
            enum_type: CustomGraphQLEnumType | None,
            complete: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`read`, then `complete`, in one call. For one value (`serialize` given) of a
    built-in scalar or an enum, a value that comes out of its coercion unchanged
    (`_UNCHANGED`) or a member of the enum is taken without the coercer's calls: a leaf
    was four calls (read, the coercer, its check, the serializer), it is one or two."""
    def value(source: Any) -> Any:
        try:
            v = read(source)
        except Exception:
            return _SLOW
        return complete(v)

    if serialize is None:  # a list: each item through the coercer
        return value
    if enum_type is not None:
        wrapped, names = enum_type.wrapped_cls, _enum_names(enum_type)

        def member(source: Any) -> Any:
            try:
                v = read(source)
            except Exception:
                return _SLOW
            if type(v) is wrapped:
                name = names.get(v)
                if name is not None:
                    return name
            return complete(v)

        return member
    found = _UNCHANGED.get(serialize)
    if found is None:
        return value
    exact, bounds = found
    if bounds is None:
        def same(source: Any) -> Any:
            try:
                v = read(source)
            except Exception:
                return _SLOW
            return v if type(v) is exact else complete(v)

        return same
    low, high = bounds

    def bounded(source: Any) -> Any:
        try:
            v = read(source)
        except Exception:
            return _SLOW
        return v if type(v) is exact and low <= v <= high else complete(v)

    return bounded


def _size(leaf: Leaf, value: Any) -> int:
    """The values QueryBudget counts for a completed leaf: the field, and a list's items."""
    return 1 + len(value) if leaf.is_list and value is not None else 1


class _Counter:
    """Charges the query budget as values are completed (so its cap and deadline stop a
    large plain selection mid-way, as they stop graphql-core's), remembering how much,
    so that a selection handed back to graphql-core is not counted twice."""

    __slots__ = ("budget", "n")

    def __init__(self, budget: QueryBudget | None) -> None:
        self.budget = budget
        self.n = 0

    def charge(self, n: int) -> None:
        self.n += n
        if self.budget is not None:
            self.budget.count(n)  # raises past the cap or the deadline

    def refund(self) -> None:
        if self.budget is not None:
            self.budget.resolved -= self.n


def _complete(plan: Plan, object_type: GraphQLObjectType, items: list[Any] | tuple[Any, ...],
              info: GraphQLResolveInfo[Any], counter: _Counter) -> Any:
    """The completed objects of `items` (all of `object_type`), or _SLOW: a null item, one
    its type refuses, or any value that needs graphql-core's completion. Each object's
    values are charged once it is complete, its nested lists up front (the totals are
    the budget middleware's)."""
    is_type_of = object_type.is_type_of
    out = []
    for item in items:
        if item is None or (is_type_of is not None and is_type_of(item, info) is not True):
            return _SLOW
        row: dict[str, Any] = {}
        n = 0
        for response_name, how, kind in plan:
            if kind == _VALUE:
                value = how.value(item)  # type: ignore[union-attr]
                if value is _SLOW:
                    return _SLOW
                n += 1
            elif kind == _OBJECT:
                try:
                    value = how.read(item)  # type: ignore[union-attr]
                except Exception:
                    return _SLOW
                n += 1
                if value is not None:
                    value = _complete(how.fields, how.object_type,  # type: ignore[union-attr]
                                      (value,), info, counter)
                    if value is _SLOW:
                        return _SLOW
                    value = value[0]
                elif how.non_null:  # type: ignore[union-attr]
                    return _SLOW
            elif kind == _VALUES:
                value = how.value(item)  # type: ignore[union-attr]
                if value is _SLOW:
                    return _SLOW
                n += 1 if value is None else 1 + len(value)
            else:
                value = (_objects(how, item, info, counter) if kind == _OBJECTS  # type: ignore[arg-type]
                         else _abstract(how, item, info, counter))  # type: ignore[arg-type]
                if value is _SLOW:
                    return _SLOW
            row[response_name] = value
        counter.charge(n)
        out.append(row)
    return out


def _fetched(how: Nested | Abstract, source: Any, counter: _Counter) -> Any:
    """The field's value on `source`, charged (a list up front, as the budget's middleware
    does); None for a null it may be; _SLOW when the read raised, for a null where none
    may be, or for a list field whose value is not a list."""
    try:
        value = how.read(source)
    except Exception:
        return _SLOW
    if value is None:
        if how.non_null:
            return _SLOW
        counter.charge(1)
        return None
    if not how.is_list:
        counter.charge(1)
    elif isinstance(value, list | tuple):
        counter.charge(1 + len(value))
    else:
        return _SLOW
    return value


def _objects(how: Nested, source: Any, info: GraphQLResolveInfo[Any], counter: _Counter) -> Any:
    """A list of objects, completed; None or _SLOW."""
    value = _fetched(how, source, counter)
    if value is None or value is _SLOW:
        return value
    return _complete(how.fields, how.object_type, value, info, counter)


def _abstract(how: Abstract, source: Any, info: GraphQLResolveInfo[Any],
              counter: _Counter) -> Any:
    """A union or interface value, or a list of them, completed; None or _SLOW."""
    value = _fetched(how, source, counter)
    if value is None or value is _SLOW:
        return value
    if not how.is_list:
        return _one_of(how, value, info, counter)
    out = []
    for item in value:
        done = _one_of(how, item, info, counter)
        if done is _SLOW:
            return _SLOW
        out.append(done)
    return out


def _one_of(how: Abstract, value: Any, info: GraphQLResolveInfo[Any], counter: _Counter) -> Any:
    """One value of an abstract type, completed as its object type; _SLOW wherever
    graphql-core's resolution could differ or report an error (its message is its own)."""
    resolve_type = how.abstract.resolve_type
    if value is None or resolve_type is None:
        return _SLOW
    try:
        name = resolve_type(value, info, how.abstract)
    except Exception:
        return _SLOW
    if type(name) is not str:
        close = getattr(name, "close", None)  # an awaitable: graphql-core asks again
        if close is not None:
            close()
        return _SLOW
    runtime = how.schema.type_map.get(name)
    if (not isinstance(runtime, GraphQLObjectType)
            or not how.schema.is_sub_type(how.abstract, runtime)):
        return _SLOW
    plan = how.plans.get(name)
    if plan is None:
        return _SLOW
    done = _complete(plan, runtime, (value,), info, counter)
    return done if done is _SLOW else done[0]


# Plans per (schema, operation), kept across requests: an operation parsed once (ParseCache
# hands every request of the same text the same document) is planned once. A plan
# depends on the schema, the operation's field nodes and fragments, and on variables only
# through directives (`@include`, `@skip`, `@defer`): an operation that uses any is
# planned per request. The operation's entry keeps its nodes alive, so the node ids in
# its plans' keys stay theirs; at most SHARED_OPERATIONS operations.
SHARED_OPERATIONS = 256
_SHARED: Pinned[dict[tuple[Any, ...], tuple[Any, Plan | None]]] = Pinned(SHARED_OPERATIONS)


def _shared_plans(schema: GraphQLSchema, operation: OperationDefinitionNode,
                  fragments: Mapping[str, FragmentDetails]
                  ) -> dict[tuple[Any, ...], tuple[Any, Plan | None]] | None:
    """The plans shared by every request of `operation` on `schema`, or None when its
    plans may differ between requests (directives, fragment variables)."""
    plans = _SHARED.get((schema, operation))
    if plans is not None:
        return plans
    if _varies(operation) or any(f.variable_signatures or _varies(f.definition)
                                 for f in fragments.values()):
        return None
    return _SHARED.put((schema, operation), {})


def _varies(node: OperationDefinitionNode | FragmentDefinitionNode) -> bool:
    """True when a selection in `node`, at any depth, carries a directive or a fragment
    spread has arguments: what fields it selects may then depend on variables."""
    pending = [node.selection_set]
    while pending:
        selection_set = pending.pop()
        for selection in selection_set.selections:
            if selection.directives or (isinstance(selection, FragmentSpreadNode)
                                        and getattr(selection, "arguments", None)):
                return True
            nested = getattr(selection, "selection_set", None)
            if nested is not None:
                pending.append(nested)
    return False


class LeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, with the short paths for plain fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from api.cost import QueryBudget  # at run time: see the import under TYPE_CHECKING
        # Keyed by field groups' identity, like graphql-core's collect_subfields memo, which
        # keeps each group alive for the whole execution (so are the groups kept here).
        self._leaves: dict[tuple[str, int], tuple[FieldDetailsList, Leaf | None]] = {}
        self._plans: dict[tuple[str, int], tuple[FieldDetailsList, Plan | None]] = {}
        self._shared = _shared_plans(self.schema, self.operation, self.fragments)
        manager = self.middleware_manager
        middlewares = () if manager is None else manager.middlewares
        budgets = [m for m in middlewares if isinstance(m, QueryBudget)]
        # Another middleware would have to see every field: no short path then.
        self._short = len(budgets) == len(middlewares)
        self._budget = budgets[0] if budgets else None

    def complete_object_value(self, return_type: GraphQLObjectType,
                              field_details_list: FieldDetailsList,
                              info: GraphQLResolveInfo[Any], path: Path, result: Any,
                              position_context: Any) -> Any:
        """An object whose selection is plain: checked and built in one go."""
        plan = self._plan_of(return_type, field_details_list, position_context)
        if plan is not None:
            done = self._completed(plan, return_type, (result,), info)
            if done is not _SLOW:
                return done[0]
        return super().complete_object_value(return_type, field_details_list, info, path,
                                             result, position_context)

    def complete_list_value(self, return_type: GraphQLList[GraphQLOutputType],
                            field_details_list: FieldDetailsList,
                            info: GraphQLResolveInfo[Any], path: Path, result: Any,
                            position_context: Any) -> Any:
        """A list of objects whose selection is plain: one loop over the items."""
        item_type = return_type.of_type
        if is_non_null_type(item_type) and isinstance(result, list | tuple):
            object_type = get_nullable_type(item_type)
            if isinstance(object_type, GraphQLObjectType):
                plan = self._plan_of(object_type, field_details_list, position_context)
                if plan is not None:
                    done = self._completed(plan, object_type, result, info)
                    if done is not _SLOW:
                        return done
        return super().complete_list_value(return_type, field_details_list, info, path,
                                           result, position_context)

    def _completed(self, plan: Plan, object_type: GraphQLObjectType,
                   items: list[Any] | tuple[Any, ...], info: GraphQLResolveInfo[Any]) -> Any:
        budget = self._budget
        if budget is not None and budget.stopped is not None:
            return _SLOW
        counter = _Counter(budget)
        done = _complete(plan, object_type, items, info, counter)
        if done is _SLOW:
            counter.refund()  # graphql-core completes (and counts) it instead
        return done

    def _plan_of(self, object_type: GraphQLObjectType, field_details_list: FieldDetailsList,
                 position_context: Any) -> Plan | None:
        """The plan of the selection on `object_type`, if every field in it is plain."""
        if not self._short or position_context is not None:
            return None
        shared = self._shared
        if shared is not None:  # the same for every request of this operation
            nodes = tuple(details.node for details in field_details_list)
            shared_key = (object_type.name, *map(id, nodes))
            found = shared.get(shared_key)
            if found is None:
                found = shared[shared_key] = (nodes, self._planned(object_type,
                                                                   field_details_list))
            return found[1]
        key = (object_type.name, id(field_details_list))
        planned = self._plans.get(key)
        if planned is None:
            planned = self._plans[key] = (field_details_list,
                                          self._planned(object_type, field_details_list))
        return planned[1]

    def _planned(self, object_type: GraphQLObjectType,
                 field_details_list: FieldDetailsList) -> Plan | None:
        grouped_field_set, deferred, _ = self.collect_subfields(object_type, field_details_list)
        if deferred:
            return None
        plan: Plan = []
        for response_name, sub_fields in grouped_field_set.items():
            node = sub_fields[0].node
            if node.arguments:
                return None
            how: Leaf | Nested | Abstract | None = leaf_of(object_type, node.name.value)
            if how is None:
                how = self._nested_of(object_type, node.name.value, sub_fields)
            if how is None:
                return None
            plan.append((response_name, how, _kind(how)))
        return plan

    def _nested_of(self, parent_type: GraphQLObjectType, name: str,
                   sub_fields: FieldDetailsList) -> Nested | Abstract | None:
        field_def = parent_type.fields.get(name)
        read = None if field_def is None else reader_of(field_def)
        if field_def is None or read is None:
            return None
        inner = get_nullable_type(field_def.type)
        is_list = is_list_type(inner)
        if is_list:
            item = inner.of_type
            if not is_non_null_type(item):
                return None
            inner = get_nullable_type(item)
        if is_abstract_type(inner):
            plans = {t.name: self._plan_of(t, sub_fields, None)
                     for t in self.schema.get_possible_types(inner)}
            return Abstract(read=read, non_null=is_non_null_type(field_def.type),
                            is_list=is_list, abstract=inner, schema=self.schema, plans=plans)
        if not isinstance(inner, GraphQLObjectType):
            return None
        fields = self._plan_of(inner, sub_fields, None)
        if fields is None:
            return None
        return Nested(read=read, non_null=is_non_null_type(field_def.type), is_list=is_list,
                      object_type=inner, fields=fields)

    def execute_field(self, parent_type: GraphQLObjectType, source: Any,
                      field_details_list: FieldDetailsList, path: Path,
                      position_context: Any) -> Any:
        if self._short:
            key = (parent_type.name, id(field_details_list))
            planned = self._leaves.get(key)
            if planned is None:
                node = field_details_list[0].node
                leaf = None if node.arguments else leaf_of(parent_type, node.name.value)
                planned = self._leaves[key] = (field_details_list, leaf)
            leaf = planned[1]
            if leaf is not None:
                value = leaf.value(source)
                if value is not _SLOW:
                    value = self._counted(_size(leaf, value), value)
                if value is not _SLOW:
                    return value
        return super().execute_field(parent_type, source, field_details_list, path,
                                     position_context)

    def _counted(self, n: int, value: Any) -> Any:
        """`value`, counted as QueryBudget.resolve would count it (past the budget's cap or
        deadline this raises its error); once the budget stopped, _SLOW: the middleware
        trims what remains."""
        budget = self._budget
        if budget is None:
            return value
        if budget.stopped is not None:
            return _SLOW
        budget.count(n)
        return value


def thin_resolvers(schema: Schema) -> list[str]:
    """Call resolvers that take only `self` directly: `Feature.pi`, `Epic.features`, ...

    strawberry runs every resolver through a wrapper that builds its `Info`,
    converts arguments and runs field extensions and exception handlers; a sync
    resolver of a nested field that takes none of those is called as
    `resolver(source)` instead (graphql-core's middleware, so the query budget,
    still wraps it). Root fields keep strawberry's path (their permission
    extensions, `info`, async). Returns the fields changed, as `Type.field`.
    """
    if getattr(schema.schema_converter, "_exception_handler_specs", None):
        return []  # exception handlers convert errors inside strawberry's wrapper
    core = schema._schema
    roots = {core.query_type, core.mutation_type, core.subscription_type}
    changed = []
    for type_ in core.type_map.values():
        if (not isinstance(type_, GraphQLObjectType) or type_ in roots
                or type_.name.startswith("__")):
            continue
        for name, field_def in type_.fields.items():
            definition = field_def.extensions.get(_DEFINITION)
            resolver = getattr(definition, "base_resolver", None)
            if (resolver is None or definition.extensions or field_def.args
                    or resolver.is_async or not inspect.isfunction(resolver.wrapped_func)
                    or list(inspect.signature(resolver.wrapped_func).parameters) != ["self"]):
                continue
            field_def.resolve = _direct(resolver.wrapped_func)
            changed.append(f"{type_.name}.{name}")
    return changed


def _direct(method: Callable[[Any], Any]) -> Callable[..., Any]:
    def resolve(source: Any, _info: Any) -> Any:
        return method(source)

    resolve.__qualname__ = f"direct({method.__qualname__})"
    setattr(resolve, _DIRECT, method)
    return resolve


__all__ = ["Abstract", "Leaf", "LeafExecutionContext", "Nested", "Plan", "leaf_of", "reader_of",
           "thin_resolvers"]
