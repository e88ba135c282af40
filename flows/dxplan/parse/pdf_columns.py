"""Which grid column of a PDF page is which: read from the page's header words.

The header rows of a page are its leading grid rows whose cells hold only column names
(``rules/layout.yaml``, section ``pdf``), target-year labels (R4, 令和4年度) or the as-of
note. A column's role comes from the header cells above it, the lowest first: a word of ``roles``
decides; a leaf word such as No / 名称 / 部 / 課 / 番号 takes its role from the group cell
above it (分野, 項目, 担当, KPI). Nothing depends on the order or the position of columns.
A page without a header (a renderer that prints it on the first page only) takes the
column roles of the previous page by position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dxplan.parse.pdfgrid import PageGrid
from dxplan.parse.rules import Rules
from dxplan.parse.text import apply_fixes, basic, nospace


@dataclass
class ColumnMap:
    header_rows: int  # grid rows of the page's header
    roles: dict[int, str]  # grid column -> role ("t0".."tN" for target years)
    years: list[int]  # fiscal years of the target columns t0..tN
    header_text: list[str]  # every header cell's text (as-of, year labels)
    spans: list[tuple[float, float, str]]  # (x0, x1, role) for a page without a header


def norm(rules: Rules, s: str) -> str:
    return nospace(apply_fixes(rules, basic(rules, s))[0])


def _strip_ignored(rules: Rules, s: str) -> str:
    for p in rules.pdf_columns.ignore_patterns:
        s = p.sub("", s)
    return s


@lru_cache(maxsize=4096)
def year_of(rules: Rules, text: str) -> int | None:
    """Fiscal year (Gregorian) of a target-year header label, or None."""
    s = norm(rules, text)
    for p in rules.pdf_columns.year_patterns:
        m = p.fullmatch(s)
        if m:
            n = int(m.group(1))
            return n if n >= 1900 else 2018 + n
    return None


@lru_cache(maxsize=4096)
def classify(rules: Rules, text: str) -> tuple[str, str] | None:
    """('role', r) / ('group', g) / ('leaf', word) / ('year', '') for a header text."""
    if year_of(rules, text) is not None:
        return "year", ""
    s = _strip_ignored(rules, norm(rules, text))
    if not s:
        return None
    pc = rules.pdf_columns
    for role, words in pc.roles:
        if any(w in s for w in words):
            return "role", role
    for group, words in pc.groups:
        if any(w in s for w in words):
            return "group", group
    if s in pc.leaf_words:
        return "leaf", s
    return None


#: a role word printed over several columns names their group (担当部局 over 部 / 課)
_ROLE_GROUP = {
    "dept": "org", "div": "org", "item_no": "item", "item_name": "item", "kpi_no": "kpi",
    "no": "project",
}  # fmt: skip


def is_header_text(rules: Rules, text: str) -> bool:
    s = norm(rules, text)
    if "取組一覧" in s:
        return True  # the title, printed inside the table
    if len(s) > 30:
        return False  # column names are short; long text is data
    if not s or classify(rules, text) is not None:
        return True
    return not _strip_ignored(rules, s)  # the as-of note


def _is_data_marker(rules: Rules, text: str) -> bool:
    s = norm(rules, text)
    return bool(re.fullmatch(r"\d{1,3}", s)) or "再掲" in s


def header_rows(rules: Rules, grid: PageGrid) -> int:
    """Number of leading grid rows that are the page header."""
    n = 0
    for r in range(grid.n_rows):
        starting = [c for c in grid.row_cells(r) if c.r0 == r]
        texts = [c.text() for c in starting if c.text()]
        if not texts:
            if n == r and r < 2:
                n = r + 1  # an empty ruled row above the header
                continue
            break
        if any(_is_data_marker(rules, t) for t in texts) and not all(
            classify(rules, t) is not None for t in texts
        ):
            break
        if not all(is_header_text(rules, t) for t in texts):
            break
        if not any(classify(rules, t) is not None for t in texts):
            if n == r and r < 2:
                n = r + 1  # a title row
                continue
            break
        n = r + 1
    return n


def column_map(rules: Rules, grid: PageGrid, previous: ColumnMap | None) -> ColumnMap | None:
    """The roles of the page's columns (None when neither a header nor a previous page)."""
    n_head = header_rows(rules, grid)
    if n_head == 0 or not _has_columns(rules, grid, n_head):
        if previous is None:
            return None
        return _by_position(grid, previous, n_head)
    leaves = rules.pdf_columns.leaves
    roles: dict[int, str] = {}
    weak: set[int] = set()  # a leaf word alone (No, 番号): the previous page knows better
    year_cols: list[tuple[int, int]] = []
    header_text: list[str] = []
    for k in range(grid.n_cols):
        stack = [c for c in grid.cells if c.r0 < n_head and c.c0 <= k <= c.c1]
        stack.sort(key=lambda c: -c.r0)  # lowest first
        for c in stack:
            if c.c0 == k and c.text():
                header_text.append(c.text())
        role = None
        leaf = None
        for c in stack:
            t = c.text()
            if not t:
                continue
            kind = classify(rules, t)
            if kind is None:
                continue
            if kind[0] == "role" and c.c0 != c.c1 and kind[1] in _ROLE_GROUP:
                kind = ("group", _ROLE_GROUP[kind[1]])
            if kind[0] == "year":
                y = year_of(rules, t)
                if y is not None and c.c0 == c.c1:
                    year_cols.append((k, y))
                    role = "year"
                    break
                continue
            if kind[0] == "role":
                role = kind[1]
                break
            if kind[0] == "leaf":
                leaf = leaf or kind[1]
                continue
            if kind[0] == "group":
                table = leaves.get(kind[1], {})
                if leaf is not None and leaf in table:
                    role = table[leaf]
                    break
                if leaf is None and "" in table and c.c0 == c.c1:
                    role = table[""]
                    break
        if role is None and leaf is not None:
            group = _group_to_the_left(rules, grid, k, n_head)
            table = leaves.get(group or "", {})
            if group is not None and leaf in table:
                role = table[leaf]
            else:
                role = leaves[""].get(leaf)
                weak.add(k)
        if role and role != "year":
            roles[k] = role
    years = sorted({y for _, y in year_cols})
    if previous is not None and previous.years and set(years) <= set(previous.years):
        years = previous.years  # a page that repeats only part of the header
    for k, y in year_cols:
        roles[k] = f"t{years.index(y)}"
    if previous is not None:
        # columns this page's header leaves unnamed (a header repeated in part) keep the
        # role of the column at the same place on the page before
        for k, role in _by_position(grid, previous, n_head).roles.items():
            if k not in roles or k in weak:
                roles[k] = role
    if "project" not in roles.values() and "kpi_name" not in roles.values():
        return None
    spans = [(grid.xs[k], grid.xs[k + 1], role) for k, role in roles.items()]
    return ColumnMap(n_head, roles, years, header_text, spans)


