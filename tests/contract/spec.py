"""The warehouse contract as the tests know it, read from ``docs/CONTRACT.md``.

docs/CONTRACT.md is the one definition of the tables and columns users rely on; the tests
that check the warehouse (tests/contract, tests/dbt, tests/bi, tests/template) read it from
here instead of restating column lists. A table's required columns are the back-quoted names
of its ``required columns`` cell, without the parenthesised notes (``pillar`` (``I``/``II``)).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

CONTRACT_MD = Path(__file__).resolve().parents[2] / "docs" / "CONTRACT.md"

_NOTE = re.compile(r"\([^()]*\)")
_NAME = re.compile(r"`([a-z_][a-z0-9_.]*)`")


def _names(text: str) -> list[str]:
    """Back-quoted identifiers of ``text``, parenthesised notes left out."""
    return _NAME.findall(_NOTE.sub("", text))


def _section(markdown: str, heading: str) -> str:
    """The body of the ``## heading`` section."""
    start = markdown.index(f"## {heading}")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end >= 0 else len(markdown)]


@cache
def marts_contract() -> dict[str, tuple[str, ...]]:
    """Table -> required columns, from the table of ``## Schema `marts` ...``."""
    section = _section(CONTRACT_MD.read_text(encoding="utf-8"), "Schema `marts`")
    tables: dict[str, tuple[str, ...]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue  # heading, separator or prose
        (table,) = _names(cells[0])
        tables[table] = tuple(_names(cells[2]))
    return tables


@cache
def audit_load_log_columns() -> tuple[str, ...]:
    """Required columns of ``audit.load_log`` (``## Schema `audit```: its first sentence)."""
    section = _section(CONTRACT_MD.read_text(encoding="utf-8"), "Schema `audit`")
    text = _NOTE.sub("", section.split("`audit.load_log`:", 1)[1])
    first_sentence = text.split(".", 1)[0]
    return tuple(_names(first_sentence))


#: the contract's marts tables and their required columns
CONTRACT: dict[str, tuple[str, ...]] = marts_contract()
#: the contract's tables (the ones marts_ja shows with Japanese names)
CONTRACT_TABLES: frozenset[str] = frozenset(CONTRACT)
