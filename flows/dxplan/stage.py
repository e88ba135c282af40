"""Stage: write a parsed report into the ``staging`` schema with lineage.

Staging keeps every load that was ever published, so history survives: a
corrected re-issue of a report year marks the older load ``is_current = false``
(it stays queryable) and the new one current. dbt reads only these tables.

The staging tables and their columns are defined once, by the records in
``dxplan.models`` (see ``dxplan.schema``); rows are inserted by column name.
All SQL here is parameterised; file names never reach SQL text.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

import duckdb

from dxplan import schema
from dxplan.models import Load, ParsedReport

#: the audit tables (not records: written by the load, dbt and validation steps)
AUDIT_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;

CREATE TABLE IF NOT EXISTS audit.load_log (
    load_id            VARCHAR NOT NULL,
    run_id             VARCHAR,
    source_path        VARCHAR NOT NULL,
    sha256             VARCHAR,
    report_fiscal_year INTEGER,
    file_format        VARCHAR,
    status             VARCHAR NOT NULL,   -- published | unchanged | rejected
    rows_in            INTEGER,
    started_at         TIMESTAMP NOT NULL,
    finished_at        TIMESTAMP,
    message            VARCHAR
);

CREATE TABLE IF NOT EXISTS audit.dbt_builds (
    fingerprint        VARCHAR NOT NULL,   -- transform.project_fingerprint of the dbt project
    run_id             VARCHAR,
    built_at           TIMESTAMP NOT NULL,
    models             INTEGER,
    tests              INTEGER
);

CREATE TABLE IF NOT EXISTS audit.validation_results (
    load_id            VARCHAR NOT NULL,
    suite_name         VARCHAR NOT NULL,
    expectation_type   VARCHAR NOT NULL,
    column_name        VARCHAR,
    severity           VARCHAR NOT NULL,   -- critical | warning
    success            BOOLEAN NOT NULL,
    unexpected_count   INTEGER,
    details            VARCHAR,            -- what failed, which rows
    validated_at       TIMESTAMP NOT NULL
);
"""

#: every table of both schemas; the staging tables follow from the record definitions
DDL = schema.ddl() + AUDIT_DDL

STAGED_TABLES = ("report_rows", "kpis", "kpi_targets", "repairs")


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[list]) -> None:
    """Bulk insert positional rows (in the table's column order) through one Arrow scan.

    For the audit tables; staging rows go in by column name (``dxplan.schema.insert``).

    ``executemany`` runs one statement per row, which made staging the slowest step;
    ``table`` is always one of this module's constants, never user input.
    """
    if not rows:
        return
    import pyarrow as pa

    columns = {f"c{i}": pa.array([row[i] for row in rows]) for i in range(len(rows[0]))}
    con.register("_dxplan_rows", pa.table(columns))
    try:
        con.execute(f"INSERT INTO {table} SELECT * FROM _dxplan_rows")
    except duckdb.Error:
        # the transaction is aborted now: unregistering would raise and hide the reason
        with contextlib.suppress(duckdb.Error):
            con.unregister("_dxplan_rows")
        raise
    con.unregister("_dxplan_rows")


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the staging and audit tables; add columns an older warehouse lacks."""
    con.execute(DDL)
    schema.migrate(con)


def stage_report(
    con: duckdb.DuckDBPyConnection,
    report: ParsedReport,
    *,
    load_id: str,
    source_path: str,
    source_name: str,
    sha256: str,
    loaded_at: datetime,
) -> None:
    """Insert one parsed report as the current load of its report year.

    Earlier current loads of the same report year are kept but marked superseded.
    Runs inside the caller's transaction.
    """
    ensure_schema(con)
    year = report.report_fiscal_year
    con.execute(
        """
        UPDATE staging.loads
           SET is_current = false, superseded_by = ?, superseded_at = ?
         WHERE report_fiscal_year = ? AND is_current
        """,
        [load_id, loaded_at, year],
    )
    tables = schema.BY_NAME
    load = Load(
        load_id=load_id, source_path=source_path, source_name=source_name, sha256=sha256,
        file_format=report.file_format, encoding=report.encoding, report_fiscal_year=year,
        as_of_date=report.as_of, title=report.title, row_count=len(report.rows),
        kpi_count=len(report.kpis), loaded_at=loaded_at,
    )
    schema.insert(con, tables["loads"], [({}, load)])
    ctx = {"load_id": load_id, "report_fiscal_year": year}
    schema.insert(con, tables["report_rows"], ((ctx, r) for r in report.rows))
    schema.insert(con, tables["kpis"], ((ctx, k) for k in report.kpis))
    schema.insert(
        con,
        tables["kpi_targets"],
        (({**ctx, "kpi_no": k.kpi_no}, t) for k in report.kpis for t in k.targets),
    )
    cell_of = {r.source_row_no: r.source_cell for r in report.rows}
    row_repairs = (
        ({**ctx, "source_row_no": r.source_row_no, "kpi_no": None, "source_cell": r.source_cell}, p)
        for r in report.rows
        for p in r.repairs
    )
    kpi_repairs = (
        (
            {**ctx, "source_row_no": k.source_row_no, "kpi_no": k.kpi_no,
             "source_cell": cell_of.get(k.source_row_no)},
            p,
        )
        for k in report.kpis
        for p in k.repairs
    )
    schema.insert(con, tables["repairs"], [*row_repairs, *kpi_repairs])


def reactivate_load(con: duckdb.DuckDBPyConnection, load_id: str, at: datetime) -> None:
    """Make an earlier, superseded load of a report year current again (same bytes re-issued)."""
    row = con.execute(
        "SELECT report_fiscal_year FROM staging.loads WHERE load_id = ?", [load_id]
    ).fetchone()
    if row is None:
        raise KeyError(load_id)
    con.execute(
        "UPDATE staging.loads SET is_current = false, superseded_by = ?, superseded_at = ? "
        "WHERE report_fiscal_year = ? AND is_current",
        [load_id, at, row[0]],
    )
    con.execute(
        "UPDATE staging.loads SET is_current = true, superseded_by = NULL, superseded_at = NULL "
        "WHERE load_id = ?",
        [load_id],
    )
