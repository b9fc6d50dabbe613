"""Policy loading: the contract's defaults, key-by-key merging, and errors that name the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graph.model import Severity
from rules.errors import PolicyError
from rules.policy import default_policy, load_policy, policy_from_mapping

# The contract's guardrail table: rule -> (default severity, default parameters).
CONTRACT_DEFAULTS: dict[str, tuple[Severity, dict[str, Any]]] = {
    "traceability.unaligned": (Severity.WARNING, {}),
    "approval.significant-epic": (Severity.ERROR, {"threshold": 1000000}),
    "kanban.wip-limit": (Severity.ERROR, {"limits": {"ANALYZING": 5, "IMPLEMENTING": 8}}),
    "capacity.team-overload": (Severity.WARNING, {"tolerance": 0.0}),
    "capacity.allocation": (Severity.WARNING, {"enablerShare": {"min": 0.1, "max": 0.4}}),
    "investment.horizon-mix": (
        Severity.WARNING,
        {"bands": {"H0": [0, 0.1], "H1": [0.5, 0.8], "H2": [0.1, 0.3], "H3": [0, 0.15]}},
    ),
    "budget.value-stream": (Severity.ERROR, {}),
    "engagement.business-owner": (Severity.WARNING, {}),
    "dependency.schedule-conflict": (Severity.ERROR, {}),
    "dependency.unplanned": (Severity.WARNING, {}),
    "dependency.cycle": (Severity.ERROR, {}),
    "wsjf.missing-inputs": (Severity.INFO, {}),
}

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_POLICIES = [
    REPO / "tests" / "data" / "example-policy.yaml",
    REPO.parent / "shared" / "contract" / "example-policy.yaml",
]


def params_of(policy_data: dict[str, Any], rule: str) -> dict[str, Any]:
    guardrails = {g.rule: g for g in policy_from_mapping(policy_data).guardrails()}
    return guardrails[rule].params


def test_defaults_are_the_contract_table() -> None:
    policy = default_policy()
    assert policy.wsjf_scale == (1, 2, 3, 5, 8, 13, 20)
    shown = {g.rule: (g.enabled, g.severity, g.params) for g in policy.guardrails()}
    expected = {rule: (True, sev, params) for rule, (sev, params) in CONTRACT_DEFAULTS.items()}
    assert shown == expected


def test_guardrails_are_ordered_described_and_plain_json() -> None:
    guardrails = default_policy().guardrails()
    assert [g.rule for g in guardrails] == sorted(CONTRACT_DEFAULTS)
    for g in guardrails:
        assert g.description.strip() and "\n" not in g.description
        assert json.loads(json.dumps(g.params)) == g.params


def test_no_policy_file_means_defaults() -> None:
    assert load_policy(None) == default_policy()


@pytest.mark.parametrize(
    ("given", "rule", "expected"),
    [
        (
            {"limits": {"ANALYZING": 3}},
            "kanban.wip-limit",
            {"limits": {"ANALYZING": 3, "IMPLEMENTING": 8}},
        ),
        (
            {"limits": {"FUNNEL": 20}},
            "kanban.wip-limit",
            {"limits": {"ANALYZING": 5, "IMPLEMENTING": 8, "FUNNEL": 20}},
        ),
        (
            {"enablerShare": {"min": 0.2}},
            "capacity.allocation",
            {"enablerShare": {"min": 0.2, "max": 0.4}},
        ),
        (
            {"bands": {"H1": [0.4, 0.9]}},
            "investment.horizon-mix",
            {"bands": {"H0": [0, 0.1], "H1": [0.4, 0.9], "H2": [0.1, 0.3], "H3": [0, 0.15]}},
        ),
        ({"threshold": 500000}, "approval.significant-epic", {"threshold": 500000}),
    ],
)
def test_policy_overrides_key_by_key(
    given: dict[str, Any], rule: str, expected: dict[str, Any]
) -> None:
    assert params_of({"guardrails": {rule: given}}, rule) == expected


def test_other_rules_keep_their_defaults_when_one_is_set() -> None:
    policy = policy_from_mapping({"guardrails": {"kanban.wip-limit": {"limits": {"ANALYZING": 1}}}})
    assert policy.settings("approval.significant-epic").params["threshold"] == 1000000
    assert policy.settings("dependency.cycle").severity is Severity.ERROR


@pytest.mark.parametrize("spelling", ["info", "INFO", "Info", "iNfO"])
def test_severity_accepts_any_case(spelling: str) -> None:
    policy = policy_from_mapping({"guardrails": {"dependency.cycle": {"severity": spelling}}})
    assert policy.settings("dependency.cycle").severity is Severity.INFO


def test_enabled_and_scale_are_read() -> None:
    policy = policy_from_mapping(
        {"wsjf": {"scale": [1, 2, 4, 8]}, "guardrails": {"dependency.cycle": {"enabled": False}}}
    )
    assert policy.wsjf_scale == (1, 2, 4, 8)
    assert policy.settings("dependency.cycle").enabled is False
    assert policy.settings("dependency.unplanned").enabled is True


def test_example_policy_loads() -> None:
    found = [path for path in EXAMPLE_POLICIES if path.exists()]
    assert found, "no copy of the contract's example-policy.yaml found"
    for path in found:
        policy = load_policy(path)
        assert policy.settings("approval.significant-epic").params["threshold"] == 500000
        limits = policy.settings("kanban.wip-limit").params["limits"]
        assert dict(limits) == {"ANALYZING": 3, "IMPLEMENTING": 4}
        assert policy.settings("capacity.team-overload").params["tolerance"] == 0.1
        share = policy.settings("capacity.allocation").params["enablerShare"]
        assert dict(share) == {"min": 0.15, "max": 0.35}
        assert policy.settings("wsjf.missing-inputs").enabled is False
        assert policy.settings("wsjf.missing-inputs").severity is Severity.INFO  # not given


def test_json_policy_by_extension_and_json_inside_yaml(tmp_path: Path) -> None:
    document = {"guardrails": {"kanban.wip-limit": {"limits": {"ANALYZING": 2}}}}
    for name in ("policy.json", "policy.yaml"):
        path = tmp_path / name
        path.write_text(json.dumps(document), encoding="utf-8")
        limits = load_policy(path).settings("kanban.wip-limit").params["limits"]
        assert dict(limits) == {"ANALYZING": 2, "IMPLEMENTING": 8}


def test_empty_file_means_defaults(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("# nothing set\n", encoding="utf-8")
    assert load_policy(path) == default_policy()


@pytest.mark.parametrize(
    ("text", "suffix"), [("guardrails: [unclosed\n", ".yaml"), ('{"guardrails": ', ".json")]
)
def test_unparsable_file_is_a_policy_error_naming_the_file(
    tmp_path: Path, text: str, suffix: str
) -> None:
    path = tmp_path / f"policy{suffix}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.key == str(path)


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(tmp_path / "absent.yaml")
    assert caught.value.key == str(tmp_path / "absent.yaml")


WIP = "guardrails.kanban.wip-limit.limits"
SHARE = "guardrails.capacity.allocation.enablerShare"
BANDS = "guardrails.investment.horizon-mix.bands"
CYCLE = "guardrails.dependency.cycle"
APPROVAL = "guardrails.approval.significant-epic.threshold"
OVERLOAD = "guardrails.capacity.team-overload"


def rule(rule_id: str, **given: Any) -> dict[str, Any]:
    return {"guardrails": {rule_id: given}}


def limits(**given: Any) -> dict[str, Any]:
    return rule("kanban.wip-limit", limits=given)


def share(value: Any) -> dict[str, Any]:
    return rule("capacity.allocation", enablerShare=value)


def bands(**given: Any) -> dict[str, Any]:
    return rule("investment.horizon-mix", bands=given)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ([1, 2], "policy"),
        ({"guardrail": {}}, "guardrail"),
        ({"wsjf": {"scale": []}}, "wsjf.scale"),
        ({"wsjf": {"scale": "1,2,3"}}, "wsjf.scale"),
        ({"wsjf": {"scale": [1, 2, 2]}}, "wsjf.scale.2"),
        ({"wsjf": {"scale": [1, 0]}}, "wsjf.scale.1"),
        ({"wsjf": {"scale": [1, 2.5]}}, "wsjf.scale.1"),
        ({"wsjf": {"scale": [True, 2]}}, "wsjf.scale.0"),
        ({"wsjf": {"scales": [1]}}, "wsjf.scales"),
        ({"wsjf": [1, 2]}, "wsjf"),
        ({"guardrails": [1]}, "guardrails"),
        ({"guardrails": {"kanban.wip-limits": {}}}, "guardrails.kanban.wip-limits"),
        ({"guardrails": {"dependency.cycle": "off"}}, CYCLE),
        (rule("dependency.cycle", limit=1), f"{CYCLE}.limit"),
        (rule("dependency.cycle", severity="fatal"), f"{CYCLE}.severity"),
        (rule("dependency.cycle", severity=2), f"{CYCLE}.severity"),
        (rule("dependency.cycle", enabled="yes"), f"{CYCLE}.enabled"),
        (rule("kanban.wip-limit", limits=5), WIP),
        (limits(ANALYZING=-1), f"{WIP}.ANALYZING"),
        (limits(ANALYZING="5"), f"{WIP}.ANALYZING"),
        (limits(ANALYZING=None), f"{WIP}.ANALYZING"),
        (limits(DOING=3), f"{WIP}.DOING"),
        (limits(analyzing=3), f"{WIP}.analyzing"),
        (rule("approval.significant-epic", threshold=-1), APPROVAL),
        (rule("approval.significant-epic", threshold="1e6"), APPROVAL),
        (rule("approval.significant-epic", threshold=float("nan")), APPROVAL),
        (rule("approval.significant-epic", threshold=True), APPROVAL),
        (rule("capacity.team-overload", tolerance=-0.1), f"{OVERLOAD}.tolerance"),
        (share({"min": 0.5, "max": 0.4}), SHARE),
        (share({"max": 0.05}), SHARE),  # below the default min once merged
        (share({"min": 1.5}), f"{SHARE}.min"),
        (share({"max": -0.1}), f"{SHARE}.max"),
        (share({"mid": 0.2}), f"{SHARE}.mid"),
        (share(0.2), SHARE),
        (bands(H4=[0, 1]), f"{BANDS}.H4"),
        (bands(H1=[0.9, 0.8]), f"{BANDS}.H1"),
        (bands(H1=[0.1]), f"{BANDS}.H1"),
        (bands(H1="0-1"), f"{BANDS}.H1"),
        (bands(H1=[0, 1.2]), f"{BANDS}.H1.1"),
        (bands(H2=[-0.1, 0.2]), f"{BANDS}.H2.0"),
    ],
)
def test_bad_policy_names_the_key(data: Any, key: str) -> None:
    with pytest.raises(PolicyError) as caught:
        policy_from_mapping(data)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key}: ")


def test_error_text_reads_as_in_the_contract() -> None:
    with pytest.raises(PolicyError) as caught:
        policy_from_mapping({"guardrails": {"kanban.wip-limit": {"limits": {"ANALYZING": -2}}}})
    expected = "guardrails.kanban.wip-limit.limits.ANALYZING: must be a number >= 0"
    assert str(caught.value) == expected


def test_unknown_rule_suggests_the_close_one() -> None:
    with pytest.raises(PolicyError) as caught:
        policy_from_mapping({"guardrails": {"kanban.wip-limits": {}}})
    assert "kanban.wip-limit" in caught.value.message


def test_a_bad_policy_file_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("guardrails:\n  kanban.wip-limit: {limits: {ANALYZING: -1}}\n", "utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert caught.value.key == "guardrails.kanban.wip-limit.limits.ANALYZING"


def test_settings_cannot_be_changed_through_the_policy() -> None:
    limits = default_policy().settings("kanban.wip-limit").params["limits"]
    with pytest.raises(TypeError):
        limits["ANALYZING"] = 99
    assert default_policy().settings("kanban.wip-limit").params["limits"]["ANALYZING"] == 5
