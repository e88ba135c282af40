"""What the dashboard shows, read from the published warehouse: SELECTs from ``marts`` only.

Every rule (department scorecard, year and evaluation labels, which values the parser
repaired, which evaluations disagree with their numbers) lives in a dbt mart; this module
only reads the rows into typed records. The tables read here are exactly the ones the dbt
exposure ``kpi_progress_dashboard`` lists (dbt_project/models/exposures.yml).

A missing warehouse, one without the marts or one with empty marts (the first build)
gives ``DashboardData.problem`` and no reports, never an error.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

#: the marts the dashboard reads (all of them must exist)
REQUIRED_TABLES = {
    "mart_kpi_progress",
    "fct_kpi_yearly",
    "dim_kpi",
    "dim_initiative",
    "dim_plan_item",
    "dim_fiscal_year",
    "dim_evaluation",
    "bridge_initiative_plan_item",
    "mart_department_scorecard",
    "mart_kpi_evaluation_check",
    "mart_kpi_value_trust",
}


@dataclass
class ValueRepair:
    """One repair of a KPI value (a row of ``marts.mart_kpi_value_trust``)."""

    value_role: str  # baseline | target | actual | evaluation | indicator_name | kpi_no | other
    target_fiscal_year: int | None
    field_name: str
    raw_text: str | None
    repaired_value: str | None
    rule_name: str
    repair_kind: str  # repaired | inferred | dropped
    note: str | None
    source_name: str | None
    page_no: int | None
    line_start: int | None
    line_end: int | None
    source_cell: str | None = None  # PDF: page and table row, e.g. 'p3 r12'


@dataclass
class EvaluationCheck:
    """The printed evaluation against the numbers (``marts.mart_kpi_evaluation_check``)."""

    target_met: bool | None
    evaluation_agrees: bool | None
    disagreement: str | None
    disagreement_note: str | None


@dataclass
class KpiStatus:
    """One KPI in one report (a row of ``marts.mart_kpi_progress`` plus owners and trust)."""

    kpi_no: int
    indicator_name: str
    unit: str | None
    direction: str | None
    baseline_value: float | None
    target_value: float | None
    actual_value: float | None
    achievement_rate: float | None
    evaluation_code: str | None
    final_fiscal_year: int | None
    final_target_value: float | None
    progress_to_final: float | None
    target_text: str | None = None
    target_comparator: str | None = None
    actual_text: str | None = None
    project_no: int | None = None
    departments: list[str] = field(default_factory=list)
    repairs: list[ValueRepair] = field(default_factory=list)
    check: EvaluationCheck | None = None

    @property
    def project_nos(self) -> list[int]:
        return [] if self.project_no is None else [self.project_no]

    def repairs_of(self, role: str, fiscal_year: int | None = None) -> list[ValueRepair]:
        return [
            r
            for r in self.repairs
            if r.value_role == role and (fiscal_year is None or r.target_fiscal_year == fiscal_year)
        ]

    @property
    def disagrees(self) -> bool:
        return bool(self.check and self.check.disagreement)


@dataclass
class PlanRow:
    """One table row of a report: an initiative under a plan item (再掲 included)."""

    pillar: str | None
    area_no: int | None
    area_name: str | None
    item_no: str | None
    item_name: str | None
    project_no: int | None
    project_name: str | None
    is_relisted: bool


@dataclass
class KpiYear:
    kpi_no: int
    fiscal_year: int
    report_fiscal_year: int
    target_value: float | None
    actual_value: float | None
    evaluation_code: str | None


@dataclass
class DeptScore:
    """One department in one report (a row of ``marts.mart_department_scorecard``)."""

    name: str
    rank: int
    projects: list[int]
    kpis: list[int]
    behind_kpis: list[int]
    counts: dict[str | None, int]  # evaluation_code (None: not evaluated) -> KPIs
    mean_rate: float | None

    def count(self, code: str | None) -> int:
        return self.counts.get(code, 0)

    @property
    def behind(self) -> int:
        return len(self.behind_kpis)


@dataclass
class Evaluation:
    """An evaluation and its label (``marts.dim_evaluation``); code None = not evaluated."""

    code: str | None
    label: str


@dataclass
class DashboardData:
    reports: list[int] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)  # fiscal year -> 令和5年度
    short_labels: dict[int, str] = field(default_factory=dict)  # fiscal year -> R5
    evaluations: list[Evaluation] = field(default_factory=list)  # in display order
    as_of: dict[int, str] = field(default_factory=dict)  # report year -> actuals as of
    kpis: dict[int, list[KpiStatus]] = field(default_factory=dict)  # report year -> KPIs
    rows: dict[int, list[PlanRow]] = field(default_factory=dict)  # report year -> rows
    scorecards: dict[int, list[DeptScore]] = field(default_factory=dict)  # report year -> ranked
    yearly: list[KpiYear] = field(default_factory=list)
    kpi_names: dict[int, tuple[str, str | None, float | None]] = field(default_factory=dict)
    loads: list[dict] = field(default_factory=list)
    problem: str | None = None  # why there is nothing to show

    @property
    def empty(self) -> bool:
        return not self.reports

    def label(self, code: str | None) -> str:
        return next((e.label for e in self.evaluations if e.code == code), code or "")


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    return {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "AND table_catalog = current_database()",
            [schema],
        ).fetchall()
    }


def _dicts(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def load_data(warehouse: Path) -> DashboardData:
    data = DashboardData()
    if not Path(warehouse).exists():
        data.problem = "データベースファイル(dxplan.duckdb)がまだありません。"
        return data
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        if "load_log" in _tables(con, "audit"):
            data.loads = _load_log(con)
        missing = REQUIRED_TABLES - _tables(con, "marts")
        if missing:
            data.problem = (
                "集計テーブル(スキーマ marts)がまだ作成されていません"
                f"(不足: {', '.join(sorted(missing))})。dbt build の実行が必要です。"
            )
            return data
        _load_marts(con, data)
        if data.empty:
            data.problem = "公表済みの報告書がまだありません。"
    finally:
        con.close()
    return data


def _load_log(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The latest load log row of each file (what the last run did with it)."""
    return _dicts(
        con,
        """
        SELECT source_path, report_fiscal_year, status, finished_at, message
        FROM audit.load_log
        QUALIFY row_number() OVER (PARTITION BY source_path ORDER BY finished_at DESC) = 1
        ORDER BY report_fiscal_year NULLS LAST, source_path
        """,
    )


