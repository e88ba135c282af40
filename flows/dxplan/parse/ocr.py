"""Parse the OCR'd tab-separated text of a yearly report into a ParsedReport."""

from __future__ import annotations

import re
from datetime import date

from dxplan.columns import text_fields
from dxplan.models import Kpi, ParsedReport, ParseError, Repair, ReportRow
from dxplan.parse.confusables import Vocabulary
from dxplan.parse.confusables import repair as confusable_repair
from dxplan.parse.context import (
    known_organisations,
    resolve_orgs,
    resolve_project_names,
    resolve_project_numbers,
    resolve_relisted,
)
from dxplan.parse.fields import read_kpi_no, read_ref
from dxplan.parse.grouping import Group, group_rows
from dxplan.parse.kpis import build_kpis
from dxplan.parse.layout import (
    Page,
    classify,
    is_title,
    locate_columns,
    printed_optional,
    split_pages,
    target_years,
)
from dxplan.parse.marks import parse_mark
from dxplan.parse.plan_items import resolve_plan
from dxplan.parse.realign import check_kpi_numbers, realign_pages
from dxplan.parse.rules import Rules
from dxplan.parse.text import apply_fixes, basic, clean, nospace

WAREKI = {"令和": 2018, "平成": 1988}


def resolve_rows(rules: Rules, rows: list[ReportRow], groups: list[Group]) -> None:
    """What every reader of the table does once its rows are read (OCR text and PDF):
    project numbers, 再掲 references, plan items, organisations, project names."""
    resolve_project_numbers(rows)
    resolve_relisted(rows)
    resolve_plan(rules, rows, groups)
    resolve_orgs(rules, rows, groups)
    resolve_project_names(rows)


def parse_ocr_text(rules: Rules, text: str, encoding: str) -> ParsedReport:
    """The OCR'd tab-separated text of a report: pages, columns, rows, KPIs."""
    pages = split_pages(text)
    if not pages:
        raise ParseError("no table found: the file has no tab-separated lines")
    for p in pages:
        classify(rules, p)
    titled = [p for p in pages if p.header]
    if not titled:
        raise ParseError(
            "not a DX progress report: no page header (title …取組一覧 and column names "
            "事業/分野/項目/担当/KPI) was found"
        )
    title, fiscal_year = _title_and_year(rules, pages)
    as_of = _as_of(rules, pages)
    years = target_years(rules, pages)
    warnings: list[str] = []
    if not years:
        years = [fiscal_year - 2018 - 1 + k for k in range(4)]
        warnings.append("target years not found in the header; assumed R(N-1)..R(N+2)")
    absent = rules.layout.optional - printed_optional(rules, pages)
    for p in pages:
        locate_columns(rules, p, len(years), absent)
    _check_truncated(pages)
    realign_pages(rules, pages)
    last_cell = basic(rules, pages[-1].data[-1].cells[-1]) if pages[-1].data else ""
    if last_cell and not last_cell.endswith(("。", ".", ")", "」", "』")):
        warnings.append(
            "the last row's status text does not end a sentence; the file may be truncated"
        )
    groups = group_rows(rules, pages, len(years))
    if not groups:
        raise ParseError("the report has page headers but no data rows")
    rows = [row_fields(rules, i, g) for i, g in enumerate(groups, 1)]
    resolve_rows(rules, rows, groups)
    fy = [2018 + y for y in years]
    kpis = build_kpis(rules, rows, groups, fy, as_of, fiscal_year)
    check_kpi_numbers(rows, kpis)
    resolve_confusables(rules, rows, kpis)
    return ParsedReport(
        report_fiscal_year=fiscal_year,
        as_of=as_of,
        title=title,
        file_format="ocr_text",
        encoding=encoding,
        rows=rows,
        kpis=kpis,
        warnings=warnings,
    )


def report_vocabulary(
    rules: Rules, rows: list[ReportRow], kpis: list[Kpi] | None = None
) -> Vocabulary:
    """The words the report prints: free texts, names, organisations (file and rules)."""
    names: list[str | None] = []
    for r in rows:
        names += [r.project_name, r.item_name, *r.departments, *r.divisions]
    names += [k.indicator_name for k in kpis or []]
    names += known_organisations(rules)
    texts = [t for r in rows for t in (r.summary, r.target_text, r.status_text)]
    return Vocabulary(texts, names)


def resolve_confusables(rules: Rules, rows: list[ReportRow], kpis: list[Kpi]) -> None:
    """Look-alike characters misread in names, checked against the report's own words."""
    vocab = report_vocabulary(rules, rows, kpis)
    for r in rows:
        r.project_name = confusable_repair(rules, r.project_name, "project_name", vocab, r.repairs)
        r.item_name = confusable_repair(rules, r.item_name, "item_name", vocab, r.repairs)
    for k in kpis:
        k.indicator_name = confusable_repair(
            rules, k.indicator_name, "kpi.indicator_name", vocab, k.repairs
        )


