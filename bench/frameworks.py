"""Fixed costs of dbt and Great Expectations on their own (one fresh process each).

    python bench/frameworks.py dbt WAREHOUSE WORKDIR   # import, cold parse, build, build again
    python bench/frameworks.py gx FILE WORKDIR         # import, Validator(), one validation, docs

``dbt``: a copy of WAREHOUSE (a published dxplan warehouse) is built the way
``dxplan.transform.DbtWorker`` builds it (``dbtRunner().invoke(["build", …])`` with a new
target directory, so the manifest is parsed from scratch as on a fresh warehouse), then
built again on the same path with the target directory kept (dbt's partial parsing), and
``dbt parse`` alone is timed once cold. ``gx``: FILE is parsed and staged into a new DuckDB
file, then validated by ``dxplan.validate.Validator`` with the project's suites.
Prints one JSON object (seconds).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

T0 = time.perf_counter()
ROOT = Path(__file__).resolve().parents[1]


def _dbt(warehouse: Path, work: Path) -> dict[str, float]:
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    work.mkdir(parents=True, exist_ok=True)
    db = work / "dbt_alone.duckdb"
    shutil.copyfile(warehouse, db)
    os.environ["DXPLAN_DBT_DB"] = str(db)
    project = ROOT / "dbt_project"
    t = time.perf_counter()
    from dbt.cli.main import dbtRunner

    out = {"import_dbt": time.perf_counter() - t}

    def invoke(command: str, target: Path) -> float:
        args = [
            command,
            "--project-dir", str(project),
            "--profiles-dir", str(project),
            "--target-path", str(target),
            "--log-path", str(work / "dbt_logs"),
            "--quiet",
        ]  # fmt: skip
        if command == "build":  # as the pipeline runs it: unit tests run in make test
            args += ["--exclude", "test_type:unit"]
        t = time.perf_counter()
        res = dbtRunner().invoke(args)
        if not res.success:
            raise SystemExit(f"dbt {command} failed: {res.exception}")
        return time.perf_counter() - t

    shutil.rmtree(work / "dbt_target_parse", ignore_errors=True)
    out["parse_cold"] = invoke("parse", work / "dbt_target_parse")
    shutil.rmtree(work / "dbt_target", ignore_errors=True)
    out["build_cold"] = invoke("build", work / "dbt_target")
    out["build_partial_parse"] = invoke("build", work / "dbt_target")
    results = json.loads((work / "dbt_target" / "run_results.json").read_text("utf-8"))
    out["nodes"] = len(results["results"])
    out["node_seconds"] = sum(r["execution_time"] for r in results["results"])
    db.unlink(missing_ok=True)
    return out


def _gx(path: Path, work: Path) -> dict[str, float]:
    from datetime import datetime

    import duckdb
    from dxplan import stage
    from dxplan.parse import parse_bytes

    work.mkdir(parents=True, exist_ok=True)
    db = work / "gx_alone.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    stage.ensure_schema(con)
    report = parse_bytes(path.read_bytes(), path.name)
    stage.stage_report(
        con, report, load_id="gx0", source_path=str(path), source_name=path.name,
        sha256="gx0", loaded_at=datetime.now(),
    )  # fmt: skip
    t = time.perf_counter()
    import dxplan.validation.gx_import  # noqa: F401 - GX as dxplan imports it

    out = {"import_gx": time.perf_counter() - t}
    t = time.perf_counter()
    from dxplan.validate import Validator

    validator = Validator(ROOT / "expectations", work / "gx_docs")
    out["validator_init"] = time.perf_counter() - t
    t = time.perf_counter()
    outcome = validator.validate_load(con, "gx0")
    out["validate_one_load"] = time.perf_counter() - t
    out["passed"] = outcome.passed
    t = time.perf_counter()
    validator.build_data_docs()
    out["data_docs"] = time.perf_counter() - t
    con.close()
    db.unlink(missing_ok=True)
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or args[0] not in ("dbt", "gx"):
        print(__doc__, file=sys.stderr)
        return 2
    kind, target, work = args[0], Path(args[1]), Path(args[2])
    out = _dbt(target, work) if kind == "dbt" else _gx(target, work)
    out["process_to_here"] = time.perf_counter() - T0
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
