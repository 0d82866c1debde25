"""A command group whose members are imported only when used.

``contactpoint --help`` lists every command from a table of ``(name, "module:attribute",
one-line help)``; nothing of a command's module is imported until that command (or
its ``--help``) runs. The attribute is a ``typer.Typer`` (a command group) or a
function (one command). Adding a command is one row in ``core.cli.COMMANDS``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import MarkupMode, TyperGroup

try:  # Typer 0.16 and later carry their own copy of click
    from typer._click.utils import make_default_short_help
except ImportError:  # pragma: no cover - older Typer runs on click itself
    from click.utils import make_default_short_help  # type: ignore[no-redef]

__all__ = ["LazyCommand", "LazyGroup", "lazy_typer", "load_command"]


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """One top-level command: its name, where it lives (``module:attribute``), its one-line help."""

    name: str
    target: str
    help: str


def load_command(entry: LazyCommand, *, markup: MarkupMode = None) -> Any:
    """Import ``entry``'s module and return its command as a click command named ``entry.name``.

    ``markup`` is the help markup of the group it joins (``None``: plain text, as ``add_typer`` would give).

    Raises:
        ImportError: When the module cannot be imported.
        AttributeError: When the module has no such attribute.
    """
    module_name, _, attribute = entry.target.partition(":")
    found = getattr(importlib.import_module(module_name), attribute)
    if isinstance(found, typer.Typer):
        found.rich_markup_mode = markup
        command: Any = typer.main.get_group(found)  # a group even when it holds one command
    else:
        holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=markup)
        holder.command(entry.name)(found)
        command = typer.main.get_command(holder)
    command.name = entry.name
    return command


class LazyGroup(TyperGroup):
    """A Typer group that adds the commands of ``lazy`` (a class attribute), each loaded on first use.

    Subclass it with ``lazy`` set and pass the subclass as ``typer.Typer(cls=...)``.
    """

    lazy: tuple[LazyCommand, ...] = ()

    def _lazy_entry(self, name: str) -> LazyCommand | None:
        return next((entry for entry in self.lazy if entry.name == name), None)

    def list_commands(self, ctx: Any) -> list[str]:
        """Return the eager commands, then the lazy ones, in table order."""
        eager = super().list_commands(ctx)
        return [*eager, *(entry.name for entry in self.lazy if entry.name not in eager)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """Return the command, importing its module the first time it is asked for."""
        found = super().get_command(ctx, cmd_name)
        entry = None if found is not None else self._lazy_entry(cmd_name)
        if entry is None:
            return found
        command = load_command(entry, markup=self.rich_markup_mode)
        self.commands[cmd_name] = command
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """List every command with its one line of help, without importing the lazy ones."""
        rows: list[tuple[str, str]] = []
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(name) for name in names), default=0)
        for name in names:
            loaded = self.commands.get(name)
            if loaded is not None:
                if not loaded.hidden:
                    rows.append((name, loaded.get_short_help_str(limit)))
                continue
            entry = self._lazy_entry(name)
            if entry is not None:
                rows.append((name, make_default_short_help(entry.help, limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def lazy_typer(help_text: str, commands: tuple[LazyCommand, ...]) -> typer.Typer:
    """A command group whose ``--help`` lists ``commands`` from the table, importing none of them."""
    group = type("LazyTable", (LazyGroup,), {"lazy": commands})
    return typer.Typer(help=help_text, cls=group, no_args_is_help=True)
