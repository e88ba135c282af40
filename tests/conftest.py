"""Shared fixtures: one Prefect test harness per session, one seed warehouse per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "raw"
SEED = next(RAW.glob("*FY2023*"))


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session (not a server per test)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture(scope="session")
def run_dxplan(prefect_harness):
    """Call the CLI in-process: run_dxplan(raw_dir, warehouse) -> exit code."""
    from dxplan.cli import main

    def _run(raw_dir: Path, warehouse: Path) -> int:
        return main(["run", "--raw-dir", str(raw_dir), "--warehouse", str(warehouse)])

    return _run


@pytest.fixture(scope="session")
def seed_warehouse(tmp_path_factory, run_dxplan) -> Path:
    """The seed report run through the whole pipeline once; tests open it read-only."""
    root = tmp_path_factory.mktemp("seed_run")
    raw = root / "raw"
    raw.mkdir()
    shutil.copy(SEED, raw / SEED.name)
    warehouse = root / "warehouse" / "dxplan.duckdb"
    assert run_dxplan(raw, warehouse) == 0
    return warehouse
