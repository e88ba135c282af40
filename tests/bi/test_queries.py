"""The SQL cookbook (queries/*.sql): every query runs and answers its question.

Against the fixture warehouse the answers are known (see FIXTURE in conftest.py); against the
seed warehouse each answer is cross-checked with a simpler, independent query.
"""

from __future__ import annotations

import duckdb
import pytest

from tests.bi.conftest import FIXTURE, QUERIES_DIR
from tests.bi.dashboard_marts import (  # noqa: F401 - fixtures: the warehouses with the dashboard's marts
    bi_warehouse_template,
    empty_marts_warehouse,
    one_report_warehouse,
)

QUERIES = sorted(p.name for p in QUERIES_DIR.glob("*.sql"))




def run(warehouse, name, report_year=None):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        if report_year is not None:
            con.execute(f"SET VARIABLE report_year = {int(report_year)}")
        cur = con.execute((QUERIES_DIR / name).read_text(encoding="utf-8"))
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()


def scalar_rows(warehouse, sql):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_query_has_a_test_and_a_readme_entry():
    readme = (QUERIES_DIR / "README.md").read_text(encoding="utf-8")
    assert set(QUERIES) == set(FIXTURE_CHECKS) == set(SEED_CHECKS)
    for name in QUERIES:
        assert name in readme, f"{name} is not described in queries/README.md"
        assert (QUERIES_DIR / name).read_text(encoding="utf-8").startswith("-- "), name


# --------------------------------------------------------------------------- fixture answers


def fx_behind(wh):
    assert {r["kpi_no"] for r in run(wh, "01_kpis_behind_target.sql")} == FIXTURE[
        "behind_target_2024"
    ]
    rows = run(wh, "01_kpis_behind_target.sql", 2023)
    assert {r["kpi_no"] for r in rows} == FIXTURE["behind_target_2023"]
    assert rows[0]["departments"] == "総務部|企画調整部" and rows[0]["gap_to_target"] == 7.0


def fx_departments(wh):
    rows = run(wh, "02_departments_unachieved_kpis.sql")
    assert [(r["department"], r["unachieved"], r["kpis"]) for r in rows] == [
        ("総務部", 2, 3),
        ("企画調整部", 0, 2),
    ]
    assert rows[0]["unachieved_kpi_nos"] == "1, 3"


def fx_progress(wh):
    rows = run(wh, "03_kpi_progress_to_final.sql")
    kpi3 = next(r for r in rows if r["kpi_no"] == 3)  # decrease: 40 -> 35, final 32
    assert kpi3["progress_to_final_pct"] == 62.5 and kpi3["remaining_to_final"] == 3.0
    assert [r["kpi_no"] for r in rows] == [1, 3, 2, 4]  # least progress first
    rows_2023 = run(wh, "03_kpi_progress_to_final.sql", 2023)
    assert rows_2023[-1]["kpi_no"] == 4 and rows_2023[-1]["progress_to_final_pct"] is None


def fx_plan_items(wh):
    rows = run(wh, "04_initiatives_by_plan_item.sql")
    assert len(rows) == 7 and sum(r["is_relisted"] for r in rows) == 2
    assert [(r["pillar"], r["area_no"]) for r in rows] == sorted(
        (r["pillar"], r["area_no"]) for r in rows
    )
    assert {r["relisted_mark"] for r in rows if r["is_relisted"]} == {"再掲"}
    assert len(run(wh, "04_initiatives_by_plan_item.sql", 2023)) == 6


def fx_target_changes(wh):
    rows = run(wh, "05_kpi_target_changes.sql")
    kpi, year, before, after = FIXTURE["target_change"]
    assert [
        (r["kpi_no"], r["fiscal_year"], r["previous_target_value"], r["target_value"]) for r in rows
    ] == [(kpi, year, before, after)]
    assert rows[0]["previous_report"] == 2023 and rows[0]["changed_in_report"] == 2024


def fx_summary(wh):
    rows = run(wh, "06_report_summary.sql")
    assert [
        (r["report_fiscal_year"], r["projects"], r["relisted_rows"], r["kpis"], r["not_achieved"])
        for r in rows
    ] == [(2023, 5, 1, 4, 1), (2024, 5, 2, 4, 1)]
    assert rows[0]["wareki_label"] == "令和5年度"


def fx_loads(wh):
    rows = run(wh, "07_load_history.sql")
    assert {r["file_name"] for r in rows} == {"report_FY2023.txt", "report_FY2024.txt"}


FIXTURE_CHECKS = {
    "01_kpis_behind_target.sql": fx_behind,
    "02_departments_unachieved_kpis.sql": fx_departments,
    "03_kpi_progress_to_final.sql": fx_progress,
    "04_initiatives_by_plan_item.sql": fx_plan_items,
    "05_kpi_target_changes.sql": fx_target_changes,
    "06_report_summary.sql": fx_summary,
    "07_load_history.sql": fx_loads,
}


