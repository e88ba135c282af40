"""Readers querying PostgreSQL while the marts are swapped: old or new, never an error,
never a partial or empty table. Two warehouses A (the seed) and B (a copy with rows
removed, so every table count tells which one a reader saw) are published in turn while
reader threads loop (bounded, loopback only)."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import duckdb
import pytest
from dxplan import postgres

from tests.postgres.support import assert_same_marts

DB = "dxplan_swap"
PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"
TABLES = ("fct_kpi_yearly", "dim_kpi", "mart_kpi_progress")
#: one statement reading several tables, through a view and a join
QUERY = (
    "SELECT (SELECT count(*) FROM marts.fct_kpi_yearly), (SELECT count(*) FROM marts.dim_kpi), "
    "(SELECT count(*) FROM marts_ja.mart_kpi_progress p "
    ' JOIN marts.dim_kpi k ON k.kpi_no = p."KPI番号")'
)
PUBLISHES = 4


def _counts(warehouse: Path) -> tuple[int, int, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        fct, kpi = (con.execute(f"SELECT count(*) FROM marts.{t}").fetchone()[0]
                    for t in TABLES[:2])
        joined = con.execute("SELECT count(*) FROM marts.mart_kpi_progress p "
                             "JOIN marts.dim_kpi k USING (kpi_no)").fetchone()[0]
        return fct, kpi, joined
    finally:
        con.close()


def _mart_rows(warehouse: Path) -> int:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM marts.mart_kpi_progress").fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory, seed_warehouse, pg_cluster):
    import psycopg

    with psycopg.connect(pg_cluster.url(), autocommit=True) as con:
        con.execute(f"DROP DATABASE IF EXISTS {DB}")
        con.execute(f"CREATE DATABASE {DB}")
    root = tmp_path_factory.mktemp("pg_swap")
    a, b = root / "a" / "dxplan.duckdb", root / "b" / "dxplan.duckdb"
    for path in (a, b):
        path.parent.mkdir()
        shutil.copy(seed_warehouse, path)
    con = duckdb.connect(str(b))
    try:  # B: every other KPI gone, everywhere it appears
        for table in TABLES:
            con.execute(f"DELETE FROM marts.{table} WHERE kpi_no % 2 = 0")
    finally:
        con.close()
    counts = {_counts(a), _counts(b)}
    assert len(counts) == 2 and all(min(c) > 0 for c in counts)
    return a, b, counts, pg_cluster.url(dbname=DB)


def test_readers_never_fail_or_see_partial_marts(two_builds):
    import psycopg

    a, b, counts, url = two_builds
    postgres.publish_marts(a, url, PROJECT, "first")
    stop, swapped = threading.Event(), threading.Event()
    errors: list[str] = []
    seen: list[tuple] = []
    during: list[int] = []  # queries answered while a publish was running
    publishing = threading.Event()

    def autocommit_reader() -> None:
        with psycopg.connect(url, autocommit=True) as con:
            deadline = time.monotonic() + 60
            while not stop.is_set() and time.monotonic() < deadline:
                busy = publishing.is_set()
                try:
                    row = con.execute(QUERY).fetchone()
                except psycopg.Error as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                seen.append(tuple(row))
                if busy:
                    during.append(1)

    def repeatable_read_reader() -> None:
        """Begins before a swap, reads after it: a table it had not touched yet must be
        the complete new one (COPY FREEZE), not an empty one."""
        with psycopg.connect(url) as con:
            con.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            try:
                with con.transaction():
                    before = con.execute("SELECT count(*) FROM marts.dim_kpi").fetchone()[0]
                    swapped.wait(60)
                    after = con.execute(
                        "SELECT count(*) FROM marts.mart_kpi_progress").fetchone()[0]
                seen.append(("rr", before, after))
            except psycopg.Error as exc:
                errors.append(f"RR {type(exc).__name__}: {exc}")

    readers = [threading.Thread(target=autocommit_reader) for _ in range(3)]
    readers.append(threading.Thread(target=repeatable_read_reader))
    for t in readers:
        t.start()
    try:
        time.sleep(0.3)
        for i in range(PUBLISHES):
            publishing.set()
            postgres.publish_marts(b if i % 2 == 0 else a, url, PROJECT, f"swap{i}")
            publishing.clear()
            swapped.set()
            time.sleep(0.1)
    finally:
        stop.set()
        for t in readers:
            t.join(90)
    assert not errors, errors[:5]
    plain = [s for s in seen if s[0] != "rr"]
    assert plain and set(plain) <= counts, set(plain) - counts
    assert len(set(plain)) == 2, "readers saw only one side of the swaps"
    assert during, "no query ran during a publish"
    (rr,) = [s for s in seen if s[0] == "rr"]
    assert rr[2] in {_mart_rows(a), _mart_rows(b)} and rr[2] > 0, rr


def test_after_swaps_only_the_live_schemas_remain(two_builds):
    import psycopg

    a, _, _, url = two_builds
    postgres.publish_marts(a, url, PROJECT, "last")
    with psycopg.connect(url, autocommit=True) as con:
        names = {r[0] for r in con.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'marts%'").fetchall()}
        assert names == {"marts", "marts_ja"}
        assert_same_marts(a, con)
        # and a failed publish leaves the live marts as they were
        broken = a.parent / "broken.duckdb"
        shutil.copy(a, broken)
        dup = duckdb.connect(str(broken))
        try:  # a duplicate key: the primary key cannot be added, the load rolls back
            dup.execute("INSERT INTO marts.dim_kpi SELECT * FROM marts.dim_kpi LIMIT 1")
        finally:
            dup.close()
        with pytest.raises(postgres.TargetError, match="UniqueViolation"):
            postgres.publish_marts(broken, url, PROJECT, "broken")
        assert_same_marts(a, con)
        names = {r[0] for r in con.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'marts%'").fetchall()}
        assert names == {"marts", "marts_ja"}
