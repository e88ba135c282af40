"""The table of each page of a report PDF: its grid of ruled cells and the text in them.

pdfplumber finds the table from the page's ruling lines (``find_tables``, lines strategy):
each cell is a rectangle closed by rules, so a merged cell (no rule between two rows)
comes out as one cell spanning several rows. The column and row boundaries of the page are
the distinct edges of its cells; every cell gets its span in that grid (row r0..r1, column
c0..c1). The characters of the text layer are put into the cell whose box holds their
centre; the characters of one cell are read top to bottom in lines (a wrapped cell gives
several lines, kept in ``Cell.lines``), left to right within a line.

Nothing here knows the report: which column is which is decided in ``pdf_columns``.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from dxplan.models import ParseError

#: edges closer than this (PDF points) are the same boundary
_SNAP = 2.0


@dataclass
class Cell:
    r0: int  # first and last grid row (0-based, top to bottom)
    r1: int
    c0: int  # first and last grid column (0-based, left to right)
    c1: int
    lines: list[str] = field(default_factory=list)  # text lines, top to bottom

    def text(self, sep: str = " ") -> str:
        return sep.join(ln for ln in self.lines if ln)


@dataclass
class PageGrid:
    page_no: int  # 1-based
    xs: list[float]  # column boundaries, left to right (len = columns + 1)
    ys: list[float]  # row boundaries, top to bottom (len = rows + 1)
    cells: list[Cell]
    outside: list[str]  # text lines of the page outside the table (title, page number)

    @property
    def n_rows(self) -> int:
        return len(self.ys) - 1

    @property
    def n_cols(self) -> int:
        return len(self.xs) - 1

    def row_cells(self, r: int) -> list[Cell]:
        """Cells covering grid row ``r``, left to right."""
        return sorted((c for c in self.cells if c.r0 <= r <= c.r1), key=lambda c: c.c0)


@dataclass
class PdfText:
    pages: list[PageGrid]
    n_pages: int
    n_chars: int  # printable characters of the text layer, all pages


def _snap(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _SNAP:
            out.append(v)
    return out


def _index(bounds: list[float], v: float) -> int:
    """Index of the boundary nearest to ``v`` (``bounds`` sorted)."""
    i = bisect_right(bounds, v)
    if i == 0:
        return 0
    if i == len(bounds) or v - bounds[i - 1] <= bounds[i] - v:
        return i - 1
    return i


def _lines_of(chars: list[dict]) -> list[str]:
    """Characters of one box -> text lines (top to bottom, left to right)."""
    if not chars:
        return []
    chars = sorted(chars, key=lambda ch: (ch["top"], ch["x0"]))
    rows: list[list[dict]] = []
    for ch in chars:
        size = max(ch.get("size") or 0.0, ch["bottom"] - ch["top"], 1.0)
        if rows:
            last = rows[-1]
            mid = sum(c["top"] + c["bottom"] for c in last) / (2 * len(last))
            if abs((ch["top"] + ch["bottom"]) / 2 - mid) < size * 0.5:
                last.append(ch)
                continue
        rows.append([ch])
    out = []
    for row in rows:
        row.sort(key=lambda ch: ch["x0"])
        s = ""
        prev = None
        for ch in row:
            t = ch["text"]
            if prev is not None:
                gap = ch["x0"] - prev["x1"]
                size = max(ch.get("size") or 0.0, 1.0)
                if gap > size * 0.35 and not s.endswith(" ") and not t.isspace():
                    s += " "
            s += t
            prev = ch
        out.append(s.strip())
    return [s for s in out if s]


def _continues(a: dict, b: dict) -> bool:
    return abs(a["top"] - b["top"]) < 0.3 and abs(b["x0"] - a["x1"]) < 0.25


def _closing_edges(edges: list[dict]) -> list[dict]:
    """Rules that close a table left open at the page's bottom or top: a row split by the
    page break is drawn with its column rules but without the rule below (or above) it."""
    hs = [e["top"] for e in edges if e["orientation"] == "h"]
    vs = [e for e in edges if e["orientation"] == "v"]
    if not hs or len(vs) < 3:
        return []
    out = []
    for end, beyond in (("bottom", lambda y: y > max(hs) + _SNAP),
                        ("top", lambda y: y < min(hs) - _SNAP)):  # fmt: skip
        ends = [round(v[end]) for v in vs if beyond(v[end])]
        if len(ends) < 3:
            continue
        y = max(set(ends), key=ends.count)
        xs = [v["x0"] for v in vs if round(v[end]) == y]
        if len(xs) >= 3:
            y_exact = next(v[end] for v in vs if round(v[end]) == y)
            out.append({"x0": min(xs), "x1": max(xs), "top": y_exact, "bottom": y_exact,
                        "width": max(xs) - min(xs), "height": 0.0, "orientation": "h",
                        "object_type": "line"})  # fmt: skip
    return out


def _table_cells(edges: list[dict]) -> list[tuple[float, float, float, float]]:
    """The cells of the page's largest ruled table (pdfplumber's lines strategy)."""
    from pdfplumber.table import (
        cells_to_tables,
        edges_to_intersections,
        intersections_to_cells,
        merge_edges,
    )

    merged = merge_edges(edges + _closing_edges(edges), 3, 3, 3, 3)
    merged = [
        e
        for e in merged
        if (e["x1"] - e["x0"] if e["orientation"] == "h" else e["bottom"] - e["top"]) >= 3
    ]
    cells = intersections_to_cells(edges_to_intersections(merged, 3, 3))
    tables = cells_to_tables(cells)
    if not tables:
        return []
    # the largest table, with the tables stacked on it (a header drawn as a table of its
    # own, a body cut in two by a missing rule): those covering most of its width
    main = max(tables, key=len)
    left, right = min(c[0] for c in main), max(c[2] for c in main)
    out = list(main)
    for t in tables:
        if t is main:
            continue
        t_left, t_right = min(c[0] for c in t), max(c[2] for c in t)
        overlap = min(right, t_right) - max(left, t_left)
        if overlap > 0.8 * (right - left):
            out += t
    return out


def _words(chars: list[dict]) -> list[dict]:
    """Runs of characters without a gap or space on one line (pdfplumber word records)."""
    out: list[dict] = []
    cur: list[dict] = []
    for ch in [*chars, None]:
        if ch is not None and cur and _continues(cur[-1], ch) and not ch["text"].isspace():
            cur.append(ch)
            continue
        if cur:
            out.append({"x0": cur[0]["x0"], "x1": cur[-1]["x1"], "top": cur[0]["top"],
                        "bottom": cur[0]["bottom"], "text": "".join(c["text"] for c in cur)})  # fmt: skip
        cur = [ch] if ch is not None and not ch["text"].isspace() else []
    return out


def _page_grid(edges: list[dict], chars: list[dict], page_no: int) -> PageGrid | None:
    if sum(1 for e in edges if e["orientation"] == "v") < 3 and chars:
        # rows ruled but no column rules: columns where the words of the page line up
        # (pdfplumber's text strategy for vertical edges)
        from pdfplumber.table import words_to_edges_v

        edges = edges + words_to_edges_v(_words(chars), 3)
    table = _table_cells(edges)
    if not table:
        return None
    xs = _snap([v for c in table for v in (c[0], c[2])])
    ys = _snap([v for c in table for v in (c[1], c[3])])
    if len(xs) < 3 or len(ys) < 3:
        return None
    cells = []
    for x0, top, x1, bottom in table:
        c0, c1 = _index(xs, x0), _index(xs, x1) - 1
        r0, r1 = _index(ys, top), _index(ys, bottom) - 1
        if c1 < c0 or r1 < r0:
            continue
        cells.append(Cell(r0, r1, c0, c1))
    # which cell covers each grid position
    at: dict[tuple[int, int], Cell] = {}
    for c in cells:
        for r in range(c.r0, c.r1 + 1):
            for k in range(c.c0, c.c1 + 1):
                at.setdefault((r, k), c)
    by_cell: dict[int, list[dict]] = {}
    outside: list[dict] = []
    prev: dict | None = None
    prev_cell: Cell | None = None
    for ch in chars:  # in drawing order
        if prev is not None and _continues(prev, ch):
            # a character drawn right after the previous one in the same run: the same
            # cell, even when it hangs over the rule (line-end punctuation, small kana)
            cell = prev_cell
        else:
            cx = (ch["x0"] + ch["x1"]) / 2
            cy = (ch["top"] + ch["bottom"]) / 2
            k = bisect_right(xs, cx) - 1
            r = bisect_right(ys, cy) - 1
            cell = at.get((r, k)) if 0 <= k < len(xs) - 1 and 0 <= r < len(ys) - 1 else None
        prev, prev_cell = ch, cell
        if cell is None:
            outside.append(ch)
        else:
            by_cell.setdefault(id(cell), []).append(ch)
    for c in cells:
        c.lines = _lines_of(by_cell.get(id(c), []))
    return PageGrid(page_no, xs, ys, cells, _lines_of(outside))


# ------------------------------------------------------------------- the PDF's objects
def _chars(page, height: float) -> list[dict]:
    """The text layer's characters in drawing order, boxes in top-down page space."""
    import pypdfium2.raw as raw

    tp = page.get_textpage()
    try:
        out = []
        for i in range(tp.count_chars()):
            if raw.FPDFText_IsGenerated(tp.raw, i) == 1:
                continue
            code = raw.FPDFText_GetUnicode(tp.raw, i)
            if code < 32 or 0xD800 <= code <= 0xDFFF:
                continue
            left, bottom, right, top = tp.get_charbox(i, loose=True)
            if right <= left:
                continue
            out.append(
                {
                    "text": chr(code),
                    "x0": left,
                    "x1": right,
                    "top": height - top,
                    "bottom": height - bottom,
                    "size": raw.FPDFText_GetFontSize(tp.raw, i),
                }
            )
        return out
    finally:
        tp.close()


