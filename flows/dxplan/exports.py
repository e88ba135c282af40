"""BI hand-off: Parquet and CSV exports of the marts, written after every publish.

``export_marts`` runs after every publish. It opens the published warehouse read-only and
writes, for every relation of schema ``marts``::

    exports/parquet/<table>.parquet   Parquet (Snappy), for Power BI, Tableau, pandas, DuckDB
    exports/csv/<table>.csv           CSV, UTF-8 with BOM (Excel opens it correctly), English headers
    exports/csv_ja/<table>.csv        the same rows with the Japanese headers of ``marts_ja.<table>``
    exports/manifest.json             what was written, row counts, the report years, when

Everything is first written into a private temporary directory next to ``exports/``; only
when every file is complete are they moved in with ``os.replace`` (atomic per file, same
file system), manifest last. A reader never sees a half-written file, and a failure leaves
the previous exports untouched. Files of tables that no longer exist are removed.

CSV cells are made safe to open in a spreadsheet (docs/SECURITY.md): a text value that
starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return (or their full-width forms)
or with ``'`` gets a leading apostrophe ``'`` (OWASP), so Excel/LibreOffice show it as text
and never evaluate it; numbers (also negative ones) are untouched. Remove exactly one
leading ``'`` followed by one of those characters to get the text back
(``dxplan.safe_text.csv_unescape``). Parquet keeps the values as they are (typed columns,
not evaluated by BI tools).

The views of schema ``marts_ja`` (the contract tables with Japanese column names) are made
by dbt from ``dbt_project/seeds/glossary.csv`` (``dxplan.glossary``); when they exist,
``csv_ja/`` is written from them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path

import duckdb

from dxplan.safe_text import sql_csv_escape

MARTS = "marts"
MARTS_JA = "marts_ja"
PARQUET_DIR, CSV_DIR, CSV_JA_DIR = "parquet", "csv", "csv_ja"
MANIFEST = "manifest.json"
UTF8_BOM = b"\xef\xbb\xbf"
#: written into manifest.json, so whoever reads the CSVs learns why a text may start with '
CSV_TEXT_RULE = (
    "CSV only: a text value starting with = + - @ TAB CR (or full-width ＝＋－＠) or with ' "
    "gets one leading ' so that Excel/LibreOffice never evaluate it as a formula (OWASP CSV "
    "injection). To get the text back, remove one leading ' when the next character is one "
    "of those. Numbers (also negative ones) are never changed; Parquet holds the values as "
    "they are. See docs/SECURITY.md."
)
#: temporary export directories older than this are leftovers of a crashed run
_STALE_TMP_S = 3600


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _relations(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "AND table_catalog = current_database() ORDER BY table_name",
            [schema],
        ).fetchall()
    ]


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return [
        (r[0], r[1])
        for r in con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? AND table_catalog = current_database() "
            "ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
    ]


# --------------------------------------------------------------------------- file exports

#: types that Parquet readers of BI tools (or CSV) do not take as they are
_CAST_TO_VARCHAR = ("UUID", "HUGEINT", "UHUGEINT", "INTERVAL", "TIME WITH TIME ZONE", "BIT")


def _export_select(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, for_csv: bool = False
) -> str:
    """SELECT of an export; ``for_csv``: text a spreadsheet would evaluate gets a ``'``."""
    cols = []
    for name, dtype in _columns(con, schema, table):
        if for_csv and dtype.upper() in ("VARCHAR", "TEXT", "STRING"):
            cols.append(f"{sql_csv_escape(_q(name))} AS {_q(name)}")
        elif dtype.upper() in _CAST_TO_VARCHAR or dtype.upper().startswith(("MAP", "UNION")):
            cols.append(f"CAST({_q(name)} AS VARCHAR) AS {_q(name)}")
        else:
            cols.append(_q(name))
    return f"SELECT {', '.join(cols)} FROM {_q(schema)}.{_q(table)}"


def _copy_csv_with_bom(con: duckdb.DuckDBPyConnection, select: str, dest: Path) -> None:
    plain = dest.with_suffix(".nobom")
    con.execute(
        f"COPY ({select}) TO {_sql_str(str(plain))} "
        "(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', NULLSTR '')"
    )
    with dest.open("wb") as out, plain.open("rb") as src:
        out.write(UTF8_BOM)
        shutil.copyfileobj(src, out)
    plain.unlink()


