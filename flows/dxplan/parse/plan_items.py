"""Plan position: each row's pillar, area and item (番号・名称), repaired from the rows
around it (rows of one plan item are consecutive) and from the plan's structure in
``rules/plan.yaml``. A cross-row pass like those in ``context.py``.
"""

from __future__ import annotations

from collections import Counter

from dxplan.models import Repair, ReportRow
from dxplan.parse.context import own_bigrams, text_corpus, unsupported
from dxplan.parse.fields import lcs_len, read_area_prefix, read_item_no
from dxplan.parse.fuzzy import similarity
from dxplan.parse.grouping import Group
from dxplan.parse.rules import Area, Rules
from dxplan.parse.text import basic, clean, nospace


# -------------------------------------------------------------------------------- plan
def _match_area(
    text: str, pillar: str | None, area_no: int | None, known: tuple[Area, ...]
) -> tuple[str, int, str] | None:
    t = nospace(text)
    scored = []
    tset = set(t)
    for p, a, name in ((k.pillar, k.area_no, k.name) for k in known):
        n = nospace(name)
        if not n or sum(1 for ch in n if ch in tset) < 0.6 * len(n):
            scored.append((0.0, p, a, name))
            continue
        score = lcs_len(t, n) / len(n)
        scored.append((score, p, a, name))
    scored.sort(key=lambda s: -s[0])
    good = [s for s in scored if s[0] >= 0.6 and s[0] >= scored[0][0] - 0.05]
    if not good:
        return None
    if len(good) > 1:
        pick = [
            s
            for s in good
            if (area_no is None or s[2] == area_no) and (pillar in (None, "II?") or s[1] == pillar)
        ]
        if len(pick) != 1:
            return None
        good = pick
    _, p, a, name = good[0]
    return p, a, name


def resolve_plan(rules: Rules, rows: list[ReportRow], groups: list[Group]) -> None:
    """Pillar, area and item of every row (``rules/plan.yaml``), then the items repaired
    from the rows around them."""
    known = rules.plan.areas
    printed: list[tuple[str | None, int | None]] = []
    bare: list[int | None] = []
    heads: list[set[str]] = []
    for r, g in zip(rows, groups, strict=False):
        t = g.cells.text
        item_no, item_left = read_item_no(rules, t.get("item_no", ""))
        pillar, area_no, rest = read_area_prefix(rules, t.get("area", ""))
        printed.append((pillar, area_no))
        m = _match_area(rest + item_left, pillar, area_no, known)
        if m is None and pillar in ("I", "II") and area_no is not None:
            same_no = (k for k in known if (k.pillar, k.area_no) == (pillar, area_no))
            m = next(((k.pillar, k.area_no, k.name) for k in same_no), None)
            if m is not None and nospace(rest):
                r.repairs.append(
                    Repair(
                        "area_name",
                        rest,
                        m[2],
                        "area_by_number",
                        "area name unreadable; taken from its printed number",
                    )
                )
        if m is not None:
            r.pillar, r.area_no, r.area_name = m
            if pillar not in (None, m[0]) or area_no not in (None, m[1]):
                r.repairs.append(
                    Repair(
                        "area_no",
                        f"{pillar} {area_no}",
                        f"{m[0]} {m[1]}",
                        "area_by_name",
                        "printed pillar/area number garbled; the area name decides",
                    )
                )
        r.item_no = item_no
        r.item_name = clean(rules, t.get("item_name"), "item_name", r.repairs)
        heads.append(_boundaries(rules, t.get("item_name")))
        left = nospace(item_left)
        bare.append(
            int(left) if item_no is None and left.isdigit() and 1 <= int(left) <= 10 else None
        )
    _inherit_area(rows)
    _resolve_items(rows, bare, heads)


