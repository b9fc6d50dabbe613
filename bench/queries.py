"""The GraphQL operations the benchmarks send (what a frontend would ask for)."""

from __future__ import annotations

from collections.abc import Sequence

TRACE_FIELDS = """aligned
  item { ... on Feature { id name } ... on Epic { id name } }
  epic { id name } keyResults { id title } objectives { id title } themes { id name }
  team { id name } art { id name } valueStream { id name }"""

TRACE = f"query Trace($id: ID!) {{ trace(id: $id) {{ {TRACE_FIELDS} }} }}"

FEATURE = """query Feature($id: ID!) {
  feature(id: $id) { id name type state points wsjf { score costOfDelay } } }"""

IMPACT = """query Impact($id: ID!, $slip: ID) {
  impact(id: $id, maxDepth: 10, slipToPi: $slip) {
    root { id } items { depth item { id name } }
    teams { id } arts { id } epics { id } keyResults { id } objectives { id } themes { id }
    slips { item { id } from { id } to { id } } businessValueAtRisk } }"""

VIOLATIONS = """query Violations {
  violations { rule severity subjectType subjectId relatedIds excess message } }"""

RANKING = """query Ranking($respect: Boolean) {
  ranking(level: FEATURE, respectDependencies: $respect, limit: 100) {
    rank item { ... on Feature { id name } } wsjf { score } } }"""

UPSERT_FEATURE = """mutation Upsert($input: FeatureInput!) {
  upsertFeature(input: $input) {
    applied errors { path code message } violations { rule severity subjectId } } }"""

ADD_DEPENDENCY = """mutation Add($from: ID!, $to: ID!) {
  addDependency(from: $from, to: $to) { applied errors { code message } violations { rule } } }"""

REMOVE_DEPENDENCY = """mutation Remove($from: ID!, $to: ID!) {
  removeDependency(from: $from, to: $to) { applied errors { code message } } }"""

FEATURES_PAGE = """query Page($pi: ID, $after: String, $first: Int) {
  features(filter: {pi: $pi}, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name state points team { id name } epic { id name } } } } }"""

# Reading back every feature after a load or fault run.
ALL_FEATURES = """query All($after: String) {
  features(first: 500, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id name points dependsOn { id } } } } }"""

AUDIT_OF = """query Audit($id: ID!) { auditLog(itemId: $id, limit: 1) { operation after } }"""

NESTED_FIELDS = """id name epics { id name features { id name dependsOn { id name } } }"""


def traces(ids: Sequence[str]) -> str:
    """One request tracing many items, one alias per id (PORTFOLIO_MAX_ALIASES: 200)."""
    aliases = "\n".join(f't{n}: trace(id: "{i}") {{ ...T }}' for n, i in enumerate(ids))
    return f"query Traces {{\n{aliases}\n}}\nfragment T on Trace {{ {TRACE_FIELDS} }}"


def nested(theme_ids: Sequence[str]) -> str:
    """themes -> epics -> features -> dependsOn for some themes, one alias per theme."""
    aliases = "\n".join(f't{n}: node(id: "{i}") {{ ... on StrategicTheme {{ {NESTED_FIELDS} }} }}'
                        for n, i in enumerate(theme_ids))
    return f"query Nested {{\n{aliases}\n}}"

# The issue-11 probe's cases.
FEATURES_FILTERED = """query Filtered($vs: ID, $states: [FeatureState!], $first: Int) {
  features(filter: {valueStream: $vs, state: $states}, first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name state epic { id name } team { id name } pi { id name }
                   wsjf { score } } } } }"""

EPICS_FILTERED = """query Epics($states: [EpicState!], $theme: ID, $first: Int) {
  epics(filter: {state: $states, theme: $theme}, first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name state valueStream { id name } wsjf { score } } } } }"""

IMPACT_WIDE = """query ImpactWide($id: ID!) {
  impact(id: $id, maxDepth: 10) {
    items { depth item { id name state pi { id name } team { id name } } } } }"""

RANKING_ONLY = """query Ranking($respect: Boolean) {
  ranking(level: FEATURE, respectDependencies: $respect, limit: 100) {
    rank item { ... on Feature { id name } } wsjf { score } } }"""

WHOLE_TREE = """query Tree {
  themes { id name epics { id name features { id name dependsOn { id name } } } } }"""
