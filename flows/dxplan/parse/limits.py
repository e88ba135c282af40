"""Limits a parsed report must keep, whatever its format (hostile or damaged input).

A cell of a real report holds at most a few hundred characters (a row's raw text a few
thousand). A longer one is damage or an attack: it could not even be shown in a spreadsheet
(Excel keeps at most 32,767 characters per cell) and would bloat every output. The file is
rejected with a message naming the row and the column, so nothing half-shown gets published.
"""

from __future__ import annotations

from dataclasses import fields

from dxplan.models import ParsedReport, ParseError

#: most characters in one text cell (Excel's own limit per cell)
MAX_CELL_CHARS = 32_767
#: most table rows in one yearly report (the seed has about 150)
MAX_ROWS = 20_000


def _too_long(obj: object) -> tuple[str, str] | None:
    for f in fields(obj):  # type: ignore[arg-type]
        v = getattr(obj, f.name)
        texts = v if isinstance(v, list) else [v]
        for t in texts:
            if isinstance(t, str) and len(t) > MAX_CELL_CHARS:
                return f.name, t
    return None


def check_limits(report: ParsedReport, source_name: str) -> ParsedReport:
    """``report`` unchanged, or ParseError when a cell or the row count is over its limit."""
    if len(report.rows) > MAX_ROWS:
        raise ParseError(
            f"{source_name}: {len(report.rows)} table rows, more than a report can have "
            f"({MAX_ROWS}); damaged or not a yearly report"
        )
    if report.title and len(report.title) > MAX_CELL_CHARS:
        raise ParseError(f"{source_name}: the title has {len(report.title)} characters")
    for label, items in (("row", report.rows), ("KPI", report.kpis)):
        for item in items:
            hit = _too_long(item)
            if hit is None:
                for t in getattr(item, "targets", []):
                    hit = _too_long(t)
                    if hit:
                        hit = (f"target_{t.fiscal_year}", hit[1])
                        break
            if hit:
                no = item.source_row_no if label == "row" else item.kpi_no
                raise ParseError(
                    f"{source_name}: {label} {no}, column {hit[0]}: {len(hit[1])} characters "
                    f"(starting {hit[1][:30]!r}), more than a cell may hold ({MAX_CELL_CHARS}); "
                    "the file is rejected"
                )
    return report