def _group_to_the_left(rules: Rules, grid: PageGrid, k: int, n_head: int) -> str | None:
    """The group word over column ``k`` when no rule closes it: printed in a header cell
    to the left, with only empty cells between (分野 | '' over No | 名称)."""
    for r in range(n_head):
        row = [c for c in grid.row_cells(r) if c.r0 == r and c.c1 < k]
        above = [c for c in grid.row_cells(r) if c.r0 == r and c.c0 <= k <= c.c1]
        if not above or above[0].text():
            continue
        for c in sorted(row, key=lambda c: -c.c1):
            if not c.text():
                continue
            kind = classify(rules, c.text())
            if kind is not None and kind[0] == "group":
                return kind[1]
            break
    return None


def _has_columns(rules: Rules, grid: PageGrid, n_head: int) -> bool:
    texts = [c.text() for c in grid.cells if c.r0 < n_head and c.text()]
    return sum(1 for t in texts if classify(rules, t) is not None) >= 5


def _by_position(grid: PageGrid, previous: ColumnMap, n_head: int = 0) -> ColumnMap:
    """The previous page's roles for the columns at the same place on this page."""
    roles: dict[int, str] = {}
    for k in range(grid.n_cols):
        mid = (grid.xs[k] + grid.xs[k + 1]) / 2
        for x0, x1, role in previous.spans:
            if x0 <= mid <= x1:
                roles[k] = role
                break
    spans = [(grid.xs[k], grid.xs[k + 1], role) for k, role in roles.items()]
    return ColumnMap(n_head, roles, previous.years, [], spans)
