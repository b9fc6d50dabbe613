"""Guardrails and prioritisation: pure functions over a `graph.model.Portfolio` snapshot.

policy.load_policy -> Policy; evaluate.evaluate / introduced / blocking;
ranking.rank; trace.trace; impact.impact. Imports only the standard library,
pydantic, PyYAML and graph.model.
"""
