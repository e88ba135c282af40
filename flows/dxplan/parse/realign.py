"""Rows that do not sit on their page's grid: realign them by their content.

Each page of the OCR'd report has its own grid of cells (18 or 20 per line). A row can
arrive with another grid: it moved from a page of another width and kept that page's
grid, or OCR lost or split a cell. Read with its page's grid, such a row shifts its
columns (the KPI name lands in the KPI-number cell, the organisations in the wrong
cells) and its KPI is lost.

For every data line this module scores how well its cells fit the roles of a grid,
from their content alone: the 事業番号 cell (a number or 再掲), the departments (…部,
…局) and divisions (…課, …室), the KPI-number cell (a small number or 再掲), the run of
numeric cells (baseline, targets, actual), the evaluation mark (``○(達成)``, ``-`` …) and
the status text. A line that fits its page's grid keeps it. Otherwise the other grids
seen in the file (a line with exactly their width) and a content alignment (a monotone
alignment of the cells to the page's grid that may skip a lost cell or join a split one)
are tried; the best is used and its cells are rewritten into the page's grid (the raw
line is kept). A line that fits nothing is rejected with its page, line and likely cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dxplan.models import Kpi, ParseError, ReportRow
from dxplan.parse.fields import read_no_cell
from dxplan.parse.layout import Line, Page
from dxplan.parse.marks import looks_like_mark
from dxplan.parse.rules import Rules
from dxplan.parse.text import basic, nospace

_LEFT_TEXT = ("area", "item_no", "item_name", "project", "summary", "target")

#: cost of leaving a column of the grid without a cell (a lost cell), per role
_SKIP_COST = {"area": 0.2, "baseline": 0.2, "item_no": 0.4}
_SKIP_DEFAULT = 0.6
#: cost of a second cell in one column (a cell split in two by OCR); the single-value
#: columns (numbers, organisations, the mark) are rarely split
_JOIN_COST = {"no": 3.0, "kpi_no": 3.0, "eval": 3.0, "item_no": 2.0, "dept": 2.0, "div": 2.0}
_JOIN_DEFAULT = 0.8
#: a new reading must beat the page's grid by this much
_MARGIN = 2.0
#: cells a line may lack or have beyond the nearest grid of the file and still be aligned
_MAX_OFF = 2

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fffA-Za-z]")
_DIGIT = re.compile(r"\d")
_KPI_NO = re.compile(r"\d{1,2}")


@dataclass(frozen=True)
class Grid:
    """The role of every cell of a line on one page (``gap`` for a cell without one)."""

    width: int
    roles: tuple[str, ...]
    page_no: int


@dataclass(frozen=True)
class Reading:
    """One way to read a line: the role of each of its cells and how well it fits."""

    roles: tuple[str, ...]
    score: float
    misfits: tuple[str, ...]
    how: str


def grid_of(page: Page) -> Grid:
    roles = ["gap"] * page.width
    for role, idxs in page.columns.items():
        for j in idxs:
            if 0 <= j < page.width and roles[j] == "gap":
                roles[j] = role
    return Grid(page.width, tuple(roles), page.no)


@lru_cache(maxsize=256)
def _family(role: str) -> str:
    """The column family of a role: ``t0``, ``t1`` … are all target years."""
    return "year" if re.fullmatch(r"t\d+", role) else role


# --------------------------------------------------------------------------------------
# what a cell looks like
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def kind(rules: Rules, cell: str) -> str:
    """empty | kpino | dash | mark | number | junk | text | long."""
    s = nospace(basic(rules, cell))
    if not s:
        return "empty"
    if s in rules.marks.none_marks:
        return "dash"
    if not _DIGIT.match(s) and looks_like_mark(rules, cell):
        return "mark"
    if _KPI_NO.fullmatch(s) or (s[0] in rules.layout.relisted_heads and len(s) <= 3):
        return "kpino"
    letters = len(_CJK.findall(s))
    digits = len(_DIGIT.findall(s))
    if digits and letters <= max(6, digits * 2) and len(s) <= 24:
        return "number"
    if len(s) == 1:
        return "junk"
    return "long" if len(s) >= 16 else "text"


#: fit of a cell kind to a column family; missing pairs score 0
_FIT: dict[str, dict[str, float]] = {
    "no": {"kpino": 2, "number": 1, "text": -1, "long": -2, "mark": -1},
    "kpi_no": {"kpino": 3, "number": -2, "text": -3, "long": -3, "mark": -3, "dash": -1},
    "kpi_name": {"text": 1, "long": 1, "number": -0.5, "mark": -2, "kpino": -1},
    "baseline": {"number": 1, "kpino": 1, "dash": 0.5, "text": -1, "long": -2, "mark": -3},
    "year": {"number": 1, "kpino": 1, "dash": 0.5, "text": -1, "long": -3, "mark": -3},
    "actual": {"number": 1, "kpino": 1, "dash": 0.5, "text": -1, "long": -2, "mark": -3},
    "eval": {"mark": 3, "dash": 1, "number": -3, "kpino": -2, "text": -3, "long": -3},
    "status": {"long": 1.5, "text": 1, "number": -1, "kpino": -2, "mark": -3, "dash": -1},
    "gap": {"text": -1, "long": -1, "number": -1, "kpino": -1, "mark": -1},
}
_LEFT_FIT = {"text": 0.5, "long": 0.5, "number": -0.5, "kpino": -1, "mark": -1, "dash": -0.5}


@lru_cache(maxsize=32768)
def fit(rules: Rules, cell: str, role: str) -> float:
    fam = _family(role)
    k = kind(rules, cell)
    if k == "empty":
        return 0.0
    if fam in ("dept", "div"):
        s = nospace(basic(rules, cell))
        dept = rules.organisations.department_suffixes
        div = rules.organisations.division_suffixes
        own, other = (dept, div) if fam == "dept" else (div, dept)
        if k in ("text", "long") and len(s) <= 24:
            if s.endswith(own) or any(w.endswith(own) for w in basic(rules, cell).split()):
                return 1.5
            if s.endswith(other):
                return -1.5
        return 0.0 if k == "text" else _LEFT_FIT.get(k, 0.0) - (1.0 if k == "long" else 0.0)
    if fam == "no" and k in ("text", "long"):
        kind_no, _ = read_no_cell(rules, cell)
        if kind_no:
            return 2.0
    if fam in _LEFT_TEXT:
        if _is_item_no(rules, cell):
            return 1.5 if fam == "item_no" else -0.5
        if fam == "item_no":
            return 0.5 if k in ("number", "kpino", "junk") else -0.5
        return _LEFT_FIT.get(k, 0.0)
    return _FIT.get(fam, {}).get(k, 0.0)


_ITEM_NO = re.compile(r"[(\[]\s*\d{1,2}\s*[)\]]")


def _is_item_no(rules: Rules, cell: str) -> bool:
    """A short cell holding an item number ``(n)`` or an item word (``計画``)."""
    s = nospace(basic(rules, cell))
    if not s or len(s) > 6:
        return False
    return bool(_ITEM_NO.search(s)) or any(w in s for w in rules.plan.item_words)


_CHECKED = frozenset(("kpi_no", "eval", "status", "year", "actual", "baseline"))


@lru_cache(maxsize=256)
def _checked(roles: tuple[str, ...]) -> tuple[tuple[int, str, str], ...]:
    """(index, role, family) of the columns whose content can show a misfit."""
    return tuple((j, r, _family(r)) for j, r in enumerate(roles) if _family(r) in _CHECKED)


def _misfits(rules: Rules, cells: list[str], roles: tuple[str, ...]) -> tuple[str, ...]:
    """Cells whose content cannot be in their column: the row is off its grid."""
    out = []
    for j, r, fam in _checked(roles):
        if j >= len(cells) or not cells[j].strip():
            continue
        c, k = cells[j], kind(rules, cells[j])
        if (
            (fam == "kpi_no" and k in ("text", "long", "mark", "number"))
            or (fam == "eval" and k in ("text", "long", "number", "kpino"))
            or (fam == "status" and k == "mark")
            or (fam in ("year", "actual", "baseline") and k == "mark")
        ):
            out.append(f"{r}={c.strip()!r}")
    return tuple(out)


def _reading(rules: Rules, cells: list[str], roles: tuple[str, ...], how: str) -> Reading:
    score = sum(fit(rules, c, r) for c, r in zip(cells, roles, strict=False))
    return Reading(roles, score, _misfits(rules, cells, roles), how)


# --------------------------------------------------------------------------------------
# candidate readings of a line
# --------------------------------------------------------------------------------------


def page_reading(rules: Rules, line: Line, grid: Grid) -> Reading:
    """The roles ``cells.split_line`` gives the line with its page's grid."""
    cells = line.cells
    n = len(cells)
    if n == grid.width:
        return _reading(rules, cells, grid.roles, "page grid")
    left_end = grid.roles.index("kpi_name") if "kpi_name" in grid.roles else n
    roles = list(grid.roles[: min(n, left_end + 1)])
    eval_j = n - 2
    for j in range(n - 2, max(left_end, n - 5), -1):
        if looks_like_mark(rules, cells[j]):
            eval_j = j
            break
    zone = [r for r in grid.roles if _family(r) in ("baseline", "year", "actual")]
    mid = list(range(len(roles), max(len(roles), eval_j)))
    zroles = (
        zone[-len(mid) :] if len(mid) <= len(zone) else ["baseline"] * (len(mid) - len(zone)) + zone
    )
    roles += zroles[: len(mid)]
    while len(roles) < n:
        roles.append("eval" if len(roles) == eval_j else "status")
    return _reading(rules, cells, tuple(roles[:n]), "page grid")


