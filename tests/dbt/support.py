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
import os
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from dxplan.models import Kpi, KpiTarget, ParsedReport, Repair, ReportRow
from dxplan.stage import stage_report

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


def query(db_path: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    """Run one read-only query against a built warehouse (as a BI tool would)."""
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


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


def _row(
    no: int,
    project_no: int | None,
    plan: tuple[str, int, str | None],
    name: str,
    *,
    departments: list[str],
    divisions: list[str],
    relisted: bool = False,
    kpi_no: int | None = None,
    kpi_relisted: bool = False,
    evaluation: str | None = None,
    status: str | None = None,
    repairs: list[Repair] | None = None,
) -> ReportRow:
    area_name, item_name = PLAN[plan]
    marks = {"達成": "○(達成)", "一部達成": "△(一部達成)", "未達成": "×(未達成)"}
    return ReportRow(
        source_row_no=no,
        page_no=1 + (no - 1) // 4,
        line_start=no + 3,
        line_end=no + 3,
        is_relisted=relisted,
        project_no=project_no,
        pillar=plan[0],
        area_no=plan[1],
        area_name=area_name,
        item_no=plan[2],
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
        repairs=repairs or [],
    )


def _targets(*items: tuple[int, str, float | None, str | None]) -> list[KpiTarget]:
    return [KpiTarget(fiscal_year=y, text=t, value=v, comparator=c) for y, t, v, c in items]


def report_2023(*, version: int = 2) -> ParsedReport:
    """令和5年度 report (actuals as of R6.3.31). Version 1 is the first issue, later corrected."""
    p2_name = "BPR推進事業(旧)" if version == 1 else "BPR推進事業"
    kpi1_2025 = ("9", 9.0, None) if version == 1 else ("10", 10.0, None)
    rows = [
        _row(1, 1, ("I", 1, "1"), "職員研修事業", departments=["総務部"], divisions=["職員研修課"]),
        _row(
            2,
            2,
            ("I", 1, "2"),
            p2_name,
            departments=["総務部"],
            divisions=["行政経営課"],
            kpi_no=1,
            evaluation="達成",
            repairs=[Repair("project_name", "BPR推進事集", p2_name, "ocr_fix", "集→業")],
        ),
        _row(
            3,
            3,
            ("I", 4, "5"),
            "ペーパーレス化推進事業",
            departments=["総務部", "企画調整部"],
            divisions=["総務課", "デジタル変革課"],
            kpi_no=2,
            evaluation="達成",
        ),
        _row(
            4,
            4,
            ("II", 1, "5"),
            "行政手続オンライン化事業",
            departments=["企画調整部"],
            divisions=["デジタル変革課"],
            kpi_no=3,
            evaluation="一部達成",
        ),
        _row(
            5,
            5,
            ("II", 1, "計画"),
            "ICTアドバイザー派遣事業",
            departments=["企画調整部"],
            divisions=["デジタル変革課", "情報政策課"],
            kpi_no=4,
        ),
        _row(
            6,
            6,
            ("II", 2, None),
            "システム安定運用事業",
            departments=["生活環境部"],
            divisions=["環境共生課"],
            kpi_no=5,
            evaluation="未達成",
        ),
        _row(
            7,
            7,
            ("II", 1, "5"),
            "電子申請共同化事業",
            departments=["企画調整部"],
            divisions=["デジタル変革課"],
            kpi_no=3,
            kpi_relisted=True,
        ),
        # 再掲 row naming the project it re-lists, showing that project's KPI
        _row(
            8,
            3,
            ("I", 1, "2"),
            "ペーパーレス化推進事業 ※再掲:No3",
            departments=["総務部", "企画調整部"],
            divisions=["総務課", "デジタル変革課"],
            relisted=True,
            kpi_no=2,
            kpi_relisted=True,
            evaluation="達成",
        ),
        # 再掲 row whose number the parser could not read: resolved by name;
        # its KPI column says 再掲 without a number: resolved to the project's KPI
        _row(
            9,
            None,
            ("I", 4, "5"),
            "ICTアドバイザー派遣事業 ※再掲:No?",
            departments=["企画調整部"],
            divisions=["デジタル変革課", "情報政策課"],
            relisted=True,
            kpi_relisted=True,
        ),
    ]
    kpis = [
        Kpi(
            kpi_no=1,
            source_row_no=2,
            project_no=2,
            indicator_name="BPR実施業務数",
            unit="業務",
            direction="increase",
            baseline_text="0",
            baseline_value=0.0,
            targets=_targets(
                (2022, "8", 8.0, None),
                (2023, "8", 8.0, None),
                (2024, "8", 8.0, None),
                (2025, *kpi1_2025),
            ),
            actual_text="10",
            actual_value=10.0,
            evaluation_text="○(達成)",
            evaluation="達成",
            repairs=[Repair("kpi.target_2025", "1O", kpi1_2025[0], "number_rebuilt", "O→0")],
        ),
        Kpi(
            kpi_no=2,
            source_row_no=3,
            project_no=3,
            indicator_name="コピー用紙購入枚数",
            unit="百万枚",
            direction="decrease",
            baseline_text="50",
            baseline_value=50.0,
            targets=_targets(
                (2023, "45", 45.0, None), (2024, "40", 40.0, None), (2025, "30", 30.0, None)
            ),
            actual_text="36",
            actual_value=36.0,
            evaluation_text="○(達成)",
            evaluation="達成",
        ),
        Kpi(
            kpi_no=3,
            source_row_no=4,
            project_no=4,
            indicator_name="行政手続オンライン利用率",
            unit="%",
            direction="increase",
            baseline_text="40.5%",
            baseline_value=40.5,
            targets=_targets(
                (2023, "50%以上", 50.0, "at_least"),
                (2024, "60%以上", 60.0, "at_least"),
                (2025, "67.4%", 67.4, None),
            ),
            actual_text="ほぼ48%",
            actual_value=48.0,
            actual_comparator="approximately",
            actual_as_of=date(2024, 3, 31),
            evaluation_text="△(一部達成)",
            evaluation="一部達成",
        ),
        Kpi(
            kpi_no=4,
            source_row_no=5,
            project_no=5,
            indicator_name="アドバイザー派遣市町村数",
            unit="団体",
            direction="increase",
            baseline_text="10",
            baseline_value=10.0,
            targets=_targets((2023, "15", 15.0, None), (2025, "20", 20.0, None)),
            actual_text=None,
            actual_value=None,
            evaluation_text="-",
            evaluation=None,
        ),
        Kpi(
            kpi_no=5,
            source_row_no=6,
            project_no=6,
            indicator_name="システム障害件数",
            unit="件",
            direction="decrease",
            baseline_text="3",
            baseline_value=3.0,
            targets=_targets(
                (2023, "0", 0.0, None), (2024, "0", 0.0, None), (2025, "0", 0.0, None)
            ),
            actual_text="1",
            actual_value=1.0,
            evaluation_text="×(未達成)",
            evaluation="未達成",
        ),
    ]
    return ParsedReport(
        report_fiscal_year=2023,
        as_of=date(2024, 3, 31),
        title="令和5年度 デジタル変革(DX)推進基本方針及びデジタル化推進計画関連事業 取組一覧",
        file_format="ocr_text",
        encoding="utf-8",
        rows=rows,
        kpis=kpis,
    )


def report_2024() -> ParsedReport:
    """令和6年度 report: project 6 and KPI 5 dropped, project 8 new, targets revised."""
    rows = [
        _row(1, 1, ("I", 1, "1"), "職員研修事業", departments=["総務部"], divisions=["職員研修課"]),
        _row(
            2, 8, ("I", 1, "1"), "管理職研修事業", departments=["総務部"], divisions=["職員研修課"]
        ),
        _row(
            3,
            2,
            ("I", 1, "2"),
            "BPR推進事業",
            departments=["総務部"],
            divisions=["行政経営課"],
            kpi_no=1,
            evaluation="達成",
        ),
        _row(
            4,
            3,
            ("I", 4, "5"),
            "ペーパーレス推進事業",
            departments=["総務部", "企画調整部"],
            divisions=["総務課", "デジタル変革課"],
            kpi_no=2,
            evaluation="未達成",
        ),
        _row(
            5,
            4,
            ("II", 1, "5"),
            "行政手続オンライン化事業",
            departments=["企画調整部"],
            divisions=["デジタル変革課"],
            kpi_no=3,
            evaluation="達成",
        ),
        _row(
            6,
            5,
            ("II", 1, "計画"),
            "ICTアドバイザー派遣事業",
            departments=["企画調整部"],
            divisions=["デジタル変革課", "情報政策課"],
            kpi_no=4,
            evaluation="未達成",
        ),
        _row(
            7,
            7,
            ("II", 1, "5"),
            "電子申請共同化事業",
            departments=["企画調整部"],
            divisions=["デジタル変革課"],
            kpi_no=3,
            kpi_relisted=True,
        ),
        _row(
            8,
            3,
            ("I", 1, "2"),
            "ペーパーレス推進事業 ※再掲:No3",
            departments=["総務部", "企画調整部"],
            divisions=["総務課", "デジタル変革課"],
            relisted=True,
            kpi_no=2,
            kpi_relisted=True,
            evaluation="未達成",
        ),
    ]
    kpis = [
        Kpi(
            kpi_no=1,
            source_row_no=3,
            project_no=2,
            indicator_name="BPR実施業務数",
            unit="業務",
            direction="increase",
            baseline_text="0",
            baseline_value=0.0,
            targets=_targets(
                (2023, "8", 8.0, None), (2024, "8", 8.0, None), (2025, "12", 12.0, None)
            ),
            actual_text="9",
            actual_value=9.0,
            evaluation_text="○(達成)",
            evaluation="達成",
        ),
        Kpi(
            kpi_no=2,
            source_row_no=4,
            project_no=3,
            indicator_name="コピー用紙購入枚数",
            unit="百万枚",
            direction="decrease",
            baseline_text="50",
            baseline_value=50.0,
            targets=_targets((2024, "40", 40.0, None), (2025, "30", 30.0, None)),
            actual_text="41",
            actual_value=41.0,
            evaluation_text="×(未達成)",
            evaluation="未達成",
        ),
        Kpi(
            kpi_no=3,
            source_row_no=5,
            project_no=4,
            indicator_name="行政手続オンライン利用率",
            unit="%",
            direction="increase",
            baseline_text="40.5%",
            baseline_value=40.5,
            targets=_targets(
                (2024, "60%以上", 60.0, "at_least"),
                (2025, "67.4%", 67.4, None),
                (2026, "70%", 70.0, None),
            ),
            actual_text="61%",
            actual_value=61.0,
            evaluation_text="○(達成)",
            evaluation="達成",
        ),
        Kpi(
            kpi_no=4,
            source_row_no=6,
            project_no=5,
            indicator_name="アドバイザー派遣市町村数",
            unit="団体",
            direction="increase",
            baseline_text="10",
            baseline_value=10.0,
            targets=_targets((2024, "18", 18.0, None), (2025, "20", 20.0, None)),
            actual_text="16",
            actual_value=16.0,
            evaluation_text="×(未達成)",
            evaluation="未達成",
        ),
    ]
    return ParsedReport(
        report_fiscal_year=2024,
        as_of=date(2025, 3, 31),
        title="令和6年度 デジタル変革(DX)推進基本方針及びデジタル化推進計画関連事業 取組一覧",
        file_format="ocr_text",
        encoding="utf-8",
        rows=rows,
        kpis=kpis,
    )


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
