"""``contactpoint init``: write a commented contactpoint.yaml to start from."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated

import typer

from core.commands.common import console, errors_to_exit
from core.config import DEFAULT_PATH, load_project
from core.errors import ConfigError

__all__ = ["init"]


def init(
    path: Annotated[Path, typer.Option("--path", help="Where to write the file.")] = DEFAULT_PATH,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented contactpoint.yaml (systems, credentials by env name, mappings, identity, schedules)."""
    with errors_to_exit():
        if path.exists() and not force:
            msg = f"{path} already exists"
            raise ConfigError(msg, hint="pass --force to overwrite it, or --path to write elsewhere", file=str(path))
        text = files("core.templates").joinpath("contactpoint.yaml").read_text(encoding="utf-8")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        project = load_project(path)
    console.print(f"wrote {path} with {len(project.systems)} systems: {', '.join(project.systems)}", markup=False)
    console.print(
        "next: edit it, then run 'contactpoint connectors list' and 'contactpoint check SYSTEM'", markup=False
    )