def align(rules: Rules, cells: list[str], grid: Grid) -> Reading:
    """Content alignment; a KPI number must be followed by its indicator name.

    When the best alignment puts a number in the KPI-number column but no name after it
    (the number is a target that moved left: the KPI-number cell itself was lost), the
    alignment is redone with the KPI-number column left empty.
    """
    r = _align(rules, cells, grid, kpi_no_ok=True)
    if _number_without_name(rules, cells, r.roles):
        r2 = _align(rules, cells, grid, kpi_no_ok=False)
        if len(r2.misfits) <= len(r.misfits):
            return r2
        r = Reading(r.roles, r.score, (*r.misfits, "kpi_no without an indicator name"), r.how)
    return r


def _number_without_name(rules: Rules, cells: list[str], roles: tuple[str, ...]) -> bool:
    has = {r: False for r in ("kpi_no", "kpi_name", "numbers")}
    for c, r in zip(cells, roles, strict=False):
        if not c.strip():
            continue
        fam = _family(r)
        if fam in ("kpi_no", "kpi_name"):
            has[fam] = True
        elif fam in ("baseline", "year", "actual") and kind(rules, c) in ("number", "kpino"):
            has["numbers"] = True
    return has["kpi_no"] and not has["kpi_name"] and has["numbers"]


