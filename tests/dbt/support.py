"""Support for the dbt tests: staged sample reports and in-process dbt builds.

dbt runs in this process exactly as the pipeline runs it
(``dbtRunner().invoke(["build", "--project-dir", P, "--profiles-dir", P,
"--target-path", <tmp>, "--log-path", <tmp>])``), against a DuckDB file staged
with :func:`dxplan.stage.stage_report` from hand-made :class:`ParsedReport`
objects. The builds are session-scoped: one per scenario per test session.

The sample reports (two report years, the first re-issued once) hold, on purpose:
a 再掲 row that names its project, a 再掲 row that only repeats the project's name,
a KPI shared by two projects (KPI 再掲), a KPI 再掲 without a number, a decrease
KPI, a 以上 target, an ほぼ actual, a missing actual, a zero target, a project with
two departments/divisions, a target revised by the later report, a project and a
KPI dropped by the later report, a new project and a new target year.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from dxplan.models import Kpi, KpiTarget, ParsedReport, Repair, ReportRow
from dxplan.stage import stage_report

from tests.helpers import query  # noqa: F401 - read-only query, as a BI tool would

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO_ROOT / "dbt_project"
SEED_FILE = REPO_ROOT / "raw" / "fukushima_dx_torikumi_R05_FY2023.txt"

for _name, _value in {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
}.items():
    os.environ.setdefault(_name, _value)


# --------------------------------------------------------------------------- dbt


@dataclass
class DbtRun:
    """One in-process dbt invocation against one warehouse file."""

    db_path: Path
    target_path: Path
    success: bool
    seconds: float
    result: Any  # dbtRunnerResult
    exception: BaseException | None

    def failures(self) -> list[str]:
        """Names and messages of nodes that errored or failed."""
        out: list[str] = []
        results = getattr(self.result, "results", None) or []
        for r in results:
            status = str(getattr(r, "status", ""))
            if status.lower() in {"error", "fail", "runtime error"}:
                out.append(f"{r.node.unique_id}: {status}: {getattr(r, 'message', '')}")
        return out

    def statuses(self) -> dict[str, str]:
        results = getattr(self.result, "results", None) or []
        return {r.node.unique_id: str(r.status) for r in results}


def run_dbt(command: list[str], db_path: Path, work_dir: Path) -> DbtRun:
    """Invoke dbt in-process like the pipeline does, with target/log paths in work_dir."""
    from dbt.cli.main import dbtRunner

    target_path = work_dir / "target"
    log_path = work_dir / "logs"
    args = [
        *command,
        "--project-dir",
        str(DBT_PROJECT),
        "--profiles-dir",
        str(DBT_PROJECT),
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
        "--quiet",
    ]
    from dxplan.transform import release_duckdb

    old = os.environ.get("DXPLAN_DBT_DB")
    os.environ["DXPLAN_DBT_DB"] = str(db_path)
    started = time.perf_counter()
    try:
        res = dbtRunner().invoke(args)
    finally:
        release_duckdb()
        if old is None:
            os.environ.pop("DXPLAN_DBT_DB", None)
        else:
            os.environ["DXPLAN_DBT_DB"] = old
    return DbtRun(
        db_path=db_path,
        target_path=target_path,
        success=bool(res.success),
        seconds=time.perf_counter() - started,
        result=res.result,
        exception=res.exception,
    )


def query_dicts(db_path: Path, sql: str, params: list[Any] | None = None) -> list[dict]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


# ------------------------------------------------------------------ sample data

PLAN = {
    ("I", 1, "1"): ("まず始めに実施すべき取組", "職員の意識改革と行動変容"),
    ("I", 1, "2"): ("まず始めに実施すべき取組", "業務の棚卸し(可視化)とBPR"),
    ("I", 4, "5"): ("1~3の取組を支える基盤整備", "オフィス改革"),
    ("II", 1, "5"): ("市町村支援・連携", "フロントヤード改革の推進"),
    ("II", 1, "計画"): ("市町村支援・連携", "計画"),
    ("II", 2, None): ("市町村支援・連携", None),
}


SAMPLE_REPORTS = Path(__file__).with_name("sample_reports.json")


def _repairs(items: list[list[str]], value_of: Callable[[str], str | None]) -> list[Repair]:
    """Repairs from ``[field, raw, rule, note]``; the repaired value is the field's value."""
    return [Repair(f, raw, value_of(f), rule, note) for f, raw, rule, note in items]


def _row(
    no: int,
    project_no: int | None,
    plan: list[Any],
    name: str,
    *,
    departments: list[str],
    divisions: list[str],
    relisted: bool = False,
    kpi_no: int | None = None,
    kpi_relisted: bool = False,
    evaluation: str | None = None,
    status: str | None = None,
    repairs: list[list[str]] | None = None,
) -> ReportRow:
    pillar, area_no, item_no = plan
    area_name, item_name = PLAN[(pillar, area_no, item_no)]
    marks = {"達成": "○(達成)", "一部達成": "△(一部達成)", "未達成": "×(未達成)"}
    return ReportRow(
        source_row_no=no,
        page_no=1 + (no - 1) // 4,
        line_start=no + 3,
        line_end=no + 3,
        is_relisted=relisted,
        project_no=project_no,
        pillar=pillar,
        area_no=area_no,
        area_name=area_name,
        item_no=item_no,
        item_name=item_name,
        departments=departments,
        divisions=divisions,
        project_name=name,
        summary=f"{name}の概要",
        target_text=f"{name}の目標",
        kpi_no=kpi_no,
        kpi_is_relisted=kpi_relisted,
        evaluation_text=marks.get(evaluation or "", "-"),
        evaluation=evaluation,
        status_text=status or f"{name}を実施した。",
        raw_text=f"row {no}",
        repairs=_repairs(repairs or [], lambda field: {"project_name": name}[field]),
    )


