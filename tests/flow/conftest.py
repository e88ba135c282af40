"""Flow tests start from a raw/ with the seed and a copy of the seed warehouse built once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SEED


@pytest.fixture
def workdir(tmp_path, seed_warehouse) -> tuple[Path, Path]:
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEED, raw / SEED.name)
    warehouse = tmp_path / "warehouse" / "dxplan.duckdb"
    warehouse.parent.mkdir()
    shutil.copy(seed_warehouse, warehouse)
    return raw, warehouse