def _mul(m: tuple, n: tuple) -> tuple:
    """Matrix product m·n of PDF matrices (a b c d e f): apply m, then n."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    )


def _edges(page, height: float) -> list[dict]:
    """Horizontal and vertical segments of the page's paths (rules, cell borders, thin
    filled rectangles), in top-down page space: pdfplumber's edge records."""
    import ctypes

    import pypdfium2.raw as raw

    out: list[dict] = []
    stack: list[tuple] = []  # matrices of the enclosing form objects, by level
    kinds = (raw.FPDF_PAGEOBJ_PATH, raw.FPDF_PAGEOBJ_FORM)
    for obj in page.get_objects(filter=kinds, max_depth=8):
        m = tuple(obj.get_matrix().get())
        del stack[obj.level :]
        full = m
        for outer in reversed(stack):
            full = _mul(full, outer)
        if obj.type == raw.FPDF_PAGEOBJ_FORM:
            stack.append(m)
            continue
        if obj.type != raw.FPDF_PAGEOBJ_PATH:
            continue
        a, b, c, d, e, f = full
        x, y = ctypes.c_float(), ctypes.c_float()
        cur = start = None
        for k in range(raw.FPDFPath_CountSegments(obj.raw)):
            seg = raw.FPDFPath_GetPathSegment(obj.raw, k)
            raw.FPDFPathSegment_GetPoint(seg, ctypes.byref(x), ctypes.byref(y))
            pt = (a * x.value + c * y.value + e, b * x.value + d * y.value + f)
            kind = raw.FPDFPathSegment_GetType(seg)
            if kind == raw.FPDF_SEGMENT_MOVETO:
                cur = start = pt
                continue
            if cur is not None and kind == raw.FPDF_SEGMENT_LINETO:
                _segment(out, cur, pt, height)
            cur = pt
            if raw.FPDFPathSegment_GetClose(seg) and start is not None:
                _segment(out, cur, start, height)
                cur = start
    return out


