"""The seed report (a real published report) passes the gate with no critical failure."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "raw" / "fukushima_dx_torikumi_R05_FY2023.txt"


def test_seed_has_no_critical_failure(validator, con):
    parse = pytest.importorskip("dxplan.parse")
    from dxplan.stage import stage_report

    report = parse.parse_bytes(SEED.read_bytes(), SEED.name)
    stage_report(
        con,
        report,
        load_id="seed",
        source_path=str(SEED),
        source_name=SEED.name,
        sha256="0" * 64,
        loaded_at=datetime(2024, 5, 1),
    )
    outcome = validator.validate_load(con, "seed")
    assert outcome.passed, "\n".join(outcome.critical_failures)
    for warning in outcome.warnings:
        print("seed warning:", warning)
