"""The staging tables, built from the record definitions in :mod:`dxplan.models`.

One staging table per record type: its columns are the record's declared columns
(:func:`dxplan.columns.columns_of`), after the context columns that place a record
(``load_id``, ``report_fiscal_year``, a parent's key) and before any added at the end.
From :data:`TABLES` follow the ``CREATE TABLE`` statements (:func:`ddl`), the Arrow
tables inserted by column name (:func:`insert`) and the structure suite's expected
``<table>.<column> <TYPE>`` pairs (:func:`column_types`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import duckdb

from dxplan.columns import CHILDREN, JOINED, REPAIRS, VALUE, Column, columns_of, fields_of
from dxplan.models import Kpi, KpiTarget, Load, Repair, ReportRow

SCHEMA = "staging"

LOAD_ID = Column("load_id", "VARCHAR", False, "the load the row belongs to (staging.loads)")
REPORT_YEAR = Column(
    "report_fiscal_year", "INTEGER", False, "the report year of the load (denormalised)"
)


@dataclass(frozen=True)
class StagingTable:
    """One table of the ``staging`` schema: a record type and the columns that place it."""

    name: str
    record: type
    head: tuple[Column, ...] = ()  # context columns before the record's own
    tail: tuple[Column, ...] = ()  # context columns after them
    primary_key: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{SCHEMA}.{self.name}"

    @property
    def columns(self) -> tuple[Column, ...]:
        return (*self.head, *columns_of(self.record), *self.tail)


TABLES: tuple[StagingTable, ...] = (
    StagingTable("loads", Load, primary_key=("load_id",)),
    StagingTable(
        "report_rows", ReportRow, head=(LOAD_ID, REPORT_YEAR),
        primary_key=("load_id", "source_row_no"),
    ),
    StagingTable("kpis", Kpi, head=(LOAD_ID, REPORT_YEAR)),
    StagingTable(
        "kpi_targets", KpiTarget,
        head=(LOAD_ID, REPORT_YEAR, Column("kpi_no", "INTEGER", False, "the KPI (staging.kpis)")),
    ),
    StagingTable(
        "repairs", Repair,
        head=(
            LOAD_ID, REPORT_YEAR,
            Column("source_row_no", "INTEGER", True, "the row repaired"),
            Column("kpi_no", "INTEGER", True, "the KPI repaired; NULL for a row's own repair"),
        ),
        tail=(Column("source_cell", "VARCHAR", True, "the row's place on its PDF page"),),
    ),
)
BY_NAME = {t.name: t for t in TABLES}


def create_table_sql(table: StagingTable) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for one staging table."""
    width = max(len(c.name) for c in table.columns)
    lines = [
        f"    {c.name:<{width}} {c.sql_type}{'' if c.nullable else ' NOT NULL'}"
        for c in table.columns
    ]
    if table.primary_key:
        lines.append(f"    PRIMARY KEY ({', '.join(table.primary_key)})")
    body = ",\n".join(lines)
    return f"CREATE TABLE IF NOT EXISTS {table.qualified} (\n{body}\n);"


def ddl() -> str:
    """The statements that create the staging schema and every staging table."""
    return "\n\n".join([f"CREATE SCHEMA IF NOT EXISTS {SCHEMA};"]
                       + [create_table_sql(t) for t in TABLES]) + "\n"


