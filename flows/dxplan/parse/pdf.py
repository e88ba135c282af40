"""Read the report PDF (with a text layer) into a ParsedReport.

The prefecture publishes each yearly 取組一覧 as a PDF printed from a spreadsheet: a ruled
table, the header repeated on every page. ``pdfgrid`` gives each page's grid of cells and
their text, ``pdf_columns`` which column is which (from the header words of the page);
here the data rows become the same per-role cells the OCR reader builds
(:class:`dxplan.parse.cells.RowCells`), and from there the report goes through the same
helpers as the OCR text: row fields, project numbers, 再掲 references, plan items,
organisations, project names, KPI blocks, look-alike repairs, all driven by the rules files.

Lineage: ``page_no`` is the PDF page; ``line_start``/``line_end`` are the row's grid row
(1-based, header rows included) on that page; ``source_cell`` is ``p<page> r<row>`` (a row
continued on the next page: ``p3 r12-p4 r3``), and a value from a merged cell names the cell
as ``p<page> r<first>-r<last> c<column>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from dxplan.models import ParsedReport, ParseError, Repair, ReportRow
from dxplan.parse.cells import RowCells
from dxplan.parse.fields import read_item_no, read_no_cell, read_ref
from dxplan.parse.grouping import Group
from dxplan.parse.kpis import build_kpis
from dxplan.parse.layout import Line
from dxplan.parse.ocr import WAREKI, as_of_date, resolve_confusables, resolve_rows, row_fields
from dxplan.parse.pdf_columns import ColumnMap, column_map
from dxplan.parse.pdfgrid import Cell, PageGrid, read_pdf
from dxplan.parse.rules import Rules
from dxplan.parse.text import basic, longest_first, nospace

#: KPI cells: merged over several rows, they are the KPI of the first row, re-listed below
_KPI_ROLES = ("kpi_no", "kpi_name", "baseline", "actual")


def is_pdf(data: bytes) -> bool:
    """A PDF: ``%PDF-`` at the start (readers allow a few junk bytes before it)."""
    at = data.find(b"%PDF-", 0, 1024)
    return at == 0 or (at > 0 and b"\n" not in data[:at])


@dataclass
class _Row:
    """One table row of the PDF being assembled: per-role text, numeric zone, lineage."""

    page: int
    grid_row: int  # 1-based row of the page's grid
    raw: list[list[str]]  # the cells as printed, per grid row
    text: dict[str, str] = field(default_factory=dict)
    zone: dict[str, str] = field(default_factory=dict)  # baseline, t0..tN, actual
    span_of: int | None = None  # index of the row whose KPI cells span this one
    span_ref: str = ""  # the merged cell, 'p6 r7-r10 c11'
    ref: str = ""  # 'p3 r5' (continued on the next page: 'p3 r12-p4 r3')
    roles: set[str] = field(default_factory=set)  # the column roles of its page

    def __post_init__(self) -> None:
        self.ref = self.ref or f"p{self.page} r{self.grid_row}"

    def add(self, role: str, text: str) -> None:
        if _is_numeric(role):
            cur = self.zone.get(role, "")
            self.zone[role] = (cur + text) if cur else text
        else:
            cur = self.text.get(role, "")
            self.text[role] = f"{cur} {text}".strip() if cur else text


def parse_pdf(rules: Rules, data: bytes, source_name: str) -> ParsedReport:
    """The report table of a PDF with a text layer, read like the OCR'd text."""
    doc = read_pdf(data, source_name)
    maps: list[tuple[PageGrid, ColumnMap]] = []
    prev: ColumnMap | None = None
    for grid in doc.pages:
        cm = column_map(rules, grid, prev)
        if cm is None:
            continue
        maps.append((grid, cm))
        prev = cm
    if not maps and doc.n_chars < max(20, 15 * doc.n_pages):
        # a scan: images only, or a stamp / page numbers as its only text
        raise ParseError(
            f"{source_name}: the PDF has no text layer (its {doc.n_pages} page(s) are "
            "images only, e.g. a scan), so dxplan cannot read it. To load this report, "
            "OCR it to text and put the text file in raw/, or fill in the canonical "
            "template (dxplan template --year YEAR --out report.xlsx) and put that in raw/"
        )
    if not maps:
        raise ParseError(
            f"{source_name}: a PDF, but no table of the DX progress report was found "
            "(no ruled table whose header names the columns 事業名 / 指標名 / 評価 …)"
        )
    years = next((cm.years for _, cm in maps if cm.years), [])
    texts = [t for grid, cm in maps for t in [*grid.outside, *cm.header_text]]
    title, fiscal_year = _title_and_year(rules, texts, source_name)
    as_of = _as_of(rules, texts)
    warnings: list[str] = []
    if not years:
        years = [fiscal_year - 1 + k for k in range(4)]
        warnings.append("target years not found in the header; assumed R(N-1)..R(N+2)")
    n = len(years)
    prows = _table_rows(rules, maps)
    if not prows:
        raise ParseError(f"{source_name}: the report table has a header but no rows")
    groups = [_group(rules, p, n) for p in prows]
    rows = [row_fields(rules, i, g) for i, g in enumerate(groups, 1)]
    for r, p in zip(rows, prows, strict=True):
        r.source_cell = p.ref
    resolve_rows(rules, rows, groups)
    kpis = build_kpis(rules, rows, groups, years, as_of, fiscal_year)
    _spread_merged(rows, prows)
    resolve_confusables(rules, rows, kpis)
    return ParsedReport(
        report_fiscal_year=fiscal_year,
        as_of=as_of,
        title=title,
        file_format="report_pdf",
        encoding="pdf",
        rows=rows,
        kpis=kpis,
        warnings=warnings,
    )


