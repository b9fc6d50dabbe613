"""Descriptions of the schema's types, fields, arguments and enum values that the code does
not declare where it defines them: the contract's plain attributes and the model's enums
(graph/model.py imports no strawberry, so its values cannot carry a description there).

Keys are GraphQL schema coordinates: `Type`, `Type.field`, `Type.field(argument:)`,
`Enum.VALUE`. `describe` fills only what has no description yet, so a description
written beside the code always wins; tests/api/test_schema_descriptions.py fails when
anything served lacks one or when a key here names nothing (or something described in
the code already). GraphiQL and code generators show these texts.
"""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
)

_AS_OF = "Read the portfolio as it was at an earlier version or instant; now when left out."
_DRY_RUN = "Check the change against the guardrails and report, without writing it."
_OVERRIDE = ("Apply the change despite blocking (ERROR) violations, with a justification; "
             "needs the portfolio role.")
_NODE_KINDS = {
    "StrategicTheme": "theme", "Objective": "objective", "KeyResult": "key result",
    "ValueStream": "value stream", "ReleaseTrain": "release train", "Team": "team",
    "ProgramIncrement": "PI", "Epic": "epic", "Feature": "feature",
}

DESCRIPTIONS: dict[str, str] = {
    # --- strategy and organisation ---
    "Node.id": "The item's id, unique across the whole portfolio.",
    "StrategicTheme": "A strategic theme: a business objective the portfolio invests toward.",
    "StrategicTheme.name": "The theme's name.",
    "StrategicTheme.description": "What the theme means; null when none was given.",
    "Objective": "An objective (the O of an OKR), serving strategic themes.",
    "Objective.title": "The objective's title.",
    "KeyResult": "A measurable key result of an objective.",
    "KeyResult.title": "The key result's title.",
    "KeyResult.baseline": "The value measured when the key result was set; null if unknown.",
    "KeyResult.target": "The value to reach; null if not set.",
    "KeyResult.current": "The value measured now; null if not measured.",
    "KeyResult.unit": "The unit of baseline, target and current, e.g. %; null if none.",
    "KeyResult.objective": "The objective this key result measures.",
    "ValueStream": "A development value stream: it funds release trains and epics.",
    "ValueStream.name": "The value stream's name.",
    "ValueStream.budget": "The stream's budget for committed epics' estimated cost; null "
                          "when none is set.",
    "ReleaseTrain": "An Agile Release Train (ART): teams delivering together in PIs.",
    "ReleaseTrain.name": "The train's name.",
    "ReleaseTrain.valueStream": "The value stream the train belongs to; null if none.",
    "Team": "An agile team on a release train, with a capacity per PI.",
    "Team.name": "The team's name.",
    "Team.art": "The release train the team belongs to; null if none.",
    "Team.capacity(piId:)": "The PI whose capacity to give.",
    "Capacity": "A team's recorded capacity in one PI.",
    "Capacity.pi": "The PI.",
    "Capacity.points": "The capacity in points.",
    "ProgramIncrement": "A Program Increment (PI): the timebox release trains plan in.",
    "ProgramIncrement.name": "The PI's name, e.g. PI 26.1.",
    "ProgramIncrement.start": "The PI's first day.",
    "ProgramIncrement.end": "The PI's last day.",
    # --- work ---
    "WorkType.BUSINESS": "Work that delivers value to customers directly.",
    "WorkType.ENABLER": "Work that makes business work possible: architecture, "
                        "infrastructure, compliance, exploration.",
    "Horizon.H0": "Retiring: investment being wound down.",
    "Horizon.H1": "Investing and extracting: today's core business.",
    "Horizon.H2": "Emerging: investment in what grows next.",
    "Horizon.H3": "Evaluating: options explored for the future.",
    "EpicState.FUNNEL": "Captured as an idea; not yet reviewed.",
    "EpicState.REVIEWING": "Being reviewed and refined.",
    "EpicState.ANALYZING": "Under analysis: lean business case, MVP definition.",
    "EpicState.PORTFOLIO_BACKLOG": "Approved and waiting for capacity (committed).",
    "EpicState.IMPLEMENTING": "Being built by the release trains (committed).",
    "EpicState.DONE": "Finished, or no longer pursued.",
    "FeatureState.FUNNEL": "Captured as an idea.",
    "FeatureState.ANALYZING": "Being analysed and refined.",
    "FeatureState.BACKLOG": "Ready for PI planning.",
    "FeatureState.IMPLEMENTING": "Being built by its team.",
    "FeatureState.VALIDATING": "Being tested in a staging environment.",
    "FeatureState.DEPLOYING": "Going to production.",
    "FeatureState.RELEASING": "Being released to customers.",
    "FeatureState.DONE": "Released, or no longer pursued.",
    "Wsjf": "Weighted Shortest Job First inputs and what follows from them.",
    "Wsjf.userBusinessValue": "User/business value, on the policy's scale.",
    "Wsjf.timeCriticality": "Time criticality, on the policy's scale.",
    "Wsjf.riskReductionOpportunityEnablement": "Risk reduction / opportunity enablement, on "
                                               "the policy's scale.",
    "Wsjf.jobSize": "Job size, on the policy's scale.",
    "Wsjf.costOfDelay": "Cost of delay: the sum of the three value inputs.",
    "Wsjf.score": "costOfDelay / jobSize, rounded half up to two decimals.",
    "Epic": "A portfolio epic: a large initiative that features deliver.",
    "Epic.name": "The epic's name.",
    "Epic.type": "Business or enabler work.",
    "Epic.state": "Where the epic is on the portfolio Kanban.",
    "Epic.horizon": "The investment horizon; null if not set.",
    "Epic.estimatedCost": "Estimated cost (the value stream budget's unit); null if unknown.",
    "Epic.approved": "Whether LPM approved the epic (needed for significant epics).",
    "Epic.businessOwner": "Who owns the epic on the business side; null if nobody.",
    "Epic.wsjf": "The WSJF inputs and score; null when none are given.",
    "Epic.valueStream": "The value stream funding the epic; null if none.",
    "Feature": "A feature: work one team delivers in a PI, usually part of an epic.",
    "Feature.name": "The feature's name.",
    "Feature.type": "Business or enabler work.",
    "Feature.state": "Where the feature is on its ART's Kanban.",
    "Feature.points": "The feature's size in points; null if not estimated.",
    "Feature.wsjf": "The WSJF inputs and score; null when none are given.",
    "Feature.epic": "The epic the feature belongs to; null if none.",
    "Feature.team": "The team delivering the feature; null if none.",
    "Feature.pi": "The PI the feature is planned in; null when unplanned.",
    "WorkItem": "An epic or a feature.",
    # --- browsing ---
    "FeatureConnection": "A page of features (Relay connection).",
    "FeatureConnection.edges": "The features of the page, in the page's order.",
    "FeatureConnection.pageInfo": "Where the page lies: cursors and whether pages follow or "
                                  "precede it.",
    "FeatureConnection.totalCount": "How many features match the filter in all (whatever "
                                    "the cursors).",
    "FeatureEdge": "A feature on a page, with its cursor.",
    "FeatureEdge.cursor": "Opaque cursor of this edge, for `after` or `before`.",
    "FeatureEdge.node": "The feature.",
    "EpicConnection": "A page of epics (Relay connection).",
    "EpicConnection.edges": "The epics of the page, in the page's order.",
    "EpicConnection.pageInfo": "Where the page lies: cursors and whether pages follow or "
                               "precede it.",
    "EpicConnection.totalCount": "How many epics match the filter in all (whatever the "
                                 "cursors).",
    "EpicEdge": "An epic on a page, with its cursor.",
    "EpicEdge.cursor": "Opaque cursor of this edge, for `after` or `before`.",
    "EpicEdge.node": "The epic.",
    "PageInfo": "Where a page lies in the whole list (Relay's PageInfo).",
    "PageInfo.hasNextPage": "Whether edges follow this page: with `first`, more in the "
                            "window than the page holds; else whether any follow `before`.",
    "FeatureFilter": "Which features to keep; every given field must hold (AND).",
    "FeatureFilter.state": "Features in any of these states.",
    "FeatureFilter.type": "Features of this type.",
    "FeatureFilter.epic": "Features of this epic.",
    "FeatureFilter.team": "Features of this team.",
    "FeatureFilter.art": "Features whose team is on this release train.",
    "FeatureFilter.valueStream": "Features whose team's train is in this value stream.",
    "FeatureFilter.pi": "Features planned in this PI.",
    "FeatureFilter.aligned": "Features whose trace reaches a strategic theme (true) or none "
                             "(false).",
    "EpicFilter": "Which epics to keep; every given field must hold (AND).",
    "EpicFilter.state": "Epics in any of these states.",
    "EpicFilter.type": "Epics of this type.",
    "EpicFilter.valueStream": "Epics of this value stream.",
    "EpicFilter.theme": "Epics whose trace reaches this theme.",
    "EpicFilter.horizon": "Epics of this horizon.",
    "EpicFilter.aligned": "Epics whose trace reaches a strategic theme (true) or none "
                          "(false).",
    # --- trace and impact ---
    "Trace": "What an epic or feature leads to, up to the strategy.",
    "Trace.item": "The traced epic or feature.",
    "Trace.epic": "The feature's epic (the epic itself for an epic); null if none.",
    "Trace.keyResults": "Key results the epic contributes to, by id.",
    "Trace.objectives": "Objectives of those key results, by id.",
    "Trace.themes": "Themes reached, directly or through the objectives, by id.",
    "Trace.team": "The feature's team; null for an epic or a feature without one.",
    "Trace.art": "The team's release train; null if none.",
    "Trace.valueStream": "The value stream: the train's, or the epic's; null if none.",
    "Impact": "What depends on a feature, what that touches, and what a slip moves.",
    "Impact.root": "The feature the impact is computed for.",
    "Impact.items": "Features depending on the root, directly or not, by depth then id.",
    "Impact.teams": "Teams of the impacted features, by id.",
    "Impact.arts": "Release trains of those teams, by id.",
    "Impact.epics": "Epics of the impacted features, by id.",
    "Impact.keyResults": "Key results those epics contribute to, by id.",
    "Impact.objectives": "Objectives of those key results, by id.",
    "Impact.themes": "Themes reached through them, by id.",
    "ImpactedItem": "A feature that depends on the root, directly or through others.",
    "ImpactedItem.item": "The impacted feature.",
    "Slip": "A feature that must move to a later PI because the root slips.",
    "Slip.item": "The feature that moves.",
    "Slip.from": "The PI it is planned in now.",
    "Slip.to": "The PI it would move to.",
    # --- governance ---
    "Violation": "A broken guardrail: which rule, on what, by how much.",
    "Violation.rule": "The rule id, e.g. budget.value-stream.",
    "Violation.severity": "The rule's severity in the policy.",
    "Violation.subjectType": "What subjectId names: Epic, Feature, Team, ReleaseTrain, "
                             "ValueStream, EpicState or Horizon.",
    "Violation.subjectId": "The id (or state or horizon name) the violation is about.",
    "Violation.relatedIds": "Other items involved, as each rule defines (a PI, the other "
                            "end of a dependency, members...).",
    "Violation.excess": "By how much the limit is broken (1 for yes/no rules).",
    "Violation.message": "The violation in words, for people.",
    "Severity.INFO": "Worth knowing; blocks nothing.",
    "Severity.WARNING": "Needs attention; blocks nothing.",
    "Severity.ERROR": "Blocks a change that introduces it, unless overridden.",
    "Guardrail": "A guardrail rule with its effective settings (defaults merged in).",
    "Guardrail.rule": "The rule id.",
    "Guardrail.enabled": "Whether the rule is evaluated.",
    "Guardrail.severity": "The severity its violations get.",
    "Guardrail.params": "The rule's parameters, e.g. {\"threshold\": 1000000}.",
    "Guardrail.description": "What the rule checks, in words.",
    "RankedItem": "An epic or feature in the WSJF ranking.",
    "RankedItem.rank": "Its place, from 1.",
    "RankedItem.item": "The epic or feature.",
    "RankedItem.wsjf": "Its WSJF inputs and score.",
    "RankLevel.EPIC": "Rank epics.",
    "RankLevel.FEATURE": "Rank features.",
    "AuditEntry": "One applied change, override or import in the append-only audit log.",
    "AuditEntry.id": "The entry's id.",
    "AuditEntry.at": "When the change was written.",
    "AuditEntry.actor": "Who made it: the token's sub (anonymous in open mode, cli:<user> "
                        "from the command line).",
    "AuditEntry.itemId": "The item changed; null for an import.",
    "AuditEntry.before": "The item before the change (import document format); null when "
                         "created.",
    "AuditEntry.after": "The item after the change; for an import {created, updated}.",
    # --- changes ---
    "Mutation": "Changes to the portfolio, checked against the guardrails first.",
    "Mutation.importPortfolio(document:)": "A portfolio document (see the contract), all or "
                                           "nothing.",
    "Mutation.upsertEpic(input:)": "The epic, whole: fields left out become empty (except "
                                   "approved).",
    "Mutation.upsertEpic(dryRun:)": _DRY_RUN,
    "Mutation.upsertEpic(override:)": _OVERRIDE,
    "Mutation.upsertFeature(input:)": "The feature, whole: fields left out become empty.",
    "Mutation.upsertFeature(dryRun:)": _DRY_RUN,
    "Mutation.upsertFeature(override:)": _OVERRIDE,
    "Mutation.addDependency(from:)": "The feature that depends.",
    "Mutation.addDependency(to:)": "The feature it depends on (delivered first).",
    "Mutation.addDependency(dryRun:)": _DRY_RUN,
    "Mutation.addDependency(override:)": _OVERRIDE,
    "Mutation.removeDependency": "Remove the dependency of `from` on `to` (not blocked by "
                                 "guardrails).",
    "Mutation.removeDependency(from:)": "The feature that depends.",
    "Mutation.removeDependency(to:)": "The feature it depends on.",
    "Mutation.deleteItem(id:)": "The item to delete.",
    "ImportResult": "What an import did, or why it did nothing.",
    "ImportResult.applied": "False when nothing was written (any error rejects the whole "
                            "document).",
    "ImportResult.created": "Items of the document that did not exist.",
    "ImportResult.updated": "Items of the document that existed (changed or not).",
    "ImportResult.errors": "One per problem of the document; empty when applied.",
    "ImportResult.violations": "Violations of the portfolio after the import.",
    "InputError": "A problem with the input, as data (not a GraphQL error).",
    "InputError.message": "The problem in words.",
    "InputError.code": "REQUIRED, INVALID_ID, UNKNOWN_REFERENCE, OFF_SCALE, ... (see the "
                       "contract).",
    "ChangeResult": "What a change did, or why it did nothing.",
    "ChangeResult.item": "The item as the change left it; null when nothing was written or "
                         "for a removal.",
    "ChangeResult.errors": "One per problem of the input; empty when it was valid.",
    "WsjfInput": "WSJF inputs, each on the policy's scale.",
    "WsjfInput.userBusinessValue": "User/business value.",
    "WsjfInput.timeCriticality": "Time criticality.",
    "WsjfInput.riskReductionOpportunityEnablement": "Risk reduction / opportunity "
                                                    "enablement.",
    "WsjfInput.jobSize": "Job size.",
    "OverrideInput": "An override of blocking guardrails (portfolio role).",
    "OverrideInput.justification": "Why the change must go in anyway; kept in the audit log.",
    "EpicInput": "An epic as upsertEpic takes it: the whole item.",
    "EpicInput.id": "The epic's id (new or existing).",
    "EpicInput.name": "The name.",
    "EpicInput.type": "Business or enabler.",
    "EpicInput.state": "The portfolio Kanban state.",
    "EpicInput.horizon": "The investment horizon.",
    "EpicInput.estimatedCost": "Estimated cost, >= 0.",
    "EpicInput.approved": "LPM approval (changing it needs portfolio); left out keeps it.",
    "EpicInput.businessOwner": "The business owner.",
    "EpicInput.valueStream": "The funding value stream's id.",
    "EpicInput.themes": "Ids of the themes it is aligned to.",
    "EpicInput.keyResults": "Ids of the key results it contributes to.",
    "EpicInput.wsjf": "WSJF inputs.",
    "FeatureInput": "A feature as upsertFeature takes it: the whole item.",
    "FeatureInput.id": "The feature's id (new or existing).",
    "FeatureInput.name": "The name.",
    "FeatureInput.type": "Business or enabler.",
    "FeatureInput.state": "The ART Kanban state.",
    "FeatureInput.points": "Size in points, >= 0.",
    "FeatureInput.epic": "The epic's id.",
    "FeatureInput.team": "The delivering team's id.",
    "FeatureInput.pi": "The id of the PI it is planned in.",
    "FeatureInput.wsjf": "WSJF inputs.",
    # --- history ---
    "AsOf.version": "A portfolio version, 0 to now.",
    "AsOf.at": "An instant: the last version written at or before it.",
    "PortfolioVersion": "One version of the portfolio and the change that wrote it.",
    "ViolationEvent": "How one violation changed with one applied change.",
    "ViolationEvent.kind": "Opened, grew, shrank or closed.",
    "ViolationEvent.version": "The version the change wrote.",
    "ViolationEvent.at": "When that version was written.",
    "ViolationEventKind": "How a violation changed with a change.",
    "ViolationEventKind.OPENED": "A violation whose key did not exist before.",
    "ViolationEventKind.GREW": "Its excess went up.",
    "ViolationEventKind.SHRANK": "Its excess went down.",
    "ViolationEventKind.CLOSED": "Its key no longer exists.",
    "PortfolioDiff": "What differs between two versions.",
    "PortfolioDiff.from": "The earlier version.",
    "PortfolioDiff.to": "The later version.",
    "PortfolioDiff.added": "Items at `to` that were not at `from`, by id.",
    "PortfolioDiff.removed": "Items at `from` that are gone at `to`, by id.",
    "PortfolioDiff.changed": "Items whose document fields differ, by id.",
    "PortfolioDiff.dependenciesAdded": "Dependencies at `to` not at `from`.",
    "PortfolioDiff.dependenciesRemoved": "Dependencies at `from` gone at `to`.",
    "PortfolioDiff.violationsOpened": "Violation keys at `to` not at `from`.",
    "PortfolioDiff.violationsClosed": "Violation keys at `from` not at `to`.",
    "ItemChange": "One item added, removed or changed between two versions.",
    "ItemChange.id": "The item's id.",
    "DependencyChange": "A dependency added or removed: `from` depends on `to`.",
    "DependencyChange.from": "The feature that depends.",
    "DependencyChange.to": "The feature it depends on.",
    "Subscription": "Changes and violation events as they land (graphql-transport-ws).",
    "Subscription.portfolioChanged(afterVersion:)": "Resume after this version: first every "
                                                    "version after it, then live ones.",
    "Subscription.violationEvents(rule:)": "Only events of this rule.",
    "Subscription.violationEvents(severity:)": "Only events of this severity.",
    "Subscription.violationEvents(afterVersion:)": "Resume after this version: first every "
                                                   "event after it, then live ones.",
    # --- the root of queries ---
    "Query": "Reads: every one answers from one portfolio version.",
    "Query.node(id:)": "The item's id.",
    "Query.node(asOf:)": _AS_OF,
    "Query.themes": "Every strategic theme, by id.",
    "Query.valueStreams": "Every value stream, by id.",
    "Query.arts": "Every release train, by id.",
    "Query.teams": "Every team, by id.",
    "Query.features(filter:)": "Which features to page through; all when left out.",
    "Query.epics(filter:)": "Which epics to page through; all when left out.",
    "Query.epic": "An epic by id; null when there is none.",
    "Query.epic(id:)": "The epic's id.",
    "Query.feature": "A feature by id; null when there is none.",
    "Query.feature(id:)": "The feature's id.",
    "Query.team": "A team by id; null when there is none.",
    "Query.team(id:)": "The team's id.",
    "Query.trace(id:)": "The epic's or feature's id.",
    "Query.traces(ids:)": "Epic or feature ids, at most 500.",
    "Query.impact(id:)": "The feature whose impact to compute.",
    "Query.impact(maxDepth:)": "How many dependency hops to follow, 1 to 50.",
    "Query.impact(slipToPi:)": "A later PI the feature slips to: fills `slips`.",
    "Query.violations(severity:)": "Only violations of this severity.",
    "Query.violations(rule:)": "Only violations of this rule id.",
    "Query.ranking(level:)": "Rank epics or features.",
    "Query.ranking(scope:)": "Features: of this release train or value stream; epics: of "
                             "this value stream.",
    "Query.ranking(piId:)": "Features planned in this PI (features only).",
    "Query.ranking(respectDependencies:)": "Never rank a feature before one it depends on.",
    "Query.ranking(limit:)": "How many to return, 1 to 1000.",
    "Query.auditLog(itemId:)": "Only entries about this item.",
    "Query.auditLog(actor:)": "Only entries by this actor.",
    "Query.auditLog(limit:)": "How many entries, 1 to 1000.",
    "Query.auditLog(before:)": "Only entries older than this entry's cursor.",
    "Query.auditLog(since:)": "Only entries at or after this instant.",
    "Query.violationHistory(rule:)": "Only events of this rule.",
    "Query.violationHistory(subjectId:)": "Only events about this subject.",
    "Query.violationHistory(since:)": "Events of versions after this one (exclusive).",
    "Query.violationHistory(until:)": "Events of versions up to this one (inclusive).",
    "Query.violationHistory(limit:)": "How many events, 1 to 1000.",
    "Query.changes(from:)": "The earlier version.",
    "Query.changes(to:)": "The later version; now when left out.",
    "Query.dependencies(piId:)": "Dependencies with either end planned in this PI.",
    "Query.dependencies(art:)": "Dependencies with either end on this release train.",
    "Query.dependencies(valueStream:)": "Dependencies with either end in this value stream.",
    "Query.dependencies(conflictsOnly:)": "Only schedule conflicts.",
    "Query.dependencies(crossArtOnly:)": "Only dependencies across release trains.",
}
for _name, _kind in _NODE_KINDS.items():
    DESCRIPTIONS[f"{_name}.id"] = f"The {_kind}'s id, unique across the whole portfolio."
