"""The seed report (令和5年度, OCR'd): structure the parser must get right."""

from __future__ import annotations

import re
from datetime import date

from dxplan.models import COMPARATORS, DIRECTIONS, EVALUATIONS, ParsedReport

HEADER_WORDS = ("事業名又は取組名", "事業概要又は取組内容", "指標(KPI)又は目標", "番号", "名称")


def test_counts(seed_report: ParsedReport):
    r = seed_report
    assert r.file_format == "ocr_text"
    assert r.encoding == "utf-8"
    assert len(r.rows) == 65
    assert sum(x.is_relisted for x in r.rows) == 13
    numbered = [x.project_no for x in r.rows if not x.is_relisted]
    assert numbered == list(range(1, 53))
    assert [k.kpi_no for k in r.kpis] == list(range(1, 20))


def test_report_year_and_as_of(seed_report: ParsedReport):
    assert seed_report.report_fiscal_year == 2023
    assert seed_report.as_of == date(2024, 3, 31)
    assert seed_report.title and "取組一覧" in seed_report.title
    assert all(k.actual_as_of == date(2024, 3, 31) for k in seed_report.kpis)


def test_rows_are_in_order_and_keep_raw_text(seed_report: ParsedReport):
    rows = seed_report.rows
    assert [x.source_row_no for x in rows] == list(range(1, len(rows) + 1))
    assert all(x.line_start <= x.line_end for x in rows)
    assert all(a.line_end < b.line_start for a, b in zip(rows, rows[1:], strict=False))
    for x in rows:
        assert x.raw_text and "\t" in x.raw_text
        assert x.page_no >= 1


def test_header_words_stripped_from_fused_rows(seed_report: ParsedReport):
    for x in seed_report.rows:
        for text in (x.project_name, x.summary, x.target_text, x.item_name, x.area_name):
            if text:
                assert not text.startswith(HEADER_WORDS), (x.source_row_no, text)
    fused = [x for x in seed_report.rows if any(r.rule == "header_stripped" for r in x.repairs)]
    assert len(fused) == 6  # one per page


def test_lost_number_is_inferred_and_recorded(seed_report: ParsedReport):
    inferred = [
        x for x in seed_report.rows if any(r.rule == "project_no_inferred" for r in x.repairs)
    ]
    assert len(inferred) == 1
    x = inferred[0]
    prev = max(
        r.project_no
        for r in seed_report.rows
        if not r.is_relisted and r.source_row_no < x.source_row_no
    )
    assert x.project_no == prev + 1


def test_relisted_rows_point_at_numbered_projects(seed_report: ParsedReport):
    numbered = {x.project_no: x for x in seed_report.rows if not x.is_relisted}
    for x in seed_report.rows:
        if x.is_relisted:
            assert x.project_no in numbered
            assert x.project_name == numbered[x.project_no].project_name


def test_plan_positions(seed_report: ParsedReport):
    for x in seed_report.rows:
        assert x.pillar in ("I", "II")
        assert x.area_no in (1, 2, 3, 4)
        assert x.area_name
        assert x.item_no is None or x.item_no == "計画" or 1 <= int(x.item_no) <= 10
    # rows of a pillar are consecutive: pillar I first, then II
    pillars = [x.pillar for x in seed_report.rows]
    assert pillars == sorted(pillars, key=lambda p: len(p))


def test_organisations(seed_report: ParsedReport):
    for x in seed_report.rows:
        for d in x.departments:
            assert re.search(r"(部|局|本部|事務局)$", d), d
        for v in x.divisions:
            assert re.search(r"(課|室)$", v), v
    assert any(len(x.departments) == 2 and len(x.divisions) == 2 for x in seed_report.rows)
    corrected = [r for x in seed_report.rows for r in x.repairs if r.rule == "org_corrected"]
    assert {r.value for r in corrected} >= {"デジタル変革課", "警務課"}


def test_evaluations(seed_report: ParsedReport):
    for x in seed_report.rows:
        assert x.evaluation in (None, *EVALUATIONS)
        if x.evaluation:
            assert x.evaluation_text in ("○(達成)", "△(一部達成)", "×(未達成)")
    for k in seed_report.kpis:
        assert k.evaluation in EVALUATIONS


def test_kpis_are_complete(seed_report: ParsedReport):
    for k in seed_report.kpis:
        assert k.indicator_name, k.kpi_no
        assert k.direction in DIRECTIONS
        assert [t.fiscal_year for t in k.targets] == [2022, 2023, 2024, 2025]
        assert k.actual_value is not None
        for t in k.targets:
            assert t.comparator in (None, *COMPARATORS)
            if t.text and t.text != "-":
                assert t.value is not None, (k.kpi_no, t)
    paper = [k for k in seed_report.kpis if "購入量" in (k.indicator_name or "")]
    assert paper and all(k.direction == "decrease" for k in paper)


def test_merged_kpi_cell_spans_project_and_its_relisted_rows(seed_report: ParsedReport):
    merged = [x for x in seed_report.rows if any(r.rule == "kpi_merged_cell" for r in x.repairs)]
    assert merged
    owner = next(x for x in merged if not x.is_relisted)
    kpi = next(k for k in seed_report.kpis if k.kpi_no == owner.kpi_no)
    assert kpi.source_row_no == owner.source_row_no
    assert kpi.actual_value is not None and kpi.evaluation == "達成"
    for x in merged:
        assert x.kpi_no == owner.kpi_no
        assert x.evaluation == "達成"


def test_every_repair_is_explained(seed_report: ParsedReport):
    repairs = [r for x in seed_report.rows for r in x.repairs] + [
        r for k in seed_report.kpis for r in k.repairs
    ]
    assert len(repairs) > 50
    for r in repairs:
        assert r.field and r.rule
        assert r.note or r.rule == "ocr_fix"
