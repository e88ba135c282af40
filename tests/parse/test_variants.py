"""Generalisation: the seed with next-year-style changes must still parse correctly.

Nothing in the parser may depend on the seed's values, numbers of rows or positions, so
these variants change them and check that the parser follows.
"""

from __future__ import annotations

import re

from dxplan.parse import parse_bytes


def _parse(text: str):
    return parse_bytes(text.encode("utf-8"), "variant.txt")


def _seed_text(seed_bytes) -> str:
    return seed_bytes.decode("utf-8")


def test_clean_and_spaced_relisted_marks(seed_bytes, seed_report):
    text = _seed_text(seed_bytes)
    n = 0

    def swap(m):
        nonlocal n
        n += 1
        return "再掲" if n % 2 else "再 掲"

    text = re.sub(r"(?m)^(再揭|再排|再撂)(?=\t)", swap, text)
    r = _parse(text)
    assert sum(x.is_relisted for x in r.rows) == 13
    assert [x.project_no for x in r.rows] == [x.project_no for x in seed_report.rows]


def test_full_width_and_other_marks(seed_bytes):
    text = _seed_text(seed_bytes)
    text = text.replace("○ (達成)", "〇（達成）").replace("△(一部達成)", "×(未達成)")
    r = _parse(text)
    evals = {k.evaluation for k in r.kpis}
    assert evals == {"達成", "一部達成", "未達成"}
    assert all(
        x.evaluation_text in (None, "-", "○(達成)", "△(一部達成)", "×(未達成)") for x in r.rows
    )


def test_removed_project_keeps_printed_numbers(seed_bytes, seed_report):
    lines = _seed_text(seed_bytes).split("\n")
    victim = next(i for i, ln in enumerate(lines) if ln.split("\t")[0] == "13")
    del lines[victim]
    r = _parse("\n".join(lines))
    numbered = [x.project_no for x in r.rows if not x.is_relisted]
    assert 13 not in numbered and numbered == [n for n in range(1, 53) if n != 13]
    assert len(r.rows) == len(seed_report.rows) - 1


def test_next_year_labels_and_values(seed_bytes, seed_report):
    text = _seed_text(seed_bytes)
    text = text.replace("令和5年度", "令和6年度").replace("R6.3.31", "R7.3.31")
    # every KPI number in a target/actual cell grows by one digit position
    text = text.replace("\t11400\t13000\t14600\t16200\t", "\t12400\t14000\t15600\t17200\t")
    r = _parse(text)
    assert r.report_fiscal_year == 2024
    assert r.as_of.isoformat() == "2025-03-31"
    k8 = next(k for k in r.kpis if k.kpi_no == 8)
    assert [t.value for t in k8.targets] == [12400.0, 14000.0, 15600.0, 17200.0]
    assert len(r.kpis) == len(seed_report.kpis)


def test_target_years_come_from_the_header(seed_bytes):
    text = _seed_text(seed_bytes)
    for a, b in (
        ("R 7", "R 8"),
        ("R7", "R8"),
        ("R6", "R7"),
        ("R 6", "R 7"),
        ("R 5", "R 6"),
        ("K5", "K6"),
        ("К6", "К7"),
        ("R4", "R5"),
        ("R 4", "R 5"),
    ):
        text = re.sub(rf"(?<![\d.]){re.escape(a)}(?![\d.])", b, text)
    r = _parse(text)
    assert [t.fiscal_year for t in r.kpis[0].targets] == [2023, 2024, 2025, 2026]


def test_extra_page_break(seed_bytes, seed_report):
    """A page break in another place: a page header (title + column names) inserted in the
    middle of a page, above an ordinary data line."""
    lines = _seed_text(seed_bytes).split("\n")
    breaks = [i for i, ln in enumerate(lines) if "\t" not in ln]
    start = breaks[1] + 1  # third page: its title and column-header lines
    header = lines[start : start + 2]
    at = start + 6
    lines[at:at] = ["", *header]
    r = _parse("\n".join(lines))
    assert [x.project_no for x in r.rows] == [x.project_no for x in seed_report.rows]
    assert [x.kpi_no for x in r.rows] == [x.kpi_no for x in seed_report.rows]
    assert max(x.page_no for x in r.rows) == max(x.page_no for x in seed_report.rows) + 1