def _segment(out: list[dict], p: tuple, q: tuple, height: float) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y1 - y0) < 0.5 and abs(x1 - x0) >= 1:
        top = height - y0
        left, right = min(x0, x1), max(x0, x1)
        out.append({"x0": left, "x1": right, "top": top, "bottom": top, "width": right - left,
                    "height": 0.0, "orientation": "h", "object_type": "line"})  # fmt: skip
    elif abs(x1 - x0) < 0.5 and abs(y1 - y0) >= 1:
        top, bottom = height - max(y0, y1), height - min(y0, y1)
        out.append({"x0": x0, "x1": x0, "top": top, "bottom": bottom, "width": 0.0,
                    "height": bottom - top, "orientation": "v", "object_type": "line"})  # fmt: skip


def read_pdf(data: bytes, source_name: str) -> PdfText:
    """The table grid of every page. ParseError for a PDF that cannot be opened."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise ParseError(_open_error(source_name, e)) from e
    pages: list[PageGrid] = []
    n_chars = 0
    try:
        n_pages = len(pdf)
        for k in range(n_pages):
            page = pdf[k]
            try:
                height = page.get_height()
                chars = _chars(page, height)
                n_chars += sum(1 for ch in chars if ch["text"].strip())
                grid = _page_grid(_edges(page, height), chars, k + 1) if chars else None
            finally:
                page.close()
            if grid is not None:
                pages.append(grid)
    except pdfium.PdfiumError as e:
        raise ParseError(_open_error(source_name, e)) from e
    finally:
        pdf.close()
    return PdfText(pages, n_pages, n_chars)


def _open_error(source_name: str, e: Exception) -> str:
    msg = str(e)
    if getattr(e, "err_code", None) == 4 or "password" in msg.lower():
        return (
            f"{source_name}: the PDF is encrypted (password-protected); dxplan cannot read "
            "it. Save it without a password, or fill in the canonical template "
            "(dxplan template) instead"
        )
    return f"{source_name}: not a readable PDF (damaged or truncated: {msg})"
