"""Cross-row repairs: lost project numbers, 再掲 references, plan position, organisations.

Rows of one plan item are consecutive in the report, 再掲 rows re-list a numbered project
whose row is elsewhere in the same report, and the same organisations recur on many rows;
these passes use that context to repair what OCR lost on a single row. Every repair is
recorded on the row it changes.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from dxplan.models import Repair, ReportRow
from dxplan.parse.confusables import Vocabulary, correct
from dxplan.parse.fields import lcs_len, read_area_prefix, read_item_no, split_orgs
from dxplan.parse.fuzzy import levenshtein, similarity
from dxplan.parse.grouping import Group
from dxplan.parse.rules import load
from dxplan.parse.text import basic, clean, nospace


# ----------------------------------------------------------------------------- numbers
def resolve_project_numbers(rows: list[ReportRow], groups: list[Group]) -> None:
    numbered = [i for i, r in enumerate(rows) if not r.is_relisted]
    printed = Counter(rows[i].project_no for i in numbered if rows[i].project_no is not None)
    for k, i in enumerate(numbered):
        r = rows[i]
        prev_no = next(
            (rows[j].project_no for j in reversed(numbered[:k]) if rows[j].project_no is not None),
            0,
        )
        next_no = next(
            (rows[j].project_no for j in numbered[k + 1 :] if rows[j].project_no is not None), None
        )
        if r.project_no is None:
            guess = prev_no + 1
            if next_no is None or guess < next_no:
                r.project_no = guess
                r.repairs.append(
                    Repair(
                        "project_no",
                        None,
                        str(guess),
                        "project_no_inferred",
                        f"number lost by OCR; rows around it are {prev_no} and {next_no}",
                    )
                )
        elif (
            # a number printed twice is a real duplicate for validation to reject,
            # not an OCR slip to paper over
            printed[r.project_no] == 1
            and r.project_no != prev_no + 1
            and next_no is not None
            and next_no == prev_no + 2
            and r.project_no != next_no
        ):
            old = r.project_no
            r.project_no = prev_no + 1
            r.repairs.append(
                Repair(
                    "project_no",
                    str(old),
                    str(r.project_no),
                    "project_no_sequence",
                    f"{old} breaks the sequence {prev_no} .. {next_no}",
                )
            )


def resolve_relisted(rows: list[ReportRow]) -> None:
    """Check each 再掲 reference against the numbered rows of the report.

    A printed reference to an existing project is trusted; a missing or impossible one is
    replaced by the numbered project with the most similar name.
    """
    originals = {r.project_no: r for r in rows if not r.is_relisted and r.project_no}
    for r in rows:
        if not r.is_relisted:
            continue
        if r.project_no in originals:
            _check_ref_against_name(r, originals)
            continue
        best = _best_by_name(nospace(r.project_name or ""), originals.values())
        if best is not None:
            r.repairs.append(
                Repair(
                    "project_no",
                    None if r.project_no is None else str(r.project_no),
                    str(best.project_no),
                    "relisted_ref_by_name",
                    "the ※再掲 reference is unreadable or names no project of "
                    "this report; the project with the most similar name",
                )
            )
            r.project_no = best.project_no


def _check_ref_against_name(r: ReportRow, originals: dict[int | None, ReportRow]) -> None:
    """A readable reference whose project has a wholly different name, while another
    project has (almost) this row's name: the digits were misread, the name decides."""
    name = nospace(r.project_name or "")
    ref_name = nospace(originals[r.project_no].project_name or "")
    # both names must be whole readings: a fragment (a head cut off by OCR) proves nothing
    if len(name) < 6 or not _complete(ref_name) or len(ref_name) < 0.6 * len(name):
        return
    if similarity(name, ref_name) >= 0.35:
        return
    best = _best_by_name(name, originals.values())
    if best is None or best.project_no == r.project_no:
        return
    if similarity(name, nospace(best.project_name or "")) < 0.8:
        return
    r.repairs.append(
        Repair(
            "project_no",
            str(r.project_no),
            str(best.project_no),
            "relisted_ref_by_name",
            f"the ※再掲 reference names project No{r.project_no}, whose name differs "
            f"wholly from this row's; project No{best.project_no} has this row's name",
        )
    )
    r.project_no = best.project_no


