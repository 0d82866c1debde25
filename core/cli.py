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

Exit codes by error branch: 0 ok, 1 unexpected, 2 configuration, 3 connector,
4 data, 5 store. Every error ends with a one-line hint.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from core import __version__
from core.commands import (
    check_cmd,
    common,
    connectors_cmd,
    demo_cmd,
    identity_cmd,
    ledger_cmd,
    mapping_cmd,
    mapping_run,
    parked_cmd,
    policy_cmd,
    profile_cmd,
    project_cmd,
    report_cmd,
    sandbox_cmd,
    schedule_cmd,
    serve_cmd,
    setup_cmd,
    store_cmd,
    sync_cmd,
)
from core.logs import configure, verbosity_level

__all__ = ["app", "main"]

SERVICES = frozenset({"serve", "schedule"})
"""Commands that run as services: their logs are their output, so INFO is shown by default."""

app = typer.Typer(
    name="contactpoint",
    help="Unified customer profiles over the systems you already run.",
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
    level = log_level or verbosity_level(verbose, service=ctx.invoked_subcommand in SERVICES)
    configure(json=True if log_json else None, level=level)


def _register() -> None:
    app.command("init")(project_cmd.init)
    app.command("demo")(demo_cmd.demo)
    app.command("check")(check_cmd.check)
    mapping_cmd.app.command("run")(mapping_run.run)
    store_cmd.app.command("parked")(parked_cmd.parked)
    app.add_typer(mapping_cmd.app, name="mapping")
    app.add_typer(connectors_cmd.app, name="connectors")
    app.add_typer(store_cmd.app, name="store")
    app.command("setup")(setup_cmd.setup)
    app.add_typer(sandbox_cmd.app, name="sandbox")
    app.add_typer(identity_cmd.app, name="identity")
    app.add_typer(ledger_cmd.app, name="ledger")
    app.command("serve")(serve_cmd.serve)
    app.add_typer(sync_cmd.app, name="sync")
    app.add_typer(schedule_cmd.app, name="schedule")
    app.add_typer(policy_cmd.app, name="policy")
    app.add_typer(report_cmd.app, name="report")
    app.add_typer(profile_cmd.app, name="profile")


_register()


def main() -> None:
    """Console-script entry point: run the app, turning our errors into exit codes."""
    try:
        app()
    except common.ContactpointError as err:  # raised outside a command's own handling
        sys.exit(common.report_error(err))
