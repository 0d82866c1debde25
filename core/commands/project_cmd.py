"""``contactpoint init``: write a contactpoint.yaml to start from.

Plain ``init`` writes the commented template (systems, credentials by environment
variable, mappings, identity, schedules) and copies the shipped mappings, identity
settings and policies it names beside it (files already there are kept). ``init --sandbox`` writes a project wired to
the sandboxes running now (``contactpoint sandbox up all``), with the shipped mappings
and policies copied beside it, so ``setup``, ``sync run`` and ``schedule`` work at once.
"""

from __future__ import annotations

import os
import shutil
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

import typer

from core.commands.common import console, errors_to_exit
from core.config import DEFAULT_PATH, load_project
from core.errors import ConfigError

__all__ = ["init", "sandbox_project"]

_SANDBOX_ORDER = ("salesforce", "zendesk", "hubspot", "mixpanel")
_SHIPPED_FILES = ("identity.yaml", "policies.yaml")

_HEADER = """\
# contactpoint.yaml wired to the local sandboxes (contactpoint init --sandbox).
# The credentials below are the sandboxes' own, made when they started and good only
# for them: after 'contactpoint sandbox up all' starts them afresh, run
# 'contactpoint init --sandbox --force' again. For real systems start from plain
# 'contactpoint init', which names credentials by environment variable.
# Paths are relative to this file; the mappings and policies are copies of the
# shipped ones, yours to edit.
"""


def sandbox_project(states: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The project (as YAML data) for running sandboxes, given their ``sandbox up`` states by system.

    Raises:
        ConfigError: A state without connector settings (a sandbox started by an older version).
    """
    systems: dict[str, Any] = {}
    for name in sorted(states, key=lambda s: _SANDBOX_ORDER.index(s) if s in _SANDBOX_ORDER else len(_SANDBOX_ORDER)):
        settings = states[name].get("connector_settings")
        if not isinstance(settings, dict):
            msg = f"the running {name} sandbox does not say how to reach it (no connector settings in its state)"
            raise ConfigError(msg, hint=f"restart it: contactpoint sandbox down {name} && contactpoint sandbox up all")
        systems[name] = {"kind": name, "mapping": f"mappings/{name}.yaml", "settings": settings}
    return {
        "version": 1,
        "store": {"url": "sqlite:///./contactpoint.db"},
        "systems": systems,
        "identity": {"settings": "mappings/identity.yaml"},
        "policies": {"files": ["mappings/policies.yaml"]},
        "schedules": [{"name": "sandbox-sync", "every": "15m", "job": "sync", "systems": list(systems)}],
    }


def _copy_shipped(folder: Path, names: list[str]) -> list[str]:
    """Copy the shipped mappings the project names into ``folder/mappings``, keeping files already there."""
    from core.shipped import shipped_path

    target = folder / "mappings"
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in [f"{n}.yaml" for n in names] + list(_SHIPPED_FILES):
        if not (target / name).exists():
            shutil.copyfile(shipped_path("mappings", name), target / name)
            copied.append(f"mappings/{name}")
    return copied


def _write_sandbox_project(path: Path) -> tuple[list[str], list[str]]:
    import yaml

    from sandbox.common.process import running_states

    states = running_states()
    if not states:
        msg = "no sandbox is running here"
        raise ConfigError(msg, hint="start them first: contactpoint sandbox up all (then run this again)")
    project = sandbox_project(states)
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    copied = _copy_shipped(folder, list(project["systems"]))
    text = _HEADER + yaml.safe_dump(project, sort_keys=False, allow_unicode=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the sandboxes' credentials
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    return list(project["systems"]), copied


def init(
    path: Annotated[Path, typer.Option("--path", help="Where to write the file.")] = DEFAULT_PATH,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Wire the project to the sandboxes running now (sandbox up all).")
    ] = False,
) -> None:
    """Write a commented contactpoint.yaml (systems, credentials by env name, mappings, identity, schedules)."""
    with errors_to_exit():
        if path.exists() and not force:
            msg = f"{path} already exists"
            raise ConfigError(msg, hint="pass --force to overwrite it, or --path to write elsewhere", file=str(path))
        if sandbox:
            names, copied = _write_sandbox_project(path)
            project = load_project(path)
        else:
            text = files("core.templates").joinpath("contactpoint.yaml").read_text(encoding="utf-8")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            project = load_project(path)
            # the files the template names, so that 'check' finds them (existing ones are kept)
            copied = _copy_shipped(path.parent, [s.kind for s in project.systems.values()])
    console.print(f"wrote {path} with {len(project.systems)} systems: {', '.join(project.systems)}", markup=False)
    if copied:
        console.print(f"copied the shipped {', '.join(copied)}", markup=False)
    if sandbox:  # each system's write-back fields first, or its writes are refused
        steps = [f"contactpoint setup {name}" for name in names]
        console.print(f"next: {' && '.join([*steps, 'contactpoint sync run'])}", markup=False)
        return
    console.print(
        "next: edit it, then run 'contactpoint connectors list' and 'contactpoint check SYSTEM'", markup=False
    )
