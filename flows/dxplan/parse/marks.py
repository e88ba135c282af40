"""Evaluation marks (○(達成), △(一部達成), ×(未達成), -) from ``rules/marks.yaml``."""

from __future__ import annotations

import re

from dxplan.parse.rules import Rules
from dxplan.parse.text import basic, nospace


def _norm(rules: Rules, cell: str) -> str:
    s = nospace(basic(rules, cell))
    s = re.sub(r"</?u>", "", s)
    return s


def parse_mark(rules: Rules, cell: str | None) -> tuple[str | None, str | None, str | None]:
    """(normalised evaluation text, evaluation word, note) of one evaluation cell.

    The word printed in brackets wins over the mark; a mark alone gives its word.
    """
    if cell is None:
        return None, None, None
    m = rules.marks
    s = _norm(rules, cell)
    if not s:
        return None, None, None
    mark_word = m.words
    mark = None
    first = s[0]
    first = m.aliases.get(first, first) if len(s) > 1 and s[1] in "([" else first
    if first in mark_word:
        mark = first
    word = None
    for w in m.word_list:  # longest first in the file: 一部達成, 未達成, 達成
        if w in s:
            word = w
            break
    if mark is None and word is None:
        if set(s) <= m.none_chars:
            note = None if s == "-" else f"{cell!r} read as '-'"
            return "-", None, note
        return None, None, f"unreadable evaluation {cell!r}"
    note = None
    if word is None and mark is not None:
        word = mark_word[mark]
        if s != mark:
            note = f"evaluation word unreadable in {cell!r}; taken from the mark {mark}"
    if mark is None:
        mark = next((k for k, w in mark_word.items() if w == word), None)
        note = f"mark missing in {cell!r}; taken from the word {word}"
    elif mark_word[mark] != word:
        note = f"mark {mark} disagrees with word {word} in {cell!r}; the word wins"
        mark = next((k for k, w in mark_word.items() if w == word), mark)
    return f"{mark}({word})", word, note


def looks_like_mark(rules: Rules, cell: str) -> bool:
    s = _norm(rules, cell)
    if not s or len(s) > 12:
        return False
    m = rules.marks
    return s[0] in m.words or any(w in s for w in m.word_list) or set(s) <= m.none_chars