def _title_and_year(rules: Rules, pages: list[Page]) -> tuple[str | None, int]:
    found: list[tuple[str, int]] = []
    for p in pages:
        for ln in p.header:
            if not is_title(rules, ln):
                continue
            parts = [apply_fixes(rules, basic(rules, c))[0] for c in ln.cells if c.strip()]
            joined = " ".join(parts)
            m = re.search(r"(令和|平成)\s*(\d{1,2})\s*年度", joined)
            if not m:
                continue
            year = WAREKI[m.group(1)] + int(m.group(2))
            end = joined.find("取組一覧")
            title = joined[: end + 4] if end >= 0 else joined
            found.append((title, year))
    if not found:
        raise ParseError("no report year: the title line (令和N年度 … 取組一覧) is missing")
    years = [y for _, y in found]
    year = max(set(years), key=years.count)
    titles = [t for t, y in found if y == year and "取組一覧" in t]
    title = max(titles, key=lambda t: (titles.count(t), -len(t))) if titles else found[0][0]
    return title, year


ASOF = re.compile(r"R\s*(\d{1,2})\s*[.．]\s*(\d{1,2})\s*[.．]\s*(\d{1,2})\s*時点")
ASOF_JP = re.compile(r"令和\s*(\d{1,2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*時点")


def as_of_date(s: str) -> date | None:
    """The as-of date a normalised header text prints (``※R6.3.31時点``,
    ``令和6年3月31日時点``), or None (none, or not a date)."""
    m = ASOF.search(s) or ASOF_JP.search(s)
    if not m:
        return None
    try:
        return date(2018 + int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _as_of(rules: Rules, pages: list[Page]) -> date | None:
    lines = (ln for p in pages for ln in [*p.header, *([p.fused] if p.fused else [])])
    dates = (as_of_date(basic(rules, " ".join(ln.cells))) for ln in lines)
    return next((d for d in dates if d is not None), None)


def _check_truncated(pages: list[Page]) -> None:
    last_page = pages[-1]
    if not last_page.data:
        raise ParseError(f"the report is truncated: page {last_page.no} has a header but no rows")
    last = last_page.data[-1]
    if len(last.cells) < last_page.width - 3:
        raise ParseError(
            f"the report is truncated: its last line (line {last.no}) has "
            f"{len(last.cells)} of {last_page.width} cells"
        )


def row_fields(rules: Rules, i: int, g: Group) -> ReportRow:
    """The fields of table row ``i`` that its own cells give (cross-row repairs follow)."""
    rc = g.cells
    repairs: list[Repair] = []
    if rc.stripped:
        repairs.append(
            Repair(
                "header",
                None,
                None,
                "header_stripped",
                "page header fused into this row removed: " + ", ".join(rc.stripped),
            )
        )
    if g.note:
        repairs.append(Repair("row", None, None, "lines_merged", g.note))
    for ln in rc.lines:
        if ln.realigned:
            repairs.append(Repair("row", None, None, "row_realigned", ln.realigned))
    t = rc.text
    project_raw = t.get("project", "")
    project_txt, ref, ref_printed = read_ref(rules, project_raw, join_spaced=True)
    is_relisted = g.kind == "relisted" or (g.kind is None and ref is not None)
    project_no = g.no if g.kind == "number" else (ref if is_relisted else None)
    if ref_printed and is_relisted and not re.search(r"No\s*\d", ref_printed):
        repairs.append(
            Repair(
                "project_no", ref_printed, str(ref), "ocr_fix", "garbled ※再掲:No reference read"
            )
        )
    kpi_no, kpi_rel, kpi_note = read_kpi_no(rules, t.get("kpi_no", ""))
    if kpi_note and nospace(t.get("kpi_no", "")) not in ("番号",):
        repairs.append(Repair("kpi_no", t.get("kpi_no"), None, "junk_dropped", kpi_note))
    _, kref, _ = read_ref(rules, t.get("kpi_name", ""))
    if kref is not None:
        kpi_rel = True
        kpi_no = kref
    ev_text, ev, ev_note = parse_mark(rules, t.get("eval"))
    if ev_note:
        repairs.append(Repair("evaluation", t.get("eval"), ev_text, "mark_read", ev_note))
    lines = rc.lines
    row = ReportRow(
        source_row_no=i,
        page_no=rc.page_no,
        line_start=lines[0].no,
        line_end=lines[-1].no,
        is_relisted=is_relisted,
        project_no=project_no,
        pillar=None,
        area_no=None,
        area_name=None,
        item_no=None,
        item_name=None,
        project_name=clean(rules, project_txt, "project_name", repairs),
        # summary, target_text, status_text: the fields that name their report column
        **{name: clean(rules, t.get(role), name, repairs)
           for name, role in text_fields(ReportRow)},
        kpi_no=kpi_no,
        kpi_is_relisted=kpi_rel,
        evaluation_text=ev_text,
        evaluation=ev,
        raw_text="\n".join(ln.raw for ln in lines),
        repairs=repairs,
    )
    return row