def _align(rules: Rules, cells: list[str], grid: Grid, kpi_no_ok: bool) -> Reading:
    """Best monotone alignment of the cells to the grid's columns (content alignment).

    Every cell goes to one column; a column may stay empty (a lost cell, at a cost)
    or take two cells (a split cell, at a cost). Dynamic programming over (cell, column).
    """
    n, w = len(cells), grid.width
    neg = float("-inf")
    # best[i][j]: cells[:i] placed, the last one in column j-1 (j columns used)
    best = [[neg] * (w + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int] | None]] = [[None] * (w + 1) for _ in range(n + 1)]
    best[0][0] = 0.0
    skip = [_SKIP_COST.get(_family(r), _SKIP_DEFAULT) for r in grid.roles]
    join = [_JOIN_COST.get(_family(r), _JOIN_DEFAULT) for r in grid.roles]
    for i in range(n + 1):
        for j in range(w + 1):
            cur = best[i][j]
            if cur == neg:
                continue
            # leave column j empty
            if j < w:
                v = cur - skip[j]
                if v > best[i][j + 1]:
                    best[i][j + 1], back[i][j + 1] = v, (i, j)
            if i < n:
                # cell i into column j (a new column)
                if j < w and (kpi_no_ok or grid.roles[j] != "kpi_no" or not cells[i].strip()):
                    v = cur + fit(rules, cells[i], grid.roles[j])
                    if v > best[i + 1][j + 1]:
                        best[i + 1][j + 1], back[i + 1][j + 1] = v, (i, j)
                # cell i joins the previous column j-1
                if j > 0 and i > 0 and (kpi_no_ok or grid.roles[j - 1] != "kpi_no"):
                    v = cur + fit(rules, cells[i], grid.roles[j - 1]) - join[j - 1]
                    if v > best[i + 1][j]:
                        best[i + 1][j], back[i + 1][j] = v, (i, j)
    roles: list[str] = [""] * n
    i, j = n, w
    while (i, j) != (0, 0):
        prev = back[i][j]
        assert prev is not None
        pi, pj = prev
        if pi == i - 1:
            roles[i - 1] = grid.roles[j - 1]
        i, j = pi, pj
    r = _reading(rules, cells, tuple(roles), f"content alignment to the {w}-cell grid")
    return Reading(r.roles, best[n][w], r.misfits, r.how)


