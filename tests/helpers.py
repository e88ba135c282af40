"""Small test utilities shared by several test folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb


def marts_fingerprint(warehouse: Path) -> dict[str, str]:
    """md5 of every marts table's full content (row order independent)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts' "
            "ORDER BY table_name").fetchall()]
        return {
            t: con.execute(
                f'SELECT count(*) || \':\' || coalesce(md5(string_agg(CAST(x AS VARCHAR), \'\n\' '
                f'ORDER BY CAST(x AS VARCHAR))), \'\') FROM marts."{t}" x'
            ).fetchone()[0]
            for t in tables
        }
    finally:
        con.close()


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def seed_workdir(root: Path, seed: Path, seed_warehouse: Path) -> tuple[Path, Path]:
    """``root/raw`` holding the seed file and ``root/warehouse/dxplan.duckdb`` copied from
    the seed warehouse: a working folder where the seed is already published."""
    raw = root / "raw"
    raw.mkdir()
    shutil.copy(seed, raw / seed.name)
    warehouse = root / "warehouse" / "dxplan.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(seed_warehouse, warehouse)
    return raw, warehouse
