"""Fixtures for the dbt project (session-scoped: one dbt build per scenario per session).

See support.py for the sample reports and for how dbt is invoked (in-process, as
the pipeline does, with target and log paths in a temporary directory).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from tests.dbt.support import (
    SEED_FILE,
    DbtRun,
    StagedLoad,
    query_dicts,
    repeated_loads,
    run_dbt,
    sample_loads,
    stage_loads,
)


@pytest.fixture(scope="session")
def dbt_work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dbt")


def _build(work: Path, name: str, loads: list[StagedLoad]) -> DbtRun:
    scenario = work / name
    scenario.mkdir()
    db_path = scenario / "warehouse.duckdb"
    stage_loads(db_path, loads)
    return run_dbt(["build"], db_path, scenario)


@pytest.fixture(scope="session")
def sample_build(dbt_work: Path) -> DbtRun:
    """dbt build over the sample history (2023 v1, 2023 v2, 2024)."""
    run = _build(dbt_work, "sample", sample_loads())
    assert run.success, f"dbt build failed: {run.failures() or run.exception}"
    return run


@pytest.fixture(scope="session")
def reloaded_build(dbt_work: Path) -> DbtRun:
    """A fresh warehouse, the same files loaded on other days, then all loaded again."""
    loads = sample_loads(later_by_days=30) + repeated_loads(later_by_days=60)
    run = _build(dbt_work, "reloaded", loads)
    assert run.success, f"dbt build failed: {run.failures() or run.exception}"
    return run


@pytest.fixture(scope="session")
def warehouse(sample_build: DbtRun) -> Callable[..., list[dict]]:
    """Query the sample warehouse: ``warehouse("select ...")`` -> list of dicts."""
    return lambda sql, params=None: query_dicts(sample_build.db_path, sql, params)


@pytest.fixture(scope="session")
def seed_build(dbt_work: Path) -> DbtRun:
    """dbt build over the real seed file, parsed by dxplan.parse."""
    from dxplan.parse import parse_bytes

    report = parse_bytes(SEED_FILE.read_bytes(), SEED_FILE.name)
    return _build(
        dbt_work, "seed", [StagedLoad(report, "seed-2023", SEED_FILE.name, datetime(2024, 6, 1))]
    )
