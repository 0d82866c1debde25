"""The ``contactpoint`` command line.

    contactpoint
    ├── init                    write a commented contactpoint.yaml
    ├── demo                    run the main job on the embedded default
    ├── mapping check|run       validate a mapping; map a file into the store
    ├── connectors list         what connectors loaded, and why not
    ├── check SYSTEM            authenticate and report API usage
    ├── store migrate|status    create or upgrade the store's schema
    ├── identity ...            resolve, explain, merge, split
    ├── ledger ...              the customer's ledger: record, show, export, import, verify, link
    ├── serve                   the HTTP app: preference centre, scoped API (127.0.0.1)
    ├── policy check            validate enrichment, suppression and alert policies
    ├── report reconcile        where systems disagree, what was written, whether opt-outs landed
    ├── profile show|export|erase   one person: the unified profile, a copy of it, forgetting them
    └── sandbox up|down         local HTTPS stand-ins of the vendors' APIs

Each command's module is imported only when that command runs (``core.commands.lazy``):
``contactpoint --help`` and ``--version`` import Typer and nothing heavy. A new command
is one row of ``COMMANDS``: its name, ``module:attribute`` (a ``typer.Typer`` or a
function) and its one line of help.

Exit codes by error branch: 0 ok, 1 unexpected, 2 configuration, 3 connector,
4 data, 5 store. Every error ends with a one-line hint.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from core import __version__
from core.commands.lazy import LazyCommand, LazyGroup
from core.errors import ContactpointError

__all__ = ["COMMANDS", "app", "main"]

COMMANDS: tuple[LazyCommand, ...] = (
    LazyCommand(
        "init",
        "core.commands.project_cmd:init",
        "Write a commented contactpoint.yaml (systems, credentials by env name, mappings, identity, schedules).",
    ),
    LazyCommand(
        "demo",
        "core.commands.demo_cmd:demo",
        "Run the main job on bundled data: four vendor sandboxes and an export, one sync, a second that writes nothing.",
    ),
    LazyCommand(
        "check",
        "core.commands.check_cmd:check",
        "Validate contactpoint.yaml and what it names, then authenticate to SYSTEM and report API usage (exit 3 when it fails).",
    ),
    LazyCommand(
        "setup",
        "core.commands.setup_cmd:setup",
        "Create what write-back to SYSTEM needs (fields, properties, layouts, access); a second run does nothing.",
    ),
    LazyCommand(
        "serve",
        "core.commands.serve_cmd:serve",
        "Serve the preference centre, OAuth and the scoped reading API; /openapi.json describes it.",
    ),
    LazyCommand("mapping", "core.commands.groups:mapping", "Validate YAML mappings and map sample records with them."),
    LazyCommand(
        "connectors",
        "core.commands.connectors_cmd:app",
        "Connectors installed through the contactpoint.connectors entry points.",
    ),
    LazyCommand(
        "store",
        "core.commands.store_cmd:app",
        "The store: SQLite ./contactpoint.db by default, PostgreSQL when CONTACTPOINT_DATABASE_URL is set.",
    ),
    LazyCommand(
        "sandbox",
        "core.commands.sandbox_cmd:app",
        "Local HTTPS stand-ins of the vendors' APIs, for the demo and for recording cassettes.",
    ),
    LazyCommand("identity", "core.commands.groups:identity", "Resolve people into unified profiles."),
    LazyCommand(
        "ledger",
        "core.commands.groups:ledger",
        "The customer's own ledger: consents, preferences, interests and grants.",
    ),
    LazyCommand("sync", "core.commands.groups:sync", "Sync runs: pull, resolve, decide, write back."),
    LazyCommand("schedule", "core.commands.groups:schedule", "Scheduled runs of the jobs contactpoint.yaml declares."),
    LazyCommand("policy", "core.commands.policy_cmd:app", "Validate enrichment, suppression and alert policies."),
    LazyCommand("report", "core.commands.groups:report", "Reports over the store and the run ledger."),
    LazyCommand(
        "profile",
        "core.commands.groups:profile",
        "One person: their unified profile, a copy of everything held, erasure.",
    ),
)
"""Every top-level command, in the order ``--help`` lists them."""


SERVICES = frozenset({"serve", "schedule"})
"""Commands that run as services: their logs are their output, so INFO is shown by default."""


class _Commands(LazyGroup):
    lazy = COMMANDS


app = typer.Typer(
    name="contactpoint",
    help="Unified customer profiles over the systems you already run.",
    cls=_Commands,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"contactpoint {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    ctx: typer.Context,
    log_json: Annotated[
        bool, typer.Option("--log-json", help="Write logs as JSON lines (default when standard error is not a terminal).")
    ] = False,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR (default WARNING; INFO for serve and schedule).")
    ] = None,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, help="Show progress logs: -v for INFO, -vv for DEBUG.")
    ] = 0,
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:  # fmt: skip
    """Contactpoint: pull, map, resolve, decide and write back customer data."""
    from core.logs import configure, verbosity_level  # structlog: only once a command runs

    level = log_level or verbosity_level(verbose, service=ctx.invoked_subcommand in SERVICES)
    configure(json=True if log_json else None, level=level)


def main() -> None:
    """Console-script entry point: run the app, turning our errors into exit codes."""
    try:
        app()
    except ContactpointError as err:  # raised outside a command's own handling
        from core.commands.common import report_error

        sys.exit(report_error(err))
