"""Page layout of the OCR'd report: pages, header lines, and where each column sits.

Nothing here knows a line number or a column index of the seed: columns are found from
the header words of each page (``rules/layout.yaml``) and the shape of the page.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from dxplan.parse.fuzzy import levenshtein
from dxplan.parse.rules import Rules
from dxplan.parse.text import basic, nospace


@dataclass
class Line:
    no: int  # 1-based physical line number
    raw: str
    cells: list[str]  # raw cells
    realigned: str | None = None  # how the cells were rewritten into the page's grid


@dataclass
class Page:
    no: int
    lines: list[Line]
    header: list[Line] = field(default_factory=list)  # pure header lines
    fused: Line | None = None  # header line fused with the first data row
    data: list[Line] = field(default_factory=list)  # data lines (fused first, if any)
    width: int = 0
    columns: dict[str, list[int]] = field(default_factory=dict)  # role -> cell indexes


def split_pages(text: str) -> list[Page]:
    """Lines without a tab separate pages; blank lines are dropped."""
    pages: list[Page] = []
    cur: list[Line] = []
    for i, raw in enumerate(text.split("\n"), 1):
        raw = raw.rstrip("\r")
        if "\t" not in raw:
            if cur:
                pages.append(Page(len(pages) + 1, cur))
                cur = []
            continue
        cur.append(Line(i, raw, raw.split("\t")))
    if cur:
        pages.append(Page(len(pages) + 1, cur))
    return pages


@lru_cache(maxsize=16384)
def word_hit(rules: Rules, cell: str, words: tuple[str, ...]) -> str | None:
    """The header word ``cell`` starts with (fuzzy for long words), or None.

    ``words`` are normalised and longest first (``Rules.layout``)."""
    c = nospace(basic(rules, cell))
    if not c:
        return None
    for w2 in words:
        if c.startswith(w2):
            return w2
        if len(w2) >= 4 and len(c) >= len(w2) - len(w2) // 4:
            limit = len(w2) // 4
            head = c[: len(w2)]
            # cheap filter first: enough characters in common
            if sum(1 for ch in set(w2) if ch in head) < len(set(w2)) - limit:
                continue
            if levenshtein(head, w2, limit) <= limit:
                return w2
    return None


def header_score(rules: Rules, line: Line) -> tuple[int, int]:
    """(cells that are or start with a header word, non-empty cells)."""
    words = rules.layout.header_words
    hits = 0
    filled = 0
    for c in line.cells:
        if not c.strip():
            continue
        filled += 1
        if word_hit(rules, c, words) or re.fullmatch(r"[RKＫ]\s*\d", basic(rules, c)):
            hits += 1
    return hits, filled


def is_title(rules: Rules, line: Line) -> bool:
    joined = nospace(basic(rules, " ".join(line.cells)))
    return any(nospace(w) in joined for w in rules.layout.title_words) or bool(
        re.search(r"(令和|平成)\d+年度.{0,4}事業", joined)
    )


def _data_cells(rules: Rules, line: Line) -> int:
    """Cells holding real text once a leading header word is removed."""
    words = rules.layout.header_words
    n = 0
    for c in line.cells:
        b = nospace(basic(rules, c))
        hit = word_hit(rules, c, words)
        if hit and b.startswith(hit) or hit:
            b = b[len(hit) :]
        if len(b) >= 6 and "時点" not in b:
            n += 1
    return n


def classify(rules: Rules, page: Page) -> None:
    """Split a page into pure header lines, the fused header/data line and data lines."""
    lines = page.lines
    i = 0
    while i < len(lines) and i < 4:
        ln = lines[i]
        hits, filled = header_score(rules, ln)
        if is_title(rules, ln) and _data_cells(rules, ln) < 6:
            i += 1
            continue
        if _data_cells(rules, ln) < 3 and filled and hits >= max(3, int(filled * 0.5)):
            i += 1
            continue
        break
    page.header = lines[:i]
    rest = lines[i:]
    if page.header and rest:
        # the header line fused with the page's first row; a row moved onto the page
        # (keeping its old grid) may sit between the header and that row
        for cand in rest[:2]:
            hits, _ = header_score(rules, cand)
            if hits >= 3:
                page.fused = cand
                break
    page.data = rest
    page.width = page_width(rules, page)


def page_width(rules: Rules, page: Page) -> int:
    """Cells per line of the page's grid: the column labels' line, else the most common.

    The line of column labels always has the page's grid (the title line may not); data
    lines may not either (a row moved from another page keeps its old grid, and so may
    the row OCR fused with the labels).
    """
    widths = Counter(len(ln.cells) for ln in (page.data or page.lines))
    labels = page.header[-1] if page.header else None
    if labels is not None and header_score(rules, labels)[0] >= 3 and len(labels.cells) in widths:
        return len(labels.cells)
    return widths.most_common(1)[0][0]


def printed_optional(rules: Rules, pages: list[Page]) -> frozenset[str]:
    """The optional text columns (``optional_columns`` of the layout) that this report
    prints: those whose anchor words a page's header lines name."""
    anchors = dict(rules.layout.anchors)
    found: set[str] = set()
    for page in pages:
        for line in [*page.header, *([page.fused] if page.fused else [])]:
            for role in rules.layout.optional - found:
                if any(word_hit(rules, c, anchors[role]) for c in line.cells):
                    found.add(role)
    return frozenset(found)


