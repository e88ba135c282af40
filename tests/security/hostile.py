"""Hostile text (markup, formulas, control characters), and the checks that every output keeps it inert.

``hostile_report(seed)`` plants the payloads of :data:`PAYLOADS` into a copy of the seed
report (project names, outlines, statuses, KPI names, texts ...); the test writes it as a
canonical CSV into ``raw/`` and runs the pipeline once. ``outputs(run)`` lists every output
of that run with the checker for its kind: **add an output here** (e.g. the PostgreSQL
publish: an ``Output("postgres: marts", "db", ...)`` whose check reads the tables back) and
the test covers it.

Every JavaScript payload calls ``xss_dxplan(...)`` so that markup coming from the data can
be told from the outputs' own (the dashboard's and GX's scripts never contain that name).
"""

from __future__ import annotations

import copy
import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from dxplan.models import ParsedReport
from dxplan.safe_text import evaluates_as_formula, is_formula_like

MARK = "xss_dxplan"
SCRIPT = f"<script>{MARK}(1)</script><img src=x onerror={MARK}(2)>"
PAYLOADS = {
    "script": SCRIPT + "職員研修事業",
    "hyperlink": '=HYPERLINK("http://evil.example/x","x")',
    "dde": '@SUM(1+1)*cmd|" /C calc"!A0',
    "js_url": f"javascript:{MARK}(3)",
    "js_anchor": f'<a href="javascript:{MARK}(4)" onclick="{MARK}(5)">詳細</a>',
    "script_close": f"</script><script>{MARK}(6)</script>",
    "svg": f"<svg onload={MARK}(7)><iframe src=javascript:{MARK}(8)>",
    "plus": '+cmd|" /C notepad"!A0',
    "minus_text": "-2+3+cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
    "fullwidth": "＝1+1",
    "quote": "'=already quoted",
    "control": "ctl\x01\x07\x1b[31mred\x0b\x0c\x7fend",
    "rtl": "請求書\u202egnp.exe",
    "markdown": f"[x](javascript:{MARK}(9)) ![i](http://evil.example/i.png) | a | b",
}
#: a cell over parse.limits.MAX_CELL_CHARS: the file that carries it is rejected
OVERLONG = SCRIPT + "=" + "A" * 100_000


def hostile_report(seed: ParsedReport) -> ParsedReport:
    """A copy of ``seed`` with every payload planted in text columns (not in numbers)."""
    rep = copy.deepcopy(seed)
    rep.title = PAYLOADS["hyperlink"] + " " + (rep.title or "")
    own = [r for r in rep.rows if not r.is_relisted and r.project_no is not None]
    names = {
        own[0].project_no: PAYLOADS["script"],
        own[1].project_no: PAYLOADS["js_url"],
        own[2].project_no: PAYLOADS["rtl"],
        own[3].project_no: PAYLOADS["dde"],
        own[4].project_no: PAYLOADS["markdown"],
    }
    for r in rep.rows:  # a project's name is the same on its 再掲 rows
        if r.project_no in names:
            r.project_name = names[r.project_no]
    plant = [
        ("summary", "hyperlink"),
        ("status_text", "dde"),
        ("summary", "js_anchor"),
        ("status_text", "plus"),
        ("target_text", "script_close"),
        ("summary", "svg"),
        ("status_text", "tab"),
        ("status_text", "cr"),
        ("summary", "fullwidth"),
        ("status_text", "quote"),
        ("summary", "control"),
        ("status_text", "minus_text"),
        ("summary", "markdown"),
        ("status_text", "rtl"),
    ]
    for r, (col, key) in zip(own, plant, strict=False):
        setattr(r, col, PAYLOADS[key])
    kpis = rep.kpis
    kpis[0].indicator_name = PAYLOADS["minus_text"]
    kpis[0].baseline_text = "-"  # a text: quoted in CSV (negative numbers: test_safe_text)
    kpis[1].indicator_name = PAYLOADS["script"]
    kpis[2].indicator_name = PAYLOADS["quote"]
    if kpis[3].targets:
        kpis[3].targets[0].text = PAYLOADS["hyperlink"]
    return rep


