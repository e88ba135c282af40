"""Parser: one yearly file (OCR'd text, report PDF, canonical CSV or XLSX) -> ParsedReport.

Entry point: :func:`parse_bytes`. Pure: no file I/O; everything that changes yearly or
that OCR gets wrong is in the data files under ``dxplan/rules`` (see docs/PARSER.md),
read once into a :class:`~dxplan.parse.rules.Rules` and passed down from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dxplan.models import ParsedReport, ParseError
from dxplan.parse.decode import decode

if TYPE_CHECKING:
    from dxplan.parse.rules import Rules

__all__ = ["parse_bytes", "ParseError"]


def parse_bytes(data: bytes, source_name: str, rules: Rules | None = None) -> ParsedReport:
    """:func:`_parse_bytes`, then the limits every report keeps (``parse/limits.py``).

    ``rules``: the parser's rules (:func:`dxplan.parse.rules.load_rules`); by default the
    package's own, loaded once per process.
    """
    from dxplan.parse.limits import check_limits
    from dxplan.parse.rules import default_rules

    report = _parse_bytes(rules if rules is not None else default_rules(), data, source_name)
    return check_limits(report, source_name)


def _parse_bytes(rules: Rules, data: bytes, source_name: str) -> ParsedReport:
    """Detect the format and encoding of ``data`` and parse it.

    Formats: the OCR'd tab-separated report text, the canonical CSV and the canonical XLSX
    (docs/CANONICAL_FORMAT.md), the report PDF with a text layer (``parse/pdf.py``).
    Encodings of text: UTF-8 with or without BOM, CP932.
    Raises :class:`dxplan.models.ParseError` with a human message for anything that is
    not a yearly report (binary, empty, unrelated CSV, truncated ...).
    """
    from dxplan.parse import canonical
    from dxplan.parse.ocr import parse_ocr_text
    from dxplan.parse.pdf import is_pdf, parse_pdf

    if is_pdf(data):
        return parse_pdf(rules, data, source_name)
    if canonical.is_xlsx(data):
        return canonical.read_xlsx(data, source_name)
    try:
        text, encoding = decode(data)
    except ParseError as e:  # name the file, like every other ParseError (found by the fuzz)
        raise ParseError(f"{source_name}: {e}") from e
    if canonical.is_canonical_csv(text):
        return canonical.read_csv(text, encoding, source_name)
    if canonical.looks_like_csv(text):
        raise ParseError(
            f"{source_name}: a comma-separated file that is not a dxplan canonical report "
            "(its header lacks report_fiscal_year and source_row_no) and not an OCR'd report"
        )
    try:
        return parse_ocr_text(rules, text, encoding)
    except ParseError as e:
        raise ParseError(f"{source_name}: {e}") from e
