"""``dxplan check FILE...``: what publishing these files would change, publishing nothing.

The files are read and validated by the same functions as a run (:mod:`dxplan.load`),
on a private copy of the published warehouse in a temporary folder; the published file
is only read. No Prefect flow, no dbt build: a check takes seconds.

For each file it reports what was read (report year, rows, KPIs), every repair the
parser made and every warning or critical failure, each with its page and line (or PDF
cell), and the difference from the report it would replace or follow: the published
version of the same report year (a re-issue), else the latest earlier report year.
The difference is computed in SQL over the staged rows of both loads.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from dxplan import load, publish, stage
from dxplan.discover import source_file
from dxplan.errors import UsageError
from dxplan.i18n import t
from dxplan.models import ParsedReport, ReportRow
from dxplan.settings import Settings

WOULD_PUBLISH, UNCHANGED, REJECTED = "would_publish", "unchanged", "rejected"


@dataclass
class Finding:
    """A repair, warning or critical failure, and where in the file it is."""

    kind: str  # repair | warning | critical
    message: str
    where: str | None = None  # "page 3, line 41" / "page 2, cell r4c12"
    rule: str | None = None


@dataclass
class FileCheck:
    source_path: str
    status: str  # would_publish | unchanged | rejected
    message: str = ""
    report_fiscal_year: int | None = None
    file_format: str | None = None
    rows: int | None = None
    projects: int | None = None
    kpis: int | None = None
    repairs: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    failures: list[Finding] = field(default_factory=list)
    compared_with: dict | None = None  # report_fiscal_year, source_name, why
    changes: dict[str, list[dict]] = field(default_factory=dict)


@dataclass
class CheckReport:
    warehouse: str
    files: list[FileCheck]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(f.status != REJECTED for f in self.files)

    def to_json(self) -> str:
        out = asdict(self)
        out["ok"] = self.ok
        return json.dumps(out, ensure_ascii=False, indent=2, default=str)


# --------------------------------------------------------------------------- locations


def where(row: ReportRow | None) -> str | None:
    """Where a row is printed: PDF cell when the reader recorded one, else page and lines."""
    if row is None:
        return None
    cell = getattr(row, "source_cell", None)
    if cell:
        return t("loc.cell", cell=cell)
    if row.line_start and row.line_end and row.line_end != row.line_start:
        return t("loc.lines", page=row.page_no, start=row.line_start, end=row.line_end)
    if row.line_start:
        return t("loc.line", page=row.page_no, line=row.line_start)
    return t("loc.page", page=row.page_no) if row.page_no else None


def repairs_of(report: ParsedReport) -> list[Finding]:
    rows = {r.source_row_no: r for r in report.rows}
    found = [
        Finding("repair", _repair_text(p), where(r), p.rule)
        for r in report.rows for p in r.repairs
    ]
    found += [
        Finding("repair", f"KPI {k.kpi_no}: " + _repair_text(p), where(rows.get(k.source_row_no)),
                p.rule)
        for k in report.kpis for p in k.repairs
    ]
    return found


def _repair_text(p, limit: int = 60) -> str:
    if p.raw is None and p.value is None:
        return f"{p.field} ({p.rule}): {p.note}"
    text = f"{p.field}: {_short(p.raw, limit)} -> {_short(p.value, limit)} ({p.rule})"
    return f"{text}: {p.note}" if p.note else text


def _short(value: str | None, limit: int) -> str:
    if value is None:
        return "(none)"
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


_ROW_REF = re.compile(r"source_row_no=(\d+)")


def _locate(message: str, report: ParsedReport | None) -> str | None:
    """The page and line of the first row a validation message names."""
    if report is None:
        return None
    m = _ROW_REF.search(message)
    if not m:
        return None
    row = next((r for r in report.rows if r.source_row_no == int(m.group(1))), None)
    return where(row)


# --------------------------------------------------------------------------- the diff (SQL)

def _only_in(table: str, key: str, columns: str, side: str, other: str, where: str = "") -> str:
    """Rows of load ``$side`` whose ``key`` does not occur in load ``$other``."""
    return f"""
        SELECT DISTINCT {columns} FROM staging.{table} x
        WHERE x.load_id = ${side} AND x.{key} IS NOT NULL {where}
          AND x.{key} NOT IN (SELECT {key} FROM staging.{table}
                              WHERE load_id = ${other} AND {key} IS NOT NULL)
        ORDER BY 1"""


_OWN_ROWS = "AND NOT x.is_relisted"

#: each change kind: SQL over two staged loads ($new, $old) -> rows of dicts
CHANGE_QUERIES: dict[str, str] = {
    "projects_added": _only_in("report_rows", "project_no", "project_no, project_name",
                               "new", "old", _OWN_ROWS),
    "projects_dropped": _only_in("report_rows", "project_no", "project_no, project_name",
                                 "old", "new", _OWN_ROWS),
    "kpis_added": _only_in("kpis", "kpi_no", "kpi_no, indicator_name, project_no", "new", "old"),
    "kpis_dropped": _only_in("kpis", "kpi_no", "kpi_no, indicator_name, project_no", "old", "new"),
    "targets_revised": """
        SELECT n.kpi_no, n.fiscal_year,
               o.target_value AS old_value, n.target_value AS new_value,
               o.target_text AS old_text, n.target_text AS new_text
        FROM staging.kpi_targets n
        JOIN staging.kpi_targets o
          ON o.load_id = $old AND o.kpi_no = n.kpi_no AND o.fiscal_year = n.fiscal_year
        WHERE n.load_id = $new
          AND (CASE WHEN o.target_value IS NOT NULL AND n.target_value IS NOT NULL
                    THEN o.target_value <> n.target_value
                         OR o.target_comparator IS DISTINCT FROM n.target_comparator
                    ELSE coalesce(o.target_text, '') <> coalesce(n.target_text, '') END)
        ORDER BY 1, 2""",
    "evaluations_changed": """
        SELECT 'kpi' AS level, n.kpi_no AS number, o.evaluation AS old, n.evaluation AS new
        FROM staging.kpis n JOIN staging.kpis o ON o.load_id = $old AND o.kpi_no = n.kpi_no
        WHERE n.load_id = $new AND o.evaluation IS DISTINCT FROM n.evaluation
        UNION ALL
        SELECT 'project', n.project_no, o.evaluation, n.evaluation
        FROM staging.report_rows n
        JOIN staging.report_rows o
          ON o.load_id = $old AND o.project_no = n.project_no AND NOT o.is_relisted
        WHERE n.load_id = $new AND NOT n.is_relisted AND n.kpi_no IS NULL
          AND o.evaluation IS DISTINCT FROM n.evaluation
        ORDER BY 1, 2""",
}

_BASELINE = """
    SELECT load_id, report_fiscal_year, source_name, 'reissue' AS why
    FROM staging.loads WHERE superseded_by = $new
    UNION ALL
    (SELECT load_id, report_fiscal_year, source_name, 'previous_year'
     FROM staging.loads
     WHERE is_current AND report_fiscal_year < $year AND load_id <> $new
     ORDER BY report_fiscal_year DESC LIMIT 1)
    LIMIT 1
