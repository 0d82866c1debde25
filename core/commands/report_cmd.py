"""``contactpoint report reconcile``: where the systems disagree, what Contactpoint did and why, whether opt-outs landed.

    contactpoint report reconcile [--since RUN] [--format html|csv|json] [--out PATH] [--reveal]
                                  [--config FILE] [--url URL] [--no-keep]

HTML (default) is one self-contained file (``--out``, default reconcile-<time>.html); CSV
writes one file per table into the folder ``--out``; JSON goes to ``--out`` or standard
output. Personal values are masked unless ``--reveal`` (logged).
"""

from __future__ import annotations

import getpass
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import structlog
import typer

from core.commands.common import console, errors_to_exit, stderr
from core.commands.progress import progress
from core.errors import UsageError
from core.reports.project import project_context
from core.reports.reconcile import ReportOptions, build_report
from core.reports.render import write_csv, write_html, write_json
from core.reports.tables import Report
from core.store import open_store

__all__ = ["current_user"]

log = structlog.get_logger(__name__)


class Format(StrEnum):
    """Report formats."""

    HTML = "html"
    CSV = "csv"
    JSON = "json"


def current_user() -> str | None:
    """The operating-system user running the command (for audit entries), or None."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


def reconcile(
    since: Annotated[str | None, typer.Option("--since", help="Only runs from this run ID on (default: since the last report).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="html (one file), csv (a folder of files) or json.")] = Format.HTML,
    out: Annotated[Path | None, typer.Option("--out", help="File (html, json) or folder (csv) to write.")] = None,
    reveal: Annotated[bool, typer.Option("--reveal", help="Show personal values as stored (masked by default); logged.")] = False,
    keep: Annotated[bool, typer.Option("--keep/--no-keep", help="Keep this report's figures for the next report's drift.")] = True,
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Project file (default: ./contactpoint.yaml when present).")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Database URL (default: the project's, else CONTACTPOINT_DATABASE_URL).")] = None,
) -> None:  # fmt: skip
    """Write the reconciliation report: systems, identity, conflicts, write-back, closed loop of opt-outs, drift."""
    with errors_to_exit():
        if fmt is Format.CSV and out is None:
            msg = "--format csv writes one file per table: give a folder with --out"
            raise UsageError(msg, hint="contactpoint report reconcile --format csv --out report/")
        context = project_context(config, url)
        options = ReportOptions(since_run=since, targets=context.targets, budgets=context.budgets, reveal=reveal,
                                keep=keep)  # fmt: skip
        # json to standard output is the report itself: draw nothing over it
        with (
            progress("building the reconciliation report", quiet=fmt is Format.JSON and out is None),
            open_store(context.url) as store,
            build_report(store, options) as report,
        ):
            if reveal:
                log.warning("report.revealed", user=current_user(), run_id=since)
            target = _write(report, fmt, out)
    if target is not None:
        figures = report.figures
        stderr.print(
            f"report {report.report_id}: {figures['identity']['profiles']} profiles, "
            f"{figures['conflicts']['profiles_with_conflicts']} with conflicts, "
            f"{figures['closed_loop']['not_landed_somewhere']} suppression(s) not landed everywhere, "
            f"{figures['ledger']['opt_outs_not_landed_everywhere']} ledger opt-out(s) not landed everywhere → {target}",
            markup=False,
        )


def _write(report: Report, fmt: Format, out: Path | None) -> Path | None:
    if fmt is Format.CSV:
        assert out is not None
        write_csv(report, out)
        return out
    if fmt is Format.JSON and out is None:
        write_json(report, sys.stdout)
        return None
    path = out or Path(f"reconcile-{report.generated_at[:19].replace(':', '')}.html")
    with path.open("w", encoding="utf-8") as handle:
        (write_json if fmt is Format.JSON else write_html)(report, handle)
    console.print(str(path), markup=False)
    return path
