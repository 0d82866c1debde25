"""Progress for long work, drawn on a terminal only.

    with progress("mapping people.csv", quiet=as_json) as bar:
        ingest_stream(..., on_batch=bar.ingested)     records so far, batch by batch
        bar.stage("resolve", "412 changed people")    a step of a longer job

A bar is drawn on standard error, and only when standard error is a terminal and the
command was not asked for ``--json``: piped output, logs and scripts see nothing of it. The
bar is transient, so the summary the command prints afterwards stands alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from core.commands import common

if TYPE_CHECKING:
    from rich.console import Console

    from core.sync.ingest import IngestSummary

__all__ = ["Bar", "progress"]


class Bar:
    """One task's bar; every method does nothing when no bar is drawn."""

    def __init__(self, drawn: Progress | None, task: TaskID | None, label: str) -> None:
        self._drawn = drawn
        self._task = task
        self._label = label

    @property
    def shown(self) -> bool:
        """Whether a bar is being drawn."""
        return self._drawn is not None

    def update(self, *, done: int | None = None, total: int | None = None, detail: str | None = None) -> None:
        """Move the bar to ``done`` (of ``total`` when known) and show ``detail`` beside the label."""
        if self._drawn is None or self._task is None:
            return
        text = f"{self._label}: {detail}" if detail else self._label
        self._drawn.update(self._task, completed=done, total=total, description=text)

    def stage(self, step: str, detail: str) -> None:
        """Show the step a longer job is at (the shape of ``run_sync``'s ``progress`` callback)."""
        self.update(detail=f"{step} ({detail})")

    def ingested(self, summary: IngestSummary) -> None:
        """Show the records read so far (the shape of ``ingest_stream``'s ``on_batch``)."""
        self.update(done=summary.pulled, detail=f"{summary.pulled:,} records, {summary.parked:,} parked")


@contextmanager
def progress(label: str, *, quiet: bool = False, console: Console | None = None) -> Iterator[Bar]:
    """Draw a progress bar for the work inside, on a terminal only.

    Args:
        label: What is being done (``mapping people.csv``).
        quiet: Draw nothing (``--json``).
        console: Where to draw; standard error by default.

    Yields:
        The bar to move; a bar that draws nothing when the output is not a terminal.
    """
    target = console or common.stderr
    if quiet or not target.is_terminal:
        yield Bar(None, None, label)
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=target, transient=True) as drawn:
        yield Bar(drawn, drawn.add_task(label, total=None), label)
