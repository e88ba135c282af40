"""Loading the same files twice changes nothing in the marts.

The reloaded warehouse is a fresh file in which the sample files were loaded on
other days and then every current file was loaded once more as a new load. Every
mart must hold exactly the same rows (surrogate keys included) as the sample
warehouse, except the lineage columns of dim_report that describe the load itself.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.dbt.support import DbtRun

# columns that describe a load, not the report: they may differ between the two files
LINEAGE_COLUMNS = {
    "dim_report": {
        "load_id",
        "loaded_at",
        "first_published_at",
        "published_run_id",
        "superseded_load_count",
    },
}


def _marts(db_path: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts' "
                "order by 1"
            ).fetchall()
        ]
        out = {}
        for table in tables:
            cols = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                    [table],
                ).fetchall()
            ]
            keep = [c for c in cols if c not in LINEAGE_COLUMNS.get(table, set())]
            select = ", ".join(f'"{c}"' for c in keep)
            rows = con.execute(f'select {select} from marts."{table}"').fetchall()
            out[table] = (keep, sorted(rows, key=repr))
        return out
    finally:
        con.close()


def test_loading_the_same_files_twice_changes_nothing(
    sample_build: DbtRun, reloaded_build: DbtRun
) -> None:
    before = _marts(sample_build.db_path)
    after = _marts(reloaded_build.db_path)
    assert sorted(before) == sorted(after)
    assert len(before) >= 14
    for table, (cols, rows) in before.items():
        cols_after, rows_after = after[table]
        assert cols == cols_after, table
        only_before = [r for r in rows if r not in rows_after]
        only_after = [r for r in rows_after if r not in rows]
        assert not only_before and not only_after, (
            f"marts.{table} changed: {cols}\n- {only_before[:3]}\n+ {only_after[:3]}"
        )


def test_the_reload_really_added_loads(reloaded_build: DbtRun, sample_build: DbtRun) -> None:
    """Guard against a vacuous comparison: the second file has more loads and new lineage."""
    con = duckdb.connect(str(reloaded_build.db_path), read_only=True)
    try:
        loads = con.execute("select count(*) from staging.loads").fetchone()[0]
        current = con.execute(
            "select load_id, superseded_load_count from marts.dim_report order by report_fiscal_year"
        ).fetchall()
    finally:
        con.close()
    assert loads == 5
    assert current == [("again-2023-v2", 2), ("again-2024", 1)]
