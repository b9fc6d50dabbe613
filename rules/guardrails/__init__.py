"""The guardrails: one small pure function per rule, registered by id.

Importing this package registers every rule (see `registry.registered()`).
"""

from rules.guardrails import (  # noqa: F401  # imported to register their rules
    approval,
    budget,
    capacity,
    dependency,
    engagement,
    investment,
    kanban,
    traceability,
    wsjf_inputs,
)
