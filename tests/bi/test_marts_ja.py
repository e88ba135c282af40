"""Schema marts_ja: the contract tables as views with Japanese column names (from the glossary)."""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest
from dxplan import glossary

from tests.bi.conftest import DBT_PROJECT, marts_ja_models
from tests.bi.conftest import PROMISED_JA as PROMISED
from tests.contract.spec import CONTRACT, CONTRACT_TABLES
from tests.helpers import query


def _columns(con, schema, table):
    return [d[0] for d in con.execute(f'SELECT * FROM {schema}."{table}" LIMIT 0').description]


def test_one_view_per_contract_table():
    """The glossary names a view for each contract table; one dbt hook makes them all."""
    assert set(marts_ja_models()) == CONTRACT_TABLES
    project = (DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8")
    assert "create_japanese_views()" in project
    assert not (DBT_PROJECT / "models" / "marts_ja").exists()  # no model per view


def test_glossary_is_consistent_across_views():
    """An English column gets one Japanese name everywhere (except documented overrides)."""
    overrides = {("fct_initiative_status", "target_text"), ("bridge_initiative_kpi", "is_relisted")}
    entries = glossary.read_glossary(DBT_PROJECT)
    renames = [e for e in entries if e.column_name and not e.expression]
    keys = [(e.table_name, e.column_name) for e in renames]
    assert len(keys) == len(set(keys)), "a column named twice"
    assert {k for k in keys if k[0] != glossary.EVERY_TABLE} == overrides
    every = {e.column_name: e.ja_name for e in renames if e.table_name == glossary.EVERY_TABLE}
    derived = {e.ja_name for e in entries if e.expression}
    for table in CONTRACT_TABLES:
        names = every | {e.column_name: e.ja_name for e in renames if e.table_name == table}
        # no two columns of a view share a Japanese name
        assert len(set(names.values())) == len(names), table
        assert not derived & set(names.values()), table


def test_views_have_the_same_rows_and_japanese_names(bi_warehouse):
    con = duckdb.connect(str(bi_warehouse), read_only=True)
    try:
        for view in CONTRACT_TABLES:
            en = con.execute(f"SELECT count(*) FROM marts.{view}").fetchone()[0]
            ja = con.execute(f"SELECT count(*) FROM marts_ja.{view}").fetchone()[0]
            assert en == ja, view
            cols = _columns(con, "marts_ja", view)
            assert all(name in cols for name in PROMISED.get(view, [])), (view, cols)
            ascii_left = [c for c in cols if c.isascii()]
            assert not ascii_left, f"{view}: contract columns left in English: {ascii_left}"
        # values are the marts' values, direction also in Japanese
        rows = con.execute(
            'SELECT "KPI番号", "指標名", "達成率", "方向コード", "方向" FROM marts_ja.mart_kpi_progress '
            'WHERE "報告年度" = 2024 ORDER BY 1'
        ).fetchall()
        base = con.execute(
            "SELECT kpi_no, indicator_name, achievement_rate, direction FROM marts.mart_kpi_progress "
            "WHERE report_fiscal_year = 2024 ORDER BY 1"
        ).fetchall()
        assert [r[:4] for r in rows] == base
        assert {r[3]: r[4] for r in rows} == {"increase": "増加", "decrease": "減少"}
    finally:
        con.close()


def test_fixture_warehouse_holds_the_contract_columns(bi_warehouse):
    """The hand-made BI fixture follows docs/CONTRACT.md, so the BI tests test the contract."""
    rows = query(
        bi_warehouse,
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'marts'",
    )
    have: dict[str, set[str]] = {}
    for table, column in rows:
        have.setdefault(table, set()).add(column)
    missing = {t: set(cols) - have.get(t, set()) for t, cols in CONTRACT.items()}
    assert not {t: m for t, m in missing.items() if m}, missing


def test_views_list_columns_explicitly(bi_warehouse):
    """No ``*``/``RENAME`` in the stored SQL: DuckDB 1.x readers of a v1-storage file open it."""
    sqls = dict(
        query(
            bi_warehouse, "SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'marts_ja'"
        )
    )
    assert set(sqls) == CONTRACT_TABLES
    for name, sql in sqls.items():
        assert "*" not in sql and "RENAME" not in sql.upper(), name


def test_extra_and_missing_columns_do_not_break_the_views(tmp_path):
    """A mart with a column the glossary does not know, and without some it knows."""
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    try:
        con.execute("CREATE SCHEMA marts")
        con.execute(
            "CREATE TABLE marts.dim_kpi AS SELECT 7 AS kpi_no, 'decrease' AS direction, "
            "'new' AS brand_new_column"
        )
        views = marts_ja_models(con)
        con.execute("CREATE SCHEMA marts_ja")
        con.execute(f"CREATE VIEW marts_ja.dim_kpi AS {views['dim_kpi']}")
        cur = con.execute("SELECT * FROM marts_ja.dim_kpi")
        assert [d[0] for d in cur.description] == [
            "KPI番号",
            "方向コード",
            "brand_new_column",
            "方向",
        ]
        assert cur.fetchall() == [(7, "decrease", "new", "減少")]
    finally:
        con.close()


def test_views_work_when_the_file_is_renamed_or_attached_under_another_name(bi_warehouse, tmp_path):
    copy = tmp_path / "renamed_copy.duckdb"
    shutil.copyfile(bi_warehouse, copy)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{copy}' AS elsewhere (READ_ONLY)")
        n = con.execute(
            'SELECT count(*) FROM elsewhere.marts_ja.dim_kpi WHERE "KPI番号" > 0'
        ).fetchone()[0]
        assert n == con.execute("SELECT count(*) FROM elsewhere.marts.dim_kpi").fetchone()[0] > 0
    finally:
        con.close()


@pytest.mark.slow
def test_dbt_builds_marts_ja_in_the_seed_warehouse(seed_warehouse):
    con = duckdb.connect(str(seed_warehouse), read_only=True)
    try:
        kinds = dict(
            con.execute(
                "SELECT table_name, table_type FROM information_schema.tables "
                "WHERE table_schema = 'marts_ja'"
            ).fetchall()
        )
        assert kinds == {t: "VIEW" for t in CONTRACT_TABLES}
        for view in CONTRACT_TABLES:
            cols = _columns(con, "marts_ja", view)
            assert all(name in cols for name in PROMISED.get(view, [])), (view, cols)
            assert (
                con.execute(f"SELECT count(*) FROM marts_ja.{view}").fetchone()
                == con.execute(f"SELECT count(*) FROM marts.{view}").fetchone()
            )
        # the stored view SQL names no catalog: it survives renames of the file
        sqls = [
            r[0]
            for r in con.execute(
                "SELECT sql FROM duckdb_views() WHERE schema_name = 'marts_ja'"
            ).fetchall()
        ]
        assert sqls and not any(re.search(r'"?dxplan"?\.', s) for s in sqls)
    finally:
        con.close()