def _inherit_area(rows: list[ReportRow]) -> None:
    for i, r in enumerate(rows):
        if r.area_name is not None:
            continue
        prev = next((rows[j] for j in range(i - 1, -1, -1) if rows[j].area_name), None)
        nxt = next((rows[j] for j in range(i + 1, len(rows)) if rows[j].area_name), None)
        src = None
        if prev and nxt and (prev.pillar, prev.area_no) == (nxt.pillar, nxt.area_no):
            src, why = prev, "rows before and after agree"
        elif prev and r.item_no and r.item_no == prev.item_no:
            src, why = prev, "same item as the row before"
        elif nxt and r.item_no and r.item_no == nxt.item_no:
            src, why = nxt, "same item as the row after"
        elif prev:
            src, why = prev, "area cell unreadable; rows of an area are consecutive"
        if src:
            r.pillar, r.area_no, r.area_name = src.pillar, src.area_no, src.area_name
            r.repairs.append(
                Repair(
                    "area_name",
                    None,
                    f"{src.pillar} {src.area_no} {src.area_name}",
                    "inherited",
                    why,
                )
            )


def _common_prefix(names: list[str]) -> str:
    p = names[0]
    for n in names[1:]:
        k = 0
        while k < min(len(p), len(n)) and p[k] == n[k]:
            k += 1
        p = p[:k]
    return p


def _boundaries(rules: Rules, raw: str | None) -> set[str]:
    """The heads of an item cell that end where the cell prints a space
    ('AIの活用 議事録の作成支援' -> {'AIの活用'}): where a sub-heading may start."""
    if not raw:
        return set()
    parts = basic(rules, raw).split(" ")
    return {
        h for k in range(1, len(parts)) if (h := clean(rules, " ".join(parts[:k]), "item_name"))
    }


def _canonical_names(
    rows: list[ReportRow], heads: list[set[str]] | None = None
) -> dict[tuple, tuple[str, bool]]:
    """The name of every (pillar, area, item) and whether it is a shared head.

    When the rows print different sub-headings after a shared item name ('AIの活用
    議事録の作成支援', 'AIの活用 生成AIの活用'), the item name is the shared part: the
    longest common head that at least two rows end with a printed space, or, without
    spaces, a common prefix after which the rows differ wholly. Otherwise the reading
    whose words the report prints elsewhere (fewest unknown bigrams), then the majority.
    """
    corpus = text_corpus(rows)
    members: dict[tuple, list[int]] = {}
    for i, r in enumerate(rows):
        if r.item_no and r.item_name:
            members.setdefault((r.pillar, r.area_no, r.item_no), []).append(i)
    out: dict[tuple, tuple[str, bool]] = {}
    for key, idx in members.items():
        c = Counter(rows[i].item_name for i in idx)
        names = [n for n in c if n]
        shared = _shared_head(names, [heads[i] for i in idx] if heads else [])
        if shared:
            out[key] = (shared, True)
            continue
        own = own_bigrams([rows[i].item_name for i in idx])
        best = min(names, key=lambda n: (unsupported(n, corpus, own), -c[n], names.index(n)))
        out[key] = (best, False)
    return out


def _shared_head(names: list[str], heads: list[set[str]]) -> str | None:
    if len(names) < 2:
        return None
    lcp = _common_prefix(names)

    def splits(h: str) -> bool:
        return sum(1 for n in names if len(n) - len(h) >= 2) >= 2

    spaced = Counter(h for hs in heads for h in hs if lcp.startswith(h) and len(h) >= 2)
    for h in sorted(spaced, key=len, reverse=True):
        if spaced[h] >= 2 and splits(h):
            return h
    if (
        len(lcp) >= 4
        and all(len(n) - len(lcp) >= 3 for n in names)
        and all(
            similarity(a[len(lcp) :], b[len(lcp) :]) < 0.5 for a in names for b in names if a < b
        )
    ):
        return lcp
    return None


def _item_int(v: str | None) -> int | None:
    return int(v) if v and v.isdigit() else None


def _fits(rows: list[ReportRow], i: int, n: int) -> bool:
    """Would item n keep the items of this area in printed order around row i?"""
    r = rows[i]
    for j in range(i - 1, -1, -1):
        o = rows[j]
        if (o.pillar, o.area_no) != (r.pillar, r.area_no):
            break
        k = _item_int(o.item_no)
        if k is not None:
            if k > n:
                return False
            break
    for j in range(i + 1, len(rows)):
        o = rows[j]
        if (o.pillar, o.area_no) != (r.pillar, r.area_no):
            break
        k = _item_int(o.item_no)
        if k is not None:
            if k < n:
                return False
            break
    return True


