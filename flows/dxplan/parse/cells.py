"""From physical lines to the cells of one table row, by column role.

A line's cells are mapped to roles with the page's column map; a line with fewer or more
cells than its page is aligned on the left (up to the KPI name) and on the right (status,
evaluation, actual). Header words are stripped from the line OCR fused with the page
header, and the lines of one table row are merged cell by cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dxplan.parse.fuzzy import levenshtein
from dxplan.parse.layout import Line, Page
from dxplan.parse.marks import looks_like_mark
from dxplan.parse.rules import Rules
from dxplan.parse.text import apply_fixes, basic, nospace


@dataclass
class RowCells:
    """The text of one table row by role; ``zone`` holds the numeric cells in order."""

    text: dict[str, str] = field(default_factory=dict)
    zone: list[tuple[str, str]] = field(default_factory=list)  # (slot role, raw text)
    lines: list[Line] = field(default_factory=list)
    page_no: int = 0
    fused: bool = False
    stripped: list[str] = field(default_factory=list)  # header words removed


def split_line(rules: Rules, line: Line, page: Page, n_targets: int) -> RowCells:
    cols = page.columns
    cells = line.cells
    n = len(cells)
    rc = RowCells(lines=[line], page_no=page.no)
    left_end = cols["kpi_name"][0]
    for role in rules.layout.left_roles:
        rc.text[role] = " ".join(cells[j] for j in cols[role] if j < n and j <= left_end).strip()
    # right side: the status is the last cell; the evaluation is the mark cell near the end
    status_j = n - 1
    eval_j = n - 2
    if n != page.width:
        for j in range(n - 2, max(left_end, n - 5), -1):
            if looks_like_mark(rules, cells[j]):
                eval_j = j
                status_j = j + 1 if j + 1 < n else j
                break
    rc.text["status"] = " ".join(cells[status_j:]).strip() if status_j > eval_j else ""
    rc.text["eval"] = cells[eval_j].strip() if eval_j > left_end else ""
    # numeric zone: between the KPI name and the evaluation
    zone_cells = list(range(left_end + 1, eval_j))
    slot_roles = (
        [f"b{k}" for k in range(len(cols["baseline"]))]
        + [f"t{k}" for k in range(n_targets)]
        + ["actual"]
    )
    if len(zone_cells) >= len(slot_roles):
        # align on the right; surplus cells on the left are the baseline's
        pad = len(zone_cells) - len(slot_roles)
        roles = ["b0"] * pad + slot_roles
    else:
        # too few cells (one lost): aligned on the right, the actual is the last one
        roles = slot_roles[len(slot_roles) - len(zone_cells) :] if zone_cells else []
    rc.zone = [
        (r if not r.startswith("b") else "baseline", cells[j])
        for r, j in zip(roles, zone_cells, strict=False)
    ]
    return rc


def strip_header(rules: Rules, rc: RowCells) -> None:
    """Remove header words from the cells of the line fused with the page header."""
    words = rules.layout.strip
    for role, text in list(rc.text.items()):
        ws = words.get(role)
        if not ws or not text:
            continue
        new, hit = _strip_words(rules, text, ws, exact_short=True)
        if hit:
            rc.stripped.append(f"{role}:{hit}")
            rc.text[role] = new
    kn = rc.text.get("kpi_no", "")
    if kn and not re.search(r"\d|再", basic(rules, kn)):
        rc.stripped.append(f"kpi_no:{kn}")
        rc.text["kpi_no"] = ""
    # numeric zone: year headers (R4, R 5, K5, 'R4 R' + '5') and 基準値 / 目標値
    sep = "\ue000"
    b = apply_fixes(rules, basic(rules, f" {sep} ".join(t for _, t in rc.zone)))[0]
    b = re.sub(
        rf"(?<![A-Za-z0-9])[RK]\s*(?:{sep}\s*)?\d{{1,2}}(?![\d.,%])",
        lambda m: f" {sep} " if sep in m.group(0) else " ",
        b,
    )
    b = re.sub(rf"(?<![A-Za-z0-9])R(?=\s*({sep}|$))", " ", b)
    for w in sorted(words["numeric"], key=len, reverse=True):
        b = b.replace(w, " ")
    parts = b.split(sep)
    if len(parts) == len(rc.zone):
        new_zone = [(role, p.strip()) for (role, _), p in zip(rc.zone, parts, strict=False)]
        if new_zone != [(r, basic(rules, t)) for r, t in rc.zone]:
            rc.stripped.append("numeric header")
        rc.zone = new_zone
    rc.fused = True


def _strip_words(
    rules: Rules, text: str, words: tuple[str, ...], exact_short: bool
) -> tuple[str, str | None]:
    """Remove one leading header word (fuzzy for long words) from ``text``."""
    b = basic(rules, text)
    for w in sorted(words, key=len, reverse=True):
        wn = nospace(basic(rules, w))
        # walk over b consuming len(wn) non-space characters
        consumed = _prefix_span(b, len(wn))
        if consumed is None:
            continue
        head = nospace(b[:consumed])
        if head == wn:
            ok = True
        elif len(wn) >= 4:
            ok = levenshtein(head, wn, len(wn) // 4) <= len(wn) // 4
        else:
            ok = False
        if not ok:
            continue
        rest = b[consumed:]
        # short words (部, 課, No, 番号) only when followed by a space, or when the
        # rest is itself a complete word of the same role (部企画調整部 -> 企画調整部)
        if (
            len(wn) < 3
            and exact_short
            and rest
            and not rest.startswith(" ")
            and not _short_glued_ok(wn, rest)
        ):
            continue
        return rest.strip(), wn
    return b, None


def _short_glued_ok(word: str, rest: str) -> bool:
    if word in ("部", "課"):
        return nospace(rest).endswith(word) or nospace(rest).endswith(("局", "室"))
    return False


def _prefix_span(s: str, k: int) -> int | None:
    """Index in ``s`` after its first ``k`` non-space characters."""
    seen = 0
    for i, ch in enumerate(s):
        if not ch.isspace():
            seen += 1
            if seen == k:
                return i + 1
    return None


def merge_text(rules: Rules, a: str, b: str) -> str:
    """Merge the same cell of two lines of one row (a = upper line, b = lower line).

    When the lower line is a second, garbled reading that starts with the upper line's
    text (OCR read the fused header row twice), only its new tail is appended.
    """
    a = a.strip()
    b = b.strip()
    if not a:
        return b
    if not b:
        return a
    an = nospace(basic(rules, a))
    bn = nospace(basic(rules, b))
    if len(an) >= 4 and len(bn) > len(an):
        head = bn[: len(an)]
        limit = len(an) // 2
        if levenshtein(head, an, limit) <= limit:
            span = _prefix_span(basic(rules, b), len(an)) or 0
            return a + " " + basic(rules, b)[span:].strip()
    return a + " " + b


def second_reading(rules: Rules, top: RowCells, bottom: RowCells) -> bool:
    """Is ``bottom`` a second (garbled) OCR reading of the same row as ``top``?

    OCR sometimes reads the row under a fused page header twice: the lower line then
    starts every cell with a garbled copy of the upper line's text.
    """
    ds = []
    for role in ("project", "summary", "target", "status"):
        a = nospace(basic(rules, top.text.get(role, "")))
        b = nospace(basic(rules, bottom.text.get(role, "")))
        if len(a) < 6 or len(b) < len(a):
            continue
        ds.append(levenshtein(a, b[: len(a)]) / len(a))
    if not ds:
        return False
    return min(ds) <= 0.45 or sum(ds) / len(ds) <= 0.65


def _keep_top(rules: Rules, a: str, b: str) -> str:
    a, b = a.strip(), basic(rules, b).strip()
    if not a:
        return b
    n = len(nospace(basic(rules, a)))
    span = _prefix_span(b, n)
    if span is None:
        return a
    tail = b[span:].strip()
    return (a + " " + tail).strip()


def merge_rows(rules: Rules, top: RowCells, bottom: RowCells) -> RowCells:
    out = RowCells(
        lines=top.lines + bottom.lines,
        page_no=top.page_no,
        fused=top.fused,
        stripped=top.stripped + bottom.stripped,
    )
    twice = second_reading(rules, top, bottom)
    if twice:
        out.stripped.append("second OCR reading of the row merged")
    for role in set(top.text) | set(bottom.text):
        a, b = top.text.get(role, ""), bottom.text.get(role, "")
        out.text[role] = _keep_top(rules, a, b) if twice else merge_text(rules, a, b)
    # numeric zone: the line that has numbers wins; otherwise concatenate by position
    tz = [t for _, t in top.zone if t.strip()]
    bz = [t for _, t in bottom.zone if t.strip()]
    if not tz:
        out.zone = bottom.zone
    elif not bz:
        out.zone = top.zone
    else:
        out.zone = [
            (r, (t1 + " " + t2).strip())
            for (r, t1), (_, t2) in zip(top.zone, bottom.zone, strict=False)
        ]
    return out