def _load_marts(con: duckdb.DuckDBPyConnection, data: DashboardData) -> None:
    data.reports = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT report_fiscal_year FROM marts.mart_kpi_progress "
            "UNION SELECT DISTINCT report_fiscal_year FROM marts.bridge_initiative_plan_item "
            "ORDER BY 1"
        ).fetchall()
        if r[0] is not None
    ]
    if not data.reports:
        return
    for fy, label, short in con.execute(
        "SELECT fiscal_year, wareki_label, wareki_short_label FROM marts.dim_fiscal_year"
    ).fetchall():
        data.labels[fy], data.short_labels[fy] = label, short
    data.evaluations = [
        Evaluation(code, label)
        for code, label in con.execute(
            "SELECT evaluation_code, label_ja FROM marts.dim_evaluation ORDER BY sort_order"
        ).fetchall()
    ]
    data.as_of = {
        y: str(d)
        for y, d in con.execute(
            "SELECT report_fiscal_year, max(actual_as_of) FROM marts.fct_kpi_yearly "
            "GROUP BY ALL HAVING max(actual_as_of) IS NOT NULL"
        ).fetchall()
    }
    _load_scorecards(con, data)
    _load_kpis(con, data)
    for r in _dicts(
        con,
        """
        SELECT b.report_fiscal_year, p.pillar, p.area_no, p.area_name, p.item_no, p.item_name,
               i.project_no, i.project_name, coalesce(b.is_relisted, false) AS is_relisted
        FROM marts.bridge_initiative_plan_item b
        JOIN marts.dim_plan_item p USING (plan_item_key)
        JOIN marts.dim_initiative i USING (initiative_key)
        ORDER BY b.report_fiscal_year, b.source_row_no
        """,
    ):
        data.rows.setdefault(r.pop("report_fiscal_year"), []).append(PlanRow(**r))
    data.yearly = [
        KpiYear(*row)
        for row in con.execute(
            """
        SELECT kpi_no, fiscal_year, report_fiscal_year, target_value, actual_value, evaluation_code
        FROM marts.fct_kpi_yearly WHERE fiscal_year IS NOT NULL
        ORDER BY kpi_no, report_fiscal_year, fiscal_year
            """
        ).fetchall()
    ]
    data.kpi_names = {
        n: (name, unit, base)
        for n, name, unit, base in con.execute(
            "SELECT kpi_no, indicator_name, unit, baseline_value FROM marts.dim_kpi"
        ).fetchall()
    }


