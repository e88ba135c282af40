"""Text normalisation: NFKC + explicit character map + OCR fixes from rules files."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from dxplan.models import Repair
from dxplan.parse.rules import load

_CJK = r"\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef々〆〇ー・「」『』【】（）、。"
_SPACE_CJK_LEFT = re.compile(rf"(?<=[{_CJK}])\s+")
_SPACE_CJK_RIGHT = re.compile(rf"\s+(?=[{_CJK}])")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _char_table() -> dict[int, str]:
    chars = load("char_map")["chars"]
    return {ord(k): v for k, v in chars.items()}


@lru_cache(maxsize=1)
def _fixes() -> list[tuple[str, str, str]]:
    out = []
    for f in load("ocr_fixes")["fixes"]:
        wrong = squeeze(basic(str(f["wrong"])))
        right = squeeze(basic(str(f["right"])))
        out.append((wrong, right, str(f.get("note", ""))))
    return out


@lru_cache(maxsize=65536)
def basic(s: str) -> str:
    """NFKC + the explicit character map + whitespace collapsed (no OCR fixes)."""
    s = unicodedata.normalize("NFKC", s).translate(_char_table())
    return _SPACES.sub(" ", s).strip()


_LETTER_SPACED = re.compile(r"(?<=[A-Z]) (?=[A-Z](?![A-Za-z]))")


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


@lru_cache(maxsize=65536)
def apply_fixes(s: str) -> tuple[str, tuple[tuple[str, str, str], ...]]:
    """Apply the OCR-fix list; return the text and the fixes that changed it."""
    return _apply_fixes(s)


def _apply_fixes(s: str) -> tuple[str, tuple[tuple[str, str, str], ...]]:
    applied = []
    for wrong, right, note in _fixes():
        if wrong and wrong in s:
            s = s.replace(wrong, right)
            applied.append((wrong, right, note))
    return s, tuple(applied)


def clean(raw: str | None, field: str, repairs: list[Repair] | None = None) -> str | None:
    """Normalised, OCR-fixed text of one field (None when empty); fixes go to ``repairs``."""
    if raw is None:
        return None
    s = squeeze(basic(raw))
    s, applied = apply_fixes(s)
    s = squeeze(s).strip()
    if repairs is not None and applied:
        repairs.append(
            Repair(
                field=field,
                raw=raw,
                value=s,
                rule="ocr_fix",
                note="; ".join(f"{w}->{r} ({n})" for w, r, n in applied),
            )
        )
    return s or None
