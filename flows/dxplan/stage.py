"""Stage: write a parsed report into the ``staging`` schema with lineage.

Staging keeps every load that was ever published, so history survives: a
corrected re-issue of a report year marks the older load ``is_current = false``
(it stays queryable) and the new one current. dbt reads only these tables.

All SQL here is parameterised; file names never reach SQL text.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict
from datetime import datetime

import duckdb

from dxplan.models import ParsedReport

DDL = """
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS audit;

CREATE TABLE IF NOT EXISTS staging.loads (
    load_id            VARCHAR PRIMARY KEY,
    source_path        VARCHAR NOT NULL,
    source_name        VARCHAR NOT NULL,
    sha256             VARCHAR NOT NULL,
    file_format        VARCHAR NOT NULL,
    encoding           VARCHAR,
    report_fiscal_year INTEGER NOT NULL,
    as_of_date         DATE,
    title              VARCHAR,
    row_count          INTEGER,
    kpi_count          INTEGER,
    loaded_at          TIMESTAMP NOT NULL,
    is_current         BOOLEAN NOT NULL,
    superseded_by      VARCHAR,
    superseded_at      TIMESTAMP
);

CREATE TABLE IF NOT EXISTS staging.report_rows (
    load_id            VARCHAR NOT NULL,
    report_fiscal_year INTEGER NOT NULL,
    source_row_no      INTEGER NOT NULL,
    page_no            INTEGER,
    line_start         INTEGER,
    line_end           INTEGER,
    is_relisted        BOOLEAN NOT NULL,
    project_no         INTEGER,
    pillar             VARCHAR,
    area_no            INTEGER,
    area_name          VARCHAR,
    item_no            VARCHAR,
    item_name          VARCHAR,
    department         VARCHAR,   -- several joined with '|' in printed order
    division           VARCHAR,   -- several joined with '|' in printed order
    project_name       VARCHAR,
    summary            VARCHAR,
    target_text        VARCHAR,
    kpi_no             INTEGER,
    kpi_is_relisted    BOOLEAN NOT NULL,
    evaluation_text    VARCHAR,
    evaluation         VARCHAR,
    status_text        VARCHAR,
    raw_text           VARCHAR,
    repair_count       INTEGER NOT NULL,
    repairs_json       VARCHAR,
    PRIMARY KEY (load_id, source_row_no)
);
-- a PDF row's place on its page ('p3 r5'); NULL for text files (added after v1: ALTER)
ALTER TABLE staging.report_rows ADD COLUMN IF NOT EXISTS source_cell VARCHAR;

CREATE TABLE IF NOT EXISTS staging.kpis (
    load_id             VARCHAR NOT NULL,
    report_fiscal_year  INTEGER NOT NULL,
    kpi_no              INTEGER NOT NULL,
    source_row_no       INTEGER,
    project_no          INTEGER,
    indicator_name      VARCHAR,
    unit                VARCHAR,
    direction           VARCHAR,
    baseline_text       VARCHAR,
    baseline_value      DOUBLE,
    baseline_comparator VARCHAR,
    actual_text         VARCHAR,
    actual_value        DOUBLE,
    actual_comparator   VARCHAR,
    actual_as_of        DATE,
    evaluation_text     VARCHAR,
    evaluation          VARCHAR,
    repair_count        INTEGER NOT NULL,
    repairs_json        VARCHAR
);

CREATE TABLE IF NOT EXISTS staging.kpi_targets (
    load_id            VARCHAR NOT NULL,
    report_fiscal_year INTEGER NOT NULL,
    kpi_no             INTEGER NOT NULL,
    fiscal_year        INTEGER NOT NULL,
    target_text        VARCHAR,
    target_value       DOUBLE,
    target_comparator  VARCHAR
);

CREATE TABLE IF NOT EXISTS staging.repairs (
    load_id            VARCHAR NOT NULL,
    report_fiscal_year INTEGER NOT NULL,
    source_row_no      INTEGER,
    kpi_no             INTEGER,
    field              VARCHAR NOT NULL,
    raw                VARCHAR,
    value              VARCHAR,
    rule               VARCHAR NOT NULL,
    note               VARCHAR
);
ALTER TABLE staging.repairs ADD COLUMN IF NOT EXISTS source_cell VARCHAR;

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

STAGED_TABLES = ("report_rows", "kpis", "kpi_targets", "repairs")


def insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[list]) -> None:
    """Bulk insert positional rows (in the table's column order) through one Arrow scan.

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
    con.execute(DDL)


def _join(values: list[str]) -> str | None:
    return "|".join(values) if values else None


def _repairs_json(repairs) -> str | None:
    return json.dumps([asdict(r) for r in repairs], ensure_ascii=False) if repairs else None


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
    con.execute(
        "INSERT INTO staging.loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true, NULL, NULL)",
        [
            load_id, source_path, source_name, sha256, report.file_format, report.encoding,
            year, report.as_of, report.title, len(report.rows), len(report.kpis), loaded_at,
        ],
    )
    insert_rows(
        con,
        "staging.report_rows",
        [
            [
                load_id, year, r.source_row_no, r.page_no, r.line_start, r.line_end,
                r.is_relisted, r.project_no, r.pillar, r.area_no, r.area_name, r.item_no,
                r.item_name, _join(r.departments), _join(r.divisions), r.project_name,
                r.summary, r.target_text, r.kpi_no, r.kpi_is_relisted, r.evaluation_text,
                r.evaluation, r.status_text, r.raw_text, len(r.repairs),
                _repairs_json(r.repairs), r.source_cell,
            ]
            for r in report.rows
        ],
    )
    if report.kpis:
        insert_rows(
            con,
            "staging.kpis",
            [
                [
                    load_id, year, k.kpi_no, k.source_row_no, k.project_no, k.indicator_name,
                    k.unit, k.direction, k.baseline_text, k.baseline_value,
                    k.baseline_comparator, k.actual_text, k.actual_value, k.actual_comparator,
                    k.actual_as_of, k.evaluation_text, k.evaluation, len(k.repairs),
                    _repairs_json(k.repairs),
                ]
                for k in report.kpis
            ],
        )
        targets = [
            [load_id, year, k.kpi_no, t.fiscal_year, t.text, t.value, t.comparator]
            for k in report.kpis
            for t in k.targets
        ]
        if targets:
            insert_rows(con, "staging.kpi_targets", targets)
    cell_of = {r.source_row_no: r.source_cell for r in report.rows}
    repairs = [
        [load_id, year, r.source_row_no, None, p.field, p.raw, p.value, p.rule, p.note,
         r.source_cell]
        for r in report.rows
        for p in r.repairs
    ] + [
        [load_id, year, k.source_row_no, k.kpi_no, p.field, p.raw, p.value, p.rule, p.note,
         cell_of.get(k.source_row_no)]
        for k in report.kpis
        for p in k.repairs
    ]
    if repairs:
        insert_rows(con, "staging.repairs", repairs)


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
