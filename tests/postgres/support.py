"""Helpers for the PostgreSQL tests: compare a PostgreSQL schema with the DuckDB one."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb


def _norm(v):
    return "NaN" if isinstance(v, float) and math.isnan(v) else v


def _sort_key(row: tuple) -> tuple:
    return tuple((v is None, "" if v is None else v) for v in row)


def sorted_rows(rows) -> list[tuple]:
    return sorted((tuple(_norm(v) for v in r) for r in rows), key=_sort_key)


def duckdb_relations(warehouse: Path | None, schema: str, con=None) -> dict[str, list[str]]:
    """name -> column names in order, for the tables (marts) or views (marts_ja)."""
    own = con is None
    con = duckdb.connect(str(warehouse), read_only=True) if own else con
    try:
        out: dict[str, list[str]] = {}
        for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = ? "
            "ORDER BY table_name, column_index", [schema]).fetchall():
            out.setdefault(table, []).append(column)
        return out
    finally:
        if own:
            con.close()


def duckdb_rows(con, schema: str, name: str, columns: list[str]) -> list[tuple]:
    quoted = ", ".join(f'"{c}"' for c in columns)
    return sorted_rows(con.execute(f'SELECT {quoted} FROM "{schema}"."{name}"').fetchall())


def pg_rows(pg, schema: str, name: str, columns: list[str]) -> list[tuple]:
    from psycopg import sql

    stmt = sql.SQL("SELECT {} FROM {}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Identifier(schema, name))
    return sorted_rows(pg.execute(stmt).fetchall())


def pg_columns(pg, schema: str, name: str) -> list[tuple[str, str]]:
    return pg.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        [schema, name]).fetchall()


def assert_same_marts(warehouse: Path, pg) -> int:
    """Every marts table and marts_ja view: same columns in the same order, same rows.
    Returns the number of relations compared."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return _compare(con, pg)
    finally:
        con.close()


def _compare(con, pg) -> int:
    n = 0
    for schema in ("marts", "marts_ja"):
        rels = duckdb_relations(None, schema, con)
        assert rels, f"no relations in DuckDB schema {schema}"
        pg_names = {r[0] for r in pg.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            [schema]).fetchall()}
        assert pg_names == set(rels), f"{schema}: PostgreSQL has {sorted(pg_names)}"
        for name, columns in rels.items():
            assert [c for c, _ in pg_columns(pg, schema, name)] == columns, f"{schema}.{name}"
            expected = duckdb_rows(con, schema, name, columns)
            got = pg_rows(pg, schema, name, columns)
            assert len(got) == len(expected), f"{schema}.{name}: {len(got)} != {len(expected)}"
            for i, (g, e) in enumerate(zip(got, expected, strict=True)):
                assert g == e, f"{schema}.{name} row {i}: PostgreSQL {g!r} != DuckDB {e!r}"
            n += 1
    return n
