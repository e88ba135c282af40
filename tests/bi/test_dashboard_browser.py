"""The dashboard in headless Chromium: loads offline without errors, charts drawn, not blank."""

from __future__ import annotations

import subprocess

import pytest
from dxplan import dashboard
from dxplan.dashboard import write_dashboard

from tests.bi.chromium import load_page
from tests.bi.dashboard_marts import (  # noqa: F401 - fixtures: the warehouses with the dashboard's marts
    bi_warehouse_template,
    empty_marts_warehouse,
    one_report_warehouse,
)
from tests.bi.pngcheck import colour_stats, pixels_near, read_png

pytestmark = pytest.mark.browser




def test_harness_catches_script_errors_and_blank_pages(chromium, tmp_path):
    """The checks below can fail: a page with a script error and nothing drawn is caught."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
        '<body data-rendered="pending"><script>undefinedFunction();'
        'document.body.dataset.rendered = "ok";</script></body></html>',
        encoding="utf-8",
    )
    load = load_page(chromium, page, tmp_path / "broken.png")
    assert load.body_attr("data-rendered") == "pending"
    assert any("undefinedFunction" in line for line in load.console)
    assert colour_stats(read_png(load.screenshot))["distinct"] <= 2


def test_dashboard_renders_with_charts(chromium, bi_warehouse, tmp_path):
    page = write_dashboard(bi_warehouse, tmp_path / "dash")
    load = load_page(chromium, page, tmp_path / "dash.png")
    assert load.console == [], load.console
    assert load.body_attr("data-rendered") == "ok", load.body_attr("data-broken-charts")
    assert int(load.body_attr("data-charts")) >= 20 and load.body_attr("data-kpis") == "4"
    pixels = read_png(load.screenshot)
    stats = colour_stats(pixels)
    assert stats["distinct"] > 200 and stats["non_background"] > 0.2, stats
    # bars and donut really painted in the evaluation colours (2024: 2 達成, 1 一部達成, 1 未達成)
    for code in ("achieved", "partially_achieved", "not_achieved"):
        assert pixels_near(pixels, dashboard.COLORS[code]) > 300, code


def test_empty_dashboard_renders(chromium, bare_warehouse, tmp_path):
    page = write_dashboard(bare_warehouse, tmp_path / "dash")
    load = load_page(chromium, page, tmp_path / "empty.png")
    assert load.console == [], load.console
    assert load.body_attr("data-rendered") == "ok" and load.body_attr("data-state") == "empty"
    pixels = read_png(load.screenshot)
    assert colour_stats(pixels)["distinct"] > 20  # header and text drawn
    assert pixels_near(pixels, dashboard.COLORS["achieved"]) == 0


def test_japanese_font_is_installed(chromium):
    fonts = subprocess.run(
        ["fc-list", ":lang=ja", "family"], capture_output=True, text=True, check=True
    ).stdout
    assert "Noto Sans CJK JP" in fonts, "install fonts-noto-cjk (docs/BI.md)"
