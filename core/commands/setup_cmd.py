"""``contactpoint setup salesforce [--dry-run]``: create and show the fields write-back fills.

The fields come from the system's mapping (``systems.<name>.mapping``, or
``--mapping FILE``): one per ``writeback:`` entry of each writable object's stream.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from core.commands.common import console, errors_to_exit, print_json
from core.config import DEFAULT_PATH, Project, build_connector, load_project
from core.errors import ConfigError, ConnectorConfigError
from core.mapping import load_mapping

if TYPE_CHECKING:
    from connectors.salesforce.config import SalesforceConfig
    from connectors.salesforce.provision import FieldSpec

__all__ = ["app", "writeback_specs"]

app = typer.Typer(help="Prepare a connected system for write-back.", no_args_is_help=True)


def _mapping_path(project: Project, system: str, override: Path | None) -> Path:
    if override is not None:
        return override
    configured = project.system(system).mapping
    if configured is None:
        msg = f"system {system!r} has no mapping, so the write-back fields are unknown"
        hint = f"set systems.{system}.mapping in {project.source}, or pass --mapping FILE"
        raise ConfigError(msg, hint=hint, system=system)
    return project.resolve_path(configured)


def writeback_specs(mapping_file: Path, config: SalesforceConfig) -> list[FieldSpec]:
    """Return one field per ``writeback:`` entry of each writable object's stream in ``mapping_file``.

    Raises:
        MappingError: The mapping does not load.
    """
    from connectors.salesforce.provision import FieldSpec  # a vendor package, loaded only for this command

    mapping = load_mapping(mapping_file)
    specs: list[FieldSpec] = []
    for obj in (o for o in config.objects if o.writable and o.name in mapping.streams):
        specs.extend(FieldSpec(obj.name, f.vendor_field, f.source) for f in mapping.writeback(obj.name).fields)
    return specs


@app.command("salesforce")
def salesforce(
    system: Annotated[str, typer.Option("--system", help="System name in contactpoint.yaml.")] = "salesforce",
    config: Annotated[Path, typer.Option("--config", "-c", help="Project file.")] = DEFAULT_PATH,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Mapping whose writeback sections declare the fields.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Create the write-back fields, place them on page layouts and grant access, idempotently."""
    from connectors.salesforce import SalesforceConnector
    from connectors.salesforce.provision import apply, plan

    with errors_to_exit():
        project = load_project(config)
        connector = build_connector(project, system)
        if not isinstance(connector, SalesforceConnector):
            msg = f"system {system!r} is not a Salesforce connector"
            raise ConnectorConfigError(msg, hint="pass --system with the name of a salesforce system", system=system)
        specs = writeback_specs(_mapping_path(project, system, mapping), connector.config)
        settings = connector.config.setup
        changes = plan(connector.client, specs, settings)
        if not dry_run and changes.pending():
            changes = apply(connector.client, changes, settings)
    if as_json:
        print_json({"dry_run": dry_run, **changes.as_dict()})
        return
    for line in changes.lines():
        console.print(line, markup=False)
    if changes.pending():
        console.print(f"{changes.pending()} change(s) to make; run again without --dry-run", markup=False)
    elif changes.done():
        console.print(f"{changes.done()} change(s) made", markup=False)
    else:
        console.print("nothing to do", markup=False)
