"""The report PDF: read from its ruled grid and header words.

The PDFs are drawn by tests/fixtures/make_pdf_fixtures.py from the golden readings, in
three layouts (page size, font, font size, column widths, header rows and labels, header
on every page or only the first), plus a scanned copy without a text layer.
"""

from __future__ import annotations

import re
import time

import golden_score
import pytest
from conftest import GOLDEN
from dxplan.models import ParseError
from dxplan.parse import parse_bytes

from tests.pdf_fixtures import generator, pdf_paths

#: style -> golden reading of its content
READABLE = {
    "seed_fy2023": "seed_fy2023.json",
    "synthetic_fy2024": "synthetic_fy2024.json",
    "seed_fy2023_variant": "seed_fy2023.json",
    "synthetic_fy2024_flat": "synthetic_fy2024.json",
    "seed_fy2023_rows": "seed_fy2023.json",
}


@pytest.fixture(scope="module")
def pdfs():
    return pdf_paths()


@pytest.fixture(scope="module")
def reports(pdfs):
    out = {}
    for name in READABLE:
        data = pdfs[name].read_bytes()
        cpu, wall = time.process_time(), time.perf_counter()
        rep = parse_bytes(data, pdfs[name].name)
        out[name] = (rep, time.process_time() - cpu, time.perf_counter() - wall)
    return out


def _score(report, golden: str):
    """The golden score without page and line numbers (a PDF has its own pages)."""
    return golden_score.score(report, GOLDEN / golden, skip=("page_no", "source_lines"))


@pytest.mark.parametrize("name", sorted(READABLE))
def test_field_accuracy(reports, name):
    rep, _, _ = reports[name]
    s = _score(rep, READABLE[name])
    print(f"\n{name}: {s.report()}")
    for m in s.mismatches:
        print("  mismatch:", m)
    assert s.total > 1200
    assert rep.file_format == "report_pdf"
    assert s.accuracy >= 0.99, "\n".join(s.mismatches)


@pytest.mark.parametrize("name", sorted(READABLE))
def test_read_time(reports, name):
    """One PDF in <= 2 s (CPU time of the process: the wall time of a shared CI
    machine is printed, not asserted)."""
    _, cpu, wall = reports[name]
    print(f"\n{name}: {cpu:.2f} s CPU, {wall:.2f} s wall")
    assert cpu <= 2.0


def test_title_year_and_as_of(reports):
    rep, _, _ = reports["synthetic_fy2024"]
    assert rep.report_fiscal_year == 2024
    assert rep.as_of.isoformat() == "2025-03-31"
    assert rep.title.endswith("取組一覧") and "令和6年度" in rep.title
    assert [t.fiscal_year for t in rep.kpis[0].targets] == [2022, 2023, 2024, 2025]


def test_lineage_is_page_and_cell(reports):
    rep, _, _ = reports["seed_fy2023"]
    pages = set()
    for r in rep.rows:
        m = re.fullmatch(r"p(\d+) r(\d+)", r.source_cell or "")
        assert m, r.source_cell
        assert int(m.group(1)) == r.page_no and int(m.group(2)) == r.line_start == r.line_end
        pages.add(r.page_no)
    assert len(pages) >= 3  # rows on every page, none split
    assert [r.source_row_no for r in rep.rows] == list(range(1, len(rep.rows) + 1))


def test_row_split_by_a_page_break_is_one_row(reports):
    """The variant splits rows too tall for the rest of a page (and prints the header on
    its first page only): each split row is read once, its two parts joined."""
    rep, _, _ = reports["seed_fy2023_variant"]
    continued = [r for r in rep.rows if re.fullmatch(r"p\d+ r\d+-p\d+ r\d+", r.source_cell)]
    assert continued
    assert len(rep.rows) == 65 and len({r.project_no for r in rep.rows}) == 52
    for r in continued:
        first, second = r.source_cell.split("-")
        assert int(second.split()[0][1:]) == int(first.split()[0][1:]) + 1