"""


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: dict) -> list[dict]:
    cur = con.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def changes_between(con: duckdb.DuckDBPyConnection, new: str, year: int) -> tuple[dict | None, dict]:
    """``(baseline, changes)`` of the staged load ``new`` of report ``year``."""
    base = _records(con, _BASELINE, {"new": new, "year": year})
    if not base:
        return None, {}
    old = base[0]
    changes = {kind: _records(con, sql, {"new": new, "old": old["load_id"]})
               for kind, sql in CHANGE_QUERIES.items()}
    return {k: old[k] for k in ("report_fiscal_year", "source_name", "why")}, changes


# --------------------------------------------------------------------------- the check


def check_files(paths: list[Path], settings: Settings) -> CheckReport:
    """Read and validate ``paths`` as a run would, against a copy of the published
    warehouse; the published file is only read. Raises :class:`UsageError` for a
    missing warehouse or file."""
    t0 = time.perf_counter()
    if not settings.warehouse.is_file():
        raise UsageError(t("check.no_warehouse", warehouse=settings.warehouse))
    for path in paths:
        if not Path(path).is_file():
            raise UsageError(t("check.no_file", path=path))
    sources = [source_file(Path(p)) for p in paths]
    known = publish.read_published(settings.warehouse).loads
    unchanged, todo = publish.split_published(sources, known)
    checks: dict[str, FileCheck] = {
        str(src.path): FileCheck(str(src.path), UNCHANGED, t("check.unchanged"),
                                 report_fiscal_year=(entry or {}).get("report_fiscal_year"))
        for src, entry in unchanged
    }
    read = load.read_files(todo, known, settings.max_file_bytes)
    with tempfile.TemporaryDirectory(prefix="dxplan-check-") as tmp:
        copy = Path(tmp) / "check.duckdb"
        shutil.copyfile(settings.warehouse, copy)
        con = duckdb.connect(str(copy))
        try:
            stage.ensure_schema(con)
            results = [x.result for x in read]
            if any(x.to_load for x in read):
                from dxplan.validate import Validator

                results = load.stage_and_validate(con, read, Validator(settings.expectations_dir))
            for x, result in zip(read, results, strict=True):
                checks[str(x.source.path)] = (
                    _file_check(con, x.source, result, x.report) if x.to_load
                    else FileCheck(str(x.source.path), REJECTED, result.message))
        finally:
            con.close()
    files = [checks[str(src.path)] for src in sources if str(src.path) in checks]
    return CheckReport(str(settings.warehouse), files, time.perf_counter() - t0)


def _file_check(con, src, result: load.FileResult, report: ParsedReport | None) -> FileCheck:
    status = REJECTED if result.status == load.REJECTED else WOULD_PUBLISH
    check = FileCheck(str(src.path), status, result.message,
                      report_fiscal_year=result.report_fiscal_year,
                      file_format=result.file_format)
    if report is None:  # an earlier version of the year, made current again
        return check
    check.rows = len(report.rows)
    check.projects = len({r.project_no for r in report.rows if r.project_no is not None})
    check.kpis = len(report.kpis)
    check.repairs = repairs_of(report)
    check.warnings = [Finding("warning", w, where=None) for w in report.warnings]
    for severity, details in con.execute(
        "SELECT severity, details FROM audit.validation_results "
        "WHERE load_id = ? AND NOT success ORDER BY severity, suite_name",
        [result.load_id],
    ).fetchall():
        message = (json.loads(details) or {}).get("message", details) if details else ""
        finding = Finding(severity, message, _locate(message, report))
        (check.failures if severity == "critical" else check.warnings).append(finding)
    # the difference: staged already when it passed; staged for the comparison only if not
    con.begin()
    try:
        if status == REJECTED:
            stage.stage_report(con, report, load_id=result.load_id, source_path=str(src.path),
                               source_name=src.name, sha256=src.sha256,
                               loaded_at=result.started_at)
        check.compared_with, check.changes = changes_between(
            con, result.load_id, report.report_fiscal_year)
    except duckdb.Error as exc:
        check.compared_with = {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        con.rollback()
    return check


# --------------------------------------------------------------------------- text output


def render_text(report: CheckReport) -> str:
    lines: list[str] = []
    for f in report.files:
        name = Path(f.source_path).name
        lines.append(t(f"check.status.{f.status}", file=name, year=f.report_fiscal_year or "?"))
        if f.rows is not None:
            lines.append("  " + t("check.read", rows=f.rows, projects=f.projects, kpis=f.kpis,
                                  year=f.report_fiscal_year, format=f.file_format))
        if f.status == REJECTED or (f.message and f.rows is None):
            lines.append("  " + f.message)
        for title, items in (("check.failures", f.failures), ("check.warnings", f.warnings),
                             ("check.repairs", f.repairs)):
            if items:
                lines.append("  " + t(title, n=len(items)))
                lines += [f"    - {_at(i.where)}{i.message}" for i in items]
        lines += _render_changes(f)
    lines.append(t("check.summary", ok=sum(f.status != REJECTED for f in report.files),
                   rejected=sum(f.status == REJECTED for f in report.files),
                   seconds=report.seconds, warehouse=report.warehouse))
    return "\n".join(lines)


def _at(where_: str | None) -> str:
    return f"[{where_}] " if where_ else ""


def _render_changes(f: FileCheck) -> list[str]:
    if f.compared_with is None:
        return ["  " + t("check.no_baseline")] if f.rows is not None else []
    if "error" in f.compared_with:
        return ["  " + t("check.diff_failed", error=f.compared_with["error"])]
    base = f.compared_with
    out = ["  " + t(f"check.compared.{base['why']}", year=base["report_fiscal_year"],
                    file=base["source_name"])]
    c = f.changes
    if not any(c.values()):
        return out + ["    " + t("check.no_changes")]
    for r in c.get("projects_added", []):
        out.append("    + " + t("check.project_added", no=r["project_no"], name=r["project_name"]))
    for r in c.get("projects_dropped", []):
        out.append("    - " + t("check.project_dropped", no=r["project_no"],
                                name=r["project_name"]))
    for r in c.get("kpis_added", []):
        out.append("    + " + t("check.kpi_added", no=r["kpi_no"], name=r["indicator_name"]))
    for r in c.get("kpis_dropped", []):
        out.append("    - " + t("check.kpi_dropped", no=r["kpi_no"], name=r["indicator_name"]))
    for r in c.get("targets_revised", []):
        out.append("    ~ " + t("check.target_revised", no=r["kpi_no"], fy=r["fiscal_year"],
                                old=r["old_text"] or "-", new=r["new_text"] or "-"))
    for r in c.get("evaluations_changed", []):
        out.append("    ~ " + t(f"check.evaluation_changed.{r['level']}", no=r["number"],
                                old=r["old"] or "-", new=r["new"] or "-"))
    return out
