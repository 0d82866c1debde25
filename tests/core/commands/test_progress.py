from __future__ import annotations

import io

from rich.console import Console

from core.commands.progress import progress
from core.sync.ingest import IngestSummary


def _console(*, terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=100), out


def test_a_terminal_sees_the_bar_with_records_read_so_far():
    console, out = _console(terminal=True)
    with progress("mapping people.csv", console=console) as bar:
        assert bar.shown
        bar.ingested(IngestSummary(system="files", stream="people", pulled=1200, parked=3))
        bar.stage("resolve", "41 changed people")
    drawn = out.getvalue()
    assert "mapping people.csv" in drawn
    assert "resolve (41 changed people)" in drawn or "1,200 records, 3 parked" in drawn


def test_nothing_is_drawn_off_a_terminal_or_under_json():
    for terminal, quiet in ((False, False), (True, True)):
        console, out = _console(terminal=terminal)
        with progress("mapping people.csv", quiet=quiet, console=console) as bar:
            assert not bar.shown
            bar.ingested(IngestSummary(system="files", stream="people", pulled=10))
            bar.stage("push", "3 records")
        assert out.getvalue() == ""
