"""Reading single fields of a row: number/再掲 marks, plan position, organisations, refs."""

from __future__ import annotations

import re
from functools import lru_cache

from dxplan.parse.fuzzy import levenshtein
from dxplan.parse.rules import Rules
from dxplan.parse.text import fixed, nospace

_RELIST_WORD = "再掲"


def read_no_cell(rules: Rules, cell: str) -> tuple[str | None, int | None]:
    """('number', n) / ('relisted', None) / (None, None) for the 事業番号 cell."""
    s = nospace(fixed(rules, cell))
    if not s:
        return None, None
    if _RELIST_WORD in s or (s.startswith("再") and len(s) <= 3):
        return "relisted", None
    m = re.fullmatch(r"\D{0,3}?(\d{1,3})", s)
    if m:
        return "number", int(m.group(1))
    return None, None


# ※再掲:No10 and OCR spellings (R04, Ho10, Noll, N052, ※両掲:Ho49)
_REF_HEAD = r"※\s*(?:再|両)?\s*掲?\s*[:;：]\s*(?P<pre>[A-Za-z]{0,2})\s*"
_REF = re.compile(_REF_HEAD + r"(?P<num>[0-9OoIl|]{1,3})(?![0-9])")
# the same mark ending its text with a space inside the number ('No5 2' = 52)
_REF_SPACED = re.compile(_REF_HEAD + r"(?P<num>[0-9OoIl|] ?[0-9OoIl|](?: ?[0-9OoIl|])?)\s*$")


