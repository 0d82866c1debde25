"""Policies: what follows from what a person did, declared in YAML, decided by pure functions.

    load_policies(path | [paths]) ─→ PolicySet              (raises PolicyError, every problem with file:line)
    PolicySet.evaluate(PolicyInput, now=) ─→ PolicyResult
        ├── .enrichment             open_tickets, highest_open_priority, intent_score, segment...
        ├── .segments / .segment    every segment that holds / the primary one
        ├── .suppressions           PolicySuppression(scope, reason, detail, since, until, source)
        ├── .alerts                 Alert(name, key, target, subject, text), once per occurrence
        ├── .explanations           why each value is what it is, interaction by interaction
        └── .writeback_values()     enrichment.<name>, suppression.<scope>, suppression.reasons
    check_policies(path, mappings=) ─→ PolicyCheckReport    (``contactpoint policy check``)

Nothing here reads a clock, the store or a connector: the sync layer builds a
``PolicyInput`` per profile from the store, passes its clock's ``now``, and writes the
result back. Internals: ``spec`` (file structure), ``sections`` and ``compiler``
(collect every problem), ``matching`` (globs and regexes), ``view`` (fields of an
interaction), ``enrichment``, ``scores``, ``suppression``, ``alerts`` (the rules),
``engine`` (one evaluation). The file format is described in docs/policies.md.
"""

from __future__ import annotations

from core.policy.check import PolicyCheckReport, check_policies
from core.policy.durations import parse_duration
from core.policy.engine import PolicySet
from core.policy.inputs import PersonOverrides, PolicyInput
from core.policy.loader import load_policies, load_policies_text, load_project_policies
from core.policy.results import (
    Alert,
    AlertTarget,
    Contribution,
    EnrichmentValue,
    Explanation,
    PolicyResult,
    PolicySuppression,
    SegmentMatch,
)

__all__ = [
    "Alert",
    "AlertTarget",
    "Contribution",
    "EnrichmentValue",
    "Explanation",
    "PersonOverrides",
    "PolicyCheckReport",
    "PolicyInput",
    "PolicyResult",
    "PolicySet",
    "PolicySuppression",
    "SegmentMatch",
    "check_policies",
    "load_policies",
    "load_policies_text",
    "load_project_policies",
    "parse_duration",
]
