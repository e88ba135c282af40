"""Transform: run ``dbt build`` in-process, once per run, against the build file."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path


class TransformError(RuntimeError):
    """dbt build failed; the message lists the failing nodes."""


@dataclass
class TransformResult:
    seconds: float
    models: int = 0
    tests: int = 0
    failures: list[str] = field(default_factory=list)


def dbt_build(
    database: Path,
    project_dir: Path,
    target_dir: Path,
    log_dir: Path,
    *,
    command: str = "build",
) -> TransformResult:
    """Run ``dbt <command>`` on ``database``; raise TransformError when any node fails."""
    from dbt.cli.main import dbtRunner  # heavy import: only on the path that needs it

    os.environ["DXPLAN_DBT_DB"] = str(database)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    target_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    args = [
        command,
        "--project-dir", str(project_dir),
        "--profiles-dir", str(project_dir),
        "--target-path", str(target_dir),
        "--log-path", str(log_dir),
        "--quiet",
    ]
    started = time.perf_counter()
    try:
        res = dbtRunner().invoke(args)
    finally:
        release_duckdb()
    elapsed = time.perf_counter() - started
    result = TransformResult(seconds=elapsed)
    nodes = getattr(res.result, "results", None) or []
    for node_result in nodes:
        node = getattr(node_result, "node", None)
        resource = getattr(node, "resource_type", "")
        status = str(getattr(node_result, "status", ""))
        if str(resource).endswith("test") or str(resource).endswith("unit_test"):
            result.tests += 1
        elif str(resource).endswith("model"):
            result.models += 1
        if status.lower() in {"error", "fail", "runtimeerr", "runstatus.error", "teststatus.fail"}:
            name = getattr(node, "unique_id", getattr(node, "name", "?"))
            result.failures.append(f"{name}: {status}: {getattr(node_result, 'message', '')}")
    if not res.success or res.exception is not None:
        detail = "; ".join(result.failures) or repr(res.exception)
        raise TransformError(f"dbt {command} failed: {detail}")
    return result


def release_duckdb() -> None:
    """Close the database dbt-duckdb keeps open in this process after ``invoke`` returns.

    Otherwise the build file stays open after it has been renamed into place, and a
    long-lived process (``dxplan serve``) would reopen the stale instance next run.
    dbt-duckdb has no public API for this; its connection manager's environment is
    closed directly.
    """
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    env = DuckDBConnectionManager._ENV
    if env is not None:
        env.close()
    DuckDBConnectionManager.close_all_connections()
