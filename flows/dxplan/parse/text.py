"""Text normalisation: NFKC + the character map + the OCR fixes (``rules/char_map.yaml``,
``rules/ocr_fixes.yaml``, compiled into :class:`dxplan.parse.rules.Rules`).

The functions that depend on the rules are memoised on ``(rules, text)``: a report
prints the same cells many times, and a Rules compares by identity.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING

from dxplan.models import Repair

if TYPE_CHECKING:
    from dxplan.parse.rules import OcrFix, Rules

_CJK = r"\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef々〆〇ー・「」『』【】（）、。"
_SPACE_CJK_LEFT = re.compile(rf"(?<=[{_CJK}])\s+")
_SPACE_CJK_RIGHT = re.compile(rf"\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")
_LETTER_SPACED = re.compile(r"(?<=[A-Z]) (?=[A-Z](?![A-Za-z]))")


def basic_with(char_map: Mapping[int, str], s: str) -> str:
    """NFKC + ``char_map`` + whitespace collapsed."""
    s = unicodedata.normalize("NFKC", s).translate(char_map)
    return _SPACES.sub(" ", s).strip()


@lru_cache(maxsize=65536)
def basic(rules: Rules, s: str) -> str:
    """NFKC + the rules' character map + whitespace collapsed (no OCR fixes)."""
    return basic_with(rules.char_map, s)


@lru_cache(maxsize=65536)
def squeeze(s: str) -> str:
    """Remove spaces that are line-wrap artefacts: next to Japanese characters, and inside
    letter-spaced acronyms ('BP R' -> 'BPR', 'A I' -> 'AI')."""
    s = _SPACE_CJK_LEFT.sub("", s)
    s = _SPACE_CJK_RIGHT.sub("", s)
    return _LETTER_SPACED.sub("", s)


def nospace(s: str) -> str:
    # str.split() splits on exactly the characters of \s (both use Py_UNICODE_ISSPACE)
    return "".join(s.split())


def longest_first(words: Iterable[str]) -> tuple[str, ...]:
    """``words`` sorted longest first (equal lengths keep their order)."""
    return tuple(sorted(words, key=len, reverse=True))


@lru_cache(maxsize=65536)
def apply_fixes(rules: Rules, s: str) -> tuple[str, tuple[OcrFix, ...]]:
    """Apply the OCR-fix list; return the text and the fixes that changed it."""
    applied = []
    for fix in rules.ocr_fixes:
        if fix.wrong and fix.wrong in s:
            s = s.replace(fix.wrong, fix.right)
            applied.append(fix)
    return s, tuple(applied)


def fixed(rules: Rules, s: str) -> str:
    """Normalised, squeezed and OCR-fixed text of one cell (no repairs recorded)."""
    return apply_fixes(rules, squeeze(basic(rules, s)))[0]


def clean(
    rules: Rules, raw: str | None, field: str, repairs: list[Repair] | None = None
) -> str | None:
    """Normalised, OCR-fixed text of one field (None when empty); fixes go to ``repairs``."""
    if raw is None:
        return None
    s = squeeze(basic(rules, raw))
    s, applied = apply_fixes(rules, s)
    s = squeeze(s).strip()
    if repairs is not None and applied:
        repairs.append(
            Repair(
                field=field,
                raw=raw,
                value=s,
                rule="ocr_fix",
                note="; ".join(f"{f.wrong}->{f.right} ({f.note})" for f in applied),
            )
        )
    return s or None