def read_ref(
    rules: Rules, text: str, join_spaced: bool = False
) -> tuple[str, int | None, str | None]:
    """Split ``※再掲:NoXX`` off a text: (text without it, XX, the mark as printed).

    With ``join_spaced`` (a project cell, where the reference ends the text) digits split
    by a space are one number (``No5 2`` = 52); elsewhere the digits after the space are
    another value (a baseline printed after the reference in a KPI-name cell).
    """
    s = fixed(rules, text)
    m = (_REF_SPACED.search(s) if join_spaced else None) or _REF.search(s)
    if not m:
        return s, None, None
    num = m.group("num").replace(" ", "")
    pre = m.group("pre")
    # 'N052' = 'No' + '52' (o read as 0); 'R04' = 'No' + '4'
    if len(pre) == 1 and num.startswith(("0", "O", "o")) and len(num) > 1:
        num = num[1:]
    digits = num.translate(str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1"}))
    try:
        n = int(digits)
    except ValueError:
        return s, None, m.group(0)
    rest = (s[: m.start()] + s[m.end() :]).strip()
    return rest, n, m.group(0)


def read_kpi_no(rules: Rules, cell: str) -> tuple[int | None, bool, str | None]:
    """(KPI number, KPI column says 再掲, note) of the KPI 番号 cell."""
    s = nospace(fixed(rules, cell))
    if not s:
        return None, False, None
    if _RELIST_WORD in s or s.startswith("再"):
        return None, True, None
    m = re.fullmatch(r"(\d{1,3})", s)
    if m:
        return int(m.group(1)), False, None
    return None, False, f"KPI number cell unreadable: {cell!r}"


_ITEM_NO = re.compile(r"[(\[]\s*(\d{1,2})\s*[)\]]|[(\[]\s*(\d{1,2})(?!\d)|(?<!\d)(\d{1,2})\s*[)\]]")


def read_item_no(rules: Rules, cell: str) -> tuple[str | None, str]:
    """The item number ``(n)`` or ``計画`` in an item cell, and the leftover text."""
    s = fixed(rules, cell)
    if "計画" in s:
        return "計画", s.replace("計画", " ").strip()
    m = _ITEM_NO.search(s)
    if m:
        n = next(g for g in m.groups() if g)
        return str(int(n)), (s[: m.start()] + " " + s[m.end() :]).strip()
    return None, s


_PILLAR_TOKENS = {
    "I": "I",
    "l": "I",
    "1": "I",
    "|": "I",
    "II": "II",
    "Ⅱ": "II",
    "□": "II",
    "ll": "II",
    "11": "II",
}


def read_area_prefix(rules: Rules, text: str) -> tuple[str | None, int | None, str]:
    """Pillar and area number printed before the area name: 'I 1 まず…', 'I2 行政…', 'II 1 市町村'.

    Returns (pillar, area_no, rest of the text). Either may be None when unreadable.
    """
    s = fixed(rules, text)
    s = re.sub(r"^(?:No|名称|分野)\s*", "", s)
    s = re.sub(r"^(?:No|名称|分野)\s*", "", s)
    m = re.match(r"^\s*(II|Ⅱ|□|ll|I|l|\||1)?\s*([1-9lI])?(?=\s|[^\x00-\x7f]|$)\s*", s)
    if not m or not (m.group(1) or m.group(2)):
        m2 = re.match(r"^\s*([1-9])\s+(?=\D)", s)
        if m2:
            return None, int(m2.group(1)), s[m2.end() :]
        return None, None, s
    p, a = m.group(1), m.group(2)
    rest = s[m.end() :]
    pillar = _PILLAR_TOKENS.get(p) if p else None
    area = None
    if a:
        area = 1 if a in "lI" else int(a)
    if p and not a and p in ("II", "ll", "11"):
        # 'II まず…' can be 'I 1' run together; the area name decides later
        pillar, area = "II?", None
    if p == "1" and not a:
        pillar, area = None, 1
    return pillar, area, rest


_NOT_JA = re.compile(r"[^\u3040-\u30ff\u3400-\u9fff・]")


def split_orgs(
    rules: Rules,
    text: str,
    kind: str,
    known: list[str],
    prefer: dict[str, float] | None = None,
) -> tuple[list[str], list[tuple[str, str]]]:
    """Split a 部 (kind='dept') or 課 (kind='div') cell into names, correcting garbled ones.

    ``prefer`` ranks equally close known names (e.g. how often a division occurs with
    the row's department). Returns the names in printed order and (raw, corrected) pairs
    for every correction ('' = dropped as unreadable).
    """
    org = rules.organisations
    suffixes = org.department_suffixes if kind == "dept" else org.division_suffixes
    s = _NOT_JA.sub("", fixed(rules, text))
    names: list[str] = []
    fixes: list[tuple[str, str]] = []
    junk = nospace(fixed(rules, text))
    if junk and not s:
        return [], [(junk, "")]
    by_first = _index(tuple(known))
    i = 0
    while i < len(s):
        hit = None
        for k in by_first.get(s[i], ()):
            if s.startswith(k, i):
                hit = k
                break
        if hit:
            names.append(hit)
            i += len(hit)
            continue
        j = _next_suffix_end(s, i, suffixes)
        piece = s[i:j]
        i = j
        corr = _correct(piece, known, suffixes, prefer or {})
        if corr != piece:
            fixes.append((piece, corr))
        if corr:
            names.append(corr)
    return names, fixes


@lru_cache(maxsize=256)
def _index(known: tuple[str, ...]) -> dict[str, list[str]]:
    """Known names by first character, longest first."""
    out: dict[str, list[str]] = {}
    for k in sorted(set(known), key=len, reverse=True):
        if k:
            out.setdefault(k[0], []).append(k)
    return out


def _next_suffix_end(s: str, i: int, suffixes: tuple[str, ...]) -> int:
    best = len(s)
    for suf in suffixes:
        k = s.find(suf, i + 1)
        if k != -1:
            best = min(best, k + len(suf))
    return best


def _correct(
    piece: str, known: list[str], suffixes: tuple[str, ...], prefer: dict[str, float]
) -> str:
    """Nearest known name by edit distance (at most 1 edit per 3 characters); '' when the
    piece is unreadable (no known name near it and it does not end like a name)."""
    if piece in known:
        return piece
    return _correct_cached(piece, tuple(known), suffixes, tuple(sorted(prefer.items())))


@lru_cache(maxsize=4096)
def _correct_cached(
    piece: str,
    known: tuple[str, ...],
    suffixes: tuple[str, ...],
    prefer_items: tuple[tuple[str, float], ...],
) -> str:
    prefer = dict(prefer_items)
    cands: list[tuple[int, float, str]] = []
    for k in known:
        if abs(len(k) - len(piece)) > 1:
            continue
        limit = max(1, len(k) // 3)
        d = levenshtein(piece, k, limit)
        if d <= limit:
            cands.append((d, -prefer.get(k, 0.0), k))
    if cands:
        return min(cands)[2]
    if len(piece) >= 3 and any(piece.endswith(suf) for suf in suffixes):
        return piece  # an organisation this list does not know yet, printed cleanly
    return ""


@lru_cache(maxsize=16384)
def lcs_len(a: str, b: str) -> int:
    """Length of the longest common subsequence."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if ca == cb else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]
