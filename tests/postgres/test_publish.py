"""``dxplan run`` with a PostgreSQL target, against a real private PostgreSQL 15.

One sequence on one warehouse (a copy of the session's seed warehouse, raw/ unchanged):

1. PostgreSQL down (``DXPLAN_POSTGRES_URL`` names a closed port): exit 3, the DuckDB
   publish stands, ``audit.publish_targets`` and ``audit.load_log`` say why;
2. PostgreSQL up (``--postgres-url``), nothing changed in raw/: the run still publishes
   (the no-op fast path must not skip a pending publish), exit 0;
3. again: now nothing is pending, the fast path answers, exit 0.
"""

from __future__ import annotations

import contextlib
import io
import time
from pathlib import Path

import duckdb
import pytest
from dxplan import pg_schema, postgres

from tests.conftest import SEED
from tests.helpers import seed_workdir
from tests.postgres.cluster import free_port
from tests.postgres.support import assert_same_marts, duckdb_relations, pg_columns

DB = "dxplan_cli"
SECRET = "s3cret-pw"


def _main(args: list[str]) -> tuple[int, str, str]:
    from dxplan.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, seed_warehouse, prefect_harness, pg_cluster):
    import psycopg

    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {DB}")
        con.execute(f"CREATE DATABASE {DB}")
    root = tmp_path_factory.mktemp("pg_cli")
    raw, warehouse = seed_workdir(root, SEED, seed_warehouse)
    base = ["run", "--raw-dir", str(raw), "--warehouse", str(warehouse)]
    url = pg_cluster.url(dbname=DB)
    dead = f"postgresql://postgres:{SECRET}@127.0.0.1:{free_port()}/{DB}"

    mp = pytest.MonkeyPatch()
    seconds = []
    try:
        mp.setenv(postgres.ENV_URL, dead)
        t0 = time.perf_counter()
        first = _main(base)
        seconds.append(time.perf_counter() - t0)
        pending_after_first = postgres.pending(warehouse)
        mp.delenv(postgres.ENV_URL)
        t0 = time.perf_counter()
        second = _main([*base, "--postgres-url", url])
        seconds.append(time.perf_counter() - t0)
        mp.setenv(postgres.ENV_URL, url)
        pending_after_second = postgres.pending(warehouse)
        third = _main(base)
    finally:
        mp.undo()
    print(f"\ndxplan run: PostgreSQL down {seconds[0]:.1f} s, up {seconds[1]:.1f} s")
    return {
        "warehouse": warehouse, "url": url, "dead": dead, "runs": (first, second, third),
        "pending": (pending_after_first, pending_after_second),
    }


@pytest.fixture(scope="module")
def pg(runs):
    import psycopg

    with psycopg.connect(runs["url"], autocommit=True) as con:
        yield con


def test_target_down_exits_3_and_is_audited(runs):
    code, out, err = runs["runs"][0]
    assert code == 3, (out, err)
    assert "published to DuckDB" in err and "PostgreSQL publish failed" in err, err
    assert SECRET not in err and SECRET not in out
    warehouse = runs["warehouse"]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM marts.dim_kpi").fetchone()[0] > 0
        failed = con.execute(
            "SELECT run_id, status, target, message FROM audit.publish_targets").fetchall()
        assert len(failed) == 1 and failed[0][1] == "failed", failed
        run_id, _, target, message = failed[0]
        assert target == postgres.redact(runs["dead"]) and SECRET not in target
        assert "PostgreSQL publish failed" in message and SECRET not in message
        notes = con.execute(
            "SELECT status, message FROM audit.load_log WHERE run_id = ?", [run_id]).fetchall()
        assert notes and all("PostgreSQL publish failed" in m for _, m in notes), notes
        assert {s for s, _ in notes} == {"unchanged"}
    finally:
        con.close()
    assert runs["pending"][0], "a failed publish must stay pending"


def test_next_run_publishes_though_raw_unchanged(runs, pg):
    code, out, err = runs["runs"][1]
    assert code == 0, (out, err)
    assert "nothing changed" not in out  # the fast path did not skip the pending publish
    assert "published" in out and runs["url"] in out
    assert runs["pending"][1] is None
    assert assert_same_marts(runs["warehouse"], pg) >= 18


def test_then_nothing_is_pending(runs):
    code, out, err = runs["runs"][2]
    assert code == 0, (out, err)
    assert "nothing changed since the last publish" in out


def test_types_match_duckdb(runs, pg):
    con = duckdb.connect(str(runs["warehouse"]), read_only=True)
    try:
        duck = con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'marts'").fetchall()
    finally:
        con.close()
    pg_name = {"text": "text", "float8": "double precision", "int4": "integer",
               "int8": "bigint", "bool": "boolean", "date": "date",
               "timestamp": "timestamp without time zone"}
    got = {(t, c): d for t in {t for t, _, _ in duck} for c, d in pg_columns(pg, "marts", t)}

    def shown(pg_type: str) -> str:  # as information_schema names it: arrays are ARRAY
        return "ARRAY" if pg_type.endswith("[]") else pg_name[pg_type]

    for table, column, dtype in duck:
        assert got[(table, column)] == shown(pg_schema.pg_type(dtype)), (table, column, dtype)


