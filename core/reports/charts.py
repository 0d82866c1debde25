"""The report's charts, drawn by pygal as inline SVG (no script, no fonts or files fetched when viewed).

profiles_by_systems(table)   bars: how many profiles span 1, 2, 3, 4 systems
parked_reasons(table)        horizontal bars: the most frequent reasons records were parked
writes_over_runs(table)      lines: records written per system, run after run
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pygal
from pygal.style import Style

from core.reports.tables import Table

__all__ = ["parked_reasons", "profiles_by_systems", "writes_over_runs"]

_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
_STYLE = Style(
    background="transparent", plot_background="#ffffff", foreground="#1d232a", foreground_strong="#1d232a",
    foreground_subtle="#5c6670", font_family="system-ui, sans-serif", label_font_size=12, major_label_font_size=12,
    legend_font_size=12, title_font_size=14, colors=("#1d3557", "#e63946", "#2a9d8f", "#f4a261", "#6c757d", "#8338ec"),
)  # fmt: skip


def _svg(chart: Any) -> str:
    """The chart as an inline ``<svg>`` without pygal's tooltip script (nothing to run, nothing to fetch)."""
    text: str = chart.render(is_unicode=True)
    return _SCRIPT.sub("", text)


def _config(**extra: Any) -> dict[str, Any]:
    return {"js": [], "disable_xml_declaration": True, "style": _STYLE, "width": 560, "height": 300,
            "show_legend": False, "print_values": True, "no_data_text": "nothing yet", **extra}  # fmt: skip


def profiles_by_systems(table: Table) -> str:
    """Bars: profiles by the number of systems they span."""
    rows = list(table.rows())
    chart = pygal.Bar(**_config(title="Profiles by systems spanned", x_title="systems"))
    chart.x_labels = [str(n) for n, _ in rows]
    chart.add("profiles", [count for _, count in rows])
    return _svg(chart)


def parked_reasons(table: Table, *, top: int = 8) -> str:
    """Horizontal bars: the most frequent open parked reasons (system, code and field)."""
    rows = sorted(table.rows(), key=lambda r: -int(r[4]))[:top]
    chart = pygal.HorizontalBar(**_config(title="Parked records: top reasons"))
    chart.x_labels = [f"{r[0]}: {r[2]}{' ' + r[3] if r[3] else ''}" for r in reversed(rows)]
    chart.add("records", [int(r[4]) for r in reversed(rows)])
    return _svg(chart)


def writes_over_runs(table: Table) -> str:
    """Lines: records written per system in each run (runs in time order)."""
    runs: dict[str, str] = {}
    written: dict[str, dict[str, int]] = defaultdict(dict)
    for run_id, started, system, count, _, _ in table.rows():
        runs[run_id] = started[:16].replace("T", " ")
        written[system][run_id] = int(count)
    order = sorted(runs, key=lambda r: (runs[r], r))
    chart = pygal.Line(**_config(title="Records written per system, by run", show_legend=True, print_values=False,
                                 x_label_rotation=20, show_minor_x_labels=len(order) <= 12))  # fmt: skip
    chart.x_labels = [runs[r] for r in order]
    for system in sorted(written):
        chart.add(system, [written[system].get(r, 0) for r in order])
    return _svg(chart)