for _field in ("themes", "valueStreams", "arts", "teams", "pis", "trace", "impact",
               "violations", "ranking", "epic", "feature", "team", "dependencies"):
    DESCRIPTIONS[f"Query.{_field}(asOf:)"] = _AS_OF


def coordinates(schema: GraphQLSchema) -> dict[str, object]:
    """Every describable element of the schema by its coordinate (introspection's own
    types left out): types, fields, arguments and enum values."""
    out: dict[str, object] = {}
    for type_ in schema.type_map.values():
        if type_.name.startswith("__"):
            continue
        out[type_.name] = type_
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            for name, field in type_.fields.items():
                out[f"{type_.name}.{name}"] = field
                for arg_name, arg in getattr(field, "args", {}).items():
                    out[f"{type_.name}.{name}({arg_name}:)"] = arg
        if isinstance(type_, GraphQLEnumType):
            for name, value in type_.values.items():
                out[f"{type_.name}.{name}"] = value
    return out


def describe(schema: GraphQLSchema) -> None:
    """Give every element the glossary names its description, where it has none."""
    for coordinate, element in coordinates(schema).items():
        text = DESCRIPTIONS.get(coordinate)
        if text is not None and not getattr(element, "description", None):
            element.description = text  # type: ignore[attr-defined]  # every element has one
