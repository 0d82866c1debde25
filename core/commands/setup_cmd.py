"""``contactpoint setup salesforce [--dry-run]``: create the custom fields write-back fills."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.commands.common import console, errors_to_exit, print_json
from core.config import DEFAULT_PATH, build_connector, load_project
from core.errors import ConnectorConfigError

__all__ = ["app"]

app = typer.Typer(help="Prepare a connected system for write-back.", no_args_is_help=True)


@app.command("salesforce")
def salesforce(
    system: Annotated[str, typer.Option("--system", help="System name in contactpoint.yaml.")] = "salesforce",
    config: Annotated[Path, typer.Option("--config", "-c", help="Project file.")] = DEFAULT_PATH,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be created; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Create the write-back custom fields (profile ID, intent, segment, tickets, suppression) idempotently."""
    from connectors.salesforce import SalesforceConnector  # a vendor package, loaded only for this command
    from connectors.salesforce.provision import FieldAction, apply, plan

    with errors_to_exit():
        connector = build_connector(load_project(config), system)
        if not isinstance(connector, SalesforceConnector):
            msg = f"system {system!r} is not a Salesforce connector"
            raise ConnectorConfigError(msg, hint="pass --system with the name of a salesforce system", system=system)
        changes = plan(connector.client, connector.config)
        if not dry_run:
            changes = apply(connector.client, changes)
    if as_json:
        print_json({"dry_run": dry_run, "fields": [c.as_dict() for c in changes]})
        return
    verb = {FieldAction.CREATE: "would create", FieldAction.CREATED: "created", FieldAction.EXISTS: "exists"}
    for change in changes:
        console.print(f"{change.sobject}.{change.field} ({change.logical}): {verb[change.action]}", markup=False)
    pending = sum(c.action is FieldAction.CREATE for c in changes)
    if dry_run and pending:
        console.print(f"{pending} field(s) to create; run again without --dry-run to create them", markup=False)
