"""Typed records that flow between the pipeline stages.

The parser (``dxplan.parse``) turns one yearly file into a :class:`ParsedReport`;
``dxplan.stage`` writes it to the ``staging`` schema (one table per record type,
see ``STAGING_COLUMNS``); dbt reads only those tables.

Conventions (see ``docs/CONTRACT.md``):
- fiscal years are Gregorian start years (令和5年度 = 2023);
- every parsed number keeps its printed text beside it (``*_text``);
- qualifiers go to a comparator, never into the number: one of COMPARATORS;
- ``evaluation`` is the report's word: 達成 / 一部達成 / 未達成 or None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

#: comparator values for a number printed with a qualifier (以上, 以下, ほぼ ...)
COMPARATORS = ("at_least", "at_most", "approximately", "more_than", "less_than")
EVALUATIONS = {"達成": "achieved", "一部達成": "partially_achieved", "未達成": "not_achieved"}
DIRECTIONS = ("increase", "decrease", "maintain")
FILE_FORMATS = ("ocr_text", "canonical_csv", "canonical_xlsx", "report_pdf")


@dataclass
class Repair:
    """One repair or guess the parser made, kept per row for analysts."""

    field: str  # e.g. "project_no", "kpi.target_2024", "division"
    raw: str | None  # the text as printed (OCR'd)
    value: str | None  # what the parser decided
    rule: str  # short machine name of the rule, e.g. "ocr_fix", "number_rebuilt"
    note: str = ""  # human explanation


@dataclass
class ReportRow:
    """One table row of a report: a numbered project, or a 再掲 row re-listing one."""

    source_row_no: int  # 1-based order of the table row within the report
    page_no: int  # 1-based page of the report
    line_start: int  # 1-based physical line numbers in the source file
    line_end: int
    is_relisted: bool  # 再掲 row
    project_no: int | None  # 事業番号; for 再掲 rows the project re-listed
    pillar: str | None  # "I" or "II"
    area_no: int | None
    area_name: str | None
    item_no: str | None  # "1".."10", "計画", or None
    item_name: str | None
    departments: list[str] = field(default_factory=list)  # 部, printed order
    divisions: list[str] = field(default_factory=list)  # 課, printed order
    project_name: str | None = None
    summary: str | None = None
    target_text: str | None = None
    kpi_no: int | None = None  # KPI number on this row (own or re-listed)
    kpi_is_relisted: bool = False  # KPI column says 再掲
    evaluation_text: str | None = None  # normalised mark as printed, e.g. "○(達成)", "-"
    evaluation: str | None = None  # 達成 / 一部達成 / 未達成 / None
    status_text: str | None = None
    raw_text: str = ""  # the raw source line(s) of this row, unmodified
    repairs: list[Repair] = field(default_factory=list)
    # a PDF row's place on its page: "p3 r5" (page 3, grid row 5); None for text files
    source_cell: str | None = None


@dataclass
class KpiTarget:
    fiscal_year: int
    text: str | None
    value: float | None
    comparator: str | None = None


@dataclass
class Kpi:
    """One numbered KPI as defined on its (non-再掲) row of a report."""

    kpi_no: int
    source_row_no: int  # the row that defines it
    project_no: int | None
    indicator_name: str | None
    unit: str | None
    direction: str  # one of DIRECTIONS
    baseline_text: str | None
    baseline_value: float | None
    baseline_comparator: str | None = None
    targets: list[KpiTarget] = field(default_factory=list)
    actual_text: str | None = None
    actual_value: float | None = None
    actual_comparator: str | None = None
    actual_as_of: date | None = None
    evaluation_text: str | None = None
    evaluation: str | None = None
    repairs: list[Repair] = field(default_factory=list)


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


class ParseError(ValueError):
    """The input is not a yearly report this parser understands (message says why)."""