def _constraints(pg, table: str) -> dict[str, list[list[str]]]:
    rows = pg.execute(
        "SELECT c.contype, array_agg(a.attname ORDER BY k.ord) FROM pg_constraint c "
        "CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord) "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
        "WHERE c.conrelid = %s::regclass GROUP BY c.oid, c.contype", [f"marts.{table}"]).fetchall()
    out: dict[str, list[list[str]]] = {}
    for kind, cols in rows:
        out.setdefault(kind, []).append(list(cols))
    return out


def test_keys_are_primary_keys(runs, pg):
    assert _constraints(pg, "fct_kpi_yearly")["p"] == [["kpi_yearly_key"]]
    assert ["kpi_key", "fiscal_year", "report_fiscal_year"] in _constraints(
        pg, "fct_kpi_yearly")["u"]
    assert _constraints(pg, "dim_kpi")["p"] == [["kpi_key"]]
    assert _constraints(pg, "dim_initiative")["p"] == [["initiative_key"]]
    assert _constraints(pg, "bridge_initiative_plan_item")["p"] == [
        ["report_fiscal_year", "source_row_no"]]
    assert _constraints(pg, "dim_fiscal_year")["p"] == [["fiscal_year"]]
    for table in duckdb_relations(runs["warehouse"], "marts"):
        assert _constraints(pg, table).get("p"), f"marts.{table} has no primary key"


def test_comments_come_from_dbt_docs(runs, pg):
    docs = pg_schema.read_dbt_docs(Path(__file__).resolve().parents[2] / "dbt_project")
    for table, columns in duckdb_relations(runs["warehouse"], "marts").items():
        doc = docs[f"marts/{table}"]
        got = dict(pg.execute(
            "SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute a "
            "WHERE a.attrelid = %s::regclass AND a.attnum > 0", [f"marts.{table}"]).fetchall())
        for column in columns:
            if doc.columns.get(column):
                assert got[column] == doc.columns[column], (table, column)
                assert "{{" not in got[column]
        assert pg.execute("SELECT obj_description(%s::regclass, 'pg_class')",
                          [f"marts.{table}"]).fetchone()[0] == doc.description
    # the Japanese views: their columns keep the comment of the column they show
    ja = pg.execute("SELECT col_description('marts_ja.dim_kpi'::regclass, attnum) "
                    "FROM pg_attribute WHERE attrelid = 'marts_ja.dim_kpi'::regclass "
                    "AND attname = '指標名'").fetchone()[0]
    assert ja == docs["marts/dim_kpi"].columns["indicator_name"]


def test_reader_can_select_and_nothing_else(runs, pg, pg_cluster):
    import psycopg
    from psycopg import errors

    attrs = pg.execute("SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin "
                       "FROM pg_roles WHERE rolname = 'dxplan_reader'").fetchone()
    assert attrs == (False, False, False, True)
    with psycopg.connect(pg_cluster.url(user="dxplan_reader", dbname=DB),
                         autocommit=True) as reader:
        assert reader.execute("SELECT count(*) FROM marts.dim_kpi").fetchone()[0] > 0
        assert reader.execute('SELECT count(*) FROM marts_ja.dim_kpi WHERE "KPI番号" > 0'
                              ).fetchone()[0] > 0
        # off with the read-only default: the grants alone must stop every write
        reader.execute("SET default_transaction_read_only = off")
        for stmt in (
            "INSERT INTO marts.dim_kpi (kpi_key) VALUES ('x')",
            "UPDATE marts.dim_kpi SET unit = 'x'",
            "DELETE FROM marts.fct_kpi_yearly",
            "TRUNCATE marts.dim_kpi",
            "CREATE TABLE marts.evil (x int)",
            "CREATE VIEW marts_ja.evil AS SELECT 1",
            "CREATE TABLE public.evil (x int)",
            "DROP TABLE marts.dim_kpi",
            "ALTER TABLE marts.dim_kpi ADD COLUMN evil int",
            "CREATE SCHEMA evil",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                reader.execute(stmt)
        reader.execute("RESET default_transaction_read_only")
        with pytest.raises(errors.ReadOnlySqlTransaction):
            reader.execute("INSERT INTO marts.dim_kpi (kpi_key) VALUES ('x')")


def test_bad_url_is_bad_usage():
    code, _, err = _main(["run", "--postgres-url", "mysql://u:secret@h/db"])
    assert code == 2 and "postgresql://" in err and "secret" not in err