@pytest.mark.parametrize("name", QUERIES)
def test_query_on_fixture(name, bi_warehouse):
    FIXTURE_CHECKS[name](bi_warehouse)


@pytest.mark.parametrize("name", QUERIES)
def test_query_on_empty_marts_returns_no_rows(name, empty_marts_warehouse):
    rows = run(empty_marts_warehouse, name)
    assert rows == [] or name == "07_load_history.sql"


# --------------------------------------------------------------------------- seed warehouse

LATEST = "(SELECT max(report_fiscal_year) FROM marts.mart_kpi_progress)"


def sd_behind(wh):
    got = {r["kpi_no"] for r in run(wh, "01_kpis_behind_target.sql")}
    expected = {
        r[0]
        for r in scalar_rows(
            wh,
            f"""
        SELECT kpi_no FROM marts.fct_kpi_yearly
        WHERE report_fiscal_year = {LATEST} AND fiscal_year = report_fiscal_year
          AND (evaluation IN ('未達成', '一部達成') OR (evaluation IS NULL AND achievement_rate < 1))""",
        )
    }
    assert got == expected and got, "the seed has KPIs behind target"


def sd_departments(wh):
    rows = run(wh, "02_departments_unachieved_kpis.sql")
    behind = {
        r[0]
        for r in scalar_rows(
            wh,
            f"""
        SELECT kpi_no FROM marts.mart_kpi_progress
        WHERE report_fiscal_year = {LATEST}
          AND evaluation_code IN ('not_achieved', 'partially_achieved')""",
        )
    }
    listed = {
        int(k) for r in rows if r["unachieved_kpi_nos"] for k in r["unachieved_kpi_nos"].split(", ")
    }
    assert listed == behind
    assert [r["unachieved"] for r in rows] == sorted((r["unachieved"] for r in rows), reverse=True)
    assert all("|" not in r["department"] for r in rows)


def sd_progress(wh):
    rows = run(wh, "03_kpi_progress_to_final.sql")
    n = scalar_rows(
        wh, f"SELECT count(*) FROM marts.mart_kpi_progress WHERE report_fiscal_year = {LATEST}"
    )
    assert len(rows) == n[0][0]
    for r in rows:
        if r["progress_to_final_pct"] is not None and r["baseline_value"] is not None:
            span = r["final_target_value"] - r["baseline_value"]
            expected = (r["actual_value"] - r["baseline_value"]) / span * 100
            assert r["progress_to_final_pct"] == pytest.approx(expected, abs=0.06), r["kpi_no"]


def sd_plan_items(wh):
    rows = run(wh, "04_initiatives_by_plan_item.sql")
    total, relisted = scalar_rows(
        wh,
        f"""
        SELECT count(*), count(*) FILTER (WHERE is_relisted) FROM marts.bridge_initiative_plan_item
        WHERE report_fiscal_year = {LATEST}""",
    )[0]
    assert (len(rows), sum(r["is_relisted"] for r in rows)) == (total, relisted)
    assert relisted > 0


def sd_target_changes(wh):
    reports = scalar_rows(
        wh, "SELECT count(DISTINCT report_fiscal_year) FROM marts.fct_kpi_yearly"
    )[0][0]
    rows = run(wh, "05_kpi_target_changes.sql")
    if reports == 1:
        assert rows == []
    for r in rows:
        assert r["changed_in_report"] > r["previous_report"]


def sd_summary(wh):
    rows = run(wh, "06_report_summary.sql")
    expected = scalar_rows(
        wh,
        """
        SELECT report_fiscal_year, count(DISTINCT initiative_key) FILTER (WHERE NOT is_relisted)
        FROM marts.bridge_initiative_plan_item GROUP BY 1 ORDER BY 1""",
    )
    assert [(r["report_fiscal_year"], r["projects"]) for r in rows] == expected


def sd_loads(wh):
    rows = run(wh, "07_load_history.sql")
    assert rows and {r["status"] for r in rows} <= {"published", "unchanged", "rejected"}
    assert all("/" not in r["file_name"] for r in rows)


SEED_CHECKS = {
    "01_kpis_behind_target.sql": sd_behind,
    "02_departments_unachieved_kpis.sql": sd_departments,
    "03_kpi_progress_to_final.sql": sd_progress,
    "04_initiatives_by_plan_item.sql": sd_plan_items,
    "05_kpi_target_changes.sql": sd_target_changes,
    "06_report_summary.sql": sd_summary,
    "07_load_history.sql": sd_loads,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", QUERIES)
def test_query_on_seed_warehouse(name, seed_warehouse):
    SEED_CHECKS[name](seed_warehouse)
