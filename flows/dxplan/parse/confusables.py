"""Correct visually confusable characters in names with the report's own vocabulary.

OCR reads a character for one that looks alike (遣 → 遺, 続 → 統, ー → 一, ュ → ユ). The
groups of look-alikes are data (``rules/confusables.yaml``); whether a character of a
name was misread is decided by the report itself: a character is replaced only when the
printed reading forms no two-character word that the report prints anywhere else while
the replacement forms one that it does (in summaries, targets, status texts, other names,
or the known organisations). A correct but rare word is therefore never "corrected":
its look-alike would have to be printed elsewhere for a change to happen.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from dxplan.models import Repair
from dxplan.parse.rules import Rules

#: runs of word characters: an n-gram of word characters is an n-slice of one run
_WORD_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaffA-Za-z0-9]+")
RULE = "ocr_confusable"


@lru_cache(maxsize=32768)
def _grams_cached(s: str, n: int) -> tuple[str, ...]:
    """The n-character substrings of ``s`` made of word characters only, in order."""
    out: list[str] = []
    for run in _WORD_RUN.findall(s):
        out += [run[i : i + n] for i in range(len(run) - n + 1)]
    return tuple(out)


def _is_kana(c: str) -> bool:
    return "\u3040" <= c <= "\u30ff"


class Vocabulary:
    """Two-character words of one report: free texts count every time, each distinct name
    once (so that a name repeated on many rows does not vouch for its own reading)."""

    def __init__(self, texts: Iterable[str | None], names: Iterable[str | None]) -> None:
        grams: list[str] = []
        for t in texts:
            if t:
                grams += _grams_cached(t, 2)
                grams += _grams_cached(t, 3)
        for n in {n for n in names if n}:
            grams += _grams_cached(n, 2)
            grams += _grams_cached(n, 3)
        self.counts: Counter[str] = Counter(grams)  # one count over all words (C speed)

    def seen(self, gram: str, own: Counter[str]) -> bool:
        return self.counts[gram] - own[gram] > 0


def correct(
    rules: Rules,
    name: str,
    vocab: Vocabulary,
    own_names: Iterable[str] = (),
    exclude_self: bool = True,
) -> tuple[str, list[str]]:
    """``name`` with misread look-alikes replaced, and a note per replacement.

    ``own_names`` are readings whose words must not vouch for themselves (the name as
    it was printed, by default ``name``; not when ``exclude_self`` is false, for a
    vocabulary that does not hold the name's own text, such as the known organisations)."""
    table = rules.confusables
    sources = {*([name] if exclude_self else []), *own_names}
    if not any(table.get(c) for c in name):
        return name, []  # no look-alike character at all (most names): nothing to check
    own: Counter[str] = Counter()
    for n in sources:
        own.update(_grams_cached(n, 2) + _grams_cached(n, 3))
    chars = list(name)
    notes: list[str] = []
    for i, c in enumerate(chars):
        alts = table.get(c)
        if not alts:
            continue
        # kana pairs make common two-character sequences by chance: ask for three
        n = 3 if _is_kana(c) or any(_is_kana(a) for a in alts) else 2

        def around(x: str, i: int = i, n: int = n) -> list[str]:
            # only the window of the n-grams through i (the whole name made long cells slow)
            lo = max(0, i - n + 1)
            s = "".join(chars[lo:i]) + x + "".join(chars[i + 1 : i + n])
            return [
                g
                for k in range(0, i - lo + 1)
                if len(g := s[k : k + n]) == n and _WORD_RUN.fullmatch(g)
            ]

        printed = around(c)
        if not printed or any(vocab.seen(g, own) for g in printed):
            continue
        best = None
        for a in alts:
            hits = sum(1 for g in around(a) if vocab.seen(g, own))
            if hits and (best is None or hits > best[0]):
                best = (hits, a)
        if best is None:
            continue
        chars[i] = best[1]
        notes.append(f"{c}->{best[1]} in {''.join(chars[max(0, i - 2) : i + 3])}")
    return "".join(chars), notes


def repair(
    rules: Rules, value: str | None, field: str, vocab: Vocabulary, repairs: list[Repair]
) -> str | None:
    """Correct one name field and record the change."""
    if not value:
        return value
    new, notes = correct(rules, value, vocab)
    if new != value:
        repairs.append(
            Repair(
                field,
                value,
                new,
                RULE,
                "look-alike character misread (rules/confusables.yaml); the report prints "
                "the corrected word elsewhere: " + "; ".join(notes),
            )
        )
    return new
