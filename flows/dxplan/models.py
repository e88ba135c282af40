"""Typed records that flow between the pipeline stages.

The parser (``dxplan.parse``) turns one yearly file into a :class:`ParsedReport`;
``dxplan.stage`` writes it to the ``staging`` schema (one table per record type,
see ``dxplan.schema.TABLES``); dbt reads only those tables.

Every field of a staged record declares its column once, in ``col(...)`` metadata
(``dxplan.columns``): type, NULL or not, meaning, canonical-file header. The staging
DDL, the inserts, the structure suite and the canonical file's columns follow from it
(docs/CONTRIBUTING.md: adding a column).

Conventions (see ``docs/CONTRACT.md``):
- fiscal years are Gregorian start years (令和5年度 = 2023);
- every parsed number keeps its printed text beside it (``*_text``);
- qualifiers go to a comparator, never into the number: one of COMPARATORS;
- ``evaluation`` is the report's word: 達成 / 一部達成 / 未達成 or None.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime

from dxplan.columns import CHILDREN, JOINED, REPAIRS, col

#: comparator values for a number printed with a qualifier (以上, 以下, ほぼ ...)
COMPARATORS = ("at_least", "at_most", "approximately", "more_than", "less_than")
EVALUATIONS = {"達成": "achieved", "一部達成": "partially_achieved", "未達成": "not_achieved"}
DIRECTIONS = ("increase", "decrease", "maintain")
FILE_FORMATS = ("ocr_text", "canonical_csv", "canonical_xlsx", "report_pdf")


@dataclass
class Repair:
    """One repair or guess the parser made, kept per row for analysts."""

    field: str = dataclasses.field(  # e.g. "project_no", "kpi.target_2024", "division"
        metadata=col("VARCHAR", "the repaired field", nullable=False)
    )
    raw: str | None = dataclasses.field(metadata=col("VARCHAR", "the text as printed (OCR'd)"))
    value: str | None = dataclasses.field(metadata=col("VARCHAR", "what the parser decided"))
    rule: str = dataclasses.field(  # short machine name of the rule, e.g. "ocr_fix", "number_rebuilt"
        metadata=col("VARCHAR", "the rule that repaired it", nullable=False)
    )
    note: str = dataclasses.field(default="", metadata=col("VARCHAR", "human explanation"))


@dataclass
class ReportRow:
    """One table row of a report: a numbered project, or a 再掲 row re-listing one."""

    source_row_no: int = field(metadata=col(
        "INTEGER", "1-based order of the table row within the report",
        nullable=False, required=True,
    ))
    page_no: int = field(metadata=col("INTEGER", "1-based page of the report", empty=0))
    line_start: int = field(metadata=col(
        "INTEGER", "first physical line (1-based) of the row in the source file", empty=0
    ))
    line_end: int = field(metadata=col(
        "INTEGER", "last physical line (1-based) of the row in the source file", empty=0
    ))
    is_relisted: bool = field(metadata=col("BOOLEAN", "a 再掲 row", nullable=False))
    project_no: int | None = field(metadata=col(
        "INTEGER", "事業番号; for 再掲 rows the project re-listed"
    ))
    pillar: str | None = field(metadata=col("VARCHAR", "柱: I or II"))
    area_no: int | None = field(metadata=col("INTEGER", "分野 number"))
    area_name: str | None = field(metadata=col("VARCHAR", "分野 name"))
    item_no: str | None = field(metadata=col("VARCHAR", "項目 number: 1..10, 計画, or NULL"))
    item_name: str | None = field(metadata=col("VARCHAR", "項目 name"))
    departments: list[str] = field(default_factory=list, metadata=col(
        "VARCHAR", "担当部, several joined with '|' in printed order",
        name="department", kind=JOINED,
    ))
    divisions: list[str] = field(default_factory=list, metadata=col(
        "VARCHAR", "担当課, several joined with '|' in printed order",
        name="division", kind=JOINED,
    ))
    project_name: str | None = field(default=None, metadata=col("VARCHAR", "事業名又は取組名"))
    summary: str | None = field(default=None, metadata=col(
        "VARCHAR", "事業概要又は取組内容", role="summary"
    ))
    target_text: str | None = field(default=None, metadata=col(
        "VARCHAR", "指標(KPI)又は目標", role="target"
    ))
    kpi_no: int | None = field(default=None, metadata=col(
        "INTEGER", "KPI number on this row (own or re-listed)"
    ))
    kpi_is_relisted: bool = field(default=False, metadata=col(
        "BOOLEAN", "the KPI column says 再掲", nullable=False
    ))
    evaluation_text: str | None = field(default=None, metadata=col(
        "VARCHAR", "normalised mark as printed, e.g. ○(達成), -"
    ))
    evaluation: str | None = field(default=None, metadata=col(
        "VARCHAR", "達成 / 一部達成 / 未達成 / NULL", choices=EVALUATIONS
    ))
    status_text: str | None = field(default=None, metadata=col(
        "VARCHAR", "取組状況", role="status"
    ))
    raw_text: str = field(default="", metadata=col(
        "VARCHAR", "the raw source line(s) of this row, unmodified", empty=""
    ))
    repairs: list[Repair] = field(default_factory=list, metadata=col(
        "VARCHAR", "repairs and guesses the parser made on this row", kind=REPAIRS
    ))
    source_cell: str | None = field(default=None, metadata=col(
        "VARCHAR", "a PDF row's place on its page: 'p3 r5' (page 3, grid row 5); "
        "NULL for text files", canonical=None,
    ))


@dataclass
class KpiTarget:
    fiscal_year: int = field(metadata=col(
        "INTEGER", "the fiscal year of the target", nullable=False
    ))
    text: str | None = field(metadata=col(
        "VARCHAR", "the target as printed", name="target_text"
    ))
    value: float | None = field(metadata=col(
        "DOUBLE", "the target as a number", name="target_value"
    ))
    comparator: str | None = field(default=None, metadata=col(
        "VARCHAR", "qualifier of the target", name="target_comparator", choices=COMPARATORS
    ))


@dataclass
class Kpi:
    """One numbered KPI as defined on its (non-再掲) row of a report."""

    kpi_no: int = field(metadata=col(
        "INTEGER", "KPI number", nullable=False, canonical=None
    ))
    source_row_no: int = field(metadata=col(
        "INTEGER", "the row that defines the KPI", canonical=None
    ))
    project_no: int | None = field(metadata=col(
        "INTEGER", "事業番号 of the defining row", canonical="kpi_project_no"
    ))
    indicator_name: str | None = field(metadata=col("VARCHAR", "指標名"))
    unit: str | None = field(metadata=col("VARCHAR", "unit of every value of the KPI"))
    direction: str = field(metadata=col(
        "VARCHAR", "increase, decrease or maintain", choices=DIRECTIONS, empty="increase"
    ))
    baseline_text: str | None = field(metadata=col("VARCHAR", "基準値 as printed"))
    baseline_value: float | None = field(metadata=col("DOUBLE", "基準値 as a number"))
    baseline_comparator: str | None = field(default=None, metadata=col(
        "VARCHAR", "qualifier of the baseline", choices=COMPARATORS
    ))
    targets: list[KpiTarget] = field(default_factory=list, metadata=col(
        None, "目標値 per fiscal year (staging.kpi_targets)", kind=CHILDREN
    ))
    actual_text: str | None = field(default=None, metadata=col("VARCHAR", "実績値 as printed"))
    actual_value: float | None = field(default=None, metadata=col(
        "DOUBLE", "実績値 as a number"
    ))
    actual_comparator: str | None = field(default=None, metadata=col(
        "VARCHAR", "qualifier of the actual", choices=COMPARATORS
    ))
    actual_as_of: date | None = field(default=None, metadata=col(
        "DATE", "the date the actual was measured"
    ))
    evaluation_text: str | None = field(default=None, metadata=col(
        "VARCHAR", "normalised mark as printed", canonical="kpi_evaluation_text"
    ))
    evaluation: str | None = field(default=None, metadata=col(
        "VARCHAR", "達成 / 一部達成 / 未達成 / NULL", canonical="kpi_evaluation",
        choices=EVALUATIONS,
    ))
    repairs: list[Repair] = field(default_factory=list, metadata=col(
        "VARCHAR", "repairs and guesses the parser made on this KPI", canonical="kpi_repairs",
        kind=REPAIRS,
    ))


@dataclass
class ParsedReport:
    report_fiscal_year: int
    as_of: date | None  # ※R6.3.31時点 -> 2024-03-31
    title: str | None
    file_format: str  # one of FILE_FORMATS
    encoding: str
    rows: list[ReportRow] = field(default_factory=list)
    kpis: list[Kpi] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Load:
    """One staged file (one version of one report year): the lineage of its rows."""

    load_id: str = field(metadata=col("VARCHAR", "the load", nullable=False))
    source_path: str = field(metadata=col("VARCHAR", "the file's path", nullable=False))
    source_name: str = field(metadata=col("VARCHAR", "the file's name", nullable=False))
    sha256: str = field(metadata=col("VARCHAR", "SHA-256 of the file's bytes", nullable=False))
    file_format: str = field(metadata=col(
        "VARCHAR", "one of " + ", ".join(FILE_FORMATS), nullable=False
    ))
    encoding: str | None = field(metadata=col("VARCHAR", "the text encoding read"))
    report_fiscal_year: int = field(metadata=col(
        "INTEGER", "the year whose actuals the report reports", nullable=False
    ))
    as_of_date: date | None = field(metadata=col("DATE", "※…時点: the date of the actuals"))
    title: str | None = field(metadata=col("VARCHAR", "the report's title"))
    row_count: int | None = field(metadata=col("INTEGER", "table rows staged"))
    kpi_count: int | None = field(metadata=col("INTEGER", "KPIs staged"))
    loaded_at: datetime = field(metadata=col("TIMESTAMP", "when it was staged", nullable=False))
    is_current: bool = field(default=True, metadata=col(
        "BOOLEAN", "the published version of its report year", nullable=False
    ))
    superseded_by: str | None = field(default=None, metadata=col(
        "VARCHAR", "the load that replaced it"
    ))
    superseded_at: datetime | None = field(default=None, metadata=col(
        "TIMESTAMP", "when it was replaced"
    ))


class ParseError(ValueError):
    """The input is not a yearly report this parser understands (message says why)."""
