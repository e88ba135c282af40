"""The static HTML dashboard (content, self-containment, empty states, speed)."""

from __future__ import annotations

import html
import re
import time
from html.parser import HTMLParser

import duckdb
import pytest
from dxplan import dashboard
from dxplan.dashboard import load_data, write_dashboard

from tests.bi.dashboard_marts import (  # noqa: F401 - fixtures: the warehouses with the dashboard's marts
    bi_warehouse_template,
    empty_marts_warehouse,
    one_report_warehouse,
)

VOID = {"meta", "br", "input", "img", "hr", "link", "wbr", "source", "col", "area", "base"}
SVG_SELF_CLOSING = {"rect", "path", "circle", "line", "polyline"}




class _Balance(HTMLParser):
    """Checks that every element is closed in order (a cheap well-formedness test)."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def _page(warehouse, out_dir):
    return write_dashboard(warehouse, out_dir).read_text(encoding="utf-8")


def _section(page: str, year: int) -> str:
    start = page.index(f'<div data-report="{year}"')
    end = page.find("<div data-report=", start + 10)
    return page[start : end if end > 0 else page.index('id="trends"')]


def _kpis(warehouse, year):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(
            "SELECT kpi_no, indicator_name, evaluation_code, achievement_rate FROM marts.mart_kpi_progress "
            "WHERE report_fiscal_year = ? ORDER BY kpi_no",
            [year],
        ).fetchall()
    finally:
        con.close()


def test_page_is_self_contained_and_offline(bi_warehouse, tmp_path):
    page = _page(bi_warehouse, tmp_path / "dash")
    head = page[: page.index("</head>")]
    assert head.index('<meta charset="utf-8">') < 200
    assert "Content-Security-Policy" in head and "default-src 'none'" in head
    assert '"Noto Sans CJK JP"' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "external resource"
    assert "@import" not in page and "<link" not in page and "url(" not in page
    parser = _Balance()
    parser.feed(page)
    assert not parser.errors and parser.stack == [], (parser.errors[:3], parser.stack)


def test_every_kpi_of_every_report_is_shown_with_its_evaluation(bi_warehouse, tmp_path):
    page = _page(bi_warehouse, tmp_path / "dash")
    for year in (2023, 2024):
        section = _section(page, year)
        for kpi_no, name, code, rate in _kpis(bi_warehouse, year):
            assert html.escape(name) in section, (year, name)
            row = re.search(rf'<tr><td class="no" data-v="{kpi_no}">.*?</tr>', section, flags=re.S)
            assert row, (year, kpi_no)
            badge = f'<span class="badge {dashboard.EVAL_CLASS.get(code, "none")}">'
            assert badge in row.group(0), (year, kpi_no, code)
            # the achievement bar is drawn in the evaluation's colour, and only with a rate
            assert (f'fill="{dashboard.COLORS[code]}"' in row.group(0)) == (rate is not None)
    # the latest report is shown, earlier ones are behind the picker
    assert '<div data-report="2024">' in page and '<div data-report="2023" hidden>' in page
    assert re.search(r'<option value="2024" selected>令和6年度</option><option value="2023">', page)


def test_trend_has_a_chart_per_kpi_with_each_reports_targets(bi_warehouse, tmp_path):
    page = _page(bi_warehouse, tmp_path / "dash")
    trends = page[page.index('id="trends"') :]
    kpi_nos = [k for k, *_ in _kpis(bi_warehouse, 2024)]
    assert re.findall(r'data-chart="trend-(\d+)"', trends) == [str(k) for k in kpi_nos]
    kpi2 = trends[trends.index('data-chart="trend-2"') : trends.index('data-chart="trend-3"')]
    assert kpi2.count("<polyline") == 3  # 2023 targets, 2024 targets, actuals line
    assert "R5報告の目標値" in kpi2 and "R6報告の目標値" in kpi2


def test_department_scorecard_counts_shared_projects_for_both(bi_warehouse):
    scores = {s.name: s for s in dashboard.department_scores(load_data(bi_warehouse), 2024)}
    assert scores["総務部"].behind == 2 and len(scores["総務部"].kpis) == 3
    assert set(scores["企画調整部"].kpis) == {2, 4}  # KPI 2 belongs to a 総務部|企画調整部 project
    assert len(scores["警察本部"].projects) == 1 and not scores["警察本部"].kpis
    ordered = dashboard.department_scores(load_data(bi_warehouse), 2024)
    assert ordered[0].name == "総務部"


def test_initiatives_by_pillar_and_area_count_relisted_rows_apart(bi_warehouse, tmp_path):
    page = _page(bi_warehouse, tmp_path / "dash")
    section = _section(page, 2024)
    area = section[section.index('id="initiatives"') :]
    assert "柱 I" in area and "柱 II" in area
    assert "1項目・1事業・再掲1" in area  # II-1: project 4 own, project 2 re-listed
    assert area.count('badge relisted">再掲</span>') == 2


def test_text_from_the_data_is_escaped(bi_warehouse, tmp_path):
    page = _page(bi_warehouse, tmp_path / "dash")
    assert "福島県警察DX推進事業 &lt;RPA&gt;" in page
    assert "<RPA>" not in page


def test_one_report_explains_that_the_trend_needs_more_reports(one_report_warehouse, tmp_path):
    page = _page(one_report_warehouse, tmp_path / "dash")
    assert "報告書が1年分のため" in page
    assert "<select" not in page and '<div data-report="2023">' in page


def test_empty_state_instead_of_an_error(no_data_warehouse, tmp_path):
    kind, warehouse = no_data_warehouse
    page = _page(warehouse, tmp_path / f"dash_{kind}")
    assert 'data-state="empty"' in page and "まだ表示できるデータがありません" in page
    assert 'data-chart="empty-donut"' in page


def test_write_is_atomic_and_repeatable(bi_warehouse, tmp_path):
    out = tmp_path / "dash"
    first = write_dashboard(bi_warehouse, out)
    second = write_dashboard(bi_warehouse, out)
    assert first == second == out / "index.html"
    assert [p.name for p in out.iterdir()] == ["index.html"]


def test_dashboard_is_fast(bi_warehouse, tmp_path):
    started = time.perf_counter()
    write_dashboard(bi_warehouse, tmp_path / "dash")
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize(
    ("value", "unit", "comparator", "expected"),
    [
        (6000.0, "台", None, "6,000台"),
        (67.4, "%", None, "67.4%"),
        (100.0, "%", "approximately", "ほぼ100%"),
        (4.0, "点", "at_least", "4点以上"),
        (None, "件", None, "—"),
    ],
)
def test_fmt_value(value, unit, comparator, expected):
    assert dashboard.fmt_value(value, unit, comparator=comparator) == expected


def test_axis_ticks_cover_the_data_and_read_alike():
    for lo, hi in [(0, 10), (55.3, 64.9), (8000, 17000), (-3, 4), (0.01, 0.04)]:
        ticks = dashboard.nice_ticks(lo, hi)
        assert ticks[0] <= lo and ticks[-1] >= hi and len(ticks) >= 3
        labels = dashboard.fmt_axis(ticks)
        assert len(set(labels)) == len(labels)
    assert dashboard.fmt_axis([0, 2_000_000, 4_000_000]) == ["0", "200万", "400万"]
    assert dashboard.short_year(2025) == "R7" and dashboard.short_year(2018) == "H30"


def test_load_history_is_shown_with_japanese_status(bi_warehouse, tmp_path):
    page = _page(bi_warehouse, tmp_path / "dash")
    loads = page[page.index('id="loads"') :]
    assert "report_FY2023.txt" in loads and "report_FY2024.txt" in loads
    assert loads.count('<td class="status-published">公開</td>') == 2
