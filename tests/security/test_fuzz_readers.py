"""Damaged yearly files end in a ParsedReport or a ParseError, never a crash or hang.

Thousands of damaged variants of the seed (the OCR'd text) and of its canonical CSV and XLSX
(cells dropped or split, random bytes, lines cut short or lost, pages repeated) go through
``parse_bytes``. Each case must return a ParsedReport or raise ParseError with a message that
names the file, within CASE_SECONDS. The cases are derandomized (the same in every run);
``make test`` runs a few hundred, a long run is::

    DXPLAN_FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/security/test_fuzz_readers.py

(``DXPLAN_FUZZ_RANDOM=1`` draws new cases each run; hypothesis prints how to replay a failure.)
"""

from __future__ import annotations

import csv
import io

import pytest
from dxplan.models import ParsedReport, ParseError
from dxplan.parse import canonical, parse_bytes
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SEED
from tests.security.fuzz_support import damaged, fuzz_settings, time_bound

SEED_BYTES = SEED.read_bytes()
NAME = "damaged_FY2023.txt"
#: text a hand-edited cell may hold (an XLSX cell cannot hold control characters)
CELL_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


def _seed_report() -> ParsedReport:
    return parse_bytes(SEED_BYTES, SEED.name)


CANONICAL_CSV = canonical.write_csv(_seed_report())
XLSX = canonical.write_xlsx(_seed_report())
#: the canonical table as XLSX cell values, header first (what write_xlsx puts in the sheet)
_cols, _recs = canonical.records(_seed_report())
XLSX_ROWS = [_cols] + [[canonical._xlsx_value(r[c]) for c in _cols] for r in _recs]


def _must_end_cleanly(data: bytes, name: str) -> None:
    with time_bound():
        try:
            report = parse_bytes(data, name)
        except ParseError as e:
            msg = str(e)
            assert name in msg and len(msg) > len(name) + 10, (
                f"ParseError without a message: {msg!r}"
            )
            return
    assert isinstance(report, ParsedReport)
    assert report.rows, "a ParsedReport without rows must be a ParseError instead"


@fuzz_settings(default_examples=100)
@given(damaged(SEED_BYTES, b"\t"))
def test_fuzz_ocr_reader(data):
    _must_end_cleanly(data, NAME)


@fuzz_settings(default_examples=200)
@given(damaged(CANONICAL_CSV, b","))
def test_fuzz_canonical_csv_reader(data):
    _must_end_cleanly(data, "damaged_FY2023.csv")


@fuzz_settings(default_examples=25)
@given(st.data())
def test_fuzz_canonical_xlsx_reader(data):
    """Damaged cells and lost rows in an otherwise sound workbook, and a damaged zip."""
    from openpyxl import Workbook

    table = [list(r) for r in XLSX_ROWS]
    for _ in range(data.draw(st.integers(1, 6))):
        row = table[data.draw(st.integers(0, len(table) - 1))]
        row[data.draw(st.integers(0, len(row) - 1))] = data.draw(
            st.one_of(st.none(), CELL_TEXT, st.integers(), st.floats(), st.booleans(), st.dates())
        )
    if data.draw(st.booleans()):
        del table[data.draw(st.integers(0, len(table) - 1))]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("report")
    for row in table:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    blob = buf.getvalue()
    if data.draw(st.booleans()):
        # a position as a share of the size: the zip's size varies (timestamps) between runs
        pos = data.draw(st.integers(0, 1000)) * len(blob) // 1000
        blob = blob[:pos] + data.draw(st.binary(min_size=1, max_size=64)) + blob[pos + 8 :]
    _must_end_cleanly(blob, "damaged_FY2023.xlsx")


def test_undamaged_inputs_parse():
    """The fuzzed inputs are real reports to begin with (the fuzz would be idle otherwise)."""
    assert len(_seed_report().rows) > 50
    for data, name in ((CANONICAL_CSV, "x.csv"), (XLSX, "x.xlsx")):
        assert len(parse_bytes(data, name).rows) == len(_seed_report().rows)


@pytest.mark.parametrize(
    "data",
    [
        SEED_BYTES[: len(SEED_BYTES) // 2],
        SEED_BYTES.replace(b"\t", b"", 50),
        SEED_BYTES * 3,
        CANONICAL_CSV.replace(b",", b"", 40),
        CANONICAL_CSV[: len(CANONICAL_CSV) // 3],
        b"\n".join(SEED_BYTES.split(b"\n")[:2] * 40),
    ],
    ids=["half", "tabs-lost", "pages-x3", "csv-commas-lost", "csv-third", "headers-only"],
)
def test_known_damage_ends_cleanly(data):
    _must_end_cleanly(data, NAME)


def test_crashes_found_by_the_fuzz_are_parse_errors():
    """Regressions: report_warnings valid JSON but no list (TypeError before); an XLSX whose
    sheet stream is corrupt (zlib.error escaped read_xlsx before)."""
    import zipfile

    rows = CANONICAL_CSV.decode("utf-8-sig").split("\r\n")
    header = next(csv.reader([rows[0]]))
    first = next(csv.reader([rows[1]]))
    first[header.index("report_warnings")] = "4"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(first)
    data = "\r\n".join([rows[0], buf.getvalue().rstrip("\r\n"), *rows[2:]]).encode()
    with pytest.raises(ParseError, match="report_warnings is not a JSON list"):
        parse_bytes(data, "w.csv")

    with zipfile.ZipFile(io.BytesIO(XLSX)) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    middle = start + info.compress_size // 2
    broken = XLSX[:middle] + bytes(64) + XLSX[middle + 64 :]
    with pytest.raises(ParseError, match="not a readable XLSX workbook"):
        parse_bytes(broken, "z.xlsx")
