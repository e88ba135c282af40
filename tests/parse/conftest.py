"""Fixtures of the parser tests: the seed report and the synthetic next-year report."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SEED = REPO / "raw" / "fukushima_dx_torikumi_R05_FY2023.txt"
SYNTHETIC = REPO / "tests" / "fixtures" / "synthetic_fy2024_ocr.txt"
SYNTHETIC_CP932 = REPO / "tests" / "fixtures" / "synthetic_fy2024_cp932.txt"
GOLDEN = REPO / "tests" / "golden"

sys.path.insert(0, str(HERE))  # golden_score helper


@pytest.fixture(scope="session")
def rules():
    """The parser's rules as the package ships them."""
    from dxplan.parse.rules import default_rules

    return default_rules()


@pytest.fixture(scope="session")
def seed_bytes() -> bytes:
    return SEED.read_bytes()


@pytest.fixture(scope="session")
def seed_report(seed_bytes):
    from dxplan.parse import parse_bytes

    return parse_bytes(seed_bytes, SEED.name)


@pytest.fixture(scope="session")
def synthetic_report():
    from dxplan.parse import parse_bytes

    if not SYNTHETIC.exists():
        pytest.skip("synthetic fixture not generated yet")
    return parse_bytes(SYNTHETIC.read_bytes(), SYNTHETIC.name)
