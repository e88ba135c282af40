"""The spreadsheet-safety rule (dxplan.safe_text) and the canonical round trip."""

from __future__ import annotations

import copy
import csv
import io

from dxplan.models import Kpi, KpiTarget, ParsedReport, ReportRow
from dxplan.parse import canonical, parse_bytes
from dxplan.safe_text import (
    csv_escape,
    csv_unescape,
    evaluates_as_formula,
    is_formula_like,
    markdown_text,
    xlsx_escape,
    xlsx_unescape,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st

#: text a report may hold: anything, with the dangerous first characters made likely
texts = st.one_of(
    st.text(),
    st.builds(
        lambda a, b: a + b,
        st.sampled_from(["=", "+", "-", "@", "\t", "\r", "'", "''", "＝", "_x0001_", "\x00"]),
        st.text(),
    ),
)
SETTINGS = settings(max_examples=300, derandomize=True, deadline=None, database=None)


@SETTINGS
@given(texts)
@example("'")
@example("'=1")
@example("''")
def test_csv_escape_is_safe_and_reversible(text):
    cell = csv_escape(text)
    assert not is_formula_like(cell)
    assert csv_unescape(cell) == text


@SETTINGS
@given(texts)
@example("_x0041_x0042_")
@example("_x1234\x01")
def test_xlsx_escape_is_reversible_and_legal(text):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cell = xlsx_escape(text)
    assert not ILLEGAL_CHARACTERS_RE.search(cell)
    assert xlsx_unescape(cell) == text


def test_rule_examples():
    assert csv_escape('=HYPERLINK("http://x","x")') == '\'=HYPERLINK("http://x","x")'
    assert csv_escape("@SUM(1+1)") == "'@SUM(1+1)"
    assert csv_escape("-") == "'-" and csv_escape("+81") == "'+81"
    assert csv_escape("\t=1") == "'\t=1" and csv_escape("\r=1") == "'\r=1"
    assert csv_escape("'x") == "''x" and csv_escape("職員研修") == "職員研修"
    assert csv_unescape("'abc") == "'abc"  # an apostrophe the writer did not add stays
    md = markdown_text("<script>x</script> [a](javascript:b) |c\nd")
    assert "<" not in md and "\n" not in md and "\\[a\\]" in md and "\\|c" in md
    assert markdown_text("a\u202eb") == "a(U+202E)b"


def _report(texts_: list[str]) -> ParsedReport:
    """A small report whose every text column holds one of ``texts_``."""
    t = (texts_ * 20)[:20]
    rows = [
        ReportRow(
            source_row_no=i + 1,
            page_no=1,
            line_start=i + 1,
            line_end=i + 1,
            is_relisted=False,
            project_no=i + 1,
            pillar=t[0],
            area_no=1,
            area_name=t[1],
            item_no=t[2],
            item_name=t[3],
            departments=[t[4]] if t[4] else [],
            divisions=[],
            project_name=t[5],
            summary=t[6],
            target_text=t[7],
            kpi_no=i + 1,
            evaluation_text=t[8],
            status_text=t[9],
            raw_text=t[10],
        )
        for i in range(2)
    ]
    kpis = [
        Kpi(
            kpi_no=1,
            source_row_no=1,
            project_no=1,
            indicator_name=t[11],
            unit=t[12],
            direction="decrease",
            baseline_text=t[13],
            baseline_value=-5.0,
            targets=[KpiTarget(2024, t[14], -1.5), KpiTarget(2025, t[15], None)],
            actual_text=t[16],
            actual_value=-0.25,
        )
    ]
    return ParsedReport(2023, None, t[17], "canonical_csv", "utf-8", rows, kpis)


#: text in a canonical cell: no empty string (an empty cell is null) and no "|" in lists
cell_texts = texts.filter(lambda s: s != "" and "|" not in s)


@settings(max_examples=60, derandomize=True, deadline=None, database=None)
@given(st.lists(cell_texts, min_size=1, max_size=20))
def test_canonical_csv_and_xlsx_round_trip_any_text(values):
    report = _report(values)
    csv_bytes = canonical.write_csv(report)
    back = parse_bytes(csv_bytes, "t.csv")
    _same(report, back)
    header, *rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"), newline="")))
    assert not [c for r in rows for c in r if evaluates_as_formula(c)]
    assert rows[0][header.index("baseline_value")] == "-5.0"  # numbers are not quoted
    back = parse_bytes(canonical.write_xlsx(report), "t.xlsx")
    _same(report, back)


def _same(a: ParsedReport, b: ParsedReport) -> None:
    b = copy.copy(b)
    b.file_format, b.encoding = a.file_format, a.encoding
    assert b == a


def test_csv_export_quotes_text_but_not_negative_numbers(tmp_path):
    """exports.export_marts: a text "-5" gets its ', the number -5.0 stays a number."""
    import duckdb
    from dxplan.exports import export_marts

    from tests.security.hostile import formula_cells, read_csv_cells

    wh = tmp_path / "w.duckdb"
    con = duckdb.connect(str(wh))
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA marts_ja")
    con.execute("CREATE TABLE marts.t (n DOUBLE, i INTEGER, s VARCHAR)")
    con.execute(
        "INSERT INTO marts.t VALUES (-5.0, -3, '-5'), (1.5, 2, '=1+1'), (NULL, NULL, NULL), "
        "(0, 0, '''x'), (2, 2, '@A1'), (3, 3, chr(9) || '=x'), (4, 4, 'plain')"
    )
    con.execute('CREATE VIEW marts_ja.t AS SELECT n AS "数", i AS "整数", s AS "文字" FROM marts.t')
    con.close()
    out = tmp_path / "exports"
    export_marts(wh, out)
    for sub in ("csv", "csv_ja"):
        header, body = read_csv_cells(out / sub / "t.csv")
        assert formula_cells(header, body) == []
        assert [r[0] for r in body] == ["-5.0", "1.5", "", "0.0", "2.0", "3.0", "4.0"]
        assert [r[1] for r in body][:2] == ["-3", "2"]
        assert [csv_unescape(r[2]) for r in body] == [
            "-5",
            "=1+1",
            "",
            "'x",
            "@A1",
            "\t=x",
            "plain",
        ]
        assert [r[2] for r in body][:2] == ["'-5", "'=1+1"]
