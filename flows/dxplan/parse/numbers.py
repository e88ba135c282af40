"""Numbers as printed in KPI cells: tokenising, rebuilding OCR-broken numbers, qualifiers.

Everything that varies (qualifier words, units) comes from ``rules/comparators.yaml``
and ``rules/units.yaml``, compiled into ``Rules.number``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dxplan.parse.rules import Rules

_DIGITS = re.compile(r"\d")


@dataclass
class Token:
    """One piece of a numeric cell: a number (with qualifier/unit), a dash, or text."""

    kind: str  # "num", "dash" or "text"
    text: str  # as printed (normalised)
    cell: int  # index of the cell (within the zone) it came from
    value: float | None = None
    comparator: str | None = None
    unit: str | None = None
    notes: list[str] = field(default_factory=list)  # repairs made while reading it
    glued: str = ""  # junk printed right before the number without a space ('Æ100%')

    @property
    def digits(self) -> str:
        return "".join(_DIGITS.findall(self.text))


def to_float(num: str) -> tuple[float, list[str]]:
    """Value of a printed number; a comma followed by 1-2 digits is a misread decimal point."""
    notes: list[str] = []
    parts = num.split(",")
    if len(parts) > 1:
        head, tail = parts[:-1], parts[-1]
        last_digits = tail.split(".")[0]
        if len(last_digits) == 3 and all(len(p.split(".")[-1]) >= 1 for p in head):
            num = "".join(parts)  # thousands separators
        else:
            num = "".join(head) + "." + tail
            notes.append(f"comma read as decimal point in {','.join(parts)!r}")
    if num.count(".") > 1:
        first, *rest = num.split(".")
        num = first + "." + "".join(rest)
        notes.append("extra decimal points dropped")
    return float(num), notes


_JOIN_SEP = re.compile(r"(\d)\s*([.,、])\s*(\d)")
_PAREN_ZERO = re.compile(r"(\d)[(\[](?=\d|\s|$)")
_LONE_L = re.compile(r"(?<![A-Za-z])l(?![A-Za-z])")


def prepare(cell: str) -> tuple[str, list[str]]:
    """Repair OCR damage inside one numeric cell before tokenising."""
    notes: list[str] = []
    s = cell
    new = _JOIN_SEP.sub(
        lambda m: m.group(1) + ("," if m.group(2) == "、" else m.group(2)) + m.group(3), s
    )
    if new != s:
        notes.append(f"spaces inside a number removed: {s!r}")
        s = new
    new = _PAREN_ZERO.sub(lambda m: m.group(1) + "0 ", s)
    if new != s:
        notes.append(f"'(' after a digit read as 0: {s!r}")
        s = new
    if not _DIGITS.search(s) and _LONE_L.search(s):
        s = _LONE_L.sub("1", s)
        notes.append(f"lone 'l' read as 1: {cell!r}")
    return s, notes


def tokenize(rules: Rules, cell: str, cell_no: int) -> list[Token]:
    """Split one (normalised) cell into number, dash and text tokens, in printed order."""
    s, notes = prepare(cell)
    out: list[Token] = []
    pos = 0
    pre, suf = rules.comparators.prefix, rules.comparators.suffix
    for m in rules.number.finditer(s):
        before = s[pos : m.start()]
        out.extend(_text_tokens(before, cell_no))
        glued = before.split(" ")[-1] if before and not before.endswith(" ") else ""
        comparator = None
        if m.group("pre"):
            comparator = pre[m.group("pre")]
        if m.group("suf"):
            comparator = suf[m.group("suf")]
        value, vnotes = to_float(m.group("num"))
        printed = m.group(0).strip()
        if vnotes and "," in m.group("num"):
            fixed_num = m.group("num")[::-1].replace(",", ".", 1)[::-1]
            printed = printed.replace(m.group("num"), fixed_num)
        out.append(
            Token(
                "num",
                printed,
                cell_no,
                value=value,
                comparator=comparator,
                unit=m.group("unit"),
                notes=notes + vnotes,
                glued=glued,
            )
        )
        notes = []
        pos = m.end()
    out.extend(_text_tokens(s[pos:], cell_no))
    return out


def _text_tokens(s: str, cell_no: int) -> list[Token]:
    out = []
    for part in s.split():
        if set(part) <= set("-=ー_一"):
            out.append(Token("dash", "-", cell_no))
        else:
            out.append(Token("text", part, cell_no))
    return out


def parse_value(rules: Rules, text: str | None) -> tuple[float | None, str | None, str | None]:
    """(value, comparator, unit) of one printed value such as ``ほぼ100%`` or ``4以上``."""
    if not text:
        return None, None, None
    toks = [t for t in tokenize(rules, text, 0) if t.kind == "num"]
    if len(toks) != 1:
        return None, None, None
    t = toks[0]
    return t.value, t.comparator, t.unit
