"""Flow tests start from a raw/ with the seed and a copy of the seed warehouse built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SEED
from tests.helpers import seed_workdir


@pytest.fixture
def workdir(tmp_path, seed_warehouse) -> tuple[Path, Path]:
    return seed_workdir(tmp_path, SEED, seed_warehouse)
