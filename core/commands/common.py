"""Helpers every command uses: consoles, JSON output, error reporting, exit codes."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from core.errors import ContactpointError

__all__ = [
    "ContactpointError",
    "FormatOption",
    "WaitOption",
    "console",
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

WaitOption = Annotated[
    float,
    typer.Option("--wait", min=0, help="Seconds to wait for another run of the same job to finish (default: refuse)."),
]

console = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def report_error(err: ContactpointError) -> int:
    """Print an error and its hint to standard error; return the exit code for it."""
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
