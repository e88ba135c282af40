"""Rows off their page's grid: damaged variants of the seed and FY2024.

The variants come from ``tests/fixtures/make_moved_rows.py`` (rows moved between 18- and
20-cell pages keeping their grid, page headers unfused, cells lost). Each is either read at
the golden accuracy with every KPI defined, or rejected with its page and line named.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from pathlib import Path

import pytest
from dxplan.models import ParseError, Repair
from dxplan.parse import parse_bytes
from dxplan.parse.layout import Line, Page, page_width
from dxplan.parse.realign import Grid, align, check_kpi_numbers, kind, remap
from golden_score import score

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MOVED = FIXTURES / "moved_rows"
sys.path.insert(0, str(FIXTURES))
import make_moved_rows  # noqa: E402

NAMES = sorted(p.stem for p in MOVED.glob("*.txt"))
#: variants whose content is gone: the parser must name the row
REJECTED = {"seed_lost_three_cells", "synthetic_lost_kpi_no"}
#: variants with rows that only a realignment reads right
REALIGNED = ("moved_down", "moved_up", "moved_and_lost", "lost_left_cell", "lost_kpi_no")


def test_generated_files_are_current():
    assert make_moved_rows.main(["--check"]) == 0
    assert len(NAMES) == 2 * len(make_moved_rows.VARIANTS)


def _damaged_lines(golden: dict) -> set[tuple[int, int]]:
    """(page, line) of the rows the generator damaged or moved."""
    rows = {r["source_row_no"]: r for r in golden["rows"]}
    out = set()
    for note in golden["damage"]:
        m = re.match(r"rows? \[?([\d, ]+)\]?", note)
        if not m:
            continue
        for no in map(int, m.group(1).split(",")):
            r = rows[no]
            out |= {(r["page_no"], ln) for ln in r["source_lines"]}
    return out


@pytest.mark.parametrize("name", NAMES)
def test_damaged_variant_is_read_or_named(name):
    data = (MOVED / f"{name}.txt").read_bytes()
    golden_path = MOVED / f"{name}.json"
    golden = json.loads(golden_path.read_text("utf-8"))
    assert golden["damage"], "the generator changed nothing"
    try:
        report = parse_bytes(data, f"{name}.txt")
    except ParseError as e:
        msg = str(e)
        assert name in REJECTED, msg
        assert "is not defined" not in msg
        m = re.search(r"page (\d+), line (\d+)", msg)
        assert m, msg
        assert (int(m.group(1)), int(m.group(2))) in _damaged_lines(golden), msg
        assert "probably" in msg  # the likely cause
        if name.endswith("three_cells"):
            assert re.search(r"line \d+: row has \d+ cells where the page's grid has", msg)
        return
    assert name not in REJECTED, f"{name} should be rejected"
    s = score(report, golden_path)
    assert s.accuracy >= 0.99, s.report() + "\n" + "\n".join(s.mismatches[:20])
    assert sorted(k.kpi_no for k in report.kpis) == sorted(k["kpi_no"] for k in golden["kpis"])
    realigned = [r for r in report.rows if any(p.rule == "row_realigned" for p in r.repairs)]
    if name.endswith(REALIGNED):
        assert realigned
        damaged = _damaged_lines(golden)
        assert all((r.page_no, r.line_start) in damaged for r in realigned)
    if name.endswith("unfused"):
        assert not realigned


def test_moved_kpi_row_keeps_its_kpi(seed_report):
    """The row of KPI 7 on an 18-cell page, moved under a 20-cell page's header."""
    text, golden = make_moved_rows.build("seed", "moved_down")
    r = parse_bytes(text.encode(), "moved.txt")
    row = next(x for x in r.rows if x.project_no == 21)
    assert row.page_no == 3 and row.kpi_no == 7
    assert any(p.rule == "row_realigned" for p in row.repairs)
    k7 = next(k for k in r.kpis if k.kpi_no == 7)
    want = next(k for k in seed_report.kpis if k.kpi_no == 7)
    assert [t.value for t in k7.targets] == [t.value for t in want.targets]
    assert (k7.indicator_name, k7.actual_value) == (want.indicator_name, want.actual_value)


# --------------------------------------------------------------------------------------
# the pieces
# --------------------------------------------------------------------------------------

G18 = Grid(
    18,
    (
        "no", "area", "item_no", "item_name", "dept", "div", "project", "summary", "target",
        "kpi_no", "kpi_name", "t0", "t1", "t2", "t3", "actual", "eval", "status",
    ),
    1,
)  # fmt: skip
G20 = Grid(
    20,
    (
        "no", "area", "area", "item_no", "item_name", "dept", "div", "project", "summary",
        "target", "kpi_no", "kpi_name", "baseline", "t0", "t1", "t2", "t3", "actual", "eval",
        "status",
    ),
    2,
)  # fmt: skip