def missing_columns(con: duckdb.DuckDBPyConnection) -> list[tuple[StagingTable, Column]]:
    """Declared columns a staging table of an older warehouse does not have yet."""
    have = set(
        con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = ?",
            [SCHEMA],
        ).fetchall()
    )
    tables = {t for t, _ in have}
    return [
        (t, c) for t in TABLES if t.name in tables
        for c in t.columns if (t.name, c.name) not in have
    ]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Add the declared nullable columns an older warehouse's staging tables lack.

    A column declared after a warehouse was built (e.g. ``source_cell``) is appended to
    its table, NULL in the rows already there. A missing NOT NULL column cannot be
    filled for those rows: it is left to the structure suite, which rejects the load.
    Returns ``<table>.<column>`` of the columns added.
    """
    added = []
    for table, c in missing_columns(con):
        if c.nullable:
            con.execute(f"ALTER TABLE {table.qualified} ADD COLUMN {c.name} {c.sql_type}")
            added.append(f"{table.name}.{c.name}")
    return added


def column_types() -> list[str]:
    """``<table>.<column> <TYPE>`` of every staging column (the structure suite's set)."""
    return [f"{t.name}.{c.name} {c.sql_type}" for t in TABLES for c in t.columns]


# ----------------------------------------------------------------------------- inserts


def _arrow_type(sql_type: str) -> Any:
    import pyarrow as pa

    return {
        "VARCHAR": pa.string(),
        "INTEGER": pa.int32(),
        "DOUBLE": pa.float64(),
        "BOOLEAN": pa.bool_(),
        "DATE": pa.date32(),
        "TIMESTAMP": pa.timestamp("us"),
    }[sql_type]


def _repairs_json(repairs: list[Repair]) -> str | None:
    return json.dumps([asdict(r) for r in repairs], ensure_ascii=False) if repairs else None


def _record_values(record: type, items: list[Any]) -> dict[str, list[Any]]:
    """Column name -> values of the records' own columns, as stored."""
    out: dict[str, list[Any]] = {}
    for f in fields_of(record):
        values = [getattr(r, f.field) for r in items]
        if f.kind == VALUE:
            out[f.columns[0].name] = values
        elif f.kind == JOINED:
            out[f.columns[0].name] = ["|".join(v) if v else None for v in values]
        elif f.kind == REPAIRS:
            count, text = f.columns
            out[count.name] = [len(v) for v in values]
            out[text.name] = [_repairs_json(v) for v in values]
    return out


def arrow_table(
    table: StagingTable, items: Iterable[tuple[Mapping[str, Any], Any]]
) -> Any:
    """An Arrow table of ``(context, record)`` pairs with the staging table's columns.

    ``context`` holds the table's head/tail columns (``load_id`` ...); the record's own
    columns come from its fields. Types are the declared ones, so an all-NULL column
    is still typed.
    """
    import pyarrow as pa

    pairs = list(items)
    values = _record_values(table.record, [r for _, r in pairs])
    for c in (*table.head, *table.tail):
        values[c.name] = [ctx[c.name] for ctx, _ in pairs]
    cols = table.columns
    return pa.table(
        {c.name: pa.array(values[c.name], type=_arrow_type(c.sql_type)) for c in cols}
    )


def insert(
    con: duckdb.DuckDBPyConnection, table: StagingTable,
    items: Iterable[tuple[Mapping[str, Any], Any]],
) -> int:
    """Insert ``(context, record)`` pairs into a staging table by column name (one Arrow scan).

    Returns the number of rows inserted.
    """
    data = arrow_table(table, items)
    if data.num_rows == 0:
        return 0
    view = f"_dxplan_{table.name}"
    con.register(view, data)
    try:
        con.execute(f"INSERT INTO {table.qualified} BY NAME SELECT * FROM {view}")
    except duckdb.Error:
        # the transaction is aborted now: unregistering would raise and hide the reason
        with contextlib.suppress(duckdb.Error):
            con.unregister(view)
        raise
    con.unregister(view)
    return data.num_rows



# ----------------------------------------------------------------------------- reading back


def record_from(record: type, values: Mapping[str, Any], **children: Any) -> Any:
    """The record a staged row holds (the inverse of :func:`arrow_table`).

    ``values`` maps staging column names to values (extra columns are ignored); child
    records (e.g. a KPI's targets) are passed by field name, else empty.
    """
    kw: dict[str, Any] = {}
    for f in fields_of(record):
        if f.kind == CHILDREN:
            kw[f.field] = children.get(f.field, [])
            continue
        v = values.get(f.columns[-1].name)  # repairs: repairs_json; absent in an old file: None
        if f.kind == JOINED:
            kw[f.field] = v.split("|") if v else []
        elif f.kind == REPAIRS:
            kw[f.field] = [Repair(**r) for r in json.loads(v)] if v else []
        else:
            empty = f.definition.empty
            kw[f.field] = empty if v is None and empty is not None else v
    return record(**kw)


def fetch(
    con: duckdb.DuckDBPyConnection, table: StagingTable, load_id: str, order_by: str
) -> list[dict[str, Any]]:
    """The staged rows of one load as ``{column: value}``, ordered by ``order_by``.

    ``order_by`` is a constant of the caller (column names), never user input.
    """
    cur = con.execute(
        f"SELECT * FROM {table.qualified} WHERE load_id = ? ORDER BY {order_by}", [load_id]
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
