"""``contactpoint sandbox up|down``: local HTTPS stand-ins of the vendors' APIs."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from core.commands.common import console, errors_to_exit, print_json

app = typer.Typer(help="Local HTTPS stand-ins of the vendors' APIs, for the demo and for recording cassettes.",
                  no_args_is_help=True)  # fmt: skip


def _print_state(state: dict[str, Any], *, already: bool) -> None:
    verb = "already running" if already else "started"
    console.print(f"sandbox {state['system']} {verb} (pid {state['pid']})", markup=False)
    console.print(f"base URL:  {state['base_url']}", markup=False)
    console.print(f"CA file:   {state['ca_file']}", markup=False)
    console.print("credentials:", markup=False)
    for key, value in state["credentials"].items():
        console.print(f"  {key}: {value}", markup=False)
    console.print(
        f"admin:     {state['admin_url']} (header X-Sandbox-Admin-Token: {state['admin_token']})", markup=False
    )


@app.command("up")
def up_command(
    system: Annotated[str, typer.Argument(help="Which sandbox: salesforce, hubspot, mixpanel, zendesk, or all.")],
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1; 0 picks a free one (one system only).")] = 0,
    records: Annotated[int, typer.Option("--records", min=1, help="How many customer records to seed.")] = 500,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the synthetic data.")] = 0,
    fault: Annotated[
        list[str] | None, typer.Option("--fault", help="Inject a fault at start: KIND or KIND:COUNT (repeatable).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON: one object, or with 'all' one object per system by name.")
    ] = False,
) -> None:
    """Start a sandbox, or all four at once, in the background; print each one's URL, CA file and credentials."""
    from sandbox.common.control import FaultSpec
    from sandbox.common.process import up_many
    from sandbox.common.registry import SandboxOptions

    with errors_to_exit():
        faults = tuple(FaultSpec.parse(f) for f in fault or [])
        options = SandboxOptions(records=records, seed=seed, faults=faults)
        started = up_many([system.strip().lower()] if system.strip().lower() == "all" else [system],
                          port=port, options=options)  # fmt: skip
    if system.strip().lower() == "all":
        if as_json:
            print_json({name: state | {"already_running": already} for name, (state, already) in started.items()})
            return
        for index, (state, already) in enumerate(started.values()):
            if index:
                console.print("", markup=False)
            _print_state(state, already=already)
        console.print("\nnext: contactpoint init --sandbox   (a contactpoint.yaml wired to these)", markup=False)
        return
    ((state, already),) = started.values()
    if as_json:
        print_json(state | {"already_running": already})
    else:
        _print_state(state, already=already)


@app.command("down")
def down_command(
    system: Annotated[str | None, typer.Argument(help="Which sandbox, or all (as when left out).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")] = False,
) -> None:
    """Stop a running sandbox, or all of them."""
    from sandbox.common.process import down

    with errors_to_exit():
        stopped = down(None if system is None or system.strip().lower() == "all" else system)
    if as_json:
        print_json({"stopped": stopped})
    elif stopped:
        console.print(f"stopped: {', '.join(stopped)}", markup=False)
    else:
        console.print("no sandbox was running", markup=False)