def _resolve_items(
    rows: list[ReportRow], bare: list[int | None], heads: list[set[str]] | None = None
) -> None:
    names = {k: v for k, (v, _) in _canonical_names(rows, heads).items()}

    def same_area(o: ReportRow | None, r: ReportRow) -> bool:
        return o is not None and (o.pillar, o.area_no) == (r.pillar, r.area_no)

    # 1. by name: the row prints the name (or the shared part) of an item of its area
    for i, r in enumerate(rows):
        if r.item_no is not None or not r.item_name:
            continue
        for (p, a, n), nm in names.items():
            if (p, a) != (r.pillar, r.area_no):
                continue
            ok = similarity(nm, r.item_name) >= 0.75 or (
                len(_common_prefix([nm, r.item_name])) >= 4
                and _item_int(n) is not None
                and _fits(rows, i, int(n))
            )
            if ok:
                r.item_no = n
                r.repairs.append(
                    Repair(
                        "item_no",
                        None,
                        n,
                        "item_by_name",
                        f"item number lost; the row prints the item name {nm}",
                    )
                )
                break
    # 2. a bare number in the item cell ('1' for '(1)') that keeps the items in order
    for i, r in enumerate(rows):
        if r.item_no is None and bare[i] is not None and _fits(rows, i, bare[i]):
            r.item_no = str(bare[i])
            r.repairs.append(
                Repair(
                    "item_no",
                    str(bare[i]),
                    r.item_no,
                    "item_bare_number",
                    "item number printed without its brackets",
                )
            )
    # 3. neighbours
    for i, r in enumerate(rows):
        if r.item_no is not None:
            continue
        prev = rows[i - 1] if i > 0 else None
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        if (
            same_area(prev, r)
            and same_area(nxt, r)
            and prev.item_no
            and prev.item_no == nxt.item_no
            and (not r.item_name or r.item_name == prev.item_name)
        ):
            r.item_no = prev.item_no
            r.repairs.append(
                Repair(
                    "item_no",
                    None,
                    r.item_no,
                    "inherited",
                    "rows before and after are the same item",
                )
            )
            continue
        if not r.item_name or not same_area(prev, r):
            continue
        pk = _item_int(prev.item_no)
        if pk is None or r.item_name == prev.item_name:
            continue
        nk = _item_int(nxt.item_no) if same_area(nxt, r) else None
        if nk == pk + 2 or (not same_area(nxt, r)) or (nxt is not None and nxt.item_no is None):
            r.item_no = str(pk + 1)
            r.repairs.append(
                Repair(
                    "item_no",
                    None,
                    r.item_no,
                    "item_next",
                    f"item number lost; a new item name after item {pk}",
                )
            )
    # 4. item names: the canonical name of the item, for rows that print it blank, with
    # a sub-heading, or in a reading less supported by the rest of the report
    canon = _canonical_names(rows, heads)
    corpus = text_corpus(rows)
    for r in rows:
        nm, shared = canon.get((r.pillar, r.area_no, r.item_no), (None, False))
        if not (r.item_no and nm and r.item_name != nm):
            continue
        if r.item_name and not (shared and r.item_name.startswith(nm)):
            same = [
                o.item_name
                for o in rows
                if (o.pillar, o.area_no, o.item_no) == (r.pillar, r.area_no, r.item_no)
            ]
            own = own_bigrams(same)
            mine = (unsupported(r.item_name, corpus, own), -same.count(r.item_name))
            if mine <= (unsupported(nm, corpus, own), -same.count(nm)):
                continue  # printed in a reading as well supported as the vote's: keep it
        r.repairs.append(
            Repair(
                "item_name",
                r.item_name,
                nm,
                "item_name_voted",
                "the name the rows of this item share"
                if shared
                else "the best reading the rows of this item print",
            )
        )
        r.item_name = nm
