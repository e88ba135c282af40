"""Canonical template from the warehouse: the current load of a report year as CSV/XLSX.

The DX division can take last year's report out of the warehouse in the canonical
format (docs/CANONICAL_FORMAT.md), correct or extend it by hand, and drop it into
``raw/`` as next year's file. Ingesting the written file gives identical marts.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from dxplan import schema
from dxplan.models import Kpi, KpiTarget, ParsedReport, ReportRow


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
    tables = schema.BY_NAME
    for r in schema.fetch(con, tables["report_rows"], load_id, "source_row_no"):
        report.rows.append(schema.record_from(ReportRow, r))
    targets: dict[int, list[KpiTarget]] = {}
    for t in schema.fetch(con, tables["kpi_targets"], load_id, "kpi_no, fiscal_year"):
        targets.setdefault(t["kpi_no"], []).append(schema.record_from(KpiTarget, t))
    for k in schema.fetch(con, tables["kpis"], load_id, "kpi_no"):
        report.kpis.append(schema.record_from(Kpi, k, targets=targets.get(k["kpi_no"], [])))
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