# ------------------------------------------------------------------------------ rows
def _is_numeric(role: str) -> bool:
    """baseline, t0..tN (target years), actual: the KPI's number cells."""
    return role in ("baseline", "actual") or re.fullmatch(r"t\d+", role) is not None


def _cell_text(cell: Cell, role: str) -> str:
    # numbers wrapped in a narrow cell ('40百' / '万枚') are one value: no space
    return cell.text("" if _is_numeric(role) else " ")


def _table_rows(rules: Rules, maps: list[tuple[PageGrid, ColumnMap]]) -> list[_Row]:
    out: list[_Row] = []
    for grid, cm in maps:
        first_on_page = True
        # a row whose KPI cells are merged with the rows below: grid row -> out index
        starts: dict[int, int] = {}
        for r in range(cm.header_rows, grid.n_rows):
            cells = grid.row_cells(r)
            raw = [c.text() if c.r0 == r else "" for c in cells]
            if not any(raw) and not any(c.r0 < r for c in cells):
                continue
            row = _Row(grid.page_no, r + 1, [raw], roles=set(cm.roles.values()))
            for c in cells:
                roles = [cm.roles[k] for k in range(c.c0, c.c1 + 1) if k in cm.roles]
                if not roles:
                    continue
                role = roles[0]
                t = _cell_text(c, role)
                if not t:
                    continue
                if c.r0 < r and (role in _KPI_ROLES or _is_numeric(role)):
                    # a KPI cell merged over this row and the rows above it: the KPI of
                    # the row where it starts (text cells merged over rows are copied)
                    if c.r0 + 1 in starts:
                        row.span_of = starts[c.r0 + 1]
                        row.span_ref = f"p{grid.page_no} r{c.r0 + 1}-r{c.r1 + 1} c{c.c0 + 1}"
                    continue
                row.add(role, t)
            if _is_continuation(rules, row, first_on_page, out):
                _merge(out[-1], row)
            else:
                starts[r + 1] = len(out)
                out.append(row)
            first_on_page = False
    return out


def _is_continuation(rules: Rules, row: _Row, first_on_page: bool, out: list[_Row]) -> bool:
    """The top of a page continuing the last row of the page before (a row split by the
    page break): no project number, no 再掲 mark, no reference."""
    if not first_on_page or not out:
        return False
    kind, _ = read_no_cell(rules, row.text.get("no", ""))
    if kind is not None:
        return False
    _, ref, _ = read_ref(rules, row.text.get("project", ""))
    return ref is None and not nospace(row.text.get("kpi_no", ""))


def _merge(top: _Row, bottom: _Row) -> None:
    for role, t in bottom.text.items():
        top.add(role, t)
    for role, t in bottom.zone.items():
        top.add(role, t)
    top.raw += bottom.raw
    top.ref += f"-p{bottom.page} r{bottom.grid_row}"


_PILLAR_AREA = re.compile(r"^(II|I)\s*[-‐‑–—ー・.．]\s*(\d)")


