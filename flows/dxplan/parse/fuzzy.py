"""Small string-distance helpers (pure Python; strings here are short)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=65536)
def levenshtein(a: str, b: str, limit: int | None = None) -> int:
    """Edit distance between ``a`` and ``b``; stops early once ``limit`` is exceeded."""
    if a == b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    if limit is not None and len(a) - len(b) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        best = i
        for j, cb in enumerate(b, 1):
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            cur.append(v)
            best = min(best, v)
        if limit is not None and best > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def similarity(a: str, b: str) -> float:
    """1 - normalised edit distance (1.0 = equal)."""
    if not a and not b:
        return 1.0
    return 1.0 - levenshtein(a, b) / max(len(a), len(b))
