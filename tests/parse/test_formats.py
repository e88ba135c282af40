"""Encodings, the canonical CSV/XLSX format and round trips."""

from __future__ import annotations

import copy
import csv
import dataclasses
import io

import pytest
from conftest import SYNTHETIC, SYNTHETIC_CP932
from dxplan.models import KpiTarget, ParsedReport, ParseError
from dxplan.parse import parse_bytes
from dxplan.parse.canonical import write_csv, write_xlsx


def _same_content(a: ParsedReport, b: ParsedReport) -> bool:
    """Equal apart from the two fields that describe the file itself."""
    return dataclasses.replace(b, file_format=a.file_format, encoding=a.encoding) == a


def _strip_raw(r: ParsedReport) -> ParsedReport:
    r = copy.deepcopy(r)
    for x in r.rows:
        x.raw_text = ""
        x.repairs = []
    return r


def test_utf8_bom(seed_bytes, seed_report):
    r = parse_bytes(b"\xef\xbb\xbf" + seed_bytes, "bom.txt")
    assert r.encoding == "utf-8-sig"
    assert _same_content(seed_report, r)


def test_cp932_is_detected(seed_bytes, seed_report):
    text = seed_bytes.decode("utf-8")
    # characters CP932 cannot hold are replaced the way a Shift_JIS OCR export would
    for a, b in {
        "值": "値",
        "揭": "掲",
        "撂": "掲",
        "·": "・",
        "년": "年",
        "₹": "",
        "ř": "",
        "≇": "",
        "Æ": "",
        "ı": "i",
        "閱": "閲",
        "吧": "値",
    }.items():
        text = text.replace(a, b)
    data = text.encode("cp932")
    r = parse_bytes(data, "sjis.txt")
    assert r.encoding == "cp932"
    assert len(r.rows) == len(seed_report.rows) and len(r.kpis) == len(seed_report.kpis)
    assert [x.project_no for x in r.rows] == [x.project_no for x in seed_report.rows]


def test_synthetic_cp932_fixture_equals_utf8():
    if not SYNTHETIC_CP932.exists():
        pytest.skip("fixture missing")
    a = parse_bytes(SYNTHETIC.read_bytes(), "u.txt")
    b = parse_bytes(SYNTHETIC_CP932.read_bytes(), "s.txt")
    assert b.encoding == "cp932"
    assert _same_content(_strip_raw(a), _strip_raw(b))


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
@pytest.mark.parametrize("which", ["seed", "synthetic"])
def test_round_trip(request, writer, which):
    report = request.getfixturevalue(f"{which}_report")
    data = writer(report)
    back = parse_bytes(data, "canonical")
    assert back.file_format == ("canonical_csv" if writer is write_csv else "canonical_xlsx")
    assert _same_content(report, back)
    # and the canonical file reproduces itself
    assert writer(back) == data


def test_canonical_csv_layout(seed_report):
    data = write_csv(seed_report)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == len(seed_report.rows)
    assert {r["report_fiscal_year"] for r in rows} == {"2023"}
    assert {r["as_of"] for r in rows} == {"2024-03-31"}
    defining = [r for r in rows if r["kpi_defined"] == "true"]
    assert len(defining) == len(seed_report.kpis)
    for y in (2022, 2023, 2024, 2025):
        assert f"target_{y}" in rows[0] and f"target_{y}_value" in rows[0]
    # KPI columns only on the KPI's defining row
    assert all(r["indicator_name"] == "" for r in rows if r["kpi_defined"] == "false")
    two = [r for r in rows if "|" in r["department"]]
    assert two


def test_canonical_handles_other_target_years(seed_report):
    r = copy.deepcopy(seed_report)
    for k in r.kpis:
        k.targets = [
            KpiTarget(t.fiscal_year + 1, t.text, t.value, t.comparator) for t in k.targets
        ] + [KpiTarget(2027, "99", 99.0, "at_least")]
    for writer in (write_csv, write_xlsx):
        back = parse_bytes(writer(r), "x")
        assert [t.fiscal_year for t in back.kpis[0].targets] == [2023, 2024, 2025, 2026, 2027]
        assert _same_content(r, back)


def test_edited_canonical_csv_is_read(seed_report):
    text = write_csv(seed_report).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    i = header.index("project_name")
    rows[1][i] = "手で直した名前"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    back = parse_bytes(buf.getvalue().encode("cp932", errors="replace"), "edited.csv")
    assert back.encoding == "cp932"
    assert back.rows[0].project_name == "手で直した名前"


def test_damaged_canonical_files(seed_report):
    data = write_csv(seed_report)
    with pytest.raises(ParseError, match="fields"):
        parse_bytes(data[: data.rfind(b",", 0, len(data) // 2)], "cut.csv")
    with pytest.raises(ParseError, match="truncated"):
        parse_bytes(data[: data.rfind("行".encode(), 0, len(data) // 2) + 1], "cut.csv")
    text = data.decode("utf-8-sig").replace(",2023,", ",20x3,", 1)
    with pytest.raises(ParseError, match="integer"):
        parse_bytes(text.encode(), "bad.csv")
    xl = write_xlsx(seed_report)
    with pytest.raises(ParseError):
        parse_bytes(xl[: len(xl) // 2], "cut.xlsx")
