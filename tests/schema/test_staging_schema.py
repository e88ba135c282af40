"""The staging tables follow from the record definitions, and keep the schema they always had."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from dxplan import schema
from dxplan.columns import col, columns_of, fields_of
from dxplan.models import Kpi, KpiTarget, Repair, ReportRow
from dxplan.stage import ensure_schema, stage_report
from dxplan.template import report_from_warehouse
from dxplan.validation.suites import load_suite_specs

from tests.validate.builders import make_kpi, make_row, valid_report

V1_DDL = (Path(__file__).parent / "staging_v1.sql").read_text(encoding="utf-8")
EXPECTATIONS = Path(__file__).resolve().parents[2] / "expectations"


def _describe(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    out = {}
    for (table,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'staging' "
        "ORDER BY table_name"
    ).fetchall():
        rows = con.execute(f"DESCRIBE staging.{table}").fetchall()
        out[table] = [(name, kind, null, key) for name, kind, null, key, *_ in rows]
    return out


def _constraints(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return sorted(
        con.execute(
            "SELECT table_name, constraint_type, constraint_column_names "
            "FROM duckdb_constraints() WHERE schema_name = 'staging'"
        ).fetchall()
    )


def test_generated_staging_tables_equal_the_hand_written_schema():
    old, new = duckdb.connect(), duckdb.connect()
    old.execute(V1_DDL)
    new.execute(schema.ddl())
    assert _describe(new) == _describe(old)
    assert _constraints(new) == _constraints(old)
    assert list(_describe(new)) == sorted(t.name for t in schema.TABLES)


def test_every_record_field_declares_its_column():
    class_ = dataclass(type("Bare", (), {"__annotations__": {"x": "int"}}))
    with pytest.raises(TypeError, match="Bare.x has no column definition"):
        fields_of(class_)
    with pytest.raises(ValueError, match="sql_type"):
        col("TEXT", "not a DuckDB type we stage")


def test_a_new_field_becomes_a_column_of_its_table():
    @dataclass
    class Row:
        no: int = field(metadata=col("INTEGER", "number", nullable=False))
        budget_text: str | None = field(default=None, metadata=col("VARCHAR", "予算額"))

    table = schema.StagingTable("budget_rows", Row, head=(schema.LOAD_ID,))
    assert [(c.name, c.sql_type, c.nullable) for c in table.columns] == [
        ("load_id", "VARCHAR", False), ("no", "INTEGER", False), ("budget_text", "VARCHAR", True)
    ]
    con = duckdb.connect()
    con.execute("CREATE SCHEMA staging")
    con.execute(schema.create_table_sql(table))
    n = schema.insert(con, table, [({"load_id": "a"}, Row(2, "3億円")), ({"load_id": "a"}, Row(1))])
    assert n == 2
    assert con.execute("SELECT * FROM staging.budget_rows ORDER BY no").fetchall() == [
        ("a", 1, None), ("a", 2, "3億円")
    ]


def test_an_older_warehouse_gets_the_columns_declared_since():
    con = duckdb.connect()
    con.execute("\n".join(ln for ln in V1_DDL.splitlines() if not ln.startswith("ALTER")))
    assert ("report_rows", "source_cell") not in {(t, c) for t, c in _columns(con)}
    ensure_schema(con)
    assert set(_columns(con)) == {(t.name, c.name) for t in schema.TABLES for c in t.columns}
    ensure_schema(con)  # idempotent


def _columns(con):
    return con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'staging'"
    ).fetchall()


def test_staged_rows_hold_every_declared_value_by_name():
    report = valid_report()
    fix = Repair("project_no", "l2", "12", "ocr_fix", "l read as 1")
    report.rows[0] = replace(report.rows[0], source_cell="p1 r2", repairs=[fix],
                             departments=["総務部", "企画調整部"])
    report.kpis[0] = replace(report.kpis[0], actual_as_of=date(2024, 3, 31),
                             repairs=[replace(fix, field="kpi.actual")])
    con = duckdb.connect()
    stage_report(con, report, load_id="L", source_path="raw/a.txt", source_name="a.txt",
                 sha256="0" * 64, loaded_at=datetime(2024, 5, 1, 9, 30))

    row = _one(con, "report_rows", "source_row_no = 1")
    r0 = report.rows[0]
    assert row["load_id"] == "L" and row["report_fiscal_year"] == report.report_fiscal_year
    assert row["department"] == "総務部|企画調整部" and row["source_cell"] == "p1 r2"
    assert row["repair_count"] == 1 and json.loads(row["repairs_json"])[0]["raw"] == "l2"
    for f in fields_of(ReportRow):
        if f.kind == "value":
            assert row[f.columns[0].name] == getattr(r0, f.field), f.field

    kpi = _one(con, "kpis", f"kpi_no = {report.kpis[0].kpi_no}")
    for f in fields_of(Kpi):
        if f.kind == "value":
            assert kpi[f.columns[0].name] == getattr(report.kpis[0], f.field), f.field
    targets = con.execute(
        "SELECT fiscal_year, target_text, target_value, target_comparator "
        "FROM staging.kpi_targets WHERE kpi_no = ? ORDER BY fiscal_year",
        [report.kpis[0].kpi_no],
    ).fetchall()
    assert targets == [(t.fiscal_year, t.text, t.value, t.comparator)
                       for t in report.kpis[0].targets]
    repairs = con.execute(
        "SELECT source_row_no, kpi_no, field, source_cell FROM staging.repairs ORDER BY field"
    ).fetchall()
    k0 = report.kpis[0]
    cell = {r.source_row_no: r.source_cell for r in report.rows}[k0.source_row_no]
    assert repairs == [(k0.source_row_no, k0.kpi_no, "kpi.actual", cell),
                       (1, None, "project_no", "p1 r2")]
    load = _one(con, "loads", "true")
    assert load["is_current"] and load["superseded_by"] is None
    assert load["row_count"] == len(report.rows) and load["kpi_count"] == len(report.kpis)
    assert load["loaded_at"] == datetime(2024, 5, 1, 9, 30)


def _one(con, table: str, where: str) -> dict:
    cur = con.execute(f"SELECT * FROM staging.{table} WHERE {where}")
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert len(rows) == 1
    return dict(zip(names, rows[0], strict=True))


def test_an_empty_child_list_stages_no_rows():
    report = valid_report()
    report.kpis = [replace(k, targets=[], repairs=[]) for k in report.kpis]
    report.rows = [replace(r, repairs=[]) for r in report.rows]
    con = duckdb.connect()
    stage_report(con, report, load_id="L", source_path="p", source_name="p", sha256="s",
                 loaded_at=datetime(2024, 5, 1))
    assert con.execute("SELECT count(*) FROM staging.kpi_targets").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM staging.repairs").fetchone() == (0,)


def test_the_structure_suite_expects_every_declared_column():
    spec = next(s for s in load_suite_specs(EXPECTATIONS) if s.name == "structure")
    (exp,) = spec.body["expectations"]
    expected = exp["kwargs"]["value_set"]
    assert expected == schema.column_types()
    con = duckdb.connect()
    ensure_schema(con)
    actual = {f"{t}.{c} {k}" for t, rows in _describe(con).items() for c, k, *_ in rows}
    assert set(expected) == actual
    assert "kpis.unit VARCHAR" in expected and "report_rows.source_cell VARCHAR" in expected


def test_record_columns_follow_field_order():
    assert [c.name for c in columns_of(KpiTarget)] == [
        "fiscal_year", "target_text", "target_value", "target_comparator"
    ]
    assert make_row(1, 1).raw_text and make_kpi(1, 1, 1).targets  # builders still construct


def test_a_staged_report_reads_back_equal():
    report = valid_report()
    fix = Repair("division", "行政経営諜", "行政経営課", "confusable", "")
    report.rows[2] = replace(report.rows[2], source_cell="p1 r3", repairs=[fix])
    report.kpis[1] = replace(report.kpis[1], actual_as_of=date(2024, 3, 31), repairs=[fix])
    con = duckdb.connect()
    stage_report(con, report, load_id="L", source_path="p", source_name="p", sha256="s",
                 loaded_at=datetime(2024, 5, 1))
    assert report_from_warehouse(con, report.report_fiscal_year) == report


def test_the_canonical_format_doc_names_every_column():
    from dxplan.parse.canonical import KPI_HEAD, KPI_TAIL, META_COLUMNS, ROW_COLUMNS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "CANONICAL_FORMAT.md").read_text(
        encoding="utf-8"
    )
    table = doc[doc.index("## Columns"):]
    missing = [c for c in META_COLUMNS + ROW_COLUMNS + KPI_HEAD + KPI_TAIL
               if f"`{c}`" not in table]
    assert not missing, f"docs/CANONICAL_FORMAT.md does not describe {missing}"