def overlong_report(seed: ParsedReport, year: int) -> ParsedReport:
    rep = copy.deepcopy(seed)
    rep.report_fiscal_year = year
    rep.rows[0].summary = OVERLONG
    return rep


# ------------------------------------------------------------------------------ HTML
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcdoc"}


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self.text: list[str] = []
        self._in_script = self._data_block = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag in ("script", "style")
        #: a JSON data block is never run; the data in it must not contain a raw "<"
        self._data_block = tag == "script" and (dict(attrs).get("type") or "").lower() in (
            "application/json",
            "application/ld+json",
        )
        for name, value in attrs:
            v = value or ""
            if name.startswith("on") and (MARK in v or tag in ("img", "svg", "iframe", "a")):
                self.findings.append(f"<{tag} {name}={v!r}>: event handler")
            squeezed = re.sub(r"[\x00-\x20]+", "", v).lower()
            if name in _URL_ATTRS and squeezed.startswith(
                ("javascript:", "vbscript:", "data:text/html")
            ):
                self.findings.append(f"<{tag} {name}={v!r}>: script URL")
            if name in _URL_ATTRS and "evil.example" in v:
                self.findings.append(f"<{tag} {name}={v!r}>: URL from the data")
        if tag in ("iframe", "object", "embed") or (tag == "img" and ("src", "x") in attrs):
            self.findings.append(f"<{tag} {attrs}>: element from the data")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._in_script = False

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and self._data_block:
            if "<" in data:
                self.findings.append("a raw '<' in a JSON data block (could end the block)")
        elif self._in_script and MARK in data:
            at = data.index(MARK)
            self.findings.append(f"script/style element with data: {data[at - 40 : at + 40]!r}")
        elif not self._in_script:
            self.text.append(data)


def inspect_html(markup: str) -> tuple[list[str], str]:
    """(live markup that came from the data, the visible text) of an HTML document."""
    p = _Inspector()
    p.feed(markup)
    p.close()
    return p.findings, "".join(p.text)


def markdown_to_html(md: str) -> str:
    """Markdown rendered the permissive way (raw HTML allowed), like a careless viewer."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table").render(md)


# ------------------------------------------------------------------------------ CSV/XLSX
def read_csv_cells(path: Path) -> tuple[list[str], list[list[str]]]:
    text = path.read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[0], rows[1:]


def formula_cells(header: list[str], body: list[list[str]]) -> list[str]:
    """Cells a spreadsheet would evaluate: (column, text) of each."""
    return [
        f"{header[i]}={c[:60]!r}" for r in body for i, c in enumerate(r) if evaluates_as_formula(c)
    ]


def xlsx_formula_findings(data: bytes) -> list[str]:
    """Formula cells of a workbook: openpyxl's data_type and the sheet XML's <f> elements."""
    import zipfile

    from openpyxl import load_workbook

    out = []
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.data_type == "f":
                    out.append(f"{ws.title}!{c.coordinate}: formula {str(c.value)[:60]!r}")
                elif isinstance(c.value, str) and is_formula_like(c.value) and not c.quotePrefix:
                    out.append(f"{ws.title}!{c.coordinate}: formula-like text without quotePrefix")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and re.search(rb"<(\w+:)?f[ >]", z.read(name)):
                out.append(f"{name}: has an <f> element")
    return out


# ------------------------------------------------------------------------------ the hook
@dataclass
class Output:
    """One output of the hostile run and the function that lists what is live in it."""

    name: str
    kind: str  # html, markdown, csv, xlsx, db
    check: Callable[[], list[str]]
    #: texts (payload keys) this output must show as text, so the check is not vacuous
    shows: list[str] = field(default_factory=list)