def readings(rules: Rules, line: Line, page_grid: Grid, grids: list[Grid]) -> list[Reading]:
    """The page's reading, the readings with the other grids of its width, the alignment."""
    n = len(line.cells)
    out = [page_reading(rules, line, page_grid)]
    for g in grids:
        if g.width == n and g.roles != page_grid.roles:
            how = f"{n}-cell grid of page {g.page_no}"
            out.append(_reading(rules, line.cells, g.roles, how))
    out.append(align(rules, line.cells, page_grid))
    return out


def _better(new: Reading, old: Reading) -> bool:
    if len(new.misfits) != len(old.misfits):
        return len(new.misfits) < len(old.misfits)
    return new.score >= old.score + _MARGIN


def choose(rules: Rules, line: Line, page_grid: Grid, grids: list[Grid]) -> Reading:
    """The reading to use: the page's grid unless another fits clearly better.

    Another grid of the file with exactly the line's width is preferred to the content
    alignment (it explains every cell without a lost or split one).
    """
    if len(line.cells) == page_grid.width and not _misfits(rules, line.cells, page_grid.roles):
        return Reading(page_grid.roles, 0.0, (), "page grid")  # the common case, no score
    own = page_reading(rules, line, page_grid)
    _, *others = readings(rules, line, page_grid, grids)
    *exact, aligned = others
    if exact:
        # the line has exactly the width of another grid: that grid wins ties
        best = min(exact, key=lambda r: (len(r.misfits), -r.score))
        if not best.misfits and (_better(best, own) or best.score >= own.score):
            return best
    return aligned if _better(aligned, own) else own


# --------------------------------------------------------------------------------------
# rewriting a line into its page's grid
# --------------------------------------------------------------------------------------


def remap(cells: list[str], roles: tuple[str, ...], grid: Grid) -> list[str]:
    """The cells rewritten into ``grid``: each role's text in the grid's first cell of it.

    A baseline read from a grid with a baseline cell goes, on a grid without one, in front
    of the first target (as those pages print it).
    """
    texts: dict[str, list[str]] = {}
    for c, r in zip(cells, roles, strict=False):
        if c.strip():
            texts.setdefault(r, []).append(c.strip())
    first: dict[str, int] = {}
    for j, r in enumerate(grid.roles):
        first.setdefault(r, j)
    out = [""] * grid.width
    moved_baseline = ""
    for r, ts in texts.items():
        joined = " ".join(ts)
        j = first.get(r)
        if j is None and r == "baseline" and "t0" in first:
            moved_baseline = joined
            continue
        if j is None:
            j = first.get("status", grid.width - 1)
        out[j] = f"{out[j]} {joined}".strip()
    if moved_baseline:
        j = first["t0"]
        out[j] = f"{moved_baseline} {out[j]}".strip()
    return out


def _cause(line: Line, grid: Grid, grids: list[Grid]) -> str:
    n = len(line.cells)
    widths = sorted({g.width for g in grids} - {grid.width})
    if n in widths:
        return f"the row probably moved from a page with the {n}-cell grid"
    lost, split = grid.width - n, n - grid.width
    if lost > 0:
        return "cells were probably lost in OCR" if lost > 1 else "a cell was probably lost in OCR"
    if split > 0:
        return (
            "cells were probably split by OCR" if split > 1 else "a cell was probably split by OCR"
        )
    return "its cells do not match the page's columns"