def test_merged_kpi_cell_belongs_to_every_row_it_spans(reports):
    rep, _, _ = reports["seed_fy2023"]
    rows = [r for r in rep.rows if r.project_no == 52]
    assert [(r.is_relisted, r.kpi_no, r.kpi_is_relisted, r.evaluation) for r in rows] == [
        (False, 19, False, "達成"),
        (True, 19, True, "達成"),
        (True, 19, True, "達成"),
        (True, 19, True, "達成"),
    ]
    kpi = next(k for k in rep.kpis if k.kpi_no == 19)
    assert (kpi.source_row_no, kpi.actual_value) == (rows[0].source_row_no, 7.0)
    notes = [p.note for r in rows[1:] for p in r.repairs if p.rule == "kpi_merged_cell"]
    assert notes and all(re.search(r"p\d+ r\d+-r\d+ c\d+", n) for n in notes)


def test_relisted_rows_and_units(reports):
    rep, _, _ = reports["seed_fy2023"]
    relisted = [r for r in rep.rows if r.is_relisted]
    assert len(relisted) == 13
    assert all(r.project_name and "再掲" not in r.project_name for r in relisted)
    paper = next(k for k in rep.kpis if k.unit == "百万枚")
    assert (paper.baseline_value, paper.direction) == (40.0, "decrease")
    approx = [t for k in rep.kpis for t in k.targets if t.comparator == "approximately"]
    assert approx and all(t.value == 100.0 for t in approx)
    empty = [r for r in rep.rows if r.evaluation_text == "-"]
    assert empty and all(r.evaluation is None for r in empty)


def test_scanned_pdf_is_rejected_with_how_to(pdfs):
    path = pdfs["seed_fy2023_scanned"]
    with pytest.raises(ParseError) as e:
        parse_bytes(path.read_bytes(), path.name)
    msg = str(e.value)
    assert path.name in msg
    assert "no text layer" in msg
    assert "OCR" in msg and "dxplan template" in msg


@pytest.mark.parametrize("damage", ["truncated", "garbage", "encrypted", "not_a_report"])
def test_damaged_pdf_is_a_parse_error(pdfs, damage):
    data = pdfs["seed_fy2023"].read_bytes()
    if damage == "truncated":
        data = data[: len(data) // 3]
    elif damage == "garbage":
        data = b"%PDF-1.7\n" + bytes(range(256)) * 40
    elif damage == "encrypted":
        data = _encrypted_pdf()
    else:
        data = _plain_pdf("Minutes of the meeting, nothing else")
    with pytest.raises(ParseError) as e:
        parse_bytes(data, f"{damage}.pdf")
    assert f"{damage}.pdf" in str(e.value)
    if damage == "encrypted":
        assert "encrypted" in str(e.value)


def test_generator_is_deterministic(pdfs):
    gen = generator()
    st = next(s for s in gen.STYLES if s.name == "synthetic_fy2024")
    assert gen.draw(st) == pdfs["synthetic_fy2024"].read_bytes()


def _plain_pdf(text: str, **kw) -> bytes:
    import io

    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    c = Canvas(buf, invariant=1, **kw)
    for _ in range(3):
        c.drawString(72, 720, text)
        c.showPage()
    c.save()
    return buf.getvalue()


def _encrypted_pdf() -> bytes:
    from reportlab.lib.pdfencrypt import StandardEncryption

    return _plain_pdf("secret", encrypt=StandardEncryption("user-pw", canPrint=0))


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("R 5", ("year", "")),
        ("令和4年度(2022年度)", ("year", "")),
        ("R4年度目標値", ("year", "")),
        ("実績値 ※R6.3.31 時点", ("role", "actual")),
        ("KPI(重要業績評価指標)", ("group", "kpi")),
        ("指標(KPI)又は目標", ("role", "target")),
        ("令和5年度 取組状況", ("role", "status")),
        ("事業No.", ("role", "no")),
        ("担当課", ("role", "div")),
        ("分野名", ("group", "area")),
        ("名称", ("leaf", "名称")),
        ("※R6.3.31時点", None),
    ],
)
def test_header_words(rules, text, kind):
    from dxplan.parse.pdf_columns import classify

    assert classify(rules, text) == kind
