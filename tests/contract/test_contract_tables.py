"""The tables and columns of docs/CONTRACT.md exist and are filled from the seed."""

from __future__ import annotations

import duckdb
import pytest

CONTRACT = {
    "dim_fiscal_year": ["fiscal_year", "wareki_label", "start_date", "end_date"],
    "dim_plan_item": ["plan_item_key", "pillar", "area_no", "area_name", "item_no", "item_name"],
    "dim_initiative": ["initiative_key", "project_no", "project_name", "summary", "department",
                       "division"],
    "bridge_initiative_plan_item": ["initiative_key", "plan_item_key", "report_fiscal_year",
                                    "source_row_no", "is_relisted"],
    "dim_kpi": ["kpi_key", "kpi_no", "indicator_name", "unit", "direction", "baseline_value",
                "baseline_text"],
    "bridge_initiative_kpi": ["initiative_key", "kpi_key", "report_fiscal_year", "is_relisted"],
    "fct_kpi_yearly": ["kpi_key", "kpi_no", "fiscal_year", "report_fiscal_year", "target_value",
                       "target_text", "target_comparator", "actual_value", "actual_text",
                       "actual_as_of", "evaluation", "evaluation_code", "achievement_rate"],
    "fct_initiative_status": ["initiative_key", "project_no", "report_fiscal_year", "target_text",
                              "status_text", "evaluation", "evaluation_code"],
    "mart_kpi_progress": ["kpi_no", "indicator_name", "unit", "direction", "report_fiscal_year",
                          "baseline_value", "target_value", "actual_value", "achievement_rate",
                          "evaluation", "evaluation_code", "final_fiscal_year",
                          "final_target_value", "progress_to_final"],
}
AUDIT_LOAD_LOG = ["load_id", "source_path", "sha256", "report_fiscal_year", "file_format",
                  "status", "rows_in", "started_at", "finished_at", "message"]


@pytest.fixture(scope="module")
def con(seed_warehouse):
    c = duckdb.connect(str(seed_warehouse), read_only=True)
    yield c
    c.close()


def _columns(con, schema, table):
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table]).fetchall()]


@pytest.mark.parametrize("table", sorted(CONTRACT))
def test_contract_table_has_required_columns_and_rows(con, table):
    cols = _columns(con, "marts", table)
    missing = [c for c in CONTRACT[table] if c not in cols]
    assert not missing, f"marts.{table} lacks {missing}"
    assert con.execute(f"SELECT count(*) FROM marts.{table}").fetchone()[0] > 0


def test_marts_are_tables_not_views(con):
    kinds = dict(con.execute(
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema='marts'"
    ).fetchall())
    for table in CONTRACT:
        assert kinds[table] == "BASE TABLE", table


def test_seed_counts(con):
    assert con.execute("SELECT count(*) FROM marts.dim_initiative").fetchone()[0] == 52
    rows, relisted = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_relisted) FROM marts.bridge_initiative_plan_item"
        " WHERE report_fiscal_year = 2023").fetchone()
    assert (rows, relisted) == (65, 13)
    assert con.execute("SELECT count(*) FROM marts.dim_kpi").fetchone()[0] == 19
    assert con.execute(
        "SELECT min(kpi_no), max(kpi_no), count(DISTINCT kpi_no) FROM marts.mart_kpi_progress "
        "WHERE report_fiscal_year = 2023").fetchone() == (1, 19, 19)


def test_fiscal_year_convention(con):
    row = con.execute(
        "SELECT wareki_label, start_date, end_date FROM marts.dim_fiscal_year WHERE fiscal_year = 2023"
    ).fetchone()
    assert row[0] == "令和5年度"
    assert str(row[1]) == "2023-04-01" and str(row[2]) == "2024-03-31"


def test_audit_load_log(con):
    cols = _columns(con, "audit", "load_log")
    assert all(c in cols for c in AUDIT_LOAD_LOG)
    status, year, rows_in = con.execute(
        "SELECT status, report_fiscal_year, rows_in FROM audit.load_log").fetchone()
    assert (status, year, rows_in) == ("published", 2023, 65)


def test_surrogate_keys_unique(con):
    for table, key in [("dim_initiative", "initiative_key"), ("dim_kpi", "kpi_key"),
                       ("dim_plan_item", "plan_item_key")]:
        n, distinct, nulls = con.execute(
            f"SELECT count(*), count(DISTINCT {key}), count(*) - count({key}) FROM marts.{table}"
        ).fetchone()
        assert n == distinct and nulls == 0, table
