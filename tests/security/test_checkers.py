"""The checks of test_hostile_outputs find live content when it is there (they can fail)."""

from __future__ import annotations

import io

from dxplan.report import _cell

from tests.security.hostile import (
    PAYLOADS,
    SCRIPT,
    formula_cells,
    inspect_html,
    markdown_to_html,
    xlsx_formula_findings,
)


def test_html_inspector_finds_live_markup_and_passes_escaped_text():
    import html

    live = f"<html><body><p>{SCRIPT}</p>{PAYLOADS['js_anchor']}{PAYLOADS['svg']}</body></html>"
    findings, _ = inspect_html(live)
    assert len(findings) >= 5, findings  # script, img+onerror, a href+onclick, svg, iframe
    safe = f"<html><body><p>{html.escape(SCRIPT)}</p></body></html>"
    findings, text = inspect_html(safe)
    assert findings == [] and SCRIPT in text
    block = '<script type="application/json">{"a":"</p><b>"}</script>'
    assert inspect_html(block)[0]  # a raw "<" in a data block


def test_markdown_check_finds_raw_html_and_links_unless_escaped():
    raw = f"| {SCRIPT} | {PAYLOADS['markdown']} |"
    assert inspect_html(markdown_to_html(f"|a|b|\n|-|-|\n{raw}"))[0]
    safe = f"|a|b|\n|-|-|\n| {_cell(SCRIPT)} | {_cell(PAYLOADS['markdown'])} |"
    findings, text = inspect_html(markdown_to_html(safe))
    assert findings == [] and SCRIPT in text


def test_formula_checks_find_formulas():
    assert formula_cells(["a", "b"], [["=1+1", "-5.0"], ["x", "@SUM(A1)"]]) == [
        "a='=1+1'",
        "b='@SUM(A1)'",
    ]
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["=1+1", "text", -5])
    buf = io.BytesIO()
    wb.save(buf)
    found = xlsx_formula_findings(buf.getvalue())
    assert any("formula" in f for f in found) and any("<f>" in f for f in found)
