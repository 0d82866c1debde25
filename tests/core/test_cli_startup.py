"""The CLI imports only what the command in hand uses: start-up stays out of heavy modules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer

from core.cli import COMMANDS, app
from core.commands.lazy import LazyGroup, load_command

ROOT = Path(__file__).resolve().parents[2]

HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "alembic",
    "psycopg",
    "pydantic",
    "fastapi",
    "rich",
    "requests",
    "structlog",
    "phonenumbers",
    "email_validator",
    "numpy",
    "rapidfuzz",
    "jellyfish",
    "ruamel",
    "connectors",
    "core.canonical",
    "core.store",
    "core.identity",
    "core.mapping",
    "core.config",
    "core.sync",
)
"""Packages no start-up (``--version``, ``--help``) may import."""

_PROBE = """
import atexit, json, sys
atexit.register(lambda: print("MODULES " + json.dumps(sorted(sys.modules))))
sys.argv = ["contactpoint", *sys.argv[1:]]
from core.cli import main
main()
"""


def _modules_after(*args: str) -> set[str]:
    """Run ``contactpoint ARGS`` in a fresh interpreter; return every module it had imported at exit."""
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("MODULES "))
    return set(json.loads(line.removeprefix("MODULES ")))


RUNNING = ("pydantic", "structlog", "rich")
"""What any command brings once it runs, ``<group> --help`` included: Typer converts parameters
through pydantic, the root callback configures structlog, and output goes through rich."""


def _heavy(modules: set[str], *, allowed: tuple[str, ...] = ()) -> list[str]:
    heavy = [h for h in HEAVY if h not in allowed]
    return sorted(m for m in modules if any(m == h or m.startswith(f"{h}.") for h in heavy))


@pytest.mark.parametrize("args", [("--version",), ("--help",)])
def test_version_and_help_import_no_heavy_module_and_no_command(args):
    modules = _modules_after(*args)
    assert _heavy(modules) == []
    assert sorted(m for m in modules if m.startswith("core.commands.") and m != "core.commands.lazy") == []


@pytest.mark.parametrize("group", ["policy", "connectors", "sandbox", "store"])
def test_the_help_of_a_light_group_imports_no_heavy_module(group):
    modules = _modules_after(group, "--help")
    assert f"core.commands.{group}_cmd" in modules
    assert _heavy(modules, allowed=RUNNING) == []


@pytest.mark.parametrize("group", ["identity", "profile", "sync", "mapping", "ledger", "report", "schedule"])
def test_the_help_of_a_group_of_heavy_commands_imports_none_of_them(group):
    modules = _modules_after(group, "--help")
    assert _heavy(modules, allowed=RUNNING) == []
    assert sorted(m for m in modules if m.startswith("core.commands.")) == [
        "core.commands.groups",
        "core.commands.lazy",
    ]


def test_a_group_help_imports_that_group_only():
    modules = _modules_after("policy", "--help")
    commands = {m for m in modules if m.startswith("core.commands.")}
    assert "core.commands.policy_cmd" in commands
    assert not commands & {"core.commands.identity_cmd", "core.commands.ledger_cmd", "core.commands.serve_cmd"}


def test_the_table_help_is_each_commands_own_help():
    tables = [("", COMMANDS)]
    checked = 0
    while tables:
        parent, entries = tables.pop()
        for entry in entries:
            loaded = load_command(entry)
            assert loaded.name == entry.name
            assert loaded.get_short_help_str(10_000) == entry.help, f"{parent} {entry.name}"
            checked += 1
            if isinstance(loaded, LazyGroup):  # a group of its own table: each of its commands too
                tables.append((f"{parent} {entry.name}", loaded.lazy))
    assert checked > len(COMMANDS) + 20


def test_every_command_of_the_table_is_listed_once_in_order():
    group = typer.main.get_command(app)
    assert group.list_commands(None) == [entry.name for entry in COMMANDS]  # type: ignore[attr-defined]