def locate_columns(
    rules: Rules, page: Page, n_targets: int, absent: frozenset[str] = frozenset()
) -> None:
    """Find the cell index of every column role on this page; the optional columns
    ``absent`` from the report have no cell (:func:`printed_optional`)."""
    width = page.width
    found: dict[str, int] = {}
    for line in [*page.header, *([page.fused] if page.fused else [])]:
        for role, words in rules.layout.anchors:
            if role in found:
                continue
            for j, c in enumerate(line.cells):
                if word_hit(rules, c, words) and _anchor_ok(rules, role, c):
                    found[role] = j
                    break
    # right side is fixed by the page width: status, evaluation, actual, targets
    cols: dict[str, list[int]] = {}
    status = width - 1
    cols["status"] = [status]
    cols["eval"] = [status - 1]
    cols["actual"] = [status - 2]
    first_target = status - 2 - n_targets
    for k in range(n_targets):
        cols[f"t{k}"] = [first_target + k]
    # left side: the text columns in printed order around the project name
    # (rules.layout.before_project / after_project), found by its header or its neighbour's
    before = tuple(r for r in rules.layout.before_project if r not in absent)
    after = tuple(r for r in rules.layout.after_project if r not in absent)
    project = found.get("project")
    if project is None:
        project = found[after[0]] - 1 if after[0] in found else None
    if project is None:
        # shape-based default: extra cells beyond the minimal layout (one area cell, no
        # baseline cell) go first to a baseline cell of its own, then to a second area cell
        minimal = 2 + len(before) + 1 + len(after) + 1 + n_targets + 3
        extra = width - minimal
        project = 2 + len(before) + (1 if extra >= 2 else 0)
    kpi_no = project + len(after)
    kpi_name = found.get("kpi_name", kpi_no + 1)
    if kpi_name <= kpi_no:
        kpi_name = kpi_no + 1
    cols["no"] = [0]
    cols["area"] = list(range(1, max(2, project - len(before))))
    for k, role in enumerate(before):
        cols[role] = [project - len(before) + k]
    cols["project"] = [project]
    for k, role in enumerate(after, 1):
        cols[role] = [project + k]
    cols["kpi_name"] = [kpi_name]
    for role in absent:
        cols[role] = []
    # a baseline cell of its own exists when there is room between name and targets
    cols["baseline"] = list(range(kpi_name + 1, first_target))
    page.columns = cols


def _anchor_ok(rules: Rules, role: str, cell: str) -> bool:
    c = nospace(basic(rules, cell))
    if role == "kpi_no":
        return c.startswith("KPI") and not c.startswith("KPI(")
    return True


_YEAR = re.compile(r"(?<![A-Za-z0-9])[RK]\s*(\d{1,2})(?![\d.])")
_YEAR_CELL = re.compile(r"(?:基準値?|値|目標値)?\s*(?:[RK]\s*\d{1,2}\s*)+R?")


def target_years(rules: Rules, pages: list[Page]) -> list[int]:
    """Reiwa years of the target columns (R4..R7), read from the header lines."""
    seen: Counter[int] = Counter()
    for p in pages:
        lines = [*p.header, *([p.fused] if p.fused else [])]
        for ln in lines:
            for c in ln.cells:
                b = basic(rules, c)
                if not _YEAR_CELL.fullmatch(b):
                    continue
                for m in _YEAR.finditer(b):
                    seen[int(m.group(1))] += 1
    if not seen:
        return []
    return list(range(min(seen), max(seen) + 1))
