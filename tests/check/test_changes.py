"""What `dxplan check` reports as the difference between two staged reports (SQL over staging)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import duckdb
import pytest
from dxplan import stage
from dxplan.check import changes_between

from tests.validate.builders import make_kpi, make_row, valid_report


def _stage(con, report, load_id: str, year: int) -> None:
    report.report_fiscal_year = year
    stage.stage_report(con, report, load_id=load_id, source_path=f"/raw/{load_id}.txt",
                       source_name=f"{load_id}.txt", sha256=load_id * 8,
                       loaded_at=datetime(2025, 5, 1))


@pytest.fixture
def con():
    con = duckdb.connect()
    stage.ensure_schema(con)
    yield con
    con.close()


def _next_year():
    """valid_report() a year on: project 4 (and its KPI 2) dropped, project 5 with KPI 3 added,
    KPI 1's 2024 target revised 30 -> 35, KPI 1's evaluation 達成 -> 一部達成."""
    report = valid_report()
    report.rows = [r for r in report.rows if r.project_no != 4]
    report.rows.append(make_row(7, 5, kpi_no=3, project_name="新しい事業"))
    kpi1 = report.kpis[0]
    kpi1.targets = [replace(t, value=35.0, text="35件") if t.fiscal_year == 2024 else t
                    for t in kpi1.targets]
    kpi1.evaluation = "一部達成"
    report.kpis = [kpi1, make_kpi(3, 7, 5)]
    return report


def test_next_year_names_added_dropped_revised_and_changed(con):
    _stage(con, valid_report(), "y2023", 2023)
    _stage(con, _next_year(), "y2024", 2024)
    base, changes = changes_between(con, "y2024", 2024)
    assert base == {"report_fiscal_year": 2023, "source_name": "y2023.txt", "why": "previous_year"}
    assert [(r["project_no"], r["project_name"]) for r in changes["projects_added"]] == [
        (5, "新しい事業")]
    assert [r["project_no"] for r in changes["projects_dropped"]] == [4]
    assert [r["kpi_no"] for r in changes["kpis_added"]] == [3]
    assert [r["kpi_no"] for r in changes["kpis_dropped"]] == [2]
    assert [(r["kpi_no"], r["fiscal_year"], r["old_value"], r["new_value"])
            for r in changes["targets_revised"]] == [(1, 2024, 30.0, 35.0)]
    assert [(r["level"], r["number"], r["old"], r["new"])
            for r in changes["evaluations_changed"]] == [("kpi", 1, "達成", "一部達成")]


def test_a_reissue_is_compared_with_the_version_it_replaces(con):
    _stage(con, valid_report(), "old2023", 2023)
    _stage(con, valid_report(), "y2024", 2024)
    _stage(con, _next_year(), "new2023", 2023)  # a corrected 2023, loaded after 2024
    base, changes = changes_between(con, "new2023", 2023)
    assert base["why"] == "reissue" and base["source_name"] == "old2023.txt"
    assert [r["project_no"] for r in changes["projects_dropped"]] == [4]


def test_the_first_report_has_nothing_to_compare_with(con):
    _stage(con, valid_report(), "y2023", 2023)
    assert changes_between(con, "y2023", 2023) == (None, {})


def test_identical_reports_have_no_changes(con):
    _stage(con, valid_report(), "a", 2023)
    _stage(con, valid_report(), "b", 2024)
    base, changes = changes_between(con, "b", 2024)
    assert base["source_name"] == "a.txt"
    assert not any(changes.values())
