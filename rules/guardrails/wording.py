"""Wording shared by the guardrail messages: names with ids, amounts, shares."""

from __future__ import annotations

from graph.model import Portfolio


def amount(value: float) -> str:
    """An amount as people write it: 1200000 -> '1,200,000', 46.5 -> '46.5'."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def share(value: float) -> str:
    """A share as a percentage: 0.1 -> '10%', 0.125 -> '12.5%'."""
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def named(name: str, item_id: str) -> str:
    return f"{name} ({item_id})"


def pi_name(portfolio: Portfolio, pi_id: str) -> str:
    pi = portfolio.pis.get(pi_id)
    return pi_id if pi is None else pi.name


def feature_name(portfolio: Portfolio, feature_id: str) -> str:
    feature = portfolio.features.get(feature_id)
    return feature_id if feature is None else named(feature.name, feature_id)