def _best_by_name(name: str, cands) -> ReportRow | None:
    best = None
    for c in cands:
        s = similarity(name, nospace(c.project_name or ""))
        if s >= 0.6 and (best is None or s > best[0]):
            best = (s, c)
    return best[1] if best else None


# -------------------------------------------------------------------------------- plan
@lru_cache(maxsize=1)
def _plan() -> dict:
    return load("plan")


def _match_area(
    text: str, pillar: str | None, area_no: int | None, known: list[tuple[str, int, str]]
) -> tuple[str, int, str] | None:
    t = nospace(text)
    scored = []
    tset = set(t)
    for p, a, name in known:
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


def resolve_plan(rows: list[ReportRow], groups: list[Group]) -> None:
    known = [(a["pillar"], int(a["area_no"]), basic(a["name"])) for a in _plan()["areas"]]
    printed: list[tuple[str | None, int | None]] = []
    bare: list[int | None] = []
    heads: list[set[str]] = []
    for r, g in zip(rows, groups, strict=False):
        t = g.cells.text
        item_no, item_left = read_item_no(t.get("item_no", ""))
        pillar, area_no, rest = read_area_prefix(t.get("area", ""))
        printed.append((pillar, area_no))
        m = _match_area(rest + item_left, pillar, area_no, known)
        if m is None and pillar in ("I", "II") and area_no is not None:
            m = next(((p, a, n) for p, a, n in known if p == pillar and a == area_no), None)
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
        r.item_name = clean(t.get("item_name"), "item_name", r.repairs)
        heads.append(_boundaries(t.get("item_name")))
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


def _boundaries(raw: str | None) -> set[str]:
    """The heads of an item cell that end where the cell prints a space
    ('AIの活用 議事録の作成支援' -> {'AIの活用'}): where a sub-heading may start."""
    if not raw:
        return set()
    parts = basic(raw).split(" ")
    return {h for k in range(1, len(parts)) if (h := clean(" ".join(parts[:k]), "item_name"))}


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
        own = _own_bigrams([rows[i].item_name for i in idx])
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
            own = _own_bigrams(same)
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


# ------------------------------------------------------------------------ organisations
@lru_cache(maxsize=1)
def _orgs() -> dict:
    return load("organisations")


def known_organisations() -> list[str]:
    org = _orgs()
    return [*org["departments"], *org["divisions"]]


def resolve_orgs(rows: list[ReportRow], groups: list[Group]) -> None:
    org = _orgs()
    cooc: Counter[tuple[str, str]] = Counter()
    for kind, attr in (("dept", "departments"), ("div", "divisions")):
        known = list(org["departments" if kind == "dept" else "divisions"])
        # learn: names printed cleanly at least twice join the vocabulary
        counts: Counter[str] = Counter()
        for g in groups:
            names, fixes = split_orgs(g.cells.text.get(kind, ""), kind, known)
            fixed = {b for _, b in fixes}
            counts.update(n for n in names if n not in fixed)
        vocab = known + [n for n, c in counts.items() if c >= 2 and n not in known]
        words = Vocabulary([], vocab)
        for r, g in zip(rows, groups, strict=False):
            raw = g.cells.text.get(kind, "")
            if raw and not all(n in vocab for n in split_orgs(raw, kind, vocab)[0]):
                # a look-alike misread in a name: only words of known organisations count
                fixed, notes = correct(basic(raw), words, exclude_self=False)
                if fixed != basic(raw):
                    r.repairs.append(Repair(attr, raw, fixed, "ocr_confusable", "; ".join(notes)))
                    raw = fixed
            prefer: dict[str, float] = {n: c / 1000 for n, c in counts.items()}
            if kind == "div":
                for (d, v), c in cooc.items():
                    if d in r.departments:
                        prefer[v] = prefer.get(v, 0.0) + c
            names, fixes = split_orgs(raw, kind, vocab, prefer)
            setattr(r, attr, names)
            for a, b in fixes:
                r.repairs.append(
                    Repair(
                        attr,
                        a,
                        b or None,
                        "org_corrected" if b else "junk_dropped",
                        "nearest known organisation by edit distance"
                        if b
                        else "unreadable organisation dropped",
                    )
                )
        if kind == "dept":
            for r, g in zip(rows, groups, strict=False):
                divs, fixes = split_orgs(g.cells.text.get("div", ""), "div", list(org["divisions"]))
                fixed = {b for _, b in fixes}
                for d in r.departments:
                    for v in divs:
                        if v not in fixed:
                            cooc[(d, v)] += 1


