"""Parquet + CSV (UTF-8 with BOM) exports of every marts table, written atomically."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time

import duckdb
import pyarrow.parquet as pq
import pytest
from dxplan import exports
from dxplan.exports import export_marts

from tests.bi.conftest import PROMISED_JA


def _tables(warehouse, schema="marts"):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1",
                [schema],
            ).fetchall()
        ]
        return {
            n: (
                con.execute(f'SELECT count(*) FROM {schema}."{n}"').fetchone()[0],
                [d[0] for d in con.execute(f'SELECT * FROM {schema}."{n}" LIMIT 0').description],
            )
            for n in names
        }
    finally:
        con.close()


def _read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} lacks the UTF-8 BOM Excel needs"
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    return rows[0], rows[1:]


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_marts_table_is_exported_as_parquet_and_csv(bi_warehouse):
    out = bi_warehouse.parent / "exports"
    written = export_marts(bi_warehouse, out)
    tables = _tables(bi_warehouse)
    assert len(tables) >= 9
    assert set(written) >= {out / "parquet" / f"{t}.parquet" for t in tables}
    for table, (rows, columns) in tables.items():
        pt = pq.read_table(out / "parquet" / f"{table}.parquet")
        assert pt.num_rows == rows and pt.column_names == columns, table
        header, body = _read_csv(out / "csv" / f"{table}.csv")
        assert header == columns and len(body) == rows, table


def test_exported_values_round_trip(bi_warehouse):
    out = bi_warehouse.parent / "exports"
    export_marts(bi_warehouse, out)
    con = duckdb.connect(str(bi_warehouse), read_only=True)
    try:
        expected = con.execute(
            "SELECT kpi_no, indicator_name, achievement_rate FROM marts.mart_kpi_progress "
            "ORDER BY report_fiscal_year, kpi_no"
        ).fetchall()
        from_parquet = con.execute(
            "SELECT kpi_no, indicator_name, achievement_rate FROM read_parquet(?) "
            "ORDER BY report_fiscal_year, kpi_no",
            [str(out / "parquet" / "mart_kpi_progress.parquet")],
        ).fetchall()
    finally:
        con.close()
    assert from_parquet == expected
    header, body = _read_csv(out / "csv" / "mart_kpi_progress.csv")
    names = {row[header.index("indicator_name")] for row in body}
    assert names == {name for _, name, _ in expected}  # Japanese text intact in the CSV
    # NULL is an empty field, numbers are plain (Excel parses them)
    rates = [row[header.index("achievement_rate")] for row in body]
    assert "" in rates and all(r == "" or float(r) > 0 for r in rates)


def test_parquet_types_are_ones_bi_tools_read(bi_warehouse):
    out = bi_warehouse.parent / "exports"
    export_marts(bi_warehouse, out)
    schema = pq.read_schema(out / "parquet" / "fct_kpi_yearly.parquet")
    types = {f.name: str(f.type) for f in schema}
    assert types["kpi_no"] == "int32" and types["target_value"] == "double"
    assert types["actual_as_of"] == "date32[day]" and types["evaluation"] == "string"
    meta = pq.read_metadata(out / "parquet" / "fct_kpi_yearly.parquet")
    assert meta.row_group(0).column(0).compression == "SNAPPY"


def test_japanese_header_csv_from_marts_ja(bi_warehouse):
    out = bi_warehouse.parent / "exports"
    export_marts(bi_warehouse, out)
    header, body = _read_csv(out / "csv_ja" / "mart_kpi_progress.csv")
    for name in ("KPI番号", *PROMISED_JA["mart_kpi_progress"]):
        assert name in header
    assert len(body) == _tables(bi_warehouse)["mart_kpi_progress"][0]


def test_manifest_lists_what_was_written(bi_warehouse):
    out = bi_warehouse.parent / "exports"
    written = export_marts(bi_warehouse, out)
    assert written[-1] == out / "manifest.json"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    tables = _tables(bi_warehouse)
    assert {t["table"]: t["rows"] for t in manifest["tables"]} == {
        f"marts.{n}": rows for n, (rows, _) in tables.items()
    }
    assert manifest["report_fiscal_years"] == [2023, 2024]
    for entry in manifest["tables"]:
        for key in ("parquet", "csv", "csv_ja"):
            assert (out / entry[key]).is_file()


def test_warehouse_is_not_modified(bi_warehouse):
    before = _sha(bi_warehouse)
    export_marts(bi_warehouse, bi_warehouse.parent / "exports")
    assert _sha(bi_warehouse) == before
    assert not bi_warehouse.with_name(bi_warehouse.name + ".wal").exists()


def test_a_failure_leaves_the_previous_exports_untouched(bi_warehouse, monkeypatch):
    out = bi_warehouse.parent / "exports"
    export_marts(bi_warehouse, out)
    before = {p: _sha(p) for p in out.rglob("*") if p.is_file()}
    calls = {"n": 0}
    real = exports._copy_csv_with_bom

    def flaky(con, select, dest):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError("disk full")
        real(con, select, dest)

    monkeypatch.setattr(exports, "_copy_csv_with_bom", flaky)
    with pytest.raises(OSError, match="disk full"):
        export_marts(bi_warehouse, out)
    assert {p: _sha(p) for p in out.rglob("*") if p.is_file()} == before
    assert not list(out.parent.glob(".exports.tmp-*")), "temporary directory left behind"


def test_files_of_dropped_tables_are_removed_and_others_kept(bi_warehouse):
    out = bi_warehouse.parent / "exports"
    (out / "parquet").mkdir(parents=True)
    (out / "parquet" / "old_table.parquet").write_bytes(b"old")
    (out / "README.txt").write_text("kept")
    export_marts(bi_warehouse, out)
    assert not (out / "parquet" / "old_table.parquet").exists()
    assert (out / "README.txt").read_text() == "kept"


def test_no_data_never_fails(no_data_warehouse, tmp_path):
    kind, warehouse = no_data_warehouse
    out = tmp_path / f"exports_{kind}"
    written = export_marts(warehouse, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    if kind == "empty_marts":  # the first build: tables with headers and no rows
        assert manifest["tables"] and all(t["rows"] == 0 for t in manifest["tables"])
        header, body = _read_csv(out / "csv" / "dim_kpi.csv")
        assert "kpi_no" in header and body == []
    else:
        assert written == [out / "manifest.json"] and manifest["tables"] == []


def test_export_is_fast(bi_warehouse):
    started = time.perf_counter()
    export_marts(bi_warehouse, bi_warehouse.parent / "exports")
    assert time.perf_counter() - started < 2.0