def _split_shared(rules: Rules, text: dict[str, str], roles: set[str]) -> None:
    """One column for two fields (項目 printing '(1) 名称', 担当 printing '部 課'): the
    second field is the rest of the first's text."""
    if "item_name" not in roles and text["item_no"]:
        no, rest = read_item_no(rules, text["item_no"])
        if no is not None and rest:
            text["item_no"], text["item_name"] = no if no == "計画" else f"({no})", rest
    if "div" not in roles and text["dept"]:
        rest = nospace(basic(rules, text["dept"]))
        known = longest_first(rules.organisations.departments)
        depts = []
        while hit := next((d for d in known if rest.startswith(d)), None):
            depts.append(hit)
            rest = rest[len(hit) :]
        if depts and rest:
            text["dept"], text["div"] = " ".join(depts), rest


def _group(rules: Rules, p: _Row, n_targets: int) -> Group:
    text = {role: p.text.get(role, "") for role in rules.layout.text_roles}
    _split_shared(rules, text, p.roles)
    # pillar and area printed 'II-1' / 'Ⅱ－1': the OCR layout prints them 'II 1'
    text["area"] = _PILLAR_AREA.sub(r"\1 \2", basic(rules, text["area"]))
    zone: list[tuple[str, str]] = []
    if "baseline" in p.zone:
        zone.append(("baseline", p.zone["baseline"]))
    zone += [(f"t{k}", p.zone.get(f"t{k}", "")) for k in range(n_targets)]
    zone.append(("actual", p.zone.get("actual", "")))
    lines = [Line(p.grid_row, "\t".join(raw), raw) for raw in p.raw]
    rc = RowCells(text=text, zone=zone, lines=lines, page_no=p.page)
    kind, no = read_no_cell(rules, text["no"])
    if kind is None and read_ref(rules, text["project"])[1] is not None:
        kind = "relisted"
    return Group(rc, kind, no)


def _spread_merged(rows: list[ReportRow], prows: list[_Row]) -> None:
    """A KPI cell merged over several rows belongs to each row it spans: the KPI is
    defined on the first row and re-listed on the others."""
    for r, p in zip(rows, prows, strict=True):
        if p.span_of is None:
            continue
        first = rows[p.span_of]
        if first.kpi_no is None:
            continue
        if r.kpi_no != first.kpi_no or not r.kpi_is_relisted:
            r.repairs.append(
                Repair(
                    "kpi_no",
                    None if r.kpi_no is None else str(r.kpi_no),
                    str(first.kpi_no),
                    "kpi_merged_cell",
                    f"KPI cell {p.span_ref} merged over rows {first.source_row_no}.."
                    "; it is the KPI of the first row, re-listed here",
                )
            )
            r.kpi_no, r.kpi_is_relisted = first.kpi_no, True
        if r.evaluation is None and r.evaluation_text is None and first.evaluation:
            r.evaluation_text, r.evaluation = first.evaluation_text, first.evaluation


# ------------------------------------------------------------------------------ report
_TITLE_YEAR = re.compile(r"(令和|平成)\s*(\d{1,2})\s*年度")


def _title_and_year(rules: Rules, texts: list[str], source_name: str) -> tuple[str | None, int]:
    for t in texts:
        s = basic(rules, t)
        if "取組一覧" in nospace(s):
            m = _TITLE_YEAR.search(s)
            if m:
                end = s.find("取組一覧")
                return s[: end + 4].strip(), WAREKI[m.group(1)] + int(m.group(2))
    joined = nospace(basic(rules, " ".join(texts)))  # a title broken over lines
    m = re.search(r"(令和|平成)(\d{1,2})年度.{0,40}?取組一覧", joined)
    if m:
        return m.group(0), WAREKI[m.group(1)] + int(m.group(2))
    for t in texts:  # 令和5年度取組状況 in the header
        s = nospace(basic(rules, t))
        m = _TITLE_YEAR.search(s)
        if m and "取組状況" in s:
            return None, WAREKI[m.group(1)] + int(m.group(2))
    raise ParseError(
        f"{source_name}: no report year: the title (令和N年度 … 取組一覧) is not in the PDF"
    )


def _as_of(rules: Rules, texts: list[str]) -> date | None:
    dates = (as_of_date(nospace(basic(rules, t))) for t in texts)
    return next((d for d in dates if d is not None), None)