# ---------------------------------------------------------------------- project names
_LEAD_JUNK = re.compile(r"^[^\w(「【\u3040-\u30ff\u3400-\u9fff]+")
_WORD_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fffA-Za-z0-9]{2,}")


def _bigrams(s: str) -> list[str]:
    return list(_bigrams_cached(s))


@lru_cache(maxsize=16384)
def _bigrams_cached(s: str) -> tuple[str, ...]:
    out: list[str] = []
    for run in _WORD_RUN.findall(nospace(s)):
        out += map(str.__add__, run[:-1], run[1:])  # the 2-character slices, in C
    return tuple(out)


def text_corpus(rows: list[ReportRow]) -> Counter[str]:
    """Bigrams of every text field of the report: the file's own vocabulary."""
    # the free texts do not change while names are resolved: counted once per report
    free = _free_text_bigrams(
        tuple(t for r in rows for t in (r.summary, r.target_text, r.status_text))
    )
    grams: list[str] = []
    for r in rows:
        for t in (r.project_name, r.item_name):
            if t:
                grams += _bigrams_cached(t)
    corpus = Counter(free)  # a copy: the cached counts stay as they are
    corpus.update(grams)
    return corpus


@lru_cache(maxsize=4)
def _free_text_bigrams(texts: tuple[str | None, ...]) -> Counter[str]:
    grams: list[str] = []
    for t in texts:
        if t:
            grams += _bigrams_cached(t)
    return Counter(grams)


def unsupported(name: str, corpus: Counter[str], own: Counter[str]) -> int:
    """Bigrams of ``name`` that the report prints nowhere but in ``own`` (the readings
    being compared): the fewer, the better the reading is supported by the file."""
    return sum(1 for g in set(_bigrams(name)) if corpus[g] - own[g] <= 0)


def _own_bigrams(names: list[str | None]) -> Counter[str]:
    own: Counter[str] = Counter()
    for n in names:
        if n:
            own.update(_bigrams(n))
    return own


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _complete(name: str | None) -> bool:
    """A name that starts at its beginning and closes its brackets."""
    if not name:
        return False
    return _balanced(name) and not name.startswith(("(", ")", "、", "・"))


def _head(name: str) -> str:
    """The name without its final bracketed group: 'A(DX)推進事業(B)' -> 'A(DX)推進事業'."""
    if not name.endswith(")"):
        return name
    depth = 0
    for i in range(len(name) - 1, -1, -1):
        if name[i] == ")":
            depth += 1
        elif name[i] == "(":
            depth -= 1
            if depth == 0:
                return name[:i]
    return name


def resolve_project_names(rows: list[ReportRow]) -> None:
    """Repair project names with the rest of the report as context."""
    corpus = text_corpus(rows)
    for r in rows:
        name = r.project_name
        if not name:
            continue
        stripped = _LEAD_JUNK.sub("", name)
        if stripped != name:
            r.repairs.append(
                Repair(
                    "project_name",
                    name,
                    stripped or None,
                    "junk_dropped",
                    "OCR junk before the name",
                )
            )
            name = stripped or None
        r.project_name = name
        if not name:
            continue
        content = re.sub(r"[()]", "", name)
        # a few characters that are the tail of the item's own wording (…見直し / 値し)
        if len(content) <= 4 and r.item_name and len(r.item_name) > len(content):
            tail = nospace(r.item_name)[-len(content) :]
            if levenshtein(tail, content) <= 1:
                r.repairs.append(
                    Repair(
                        "project_name",
                        name,
                        r.item_name,
                        "name_from_item",
                        "only the tail of the name printed; it is the item's wording",
                    )
                )
                r.project_name = r.item_name
                continue
        grams = _bigrams(name)
        own = Counter(grams)
        seen = sum(1 for g in grams if corpus[g] - own[g] > 0)
        if len(content) <= 2 or (len(grams) >= 3 and seen == 0):
            r.repairs.append(
                Repair(
                    "project_name",
                    name,
                    None,
                    "illegible",
                    "too little or no readable text; left empty",
                )
            )
            r.project_name = None
    _consolidate(rows, text_corpus(rows))
    _complete_truncated(rows)
    complete_heads(rows)


