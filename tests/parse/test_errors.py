"""Inputs that are not a yearly report: a clear ParseError, quickly, never a hang."""

from __future__ import annotations

import contextlib
import random
import time

import pytest
from dxplan.models import ParseError
from dxplan.parse import parse_bytes


def _error(data: bytes) -> str:
    with pytest.raises(ParseError) as e:
        parse_bytes(data, "input.txt")
    msg = str(e.value)
    assert len(msg) > 15
    return msg


def test_empty():
    assert "empty" in _error(b"")
    assert "empty" in _error(b" \r\n\n\t\n")


def test_binary():
    random.seed(7)
    assert "binary" in _error(bytes(random.randrange(256) for _ in range(50000)) + b"\x00")
    assert "binary" in _error(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_utf16():
    assert "UTF-16" in _error("事業\t分野".encode("utf-16"))


def test_unrelated_csv():
    msg = _error("name,age,city,country\n山田,30,福島,日本\n".encode())
    assert "canonical" in msg


def test_unrelated_tsv():
    msg = _error("商品\t価格\t在庫\t備考\nりんご\t100\t5\t\n".encode())
    assert "not a DX progress report" in msg


def test_not_decodable():
    assert "Shift_JIS" in _error(b"\x82\xa0\x82\xa2 \x85\x40\x81\x7f" * 50)


def test_truncated(seed_bytes):
    # in the middle of a character
    cut = seed_bytes.index("評価".encode()) + 1
    assert "truncated" in _error(seed_bytes[:cut])
    # in the middle of a line: the last line lacks most of its cells
    third = seed_bytes.split(b"\n")
    assert "truncated" in _error(
        b"\n".join(third[:9]) + b"\n" + b"\t".join(third[9].split(b"\t")[:6])
    )
    # only the header of the first page
    assert "truncated" in _error(b"\n".join(third[:2]))


def test_truncated_inside_the_last_cell_is_flagged(seed_bytes):
    lines = seed_bytes.decode().split("\n")
    last = lines[20]
    cut = "\n".join(lines[:20] + [last[: len(last) - 7]])
    r = parse_bytes(cut.encode(), "cut.txt")
    assert any("truncated" in w for w in r.warnings)


def test_junk_never_hangs():
    random.seed(11)
    alphabet = "事業分野項目担当KPI指標名目標値番号名称再掲※()(1)計画0123456789 ,.%○△×-\t"
    for n in range(20):
        lines = [
            "".join(random.choice(alphabet) for _ in range(random.randint(0, 300)))
            for _ in range(random.randint(1, 60))
        ]
        data = "\n".join(lines).encode()
        t = time.perf_counter()
        with contextlib.suppress(ParseError):
            parse_bytes(data, f"junk{n}.txt")
        assert time.perf_counter() - t < 5
