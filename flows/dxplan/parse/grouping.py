"""Group the data lines of all pages into table rows.

A line whose 事業番号 cell holds a number or the 再掲 mark starts a row. The header
line fused with the first row of a page may have lost that cell: whether it is a row of
its own (its number lost by OCR) or the upper half of the row on the next line is decided
from the numbering (next number = previous + 1 -> same row; a gap of one -> a row of its
own) and, when that says nothing, from whether its text looks complete.
"""

from __future__ import annotations

from dataclasses import dataclass

from dxplan.parse.cells import RowCells, merge_rows, split_line, strip_header
from dxplan.parse.fields import read_no_cell, read_ref
from dxplan.parse.layout import Page
from dxplan.parse.rules import Rules
from dxplan.parse.text import basic, nospace

_CONTENT_ROLES = ("dept", "div", "project", "summary", "target", "status")


@dataclass
class Group:
    cells: RowCells
    kind: str | None  # "number", "relisted" or None (mark lost)
    no: int | None
    note: str = ""


def _marker(rules: Rules, rc: RowCells) -> tuple[str | None, int | None]:
    kind, no = read_no_cell(rules, rc.text.get("no", ""))
    if kind is None:
        _, ref, _ = read_ref(rules, rc.text.get("project", ""))
        if ref is not None:
            return "relisted", None
    return kind, no


def _content(rc: RowCells) -> int:
    return sum(1 for r in _CONTENT_ROLES if nospace(rc.text.get(r, "")))


def _looks_complete(rules: Rules, rc: RowCells) -> bool:
    """Text cells of a whole row end a sentence; the upper half of a split row does not."""
    status = nospace(basic(rules, rc.text.get("status", "")))
    project = nospace(basic(rules, rc.text.get("project", "")))
    balanced = project.count("(") <= project.count(")")
    return status.endswith(("。", ")", "た", "る")) and balanced


def group_rows(rules: Rules, pages: list[Page], n_targets: int) -> list[Group]:
    groups: list[Group] = []
    last_no: int | None = None
    for page in pages:
        pending: Group | None = None  # fused first line of the page without a mark
        for line in page.data:
            rc = split_line(rules, line, page, n_targets)
            if line is page.fused:
                strip_header(rules, rc)
            kind, no = _marker(rules, rc)
            if pending is not None:
                p = pending
                pending = None
                if _same_row(rules, p, kind, no, rc, last_no):
                    merged = merge_rows(rules, p.cells, rc)
                    g = Group(merged, kind, no, note="header line fused with the row below it")
                    groups.append(g)
                    if kind == "number":
                        last_no = no
                    continue
                groups.append(p)
            if line is page.fused and kind is None:
                pending = Group(rc, None, None)
                continue
            if kind is None and groups and _content(rc) < 3:
                groups[-1].cells = merge_rows(rules, groups[-1].cells, rc)
                continue
            groups.append(Group(rc, kind, no))
            if kind == "number":
                last_no = no
        if pending is not None:
            groups.append(pending)
    return groups


def _same_row(
    rules: Rules, p: Group, kind: str | None, no: int | None, rc: RowCells, last_no: int | None
) -> bool:
    """Is the marked line ``rc`` the lower half of the unmarked fused line ``p``?"""
    _, ref, _ = read_ref(rules, p.cells.text.get("project", ""))
    if ref is not None:
        return False  # the fused line is a 再掲 row of its own
    if kind == "number" and no is not None:
        expected = (last_no or 0) + 1
        if no == expected:
            return True
        if no == expected + 1:
            return False
    if kind is None:
        return _content(rc) < 3
    return not _looks_complete(rules, p.cells)
