"""Time the PostgreSQL publish of a published warehouse (docs/OPERATIONS.md).

    .venv/bin/python bench/pg_publish.py warehouse/dxplan.duckdb postgresql://u@host/db [-n 5]

1. ``postgres.publish_marts`` as the flow runs it (load + keys + comments + views +
   grants + swap + drop of the old schemas), N times: min / median / max seconds;
2. the bulk step alone, all marts tables into a scratch schema, both ways:
   psycopg 3 binary COPY fed from DuckDB tuples (what dxplan uses) and, when
   ``adbc-driver-postgresql`` is installed, ADBC ``adbc_ingest`` fed from DuckDB's Arrow
   (``pip install adbc-driver-postgresql``; not a dxplan dependency).
The scratch schema is dropped at the end; the target's ``marts`` is replaced by (1).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import duckdb
import psycopg
from dxplan import postgres
from psycopg import sql

PROJECT = Path(__file__).resolve().parents[1] / "dbt_project"
SCRATCH = "dxplan_bench_copy"


def _scratch_tables(pg, tables) -> None:
    pg.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(SCRATCH)))
    pg.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCRATCH)))
    for rel in tables:
        pg.execute(sql.SQL("CREATE TABLE {} ({})").format(
            sql.Identifier(SCRATCH, rel.name), sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pg_type))
                for c in rel.columns)))


def copy_psycopg(url: str, duck, tables) -> float:
    with psycopg.connect(url, autocommit=True) as pg:
        with pg.transaction():  # FREEZE: the tables must be created in the same transaction
            _scratch_tables(pg, tables)
            t0 = time.perf_counter()
            with pg.cursor() as cur:
                for rel in tables:
                    postgres._copy_rows(cur, duck, SCRATCH, rel)
        return time.perf_counter() - t0


def copy_adbc(url: str, duck, tables) -> float | None:
    try:
        import adbc_driver_postgresql.dbapi as adbc
    except ImportError:
        return None
    with psycopg.connect(url, autocommit=True) as pg:
        _scratch_tables(pg, tables)
    with adbc.connect(url) as con, con.cursor() as cur:
        t0 = time.perf_counter()
        for rel in tables:
            arrow = duck.execute(f'SELECT * FROM marts."{rel.name}"').to_arrow_table()
            cur.adbc_ingest(rel.name, arrow, mode="append", db_schema_name=SCRATCH)
        con.commit()
        return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("url")
    ap.add_argument("-n", type=int, default=5)
    args = ap.parse_args()
    times, rows = [], 0
    for i in range(args.n):
        r = postgres.publish_marts(args.warehouse, args.url, PROJECT, f"bench{i}")
        times.append(r.seconds)
        rows = r.rows
    print(f"publish_marts: {rows:,} rows; min {min(times):.2f} s, median "
          f"{statistics.median(times):.2f} s, max {max(times):.2f} s over {args.n} runs")
    duck = duckdb.connect(str(args.warehouse), read_only=True)
    try:
        tables, _ = postgres.read_catalogue(duck)
        for name, fn in (("psycopg binary COPY", copy_psycopg), ("ADBC adbc_ingest", copy_adbc)):
            runs = [fn(args.url, duck, tables) for _ in range(args.n)]
            if runs[0] is None:
                print(f"{name}: not installed")
                continue
            print(f"{name}, bulk step only: median {statistics.median(runs):.3f} s "
                  f"(min {min(runs):.3f} s)")
    finally:
        duck.close()
        with psycopg.connect(args.url, autocommit=True) as pg:
            pg.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(SCRATCH)))


if __name__ == "__main__":
    main()
