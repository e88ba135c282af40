"""An over-long cell rejects the file with a message (parse/limits.py)."""

from __future__ import annotations

import copy

import pytest
from dxplan.models import ParseError
from dxplan.parse import canonical, parse_bytes
from dxplan.parse.limits import MAX_CELL_CHARS, check_limits

from tests.conftest import SEED
from tests.security.fuzz_support import time_bound


@pytest.fixture(scope="module")
def seed():
    return parse_bytes(SEED.read_bytes(), SEED.name)


def test_a_cell_at_the_limit_is_kept_one_over_is_rejected(seed):
    rep = copy.deepcopy(seed)
    rep.rows[2].status_text = "あ" * MAX_CELL_CHARS
    assert check_limits(rep, "x.csv") is rep
    rep.rows[2].status_text += "い"
    with pytest.raises(ParseError, match=r"x\.csv: row 3, column status_text: 32768 characters"):
        check_limits(rep, "x.csv")


def test_every_reader_applies_the_limit(seed):
    rep = copy.deepcopy(seed)
    rep.kpis[0].indicator_name = "=" + "A" * 100_000
    with pytest.raises(ParseError, match=r"KPI \d+, column indicator_name: 100001 characters"):
        parse_bytes(canonical.write_csv(rep), "r.csv")
    # an XLSX cell cannot even hold more (openpyxl cuts at Excel's limit): the reason for it
    back = parse_bytes(canonical.write_xlsx(rep), "r.xlsx")
    assert len(back.kpis[0].indicator_name) == MAX_CELL_CHARS


def test_a_long_cell_in_the_ocr_text_is_rejected_quickly():
    """36 000 characters of look-alike-prone name took 40 s (confusables.correct rebuilt
    the whole name per character: quadratic); now well under a second."""
    long_line = SEED.read_bytes().replace(
        "職員研修事業".encode(), "職員研修事業".encode() * 6000, 1
    )
    with time_bound(8), pytest.raises(ParseError, match="characters"):
        parse_bytes(long_line, "long.txt")