def _consolidate(rows: list[ReportRow], corpus: Counter[str]) -> None:
    """All rows of one project (its own row and the rows re-listing it) share its name,
    departments and divisions.

    A blank or fragmentary name takes the best reading of the other rows: the one whose
    words the rest of the report prints (fewest unknown bigrams), then the majority. A
    complete printed name is replaced only by a reading that is better supported."""
    by_project: dict[int, list[ReportRow]] = {}
    for r in rows:
        if r.project_no is not None:
            by_project.setdefault(r.project_no, []).append(r)
    for no, group in by_project.items():
        if len(group) < 2:
            continue
        if sum(not r.is_relisted for r in group) > 1:
            continue  # a number printed on two own rows: a duplicate for validation, not a merge
        names = [r.project_name for r in group if _complete(r.project_name)]
        if names:
            own = _own_bigrams([r.project_name for r in group])
            unknown = {n: unsupported(n, corpus, own) for n in set(names)}
            best = min(set(names), key=lambda n: (unknown[n], -names.count(n), -len(n), n))
            for r in group:
                cur = r.project_name
                if cur == best:
                    continue
                if (
                    cur is not None
                    and _complete(cur)
                    and (unknown[cur], -names.count(cur)) <= (unknown[best], -names.count(best))
                ):
                    continue  # printed whole and as well supported: keep it
                r.repairs.append(
                    Repair(
                        "project_name",
                        cur,
                        best,
                        "name_from_same_project",
                        f"reading of project No{no} on its other rows",
                    )
                )
                r.project_name = best
        for attr in ("departments", "divisions"):
            vals = [tuple(getattr(r, attr)) for r in group if getattr(r, attr)]
            if not vals:
                continue
            best_v = max(set(vals), key=vals.count)
            for r in group:
                if not getattr(r, attr):
                    setattr(r, attr, list(best_v))
                    r.repairs.append(
                        Repair(
                            attr,
                            None,
                            "|".join(best_v),
                            "from_same_project",
                            f"blank; printed on the other rows of project No{no}",
                        )
                    )


def _complete_truncated(rows: list[ReportRow]) -> None:
    """Names whose head was cut off: '業(県庁の…事業)' is the tail of a complete name on
    another row; '進事業(X)' continues the head of the nearest row's '…推進事業(Y)'."""
    complete = [(i, r.project_name) for i, r in enumerate(rows) if _complete(r.project_name)]
    for i, r in enumerate(rows):
        name = r.project_name
        if not name:
            continue
        first_open = name.find("(")
        if _complete(name) and not (0 < first_open <= 3):
            continue
        if len(name) < 8:
            continue
        cands = [(abs(i - j), n) for j, n in complete if n != name and n.endswith(name)]
        if cands:
            pick = min(cands)[1]
            r.repairs.append(
                Repair(
                    "project_name",
                    name,
                    pick,
                    "name_completed",
                    "only the tail printed; it ends a name printed elsewhere",
                )
            )
            r.project_name = pick
            continue


def complete_heads(rows: list[ReportRow]) -> None:
    complete = [(i, r.project_name) for i, r in enumerate(rows) if _complete(r.project_name)]
    heads = [(j, _head(n)) for j, n in complete]
    head_set = Counter(h for _, h in heads)
    for i, r in enumerate(rows):
        name = r.project_name
        if not name or not _balanced(name) or not name.endswith(")"):
            continue
        head = _head(name)
        if len(head) < 2 or len(head) > 4:
            continue
        # is the head itself a known head (of another row)? then the name is complete
        if head_set[head] - (1 if _complete(name) else 0) > 0:
            continue
        matches = [
            (abs(i - j), h) for j, h in heads if j != i and h.endswith(head) and len(h) > len(head)
        ]
        if not matches:
            continue
        _, h = min(matches)
        new = h + name[len(head) :]
        r.repairs.append(
            Repair(
                "project_name",
                name,
                new,
                "name_completed",
                "head of the name cut off at a line break; completed from the "
                "nearest row whose name ends the same way",
            )
        )
        r.project_name = new
