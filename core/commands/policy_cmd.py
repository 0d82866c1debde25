"""``contactpoint policy check``: validate policy files (and the mappings that write their values back).

Problems print as ``file:line:column key: message`` followed by a ``hint:`` line, on
standard error, every one at once, and the command exits with 2 (a configuration error).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core.commands.common import console, print_json, stderr
from core.errors import ConfigError, Problem, problem_count

if TYPE_CHECKING:
    from core.policy import PolicyCheckReport

__all__ = ["app"]

app = typer.Typer(help="Validate enrichment, suppression and alert policies.", no_args_is_help=True)

_EXIT_CONFIG = ConfigError.exit_code


@app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="The policy file(s), e.g. mappings/policies.yaml.")],
    mappings: Annotated[
        list[Path] | None,
        typer.Option("--mapping", help="A mapping whose write-back must name only values the policies compute."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate FILE; several files make one set. Lists what the policies give to write-back."""
    from core.policy import check_policies  # imported when a check runs, not for --help

    report = check_policies(files, mappings=mappings or [])
    if as_json:
        print_json(report.to_json())
    elif report.ok:
        _print_ok(report)
    if not report.ok:
        if not as_json:
            _print_problems(report.problems)
        raise typer.Exit(_EXIT_CONFIG)


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        stderr.print(problem.headline, markup=False)
        if problem.hint:
            stderr.print(f"  hint: {problem.hint}", markup=False)
    stderr.print(f"error: {problem_count(len(problems))} found", markup=False)


def _print_ok(report: PolicyCheckReport) -> None:
    policies = report.policies
    assert policies is not None  # report.ok implies it compiled
    out = console.print
    out(f"OK {', '.join(report.files)}", markup=False)
    out(f"  enrichment:   {', '.join(r.name for r in policies.enrichment) or '-'}", markup=False)
    out(f"  scores:       {', '.join(s.name for s in policies.scores) or '-'}", markup=False)
    out(f"  segments:     {', '.join(f'{s.name} ({s.label!r})' for s in policies.segments) or '-'}", markup=False)
    reasons = [f"{r.reason} ({r.scope.value})" for r in policies.suppressions]
    reasons += [f"{a.suppress.reason} ({a.suppress.scope.value})" for a in policies.alerts if a.suppress]
    out(f"  suppressions: {', '.join(reasons) or '-'}", markup=False)
    alerts = [f"{a.name} → {a.target_object} in {a.target_system}" for a in policies.alerts]
    out(f"  alerts:       {', '.join(alerts) or '-'}", markup=False)
    out(f"  write-back:   {', '.join(policies.writeback_names())}", markup=False)
    if report.mappings:
        out(f"  checked against: {', '.join(report.mappings)}", markup=False)
