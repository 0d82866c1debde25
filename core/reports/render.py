"""The report in three formats: one self-contained HTML file, CSV files, one JSON document.

    write_html(report, out, limit=)   charts (inline SVG), sortable and filterable tables, no request at view
                                      time (a Content-Security-Policy allows only the page's own script)
    write_csv(report, folder)         one CSV per table (formula cells neutralised), plus figures.csv
    write_json(report, out)           {"report": ..., "figures": ..., "tables": {name: {"columns", "rows"}}}

Each format streams the tables' rows from their spool, so memory does not follow their size.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any, TextIO

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.csvout import CsvWriter
from core.reports import charts
from core.reports.tables import Report

__all__ = ["HTML_ROWS", "SECTIONS", "html_csp", "write_csv", "write_html", "write_json"]

HTML_ROWS = 2000
"""Rows of a table shown in the HTML report (every row goes to CSV and JSON)."""
SECTIONS = [("systems-section", "Systems"), ("identity-section", "Identity"), ("conflicts-section", "Conflicts"),
            ("writeback-section", "Write-back"), ("closed-loop", "Closed loop"), ("ledger-section", "Customers' ledger"),
            ("drift-section", "Drift")]  # fmt: skip
_TEMPLATES = files("core.reports").joinpath("templates")
_ENV = Environment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=select_autoescape(["html"]))


def _script() -> str:
    return _TEMPLATES.joinpath("report.js").read_text(encoding="utf-8")


def html_csp() -> str:
    """The page's Content-Security-Policy: nothing fetched, no other script than its own (by hash)."""
    digest = base64.b64encode(hashlib.sha256(_script().encode()).digest()).decode()
    return (f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; img-src data:; "
            "connect-src 'none'; form-action 'none'; base-uri 'none'")  # fmt: skip


def _row_class(name: str, row: list[Any]) -> str:
    if name == "closed_loop" and str(row[-1]).startswith("not"):
        return "bad"
    if name == "ledger_consents" and str(row[-1]).startswith(("not", "conflicting")):
        return "bad"
    if name == "refusals" or (name == "conflicts" and row[1] == "consent"):
        return "bad"
    return ""


def html_chunks(report: Report, *, limit: int = HTML_ROWS) -> Iterator[str]:
    """Yield the HTML report in pieces (for a file or a streamed HTTP answer)."""

    def rows(name: str) -> Iterator[list[Any]]:
        for index, row in enumerate(report.tables[name].rows()):
            if index >= limit:
                return
            yield row

    drawn = {
        "parked": charts.parked_reasons(report.tables["parked_reasons"]),
        "spans": charts.profiles_by_systems(report.tables["profiles_by_systems"]),
        "writes": charts.writes_over_runs(report.tables["writes_over_runs"]),
    }
    template = _ENV.get_template("report.html")
    yield from template.generate(report=report, charts=drawn, rows=rows, row_class=_row_class, limit=limit,
                                 sections=SECTIONS, csp=html_csp(), script=_script())  # fmt: skip


def write_html(report: Report, out: TextIO, *, limit: int = HTML_ROWS) -> None:
    """Write the self-contained HTML report to ``out``."""
    for piece in html_chunks(report, limit=limit):
        out.write(piece)


def write_csv(report: Report, folder: Path, *, opener: Callable[[Path], TextIO] | None = None) -> list[Path]:
    """Write one CSV per table, and ``figures.csv`` (section, figure, value), into ``folder``; return the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    path = folder / "figures.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = CsvWriter(handle)
        writer.writerow(["section", "figure", "value"])
        for section, values in report.figures.items():
            for name, value in values.items():
                writer.writerow([section, name, value])
    written.append(path)
    for name, table in report.tables.items():
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = CsvWriter(handle)
            writer.writerow(table.columns)
            for row in table.rows():
                writer.writerow(["" if v is None else v for v in row])
        written.append(path)
    return written


def write_json(report: Report, out: TextIO) -> None:
    """Write the report as one JSON document, streaming each table's rows."""
    head = {"report_id": report.report_id, "generated_at": report.generated_at, "since_run": report.since_run,
            "window": report.window, "masked": not report.revealed, "summary": report.summary, "notes": report.notes}  # fmt: skip
    out.write('{"report": ' + json.dumps(head) + ', "figures": ' + json.dumps(report.figures) + ', "tables": {')
    for index, (name, table) in enumerate(report.tables.items()):
        out.write(("," if index else "") + f"\n{json.dumps(name)}: " + "{")
        out.write(f'"title": {json.dumps(table.title)}, "columns": {json.dumps(table.columns)}, "rows": [')
        for n, row in enumerate(table.rows()):
            out.write(("," if n else "") + "\n  " + json.dumps(row, default=str))
        out.write("]}")
    out.write("\n}}\n")