ROW18 = [
    "7", "I 1 取組", "(3)", "押印の見直し", "総務部", "行政経営課", "押印見直し事業",
    "押印を見直す。", "【指標】件数", "3", "見直した手続の件数", "10 20", "30", "40", "50",
    "35", "○(達成)", "令和5年度は35件を見直した。",
]  # fmt: skip


@pytest.mark.parametrize(
    ("cell", "want"),
    [
        ("", "empty"),
        ("12", "kpino"),
        ("再揭", "kpino"),
        ("○ (達成)", "mark"),
        ("△(一部達成)", "mark"),
        ("-", "dash"),
        ("40百万枚 40百万枚", "number"),
        ("ほぼ100%", "number"),
        ("文書管理システム対象の", "text"),
        ("令和5年度は、応用力アップ研修を新設した。", "long"),
    ],
)
def test_cell_kinds(rules, cell, want):
    assert kind(rules, cell) == want


def test_remap_between_grids():
    to20 = remap(ROW18, G18.roles, G20)
    assert len(to20) == 20
    assert to20[10:12] == ["3", "見直した手続の件数"] and to20[12] == ""
    assert to20[13:20] == ["10 20", "30", "40", "50", "35", "○(達成)", ROW18[-1]]
    back = remap(to20, G20.roles, G18)
    assert back == ROW18
    # a baseline cell of its own goes in front of the first target on a grid without one
    row20 = [*to20[:12], "10", "20", *to20[14:]]
    assert remap(row20, G20.roles, G18)[11] == "10 20"


@pytest.mark.parametrize("lost", [2, 7, 13])
def test_alignment_finds_a_lost_cell(rules, lost):
    cells = list(ROW18)
    cells[lost] = ""  # a cell left blank, then lost by OCR
    del cells[lost]
    r = align(rules, cells, G18)
    assert not r.misfits
    roles = dict(zip(r.roles, cells, strict=True))
    assert roles["kpi_no"] == "3" and roles["eval"] == "○(達成)"
    assert roles["dept"] == "総務部" and roles["div"] == "行政経営課"
    assert roles["actual"] == "35"


def test_lost_kpi_number_is_not_taken_from_the_targets(rules):
    cells = [c for j, c in enumerate(ROW18) if j != 9]
    r = align(rules, cells, G18)
    roles = list(zip(r.roles, cells, strict=True))
    assert ("kpi_name", "見直した手続の件数") in roles
    assert all(role != "kpi_no" for role, c in roles if c.strip())


def test_page_width_comes_from_the_column_labels(rules):
    labels = Line(2, "", ["事業", "分野", "項目", "担当", "KPI", "指標名", "目標値", "取組状況"])
    data = [Line(3 + i, "", ["x"] * 20) for i in range(3)] + [Line(9, "", ["y"] * 18)]
    page = Page(1, [labels, *data], header=[labels], data=data)
    assert page_width(rules, page) == 20
    labels.cells = labels.cells + [""] * 10  # 18 cells: rows moved here keep 20
    assert page_width(rules, page) == 18


def _with_repairs(row, *rules):
    return dataclasses.replace(
        row, repairs=[*row.repairs, *(Repair("kpi_no", None, None, r, r) for r in rules)]
    )


def test_inferred_kpi_number_that_skips_a_missing_one_is_named(seed_report):
    rows = list(seed_report.rows)
    i = next(j for j, r in enumerate(rows) if r.kpi_no == 13 and not r.kpi_is_relisted)
    kpis = [k for k in seed_report.kpis if k.kpi_no != 13]
    kpis.append(dataclasses.replace(next(k for k in seed_report.kpis if k.kpi_no == 13), kpi_no=20))
    rows[i] = dataclasses.replace(rows[i], kpi_no=20)
    check_kpi_numbers(rows, kpis)  # not realigned: left to validation, as before
    rows[i] = _with_repairs(rows[i], "kpi_no_inferred", "row_realigned")
    where = f"page {rows[i].page_no}, line {rows[i].line_start}"
    with pytest.raises(ParseError, match=rf"{where}: .* KPI 13 is missing .* probably lost"):
        check_kpi_numbers(rows, kpis)


def test_row_moved_above_the_row_fused_with_the_header(tmp_path):
    """A row moved under a page's header, above the row the header is fused into."""
    doc, golden = make_moved_rows.load("seed")
    page = make_moved_rows.width_breaks(doc)[0]
    last = doc.rows_on(page)[-1]
    fused_first = doc.pos(doc.row_ids[doc.rows_on(page + 1)[0]][0])
    make_moved_rows._move(doc, [last], fused_first)
    text, g = make_moved_rows.dump(doc, golden, "above_fused")
    (tmp_path / "g.json").write_text(json.dumps(g, ensure_ascii=False), "utf-8")
    r = parse_bytes(text.encode(), "above_fused.txt")
    s = score(r, tmp_path / "g.json")
    assert s.accuracy >= 0.99, s.report() + "\n" + "\n".join(s.mismatches[:20])
    assert sorted(k.kpi_no for k in r.kpis) == sorted(k["kpi_no"] for k in golden["kpis"])
