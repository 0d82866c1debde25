"""``check_policies``: validate policy files, and that mappings' write-back only asks for what they give.

A mapping's ``writeback:`` may name any ``enrichment.<name>``; one the policies do
not compute would be written back empty in every run. With ``mappings``, each such
name is a problem of the check, pointed at its line in the mapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import MappingError, PolicyError, Problem
from core.mapping import load_mapping
from core.policy.engine import PolicySet
from core.policy.loader import load_policies
from core.problems import suggest

__all__ = ["PolicyCheckReport", "check_policies", "summary"]


@dataclass(frozen=True)
class PolicyCheckReport:
    """The result of checking policy files.

    Attributes:
        files: The policy files, as given.
        policies: The compiled set, when it compiled.
        problems: Every problem, file by file in line order; empty means OK.
        mappings: The mapping files checked against the policies.
    """

    files: tuple[str, ...]
    policies: PolicySet | None
    problems: list[Problem] = field(default_factory=list)
    mappings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when there is no problem."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON-compatible data (what ``--json`` prints)."""
        return {
            "files": list(self.files),
            "ok": self.ok,
            "mappings": list(self.mappings),
            "policies": summary(self.policies) if self.policies is not None else None,
            "problems": [_problem_json(p) for p in self.problems],
        }


def check_policies(
    paths: str | Path | Sequence[str | Path], *, mappings: Sequence[str | Path] = ()
) -> PolicyCheckReport:
    """Validate policy files and, with ``mappings``, the enrichment names their write-back uses.

    Returns:
        The report; problems are in it, not raised.
    """
    files = (str(paths),) if isinstance(paths, str | Path) else tuple(str(p) for p in paths)
    try:
        policies: PolicySet | None = load_policies(paths)
    except PolicyError as err:
        policies, problems = None, list(err.problems)
    else:
        problems = []
    for mapping in mappings:
        problems.extend(_mapping_problems(mapping, policies))
    return PolicyCheckReport(files, policies, problems, tuple(str(m) for m in mappings))


def _mapping_problems(path: str | Path, policies: PolicySet | None) -> list[Problem]:
    try:
        mapping = load_mapping(path)
    except MappingError as err:
        return list(err.problems)
    if policies is None:
        return []  # the policies' own problems come first
    provided = [name for name in policies.writeback_names() if name.startswith("enrichment.")]
    problems = []
    for target in mapping.writeback_targets():
        if target.source.startswith("enrichment.") and target.source not in provided:
            message = f"{target.source} is written back here, but no policy computes it"
            hint = suggest(target.source, provided, noun="policies give")
            loc = ("streams", target.stream, "writeback", target.source)
            problems.append(mapping.problem(loc, message, hint))
    return problems


def summary(policies: PolicySet) -> dict[str, Any]:
    """Describe what a policy set holds, names only, in file order."""
    return {
        "files": list(policies.files),
        "enrichment": [rule.name for rule in policies.enrichment],
        "scores": [score.name for score in policies.scores],
        "segments": [{"name": s.name, "label": s.label} for s in policies.segments],
        "suppressions": [{"reason": r.reason, "scope": r.scope.value} for r in policies.suppressions],
        "alerts": [
            {
                "name": a.name,
                "target": f"{a.target_object} in {a.target_system}",
                "suppresses": a.suppress.reason if a.suppress else None,
            }
            for a in policies.alerts
        ],
        "writeback": policies.writeback_names(),
    }


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {"file": problem.file, "line": problem.line, "column": problem.column, "key": problem.key,
            "message": problem.message, "hint": problem.hint}  # fmt: skip