def _clean_stale_tmp(exports_dir: Path) -> None:
    now = time.time()
    for old in exports_dir.parent.glob(f".{exports_dir.name}.tmp-*"):
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > _STALE_TMP_S:
                shutil.rmtree(old, ignore_errors=True)


def _write_all(con: duckdb.DuckDBPyConnection, tmp: Path, warehouse: Path) -> dict:
    tables = _relations(con, MARTS)
    has_ja = set(_relations(con, MARTS_JA))
    manifest: dict = {
        "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "warehouse": warehouse.name,
        "warehouse_modified_at": datetime.fromtimestamp(warehouse.stat().st_mtime)
        .astimezone()
        .isoformat(timespec="seconds"),
        "report_fiscal_years": [],
        "csv_text_rule": CSV_TEXT_RULE,
        "tables": [],
    }
    for sub in (PARQUET_DIR, CSV_DIR, CSV_JA_DIR):
        (tmp / sub).mkdir()
    for table in tables:
        select = _export_select(con, MARTS, table)
        parquet = tmp / PARQUET_DIR / f"{table}.parquet"
        con.execute(
            f"COPY ({select}) TO {_sql_str(str(parquet))} (FORMAT parquet, COMPRESSION snappy)"
        )
        _copy_csv_with_bom(
            con, _export_select(con, MARTS, table, for_csv=True), tmp / CSV_DIR / f"{table}.csv"
        )
        entry = {
            "table": f"{MARTS}.{table}",
            "rows": con.execute(f"SELECT count(*) FROM {MARTS}.{_q(table)}").fetchone()[0],
            "columns": [c for c, _ in _columns(con, MARTS, table)],
            "parquet": f"{PARQUET_DIR}/{table}.parquet",
            "csv": f"{CSV_DIR}/{table}.csv",
        }
        if table in has_ja:
            _copy_csv_with_bom(
                con,
                _export_select(con, MARTS_JA, table, for_csv=True),
                tmp / CSV_JA_DIR / f"{table}.csv",
            )
            entry["csv_ja"] = f"{CSV_JA_DIR}/{table}.csv"
        manifest["tables"].append(entry)
    if "mart_kpi_progress" in tables:
        manifest["report_fiscal_years"] = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT report_fiscal_year FROM marts.mart_kpi_progress ORDER BY 1"
            ).fetchall()
        ]
    return manifest


def export_marts(warehouse: Path, exports_dir: Path) -> list[Path]:
    """Export every ``marts`` table to Parquet and CSV under ``exports_dir``; returns the files.

    Opens ``warehouse`` read-only. A missing warehouse or one without marts gives an export
    with no tables (and removes the files of the previous one): exports mirror the warehouse.
    """
    warehouse, exports_dir = Path(warehouse), Path(exports_dir)
    exports_dir.mkdir(parents=True, exist_ok=True)
    _clean_stale_tmp(exports_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".{exports_dir.name}.tmp-", dir=exports_dir.parent))
    try:
        if warehouse.exists():
            con = duckdb.connect(str(warehouse), read_only=True)
            try:
                manifest = _write_all(con, tmp, warehouse)
            finally:
                con.close()
        else:
            manifest = {
                "generated_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                "warehouse": warehouse.name,
                "report_fiscal_years": [],
                "tables": [],
            }
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return _move_into_place(tmp, exports_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _move_into_place(tmp: Path, exports_dir: Path) -> list[Path]:
    new = sorted(p.relative_to(tmp) for p in tmp.rglob("*") if p.is_file() and p.name != MANIFEST)
    moved: list[Path] = []
    for rel in new:
        dest = exports_dir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp / rel, dest)
        moved.append(dest)
    keep = set(new)
    for sub in (PARQUET_DIR, CSV_DIR, CSV_JA_DIR):
        for old in (exports_dir / sub).glob("*"):
            if old.is_file() and old.relative_to(exports_dir) not in keep:
                old.unlink(missing_ok=True)
    os.replace(tmp / MANIFEST, exports_dir / MANIFEST)
    moved.append(exports_dir / MANIFEST)
    return moved