def _load_scorecards(con: duckdb.DuckDBPyConnection, data: DashboardData) -> None:
    for r in _dicts(
        con,
        """
        SELECT report_fiscal_year, department, scorecard_rank, project_nos, kpi_nos,
               behind_kpi_nos, achieved_count, partially_achieved_count, not_achieved_count,
               not_evaluated_count, mean_achievement_rate
        FROM marts.mart_department_scorecard ORDER BY report_fiscal_year, scorecard_rank
        """,
    ):
        data.scorecards.setdefault(r["report_fiscal_year"], []).append(
            DeptScore(
                name=r["department"],
                rank=r["scorecard_rank"],
                projects=list(r["project_nos"]),
                kpis=list(r["kpi_nos"]),
                behind_kpis=list(r["behind_kpi_nos"]),
                counts={
                    "achieved": r["achieved_count"],
                    "partially_achieved": r["partially_achieved_count"],
                    "not_achieved": r["not_achieved_count"],
                    None: r["not_evaluated_count"],
                },
                mean_rate=r["mean_achievement_rate"],
            )
        )


def _load_kpis(con: duckdb.DuckDBPyConnection, data: DashboardData) -> None:
    owners: dict[tuple[int, int], list[str]] = defaultdict(list)
    for year, scores in data.scorecards.items():
        for s in scores:
            for kpi_no in s.kpis:
                owners[(year, kpi_no)].append(s.name)
    repairs: dict[tuple[int, int], list[ValueRepair]] = defaultdict(list)
    for r in _dicts(
        con,
        """
        SELECT report_fiscal_year, kpi_no, value_role, target_fiscal_year, field_name, raw_text,
               repaired_value, rule_name, repair_kind, note, source_name, page_no, line_start,
               line_end, source_cell
        FROM marts.mart_kpi_value_trust ORDER BY report_fiscal_year, kpi_no, source_row_no
        """,
    ):
        key = (r.pop("report_fiscal_year"), r.pop("kpi_no"))
        repairs[key].append(ValueRepair(**r))
    checks = {
        (r.pop("report_fiscal_year"), r.pop("kpi_no")): EvaluationCheck(**r)
        for r in _dicts(
            con,
            """
            SELECT report_fiscal_year, kpi_no, target_met, evaluation_agrees, disagreement,
                   disagreement_note
            FROM marts.mart_kpi_evaluation_check
            """,
        )
    }
    for r in _dicts(
        con,
        """
        SELECT report_fiscal_year, kpi_no, indicator_name, unit, direction, baseline_value,
               target_value, actual_value, achievement_rate, evaluation_code, final_fiscal_year,
               final_target_value, progress_to_final, target_text, target_comparator,
               actual_text, project_no
        FROM marts.mart_kpi_progress ORDER BY report_fiscal_year, kpi_no
        """,
    ):
        year = r.pop("report_fiscal_year")
        key = (year, r["kpi_no"])
        kpi = KpiStatus(
            **r,
            departments=owners.get(key, []),
            repairs=repairs.get(key, []),
            check=checks.get(key),
        )
        data.kpis.setdefault(year, []).append(kpi)
