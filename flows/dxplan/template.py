"""Canonical template from the warehouse: the current load of a report year as CSV/XLSX.

The DX division can take last year's report out of the warehouse in the canonical
format (docs/CANONICAL_FORMAT.md), correct or extend it by hand, and drop it into
``raw/`` as next year's file. Ingesting the written file gives identical marts.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from dxplan.models import Kpi, KpiTarget, ParsedReport, Repair, ReportRow


def _repairs(text: str | None) -> list[Repair]:
    return [Repair(**r) for r in json.loads(text)] if text else []


def _split(text: str | None) -> list[str]:
    return text.split("|") if text else []


def report_from_warehouse(con: duckdb.DuckDBPyConnection, report_fiscal_year: int) -> ParsedReport:
    """Rebuild the ParsedReport of the current load of ``report_fiscal_year``."""
    load = con.execute(
        "SELECT load_id, as_of_date, title, file_format, encoding FROM staging.loads "
        "WHERE report_fiscal_year = ? AND is_current",
        [report_fiscal_year],
    ).fetchone()
    if load is None:
        years = [r[0] for r in con.execute(
            "SELECT DISTINCT report_fiscal_year FROM staging.loads WHERE is_current ORDER BY 1"
        ).fetchall()]
        raise LookupError(f"no published report for {report_fiscal_year}; published: {years}")
    load_id, as_of, title, file_format, encoding = load
    report = ParsedReport(report_fiscal_year=report_fiscal_year, as_of=as_of, title=title,
                          file_format=file_format, encoding=encoding or "utf-8")
    rows = con.execute(
        "SELECT source_row_no, page_no, line_start, line_end, is_relisted, project_no, pillar, "
        "area_no, area_name, item_no, item_name, department, division, project_name, summary, "
        "target_text, kpi_no, kpi_is_relisted, evaluation_text, evaluation, status_text, "
        "raw_text, repairs_json FROM staging.report_rows WHERE load_id = ? ORDER BY source_row_no",
        [load_id],
    ).fetchall()
    for r in rows:
        report.rows.append(ReportRow(
            source_row_no=r[0], page_no=r[1], line_start=r[2], line_end=r[3], is_relisted=r[4],
            project_no=r[5], pillar=r[6], area_no=r[7], area_name=r[8], item_no=r[9],
            item_name=r[10], departments=_split(r[11]), divisions=_split(r[12]),
            project_name=r[13], summary=r[14], target_text=r[15], kpi_no=r[16],
            kpi_is_relisted=r[17], evaluation_text=r[18], evaluation=r[19], status_text=r[20],
            raw_text=r[21] or "", repairs=_repairs(r[22]),
        ))
    targets: dict[int, list[KpiTarget]] = {}
    for kpi_no, year, text, value, comparator in con.execute(
        "SELECT kpi_no, fiscal_year, target_text, target_value, target_comparator "
        "FROM staging.kpi_targets WHERE load_id = ? ORDER BY kpi_no, fiscal_year", [load_id]
    ).fetchall():
        targets.setdefault(kpi_no, []).append(KpiTarget(year, text, value, comparator))
    for k in con.execute(
        "SELECT kpi_no, source_row_no, project_no, indicator_name, unit, direction, baseline_text, "
        "baseline_value, baseline_comparator, actual_text, actual_value, actual_comparator, "
        "actual_as_of, evaluation_text, evaluation, repairs_json FROM staging.kpis "
        "WHERE load_id = ? ORDER BY kpi_no", [load_id]
    ).fetchall():
        report.kpis.append(Kpi(
            kpi_no=k[0], source_row_no=k[1], project_no=k[2], indicator_name=k[3], unit=k[4],
            direction=k[5], baseline_text=k[6], baseline_value=k[7], baseline_comparator=k[8],
            targets=targets.get(k[0], []), actual_text=k[9], actual_value=k[10],
            actual_comparator=k[11], actual_as_of=k[12], evaluation_text=k[13],
            evaluation=k[14], repairs=_repairs(k[15]),
        ))
    return report


def write_template(warehouse: Path, report_fiscal_year: int, out: Path, fmt: str) -> Path:
    """Write the canonical CSV or XLSX of a published report year to ``out``."""
    from dxplan.parse import canonical

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        report = report_from_warehouse(con, report_fiscal_year)
    finally:
        con.close()
    data = canonical.write_xlsx(report) if fmt == "xlsx" else canonical.write_csv(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    return out