def _kpi(spec: dict[str, Any]) -> Kpi:
    spec = dict(spec)
    targets = [
        KpiTarget(fiscal_year=y, text=t, value=v, comparator=c)
        for y, t, v, c in spec.pop("targets")
    ]
    texts = {f"kpi.target_{t.fiscal_year}": t.text for t in targets}
    as_of = spec.pop("actual_as_of", None)
    repairs = _repairs(spec.pop("repairs", []), texts.__getitem__)
    return Kpi(
        **spec,
        targets=targets,
        actual_as_of=date.fromisoformat(as_of) if as_of else None,
        repairs=repairs,
    )


def _report(year: int, *, first_issue: bool = False) -> ParsedReport:
    """A sample report from sample_reports.json; ``first_issue``: as first printed, before
    the corrections that the report's ``first_issue`` entry undoes."""
    spec = json.loads(SAMPLE_REPORTS.read_text(encoding="utf-8"))[str(year)]
    changes = spec.get("first_issue", {}) if first_issue else {}
    rows = [{**r, **changes.get("rows", {}).get(str(r["no"]), {})} for r in spec["rows"]]
    kpis = []
    for k in spec["kpis"]:
        revised = changes.get("targets", {}).get(str(k["kpi_no"]), {})
        targets = [
            [y, *revised[str(y)]] if str(y) in revised else [y, *t] for y, *t in k["targets"]
        ]
        kpis.append({**k, "targets": targets})
    return ParsedReport(
        report_fiscal_year=year,
        as_of=date.fromisoformat(spec["as_of"]),
        title=spec["title"],
        file_format="ocr_text",
        encoding="utf-8",
        rows=[_row(**r) for r in rows],
        kpis=[_kpi(k) for k in kpis],
    )


def report_2023(*, version: int = 2) -> ParsedReport:
    """令和5年度 report (actuals as of R6.3.31). Version 1 is the first issue, later corrected."""
    return _report(2023, first_issue=version == 1)


def report_2024() -> ParsedReport:
    """令和6年度 report: project 6 and KPI 5 dropped, project 8 new, targets revised."""
    return _report(2024)


@dataclass
class StagedLoad:
    report: ParsedReport
    load_id: str
    source_name: str
    loaded_at: datetime


def sample_loads(*, later_by_days: int = 0) -> list[StagedLoad]:
    """The sample publication history: 2023 first issue, 2023 correction, 2024.

    ``later_by_days`` shifts every load time, as loading the same files into a
    fresh warehouse on another day would.
    """
    d = later_by_days
    return [
        StagedLoad(
            report_2023(version=1),
            "2023-v1",
            "torikumi_R05_v1.txt",
            datetime(2024, 6, 1) + timedelta(days=d),
        ),
        StagedLoad(
            report_2023(version=2),
            "2023-v2",
            "torikumi_R05.txt",
            datetime(2024, 7, 1) + timedelta(days=d),
        ),
        StagedLoad(
            report_2024(), "2024", "torikumi_R06.txt", datetime(2025, 6, 1) + timedelta(days=d)
        ),
    ]


def repeated_loads(*, later_by_days: int) -> list[StagedLoad]:
    """The current files of every report year loaded once more, as new loads.

    The pipeline itself skips a file whose sha256 is already published; this is
    what a second load of the same content (e.g. a re-saved copy) looks like.
    """
    return [
        StagedLoad(
            load.report,
            f"again-{load.load_id}",
            load.source_name,
            load.loaded_at + timedelta(days=later_by_days),
        )
        for load in sample_loads()
        if load.load_id != "2023-v1"
    ]


def stage_loads(db_path: Path, loads: list[StagedLoad]) -> None:
    con = duckdb.connect(str(db_path))
    try:
        for load in loads:
            digest = hashlib.sha256(repr(load.report).encode("utf-8")).hexdigest()
            con.execute("BEGIN")
            stage_report(
                con,
                load.report,
                load_id=load.load_id,
                source_path=f"raw/{load.source_name}",
                source_name=load.source_name,
                sha256=digest,
                loaded_at=load.loaded_at,
            )
            con.execute(
                "INSERT INTO audit.load_log VALUES (?, ?, ?, ?, ?, ?, 'published', ?, ?, ?, NULL)",
                [
                    load.load_id,
                    f"run-{load.load_id}",
                    f"raw/{load.source_name}",
                    digest,
                    load.report.report_fiscal_year,
                    load.report.file_format,
                    len(load.report.rows),
                    load.loaded_at,
                    load.loaded_at,
                ],
            )
            con.execute("COMMIT")
    finally:
        con.close()
