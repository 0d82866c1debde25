"""``contactpoint check SYSTEM``: authenticate to a configured system and report its API usage."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from connectors.http import MeteredConnector
from core.commands.common import console, errors_to_exit, print_json
from core.config import DEFAULT_PATH, build_connector, load_project
from core.project_check import check_project

__all__ = ["check"]


def check(
    system: Annotated[str, typer.Argument(help="System name from contactpoint.yaml, e.g. salesforce.")],
    config: Annotated[Path, typer.Option("--config", "-c", help="Project file.")] = DEFAULT_PATH,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Validate contactpoint.yaml and what it names, then authenticate to SYSTEM and report API usage (exit 3 when it fails)."""
    with errors_to_exit():
        project = load_project(config)
        check_project(project, also=system)
        connector = build_connector(project, system)
        result = connector.check()
        usage = connector.api_usage.as_dict() if isinstance(connector, MeteredConnector) else None
    report: dict[str, Any] = {
        "system": result.system,
        "ok": result.ok,
        "detail": result.detail,
        "api_used": result.api_used,
        "api_limit": result.api_limit,
        "api_calls_by_check": usage,
        "facts": dict(result.facts),
    }
    if as_json:
        print_json(report)
        return
    console.print(f"{result.system}: {'ok' if result.ok else 'FAILED'} - {result.detail}", markup=False)
    if result.api_limit:
        share = (result.api_used or 0) / result.api_limit
        window = f"this {result.facts['api_limit_window']}" if result.facts.get("api_limit_window") else "today"
        console.print(f"  API usage {window}: {result.api_used}/{result.api_limit} ({share:.1%})", markup=False)
    if usage is not None:
        console.print(f"  this check made {usage['calls']} API call(s), {usage['retries']} retried", markup=False)
    for key, value in result.facts.items():
        console.print(f"  {key}: {value}", markup=False)
    if not result.ok:
        raise typer.Exit(3)
