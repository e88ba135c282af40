"""Fixtures for the GX validation gate: one Validator per session, a staged DuckDB per test."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from dxplan.models import ParsedReport  # noqa: E402
from dxplan.stage import ensure_schema, stage_report  # noqa: E402
from dxplan.validate import Validator, default_expectations_dir  # noqa: E402


@pytest.fixture(scope="session")
def validator(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    """One Validator for the whole session (building GX is the expensive part)."""
    docs = tmp_path_factory.mktemp("data_docs")
    return Validator(default_expectations_dir(), docs)


@pytest.fixture
def con(tmp_path: Path):
    c = duckdb.connect(str(tmp_path / "wh.duckdb"))
    ensure_schema(c)
    yield c
    c.close()


StageFn = Callable[..., str]


@pytest.fixture
def stage(con: duckdb.DuckDBPyConnection) -> StageFn:
    """stage(report, load_id=...) -> load_id: stage a report like the pipeline does."""

    def _stage(report: ParsedReport, load_id: str = "load-1") -> str:
        stage_report(
            con,
            report,
            load_id=load_id,
            source_path=f"raw/{load_id}.txt",
            source_name=f"{load_id}.txt",
            sha256="ab" * 32,
            loaded_at=datetime(2024, 5, 1, 12),
        )
        return load_id

    return _stage
