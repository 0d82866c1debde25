"""Helpers every command uses: consoles, JSON output, error reporting, exit codes."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from core.errors import ContactpointError
from core.logs import redact

__all__ = [
    "ContactpointError",
    "DelimiterOption",
    "EncodingOption",
    "FormatOption",
    "WaitOption",
    "console",
    "error_json",
    "errors_to_exit",
    "print_json",
    "report_error",
    "stderr",
]

FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format", help="Input format: csv, jsonl or json (default: from the suffix, else from the content)."
    ),
]

DelimiterOption = Annotated[
    str | None, typer.Option("--delimiter", help="CSV column separator (default: from the file).")
]

EncodingOption = Annotated[
    str | None, typer.Option("--encoding", help="The file's encoding, e.g. cp1252 (default: utf-8 or its BOM).")
]

WaitOption = Annotated[
    float,
    typer.Option("--wait", min=0, help="Seconds to wait for another run of the same job to finish (default: refuse)."),
]

console = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def _json_requested() -> bool:
    """Whether the command being run was given ``--json`` (its ``as_json`` parameter) or ``--format json``.

    ``--format json`` counts where it names the command's output (its ``fmt`` parameter, as
    ``report reconcile``'s), not an input's format.
    """
    # Typer 0.2x carries its own copy of click; older releases use click itself
    for name in ("typer._click.globals", "click.globals"):
        try:
            context = importlib.import_module(name).get_current_context(silent=True)
        except ImportError:
            continue
        if context is not None:
            return bool(context.params.get("as_json")) or str(context.params.get("fmt")) == "json"
    return False


def error_json(err: ContactpointError) -> dict[str, Any]:
    """An error as JSON: its kind, message, hint, exit code and structured context (secrets masked)."""
    return {
        "error": {
            "type": type(err).__name__,
            "message": err.message,
            "hint": err.hint,
            "exit_code": err.exit_code,
            "context": redact({k: v for k, v in err.context.items() if isinstance(v, str | int | float | bool)}),
        }
    }


def report_error(err: ContactpointError) -> int:
    """Print an error and its hint; return the exit code for it.

    Under ``--json`` the error is one JSON document on standard output (``error_json``), so a
    script reading the output reads the failure too; otherwise two lines on standard error.
    """
    if _json_requested():
        print_json(error_json(err))
        return err.exit_code
    stderr.print(f"error: {err.message}", markup=False)
    if err.hint:
        stderr.print(f"hint: {err.hint}", markup=False)
    return err.exit_code


@contextmanager
def errors_to_exit() -> Iterator[None]:
    """Turn a ``ContactpointError`` raised inside into a message and its exit code."""
    try:
        yield
    except ContactpointError as err:
        raise typer.Exit(report_error(err)) from None


def print_json(value: Any) -> None:
    """Write ``value`` as one JSON document on standard output."""
    sys.stdout.write(json.dumps(value, indent=2, default=str, sort_keys=False) + "\n")
    sys.stdout.flush()
