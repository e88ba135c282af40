"""Reading the KPI block of a row: indicator name, baseline, targets, actual.

The cells between the KPI name and the evaluation are tokenised; numbers broken by OCR
are rebuilt; then the numbers are aligned to the slots (baseline, one per target year,
actual) by a monotone alignment that prefers each number's own column, may leave slots
empty, and may drop a stray fragment (a number that is a prefix of its neighbour, e.g.
``6`` beside ``6000``). Text fragments found among the numbers are name pieces that OCR
moved out of the name cell (``接続 1800``) or junk (``IE``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from dxplan.models import Repair
from dxplan.parse.cells import RowCells
from dxplan.parse.fields import read_ref
from dxplan.parse.numbers import Token, tokenize
from dxplan.parse.rules import Rules
from dxplan.parse.text import apply_fixes, basic, squeeze

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


@dataclass
class KpiBlock:
    name: str | None
    slots: list[Token | None]  # baseline, targets..., actual
    actual_cell_text: str | None
    repairs: list[Repair] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        return bool(self.name) or any(s is not None for s in self.slots)


def read_block(rules: Rules, rc: RowCells, n_targets: int, field_prefix: str = "kpi") -> KpiBlock:
    repairs: list[Repair] = []
    n_slots = n_targets + 2
    name_raw = rc.text.get("kpi_name", "")
    name_txt, _, _ = read_ref(rules, name_raw)  # the row reads the ※再掲 reference
    # tokens of the name cell: text -> name, numbers -> baseline (18-column pages)
    tokens: list[Token] = []
    hints: list[int] = []
    name_parts: list[str] = []
    for t in tokenize(rules, basic(rules, name_txt), -1):
        if t.kind == "text":
            if re.fullmatch(r"[A-Za-z]{1,2}", t.text):
                repairs.append(
                    Repair(
                        f"{field_prefix}.indicator_name",
                        t.text,
                        None,
                        "junk_dropped",
                        "OCR junk in the name cell",
                    )
                )
                continue
            name_parts.append(t.text)
        else:
            tokens.append(t)
            hints.append(0)
    slot_of = {"baseline": 0, "actual": n_slots - 1}
    for k in range(n_targets):
        slot_of[f"t{k}"] = 1 + k
    actual_cell_text = None
    fragments: list[Token] = []
    zone = _pull_decimal_tails(rules, rc.zone, repairs, field_prefix)
    per_cell: list[list[Token]] = []
    for ci, (role, raw) in enumerate(zone):
        cell = basic(rules, raw)
        if role == "actual" and cell:
            actual_cell_text = cell
        per_cell.append(tokenize(rules, cell, ci) if cell else [])
    _join_split_numbers(rules, zone, per_cell, tokens, repairs, field_prefix)
    for ci, (role, _raw) in enumerate(zone):
        for t in per_cell[ci]:
            if t.kind == "text":
                fragments.append(t)
                continue
            tokens.append(t)
            hints.append(slot_of[role])
    tokens, hints = _rebuild(rules, tokens, hints, repairs, field_prefix)
    slots = _align(tokens, hints, n_slots, repairs, field_prefix)
    name = " ".join(name_parts)
    # name pieces among the numbers (CJK text outside the actual cell)
    actual_ci = next((i for i, (r, _) in enumerate(rc.zone) if r == "actual"), None)
    for f in fragments:
        if f.cell == actual_ci:
            continue
        if _CJK.search(f.text):
            fixed = apply_fixes(rules, f.text)[0]
            new = insert_fragment(name, fixed)
            repairs.append(
                Repair(
                    f"{field_prefix}.indicator_name",
                    f.text,
                    new,
                    "name_fragment",
                    "name piece found among the numbers",
                )
            )
            name = new
        else:
            repairs.append(
                Repair(
                    f"{field_prefix}.values",
                    f.text,
                    None,
                    "junk_dropped",
                    "OCR junk among the numbers",
                )
            )
    name = squeeze(apply_fixes(rules, squeeze(name))[0]) or None
    return KpiBlock(name, slots, actual_cell_text, repairs)


def _pull_decimal_tails(
    rules: Rules, zone: list[tuple[str, str]], repairs: list[Repair], fp: str
) -> list[tuple[str, str]]:
    """'61' | '. 0%' -> '61.0%' | '': a cell that starts with the decimals of the number
    that ends the previous non-empty cell."""
    out = [(r, basic(rules, t)) for r, t in zone]
    last = None
    for i, (r, t) in enumerate(out):
        if not t:
            continue
        m = re.match(r"^[.,]\s*\d+\s*%?", t)
        if m and last is not None and re.search(r"\d$", out[last][1]):
            lr, lt = out[last]
            out[last] = (lr, lt + m.group(0).replace(" ", ""))
            out[i] = (r, t[m.end() :].strip())
            repairs.append(
                Repair(
                    f"{fp}.values",
                    f"{lt} | {t}",
                    out[last][1],
                    "number_rebuilt",
                    "decimals of a number split over cells",
                )
            )
            t = out[i][1]
        if t:
            last = i
    return out


_SPLIT_NUM = re.compile(r"\d{1,3}")


def _magnitude_gap(v: float, ref: float) -> float:
    """Distance of two values on a log scale (0 = same order of magnitude)."""
    return abs(math.log10(max(abs(v), 0.05)) - math.log10(max(abs(ref), 0.05)))


def _join_split_numbers(
    rules: Rules,
    zone: list[tuple[str, str]],
    per_cell: list[list[Token]],
    name_tokens: list[Token],
    repairs: list[Repair],
    fp: str,
) -> None:
    """'7 1.3%' -> '71.3%': a cell that holds one value whose digits OCR split by a space.

    Only cells that hold a single slot (the actual, every target but the first one on
    pages without a baseline column of its own, where the baseline shares the first
    target's cell) are candidates, and the pieces are joined only when the joined number
    is of the same order of magnitude as the row's other numbers while the pieces are
    not (``6000 6000`` stays two values, ``6 6000`` stays a fragment and its number).
    """
    shared_first = not any(role == "baseline" for role, _ in zone)
    for ci, (role, _raw) in enumerate(zone):
        toks = per_cell[ci]
        if role == "baseline" or (role == "t0" and shared_first):
            continue
        if len(toks) != 2 or any(t.kind != "num" for t in toks):
            continue
        a, b = toks
        if (
            not _SPLIT_NUM.fullmatch(a.text)
            or a.unit
            or a.comparator
            or b.glued
            or not b.text[:1].isdigit()
        ):
            continue
        joined = _retoken(rules, a.text + b.text, ci)
        if joined.value is None:
            continue
        others = [
            t.value
            for j, ts in enumerate(per_cell)
            if j != ci
            for t in ts
            if t.kind == "num" and t.value is not None
        ] + [t.value for t in name_tokens if t.kind == "num" and t.value is not None]
        if others:
            ref = sorted(others)[len(others) // 2]
            split_gap = min(_magnitude_gap(t.value or 0.0, ref) for t in toks)
            if _magnitude_gap(joined.value, ref) >= split_gap:
                continue
        per_cell[ci] = [joined]
        repairs.append(
            Repair(
                f"{fp}.values",
                f"{a.text} {b.text}",
                joined.text,
                "number_rebuilt",
                "digits of one value split by a space; the cell holds one value",
            )
        )


def insert_fragment(name: str, frag: str) -> str:
    """Put a name piece back: at the wrap gap, over a shared first character, or before
    the counting word at the end of the name; dropped when already there."""
    compact = squeeze(name)
    if not frag or frag in compact:
        return name
    # the piece starts with a character the name has, followed by what the piece lacks
    for i, ch in enumerate(name):
        if ch == frag[0] and name[i + 1 : i + len(frag)] != frag[1:]:
            tail = name[i + 1 :]
            if tail and not tail.startswith(frag[1:]):
                return name[:i] + frag + tail
    if " " in name.strip():
        a, _, b = name.strip().partition(" ")
        return a + frag + b
    for word in ("回数", "件数", "時間", "台数", "人数", "数", "率"):
        if compact.endswith(word):
            return compact[: -len(word)] + frag + word
    return compact + frag


def _rebuild(
    rules: Rules, tokens: list[Token], hints: list[int], repairs: list[Repair], fp: str
) -> tuple[list[Token], list[int]]:
    """Join numbers that OCR broke over two cells or spaces: '50'+'00', '61'+'.0%'."""
    out: list[Token] = []
    out_h: list[int] = []
    for t, h in zip(tokens, hints, strict=False):
        if out and t.kind == "num" and out[-1].kind == "num":
            prev = out[-1]
            d = t.text
            if (
                re.fullmatch(r"0\d+", d)
                and t.unit is None
                and t.comparator is None
                and prev.unit is None
                and prev.comparator is None
            ):
                joined = prev.text + d
                repairs.append(
                    Repair(
                        f"{fp}.values",
                        f"{prev.text} | {d}",
                        joined,
                        "number_rebuilt",
                        "digits of one number split over cells",
                    )
                )
                out[-1] = _retoken(rules, joined, prev.cell)
                continue
        out.append(t)
        out_h.append(h)
    for t in out:
        for note in t.notes:
            repairs.append(Repair(f"{fp}.values", None, t.text, "number_rebuilt", note))
    return out, out_h


def _retoken(rules: Rules, text: str, cell: int) -> Token:
    toks = [t for t in tokenize(rules, text, cell) if t.kind == "num"]
    return toks[0] if len(toks) == 1 else Token("num", text, cell)


def _is_fragment(tokens: list[Token], i: int) -> bool:
    """A short number that is the start of its neighbour (OCR read a cell twice)."""
    t = tokens[i]
    if t.kind != "num":
        return False
    for j in (i + 1, i - 1):
        if 0 <= j < len(tokens) and tokens[j].kind == "num":
            a, b = t.digits, tokens[j].digits
            if len(a) < len(b) and b.startswith(a):
                return True
    return False


def _align(
    tokens: list[Token], hints: list[int], n_slots: int, repairs: list[Repair], fp: str
) -> list[Token | None]:
    """Monotone alignment of tokens to slots minimising distance to their columns."""
    n = len(tokens)
    if (
        n <= n_slots
        and all(0 <= h < n_slots for h in hints)
        and all(a < b for a, b in zip(hints, hints[1:], strict=False))
    ):
        # every number in a column of its own, in order: nothing to align
        slots_direct: list[Token | None] = [None] * n_slots
        for t, h in zip(tokens, hints, strict=False):
            slots_direct[h] = t
        return slots_direct
    inf = float("inf")
    skip = [1.5 if _is_fragment(tokens, i) else 10.0 for i in range(n)]
    # cost[i][j]: tokens[:i] placed within slots[:j]
    cost = [[inf] * (n_slots + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, str] | None]] = [[None] * (n_slots + 1) for _ in range(n + 1)]
    for j in range(n_slots + 1):
        cost[0][j] = 0.0
    for i in range(1, n + 1):
        cost[i][0] = cost[i - 1][0] + skip[i - 1]
        back[i][0] = (i - 1, 0, "skip")
        for j in range(1, n_slots + 1):
            opts = [
                (cost[i - 1][j - 1] + abs(hints[i - 1] - (j - 1)), (i - 1, j - 1, "take")),
                (cost[i][j - 1], (i, j - 1, "empty")),
                (cost[i - 1][j] + skip[i - 1], (i - 1, j, "skip")),
            ]
            c, b = min(opts, key=lambda o: o[0])
            cost[i][j] = c
            back[i][j] = b
    slots: list[Token | None] = [None] * n_slots
    i, j = n, n_slots
    while i > 0 or j > 0:
        b = back[i][j]
        if b is None:
            break
        pi, pj, op = b
        if op == "take":
            slots[pj] = tokens[pi]
            if hints[pi] != pj:
                repairs.append(
                    Repair(
                        f"{fp}.values",
                        tokens[pi].text,
                        tokens[pi].text,
                        "value_moved",
                        f"value printed in column {hints[pi]} belongs to column {pj}",
                    )
                )
        elif op == "skip":
            repairs.append(
                Repair(
                    f"{fp}.values",
                    tokens[pi].text,
                    None,
                    "fragment_dropped",
                    "a stray piece of a neighbouring number",
                )
            )
        i, j = pi, pj
    return slots


def kpi_unit(rules: Rules, slots: list[Token | None], name: str | None) -> str | None:
    seen = [t.unit for t in slots if t is not None and t.unit]
    if seen:
        return max(set(seen), key=seen.count)
    if name:
        best = None
        for keyword, unit in rules.units.name_keywords:
            pos = name.rfind(keyword)
            if pos >= 0:
                end = pos + len(keyword)
                if best is None or end > best[0]:
                    best = (end, unit)
        if best:
            return best[1]
    return None


def kpi_direction(
    rules: Rules,
    name: str | None,
    target_text: str | None,
    baseline: float | None,
    targets: list[float | None],
) -> tuple[str, str]:
    """(direction, why): the first rule of ``rules/directions.yaml`` whose keyword the
    indicator name or the target text prints, else whether the targets fall."""
    for r in rules.directions:
        where = r.field
        hay = []
        if where in ("indicator_name", "both") and name:
            hay.append(name)
        if where in ("target_text", "both") and target_text:
            hay.append(target_text)
        if any(r.keyword in h for h in hay):
            return r.direction, f"rule: {r.keyword} in {where}"
    vals = [v for v in targets if v is not None]
    if vals:
        start = baseline if baseline is not None else vals[0]
        if vals[-1] < start:
            return "decrease", "targets fall below the baseline"
    return "increase", "default"


__all__ = ["KpiBlock", "read_block", "kpi_unit", "kpi_direction"]
