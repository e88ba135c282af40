"""The connection recipes of docs/BI.md work (SQLAlchemy/duckdb-engine, read-only)."""

from __future__ import annotations

import duckdb
import pytest
import sqlalchemy
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError, ProgrammingError


def _engine(warehouse):
    # the URL Superset, pandas, Jupyter use (docs/BI.md)
    return create_engine(f"duckdb:///{warehouse}", connect_args={"read_only": True})


def _reads_mart_kpi_progress(warehouse):
    engine = _engine(warehouse)
    try:
        with engine.connect() as con:
            rows = con.execute(
                text(
                    "SELECT kpi_no, indicator_name, achievement_rate, evaluation "
                    "FROM marts.mart_kpi_progress ORDER BY report_fiscal_year, kpi_no"
                )
            ).fetchall()
            ja = con.execute(
                text(
                    'SELECT "KPI番号", "指標名", "達成率" FROM marts_ja.mart_kpi_progress '
                    'ORDER BY "報告年度", "KPI番号"'
                )
            ).fetchall()
            with pytest.raises(DBAPIError, match="read-only"):
                con.execute(text("CREATE TABLE marts.oops AS SELECT 1"))
    finally:
        engine.dispose()
    assert rows and [r[:3] for r in rows] == ja
    return rows


def test_sqlalchemy_read_only_engine_reads_the_marts(bi_warehouse):
    rows = _reads_mart_kpi_progress(bi_warehouse)
    assert {r.indicator_name for r in rows} >= {"BPR実施業務数"}


def test_a_reader_does_not_block_the_pipeline_swap(bi_warehouse, tmp_path):
    """The pipeline replaces the file with os.replace while a BI tool holds it open."""
    import os
    import shutil

    engine = _engine(bi_warehouse)
    try:
        with engine.connect() as con:
            before = con.execute(text("SELECT count(*) FROM marts.dim_kpi")).scalar()
            new = tmp_path / "new.duckdb"
            shutil.copyfile(bi_warehouse, new)
            os.replace(new, bi_warehouse)
            # the open connection keeps reading the old file; nothing failed
            assert con.execute(text("SELECT count(*) FROM marts.dim_kpi")).scalar() == before
    finally:
        engine.dispose()


def test_column_reflection_limitation_documented_in_bi_md(bi_warehouse):
    """Canary for docs/BI.md (Superset): column reflection fails with SQLAlchemy >= 2.0.45.

    duckdb-engine 0.17 sends SQLAlchemy's PostgreSQL reflection query, which since 2.0.45
    joins pg_catalog.pg_collation columns DuckDB does not emulate (duckdb/duckdb#22069,
    Mause/duckdb_engine#1391). Listing tables and running SQL work. If this test fails,
    reflection works now: update docs/BI.md and make this a positive test.
    """
    engine = _engine(bi_warehouse)
    try:
        insp = inspect(engine)
        assert "mart_kpi_progress" in insp.get_table_names(schema="marts")
        assert "mart_kpi_progress" in insp.get_view_names(schema="marts_ja")
        if (
            tuple(int(p) for p in sqlalchemy.__version__.split(".")[:2]) == (2, 0)
            and int(sqlalchemy.__version__.split(".")[2]) < 45
        ):
            names = [c["name"] for c in insp.get_columns("mart_kpi_progress", schema="marts_ja")]
            assert "指標名" in names
        else:
            with pytest.raises(ProgrammingError, match="pg_collation"):
                insp.get_columns("mart_kpi_progress", schema="marts")
    finally:
        engine.dispose()


@pytest.mark.slow
def test_sqlalchemy_reads_the_seed_warehouse(seed_warehouse):
    rows = _reads_mart_kpi_progress(seed_warehouse)
    con = duckdb.connect(str(seed_warehouse), read_only=True)
    try:
        assert (
            len(rows) == con.execute("SELECT count(*) FROM marts.mart_kpi_progress").fetchone()[0]
        )
    finally:
        con.close()