def realign_pages(rules: Rules, pages: list[Page]) -> None:
    """Rewrite every data line that is off its page's grid (``Line.realigned`` says how).

    Raises ParseError naming the page and line of a row that cannot be aligned.
    """
    grids: list[Grid] = []
    for p in pages:
        g = grid_of(p)
        if all(g.roles != x.roles for x in grids):
            grids.append(g)
    widths = sorted({g.width for g in grids})
    for p in pages:
        pg = grid_of(p)
        for line in p.data:
            if line is p.fused:
                continue
            n = len(line.cells)
            if min(abs(n - w) for w in widths) > _MAX_OFF:
                raise ParseError(
                    f"page {p.no}, line {line.no}: row has {n} cells where the page's grid has "
                    f"{pg.width} (the file's grids: {', '.join(map(str, widths))} cells); too "
                    f"many cells to align its KPI number, numbers and evaluation: "
                    f"{_cause(line, pg, grids)}"
                )
            r = choose(rules, line, pg, grids)
            if r.how == "page grid":
                if r.misfits and len(line.cells) != pg.width and _kpi_misfit(r):
                    raise ParseError(
                        f"page {p.no}, line {line.no}: row has {len(line.cells)} cells where "
                        f"the page's grid has {pg.width} and no KPI/numeric run could be "
                        f"aligned ({', '.join(r.misfits)}): {_cause(line, pg, grids)}"
                    )
                continue
            if r.misfits and _kpi_misfit(r):
                raise ParseError(
                    f"page {p.no}, line {line.no}: row has {len(line.cells)} cells where the "
                    f"page's grid has {pg.width}; its KPI number, numbers and evaluation fit "
                    f"no grid of the file ({', '.join(r.misfits)}): {_cause(line, pg, grids)}"
                )
            new = remap(line.cells, r.roles, pg)
            line.realigned = (
                f"line {line.no}: {len(line.cells)} cells read with the {r.how} "
                f"and rewritten into the {pg.width}-cell grid of page {p.no}"
            )
            line.cells = new


def _kpi_misfit(r: Reading) -> bool:
    return any(m.startswith(("kpi_no", "eval=")) for m in r.misfits)


# --------------------------------------------------------------------------------------
# KPI numbers the realigned rows could not keep
# --------------------------------------------------------------------------------------


def check_kpi_numbers(rows: list[ReportRow], kpis: list[Kpi]) -> None:
    """Reject a report whose KPI numbering shows a row that lost its KPI number.

    A realigned row whose KPI number the parser inferred (previous + 1) while another row
    prints that number or while the report then skips a smaller KPI number, or a
    realigned row with numbers in its KPI columns but no KPI number while the report
    skips a KPI number: the row lost its KPI-number cell and its KPI cannot be identified. Named by page and line, instead of leaving
    validation to find "KPI n is not defined".
    """

    def where(r: ReportRow) -> str:
        return f"page {r.page_no}, line {r.line_start}"

    def realigned(r: ReportRow) -> str:
        notes = [p.note for p in r.repairs if p.rule == "row_realigned"]
        return f" (its cells were realigned: {'; '.join(notes)})" if notes else ""

    inferred = {
        r.kpi_no: r
        for r in rows
        if r.kpi_no is not None and _repair_rules(r) >= {"kpi_no_inferred", "row_realigned"}
    }
    for r in rows:
        dup = next((p for p in r.repairs if p.rule == "kpi_duplicate"), None)
        if dup is None or r.kpi_no not in inferred:
            continue
        lost = inferred[r.kpi_no]
        raise ParseError(
            f"{where(lost)}: the row has KPI data but no KPI number{realigned(lost)}; "
            f"numbered {lost.kpi_no} after the previous KPI, but {where(r)} prints KPI "
            f"{r.kpi_no}: the KPI-number cell was probably lost in OCR"
        )
    defined = {k.kpi_no for k in kpis}
    gaps = sorted(set(range(1, max(defined, default=0) + 1)) - defined)
    if not gaps:
        return
    guessed = [r for r in inferred.values() if r.kpi_no is not None and r.kpi_no > gaps[0]]
    if guessed:
        lost = min(guessed, key=lambda r: r.source_row_no)
        raise ParseError(
            f"{where(lost)}: the row has KPI data but no KPI number{realigned(lost)}; "
            f"numbered {lost.kpi_no} after the previous KPI, but KPI {gaps[0]} is missing "
            "from the report: the KPI-number cell was probably lost in OCR"
        )
    for r in rows:
        if "row_realigned" in _repair_rules(r) and any(
            p.rule == "junk_dropped" and p.field == "kpi" and "without a KPI number" in p.note
            for p in r.repairs
        ):
            raise ParseError(
                f"{where(r)}: the row has numbers in the KPI columns but no KPI number or "
                f"indicator name{realigned(r)}, and KPI {gaps[0]} is missing from the report: "
                "its cells are probably off the page's grid (a cell lost or moved in OCR)"
            )


def _repair_rules(r: ReportRow) -> set[str]:
    return {p.rule for p in r.repairs}
