"""``contactpoint setup SYSTEM [--dry-run]``: prepare a system for write-back, idempotently.

What write-back fills comes from the system's mapping (``systems.<name>.mapping``, or
``--mapping FILE``): one target per ``writeback:`` entry of each stream. The
connector's ``provision`` verb turns the targets into what its vendor needs (custom
fields, layout placements and access in Salesforce; user fields in Zendesk; a
property group and properties in HubSpot) and makes what is missing. The writes the
system refused before (a field it did not have) are then sent again by the next sync.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from core.commands.common import console, errors_to_exit, print_json
from core.config import DEFAULT_PATH, Project, build_connector, load_project
from core.errors import ConfigError, MappingError
from core.mapping import CompiledMapping, load_mapping
from core.mapping.streams_known import unknown_streams

__all__ = ["setup"]


def _mapping_path(project: Project, system: str, override: Path | None) -> Path:
    if override is not None:
        return override
    configured = project.system(system).mapping
    if configured is None:
        msg = f"system {system!r} has no mapping, so the write-back fields are unknown"
        hint = f"set systems.{system}.mapping in {project.source}, or pass --mapping FILE"
        raise ConfigError(msg, hint=hint, system=system)
    return project.resolve_path(configured)


def _known_streams(mapping: CompiledMapping, project: Project, system: str, pulled: list[str]) -> None:
    """Refuse a mapping whose streams the connector does not have (``Contacts`` for ``Contact``): nothing would be set up for them.

    Raises:
        MappingError: Naming each such stream and the nearest one the connector has.
    """
    problems = unknown_streams(mapping, kind=project.system(system).kind, configured=pulled)
    if problems:
        raise MappingError(problems, file=mapping.file)


def setup(
    system: Annotated[str, typer.Argument(help="System name from contactpoint.yaml, e.g. salesforce.")],
    config: Annotated[Path, typer.Option("--config", "-c", help="Project file.")] = DEFAULT_PATH,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Mapping whose writeback sections declare the fields.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Create what write-back to SYSTEM needs (fields, properties, layouts, access); a second run does nothing."""
    with errors_to_exit():
        project = load_project(config)
        connector = build_connector(project, system)
        compiled = load_mapping(_mapping_path(project, system, mapping))
        _known_streams(compiled, project, system, [stream.name for stream in connector.streams()])
        targets = compiled.writeback_targets()
        changes = connector.provision(targets, apply=not dry_run)
        released = 0 if dry_run else _release_refused(project, system)
    if as_json:
        print_json({"dry_run": dry_run, **changes.as_dict(), "released": released})
        return
    for line in changes.lines():
        console.print(line, markup=False)
    if changes.pending():
        console.print(f"{changes.pending()} change(s) to make; run again without --dry-run", markup=False)
    elif changes.done():
        console.print(f"{changes.done()} change(s) made", markup=False)
    else:
        console.print("nothing to do", markup=False)
    if released:
        console.print(f"{released} write(s) {system} refused before will be sent again by the next sync run",
                      markup=False)  # fmt: skip


def _release_refused(project: Project, system: str) -> int:
    """Let the next sync send again the writes ``system`` refused (what setup makes is what they lacked).

    A write refused for good is otherwise never sent again with the same values. No store
    yet (a SQLite file not made): nothing was refused, and none is made here.
    """
    import sqlalchemy as sa

    from core.config import project_store_url
    from core.store import open_store

    url = project_store_url(project)
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and not (parsed.database and Path(parsed.database).is_file()):
        return 0
    with open_store(url) as store:
        return store.writeback.release(system)
