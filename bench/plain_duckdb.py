"""Baseline: the same files parsed and their rows inserted with plain DuckDB.

No Prefect, no Great Expectations, no dbt: the dxplan parser and the pipeline's own
staging code (``dxplan.stage.stage_report``: same schema, same rows, bulk inserts, one
transaction per file) into a new DuckDB file. Prints one JSON object with the seconds for
imports, parsing and inserting, and the bytes and rows loaded.

    python bench/plain_duckdb.py WAREHOUSE FILE...
    python bench/plain_duckdb.py --parse-only - FILE...       # parse throughput only

With --parse-only one file is parsed once before the clock starts (rules files loaded),
so the figure is the parser's steady throughput.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

T0 = time.perf_counter()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouse", help="DuckDB file to create ('-' with --parse-only)")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--parse-only", action="store_true")
    args = parser.parse_args(argv)

    import duckdb
    from dxplan import stage
    from dxplan.parse import parse_bytes

    t_import = time.perf_counter() - T0
    con = None
    if not args.parse_only:
        Path(args.warehouse).unlink(missing_ok=True)
        con = duckdb.connect(args.warehouse)
        stage.ensure_schema(con)
    parse_s = insert_s = 0.0
    nbytes = rows = kpis = 0
    if args.parse_only:  # throughput: rules and lazy imports loaded before the clock starts
        parse_bytes(args.files[0].read_bytes(), args.files[0].name)
    for i, path in enumerate(args.files):
        data = path.read_bytes()
        t = time.perf_counter()
        report = parse_bytes(data, path.name)
        parse_s += time.perf_counter() - t
        nbytes += len(data)
        rows += len(report.rows)
        kpis += len(report.kpis)
        if con is None:
            continue
        t = time.perf_counter()
        con.begin()
        stage.stage_report(
            con,
            report,
            load_id=f"plain{i:05d}",
            source_path=str(path),
            source_name=path.name,
            sha256=f"plain{i:05d}",
            loaded_at=datetime.now(),
        )
        con.commit()
        insert_s += time.perf_counter() - t
    if con is not None:
        con.close()
    print(
        json.dumps(
            {
                "files": len(args.files),
                "bytes": nbytes,
                "rows": rows,
                "kpis": kpis,
                "import_s": round(t_import, 3),
                "parse_s": round(parse_s, 3),
                "insert_s": round(insert_s, 3),
                "total_s": round(time.perf_counter() - T0, 3),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
