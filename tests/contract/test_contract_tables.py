"""The tables and columns of docs/CONTRACT.md exist and are filled from the seed."""

from __future__ import annotations

import duckdb
import pytest

from tests.contract.spec import CONTRACT, CONTRACT_MD, audit_load_log_columns

AUDIT_LOAD_LOG = audit_load_log_columns()


def test_contract_is_read_from_docs_contract_md():
    """Every table row of docs/CONTRACT.md's marts schema is read, with its columns."""
    text = CONTRACT_MD.read_text(encoding="utf-8")
    marts = text[text.index("## Schema `marts`") : text.index("## Schema `audit`")]
    table_rows = [ln for ln in marts.splitlines() if ln.startswith("| `")]
    assert len(CONTRACT) == len(table_rows) >= 9
    for table, columns in CONTRACT.items():
        assert f"| `{table}` |" in marts
        assert len(columns) >= 4 and len(set(columns)) == len(columns), table
    assert AUDIT_LOAD_LOG[0] == "load_id" and AUDIT_LOAD_LOG[-1] == "message"


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
