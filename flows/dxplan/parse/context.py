"""Cross-row repairs: lost project numbers, 再掲 references, organisations, project names.

再掲 rows re-list a numbered project whose row is elsewhere in the same report, the same
organisations recur on many rows, and the report's own words vouch for a reading of a
name; these passes use that context to repair what OCR lost on a single row. Every repair
is recorded on the row it changes. The plan position (pillar, area, item) is the pass in
``plan_items.py``; ``ocr.resolve_rows`` runs them all in order.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from dxplan.models import Repair, ReportRow
from dxplan.parse.confusables import Vocabulary, correct
from dxplan.parse.fields import split_orgs
from dxplan.parse.fuzzy import levenshtein, similarity
from dxplan.parse.grouping import Group
from dxplan.parse.rules import Rules
from dxplan.parse.text import basic, nospace


# ----------------------------------------------------------------------------- numbers
def resolve_project_numbers(rows: list[ReportRow]) -> None:
    """Number the rows whose project number OCR lost, and fix a number that breaks the
    sequence, from the numbers printed around them."""
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


# ------------------------------------------------------------------------ organisations
def known_organisations(rules: Rules) -> list[str]:
    org = rules.organisations
    return [*org.departments, *org.divisions]


def resolve_orgs(rules: Rules, rows: list[ReportRow], groups: list[Group]) -> None:
    """Departments and divisions of every row: split, corrected to the nearest known
    organisation (the rules' list and the names the file prints cleanly twice)."""
    org = rules.organisations
    cooc: Counter[tuple[str, str]] = Counter()
    for kind, attr in (("dept", "departments"), ("div", "divisions")):
        known = list(org.departments if kind == "dept" else org.divisions)
        # learn: names printed cleanly at least twice join the vocabulary
        counts: Counter[str] = Counter()
        for g in groups:
            names, fixes = split_orgs(rules, g.cells.text.get(kind, ""), kind, known)
            fixed = {b for _, b in fixes}
            counts.update(n for n in names if n not in fixed)
        vocab = known + [n for n, c in counts.items() if c >= 2 and n not in known]
        words = Vocabulary([], vocab)
        for r, g in zip(rows, groups, strict=False):
            raw = g.cells.text.get(kind, "")
            if raw and not all(n in vocab for n in split_orgs(rules, raw, kind, vocab)[0]):
                # a look-alike misread in a name: only words of known organisations count
                fixed, notes = correct(rules, basic(rules, raw), words, exclude_self=False)
                if fixed != basic(rules, raw):
                    r.repairs.append(Repair(attr, raw, fixed, "ocr_confusable", "; ".join(notes)))
                    raw = fixed
            prefer: dict[str, float] = {n: c / 1000 for n, c in counts.items()}
            if kind == "div":
                for (d, v), c in cooc.items():
                    if d in r.departments:
                        prefer[v] = prefer.get(v, 0.0) + c
            names, fixes = split_orgs(rules, raw, kind, vocab, prefer)
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
                div_cell = g.cells.text.get("div", "")
                divs, fixes = split_orgs(rules, div_cell, "div", list(org.divisions))
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


def own_bigrams(names: list[str | None]) -> Counter[str]:
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
            own = own_bigrams([r.project_name for r in group])
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
