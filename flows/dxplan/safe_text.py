"""Text that a spreadsheet would evaluate, made inert (CSV/formula injection, OWASP).

A yearly report is text that somebody else typed. Excel and LibreOffice evaluate a cell
whose text starts with ``=``, ``+``, ``-`` or ``@`` (and, after a tab or carriage return,
whatever follows) as a formula: ``=HYPERLINK(...)``, ``@SUM(1+1)*cmd|" /C calc"!A0`` (DDE).
Every writer of a spreadsheet-bound file uses the one rule of this module:

* **CSV** (``exports/csv``, ``exports/csv_ja``, the canonical CSV template): a text cell that
  starts with a trigger character gets a leading apostrophe ``'`` (OWASP's advice), so a
  spreadsheet shows it as text. A text that already starts with ``'`` gets one more, so the
  apostrophe can be told apart from one in the data: :func:`csv_unescape` removes exactly
  one leading ``'`` when the next character is a trigger or ``'`` -- the round trip is exact.
* **XLSX** (the canonical XLSX template): text is always a string cell, never a formula, and
  carries Excel's "quote prefix" style (what typing ``'`` in front does), so editing the cell
  by hand keeps it text. The value itself is unchanged.

Numbers are never touched: a negative NUMBER is a number, not text. Only text columns are
escaped, whatever their content (a text ``-12`` in a ``*_text`` column is escaped).
The full-width forms of the triggers (``＝ ＋ － ＠``), which Japanese spreadsheets also take
as the start of a formula, are triggers too.
"""

from __future__ import annotations

import re
from typing import Any

#: first characters that make a spreadsheet evaluate a cell (OWASP), with full-width forms
TRIGGERS: frozenset[str] = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
QUOTE = "'"
#: the same set as a SQL/regex character class (used by the DuckDB CSV export)
TRIGGER_CLASS = "[=+\\-@\\t\\r\uff1d\uff0b\uff0d\uff20']"


def needs_quote(text: str) -> bool:
    """True when ``text`` must get the leading apostrophe in a CSV cell."""
    return bool(text) and (text[0] in TRIGGERS or text[0] == QUOTE)


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would evaluate ``text`` typed into a cell as it is."""
    return bool(text) and text[0] in TRIGGERS


#: a plain number as CSV writes one (a negative number starts with "-" but is no formula)
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|nan)")


def evaluates_as_formula(cell: str) -> bool:
    """True when a spreadsheet opening a CSV would evaluate ``cell`` (a formula, DDE ...).

    A plain number is a value, not a formula: ``-5.0`` is fine, ``-2+3`` is not.
    """
    return is_formula_like(cell) and not _NUMBER.fullmatch(cell)


def csv_escape(text: str) -> str:
    """The CSV cell for a TEXT value: ``'`` added before a trigger character or ``'``."""
    return QUOTE + text if needs_quote(text) else text


def csv_unescape(cell: str) -> str:
    """Inverse of :func:`csv_escape`: one leading ``'`` removed when a trigger or ``'`` follows."""
    if len(cell) >= 2 and cell[0] == QUOTE and (cell[1] in TRIGGERS or cell[1] == QUOTE):
        return cell[1:]
    return cell


def sql_csv_escape(expr: str) -> str:
    """DuckDB SQL applying :func:`csv_escape` to the VARCHAR expression ``expr`` (NULL stays)."""
    cls = TRIGGER_CLASS.replace("'", "''")
    return f"CASE WHEN regexp_matches({expr}, '^{cls}') THEN '''' || {expr} ELSE {expr} END"


# ------------------------------------------------------------------------------ XLSX text
#: OOXML's own escape ``_xHHHH_`` (ECMA-376 ST_Xstring), which Excel decodes when reading
_OOXML_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
#: what xlsx_escape writes as ``_xHHHH_``: the characters XML 1.0 forbids (openpyxl refuses
#: them) and CR (an XML reader turns a raw CR into LF)
_XLSX_ESCAPED = re.compile(r"[\x00-\x08\x0b\x0c\r\x0e-\x1f\ufffe\uffff]")
_XLSX_ENCODE = re.compile(
    r"_(?=x[0-9A-Fa-f]{4}(?:_|" + _XLSX_ESCAPED.pattern + r"))|" + _XLSX_ESCAPED.pattern
)


def xlsx_escape(text: str) -> str:
    """Text as an XLSX cell holds it: control characters and CR as OOXML ``_xHHHH_`` escapes.

    An underscore in the data that a reader would take for the start of such an escape gets
    escaped itself (``_x005F_``), as Excel does, so :func:`xlsx_unescape` gives the original
    text back exactly.
    """
    if "_x" not in text and not _XLSX_ESCAPED.search(text):
        return text
    return _XLSX_ENCODE.sub(
        lambda m: "_x005F_" if m.group(0) == "_" else f"_x{ord(m.group(0)):04X}_", text
    )


def xlsx_unescape(value: Any) -> Any:
    """Inverse of :func:`xlsx_escape` for a cell value read back (non-text passes through)."""
    if not isinstance(value, str) or "_x" not in value:
        return value
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(0)[2:6], 16)), value)


# ------------------------------------------------------------------------------ Markdown
#: Markdown (CommonMark/GFM) characters that could make code, emphasis, a link or an image,
#: or end a table cell; escaped with a backslash (``_`` is left: file names keep readable)
_MD_PUNCT = re.compile(r"([\\`*\[\]|])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: bidirectional embedding/override/isolate controls: shown by name, so a right-to-left
#: override in one value cannot reorder what follows it in a line of the artifact
_BIDI = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def markdown_text(value: object) -> str:
    """``value`` as inert Markdown text (a table cell or list item of a Prefect artifact).

    HTML is written as entities (``<script>`` shows, never runs), Markdown punctuation is
    backslash-escaped (no links, images or code from the data), control characters and
    line breaks become spaces (a cell stays one cell), bidi controls such as U+202E are
    shown by their code point.
    """
    text = str(value if value is not None else "")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _CONTROL.sub(" ", text)
    text = _BIDI.sub(lambda m: f"(U+{ord(m.group(0)):04X})", text)
    return _MD_PUNCT.sub(r"\\\1", text)
