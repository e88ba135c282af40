"""ParsedReport builders for the validation tests (reports made in code, no parser)."""

from __future__ import annotations

from datetime import date

from dxplan.models import Kpi, KpiTarget, ParsedReport, ReportRow

REPORT_YEAR = 2023
PLAN_YEARS = (2022, 2023, 2024, 2025)


def make_row(no: int, project_no: int | None, **kw) -> ReportRow:
    values = dict(
        source_row_no=no,
        page_no=1 + (no - 1) // 10,
        line_start=2 * no,
        line_end=2 * no + 1,
        is_relisted=False,
        project_no=project_no,
        pillar="I",
        area_no=1,
        area_name="まず始めに実施すべき取組",
        item_no="1",
        item_name="職員の意識改革と行動変容",
        departments=["総務部"],
        divisions=["行政経営課"],
        project_name=f"事業{project_no}",
        summary="概要",
        target_text="目標",
        evaluation_text="-",
        evaluation=None,
        status_text="取組状況",
        raw_text=f"{project_no}\t…",
    )
    values.update(kw)
    return ReportRow(**values)


def make_kpi(
    kpi_no: int,
    row: int,
    project_no: int,
    *,
    unit: str = "件",
    targets: tuple[float, ...] = (10, 20, 30, 40),
    actual: float | None = 25,
    evaluation: str | None = "達成",
    direction: str = "increase",
    **kw,
) -> Kpi:
    values = dict(
        kpi_no=kpi_no,
        source_row_no=row,
        project_no=project_no,
        indicator_name=f"指標{kpi_no}",
        unit=unit,
        direction=direction,
        baseline_text="0",
        baseline_value=0.0,
        targets=[
            KpiTarget(fiscal_year=y, text=f"{v:g}{unit}", value=float(v))
            for y, v in zip(PLAN_YEARS, targets, strict=True)
        ],
        actual_text=None if actual is None else f"{actual:g}{unit}",
        actual_value=actual,
        actual_as_of=date(2024, 3, 31),
        evaluation_text={"達成": "○(達成)", "一部達成": "△(一部達成)", "未達成": "×(未達成)"}.get(
            evaluation or "", "-"
        ),
        evaluation=evaluation,
    )
    values.update(kw)
    return Kpi(**values)


def valid_report() -> ParsedReport:
    """6 rows: projects 1..4 (two with KPIs), a 再掲 row re-listing project 2 and its KPI,
    and a 再掲 row re-listing project 3."""
    rows = [
        make_row(1, 1),
        make_row(2, 2, kpi_no=1, evaluation_text="○(達成)", evaluation="達成"),
        make_row(
            3,
            3,
            item_no="2",
            departments=["総務部", "企画調整部"],
            divisions=["行政経営課", "デジタル変革課"],
        ),
        make_row(
            4,
            4,
            pillar="II",
            area_no=1,
            item_no="計画",
            kpi_no=2,
            evaluation_text="△(一部達成)",
            evaluation="一部達成",
        ),
        make_row(
            5,
            2,
            is_relisted=True,
            pillar="II",
            kpi_no=1,
            kpi_is_relisted=True,
            evaluation_text="○(達成)",
            evaluation="達成",
        ),
        make_row(6, 3, is_relisted=True, pillar="II", item_no="3"),
    ]
    kpis = [
        make_kpi(1, 2, 2, targets=(10, 20, 30, 40), actual=25, evaluation="達成"),
        make_kpi(2, 4, 4, unit="%", targets=(50, 60, 70, 80), actual=43.1, evaluation="一部達成"),
    ]
    return ParsedReport(
        report_fiscal_year=REPORT_YEAR,
        as_of=date(2024, 3, 31),
        title="令和5年度関連事業 取組一覧",
        file_format="ocr_text",
        encoding="utf-8",
        rows=rows,
        kpis=kpis,
    )


def big_report(n_rows: int = 65, n_kpis: int = 19) -> ParsedReport:
    """A valid report shaped like the seed: n_rows rows, every third carrying a KPI,
    the last rows 再掲."""
    rows: list[ReportRow] = []
    kpis: list[Kpi] = []
    n_relisted = 12
    for no in range(1, n_rows + 1):
        if no > n_rows - n_relisted:
            rows.append(make_row(no, no - (n_rows - n_relisted), is_relisted=True, pillar="II"))
            continue
        kw = {}
        if no % 3 == 0 and len(kpis) < n_kpis:
            k = len(kpis) + 1
            kpis.append(make_kpi(k, no, no))
            kw = dict(kpi_no=k, evaluation_text="○(達成)", evaluation="達成")
        rows.append(make_row(no, no, **kw))
    return ParsedReport(
        REPORT_YEAR, date(2024, 3, 31), "取組一覧", "ocr_text", "utf-8", rows=rows, kpis=kpis
    )
