"""The canonical CSV/XLSX template written from the warehouse ingests to identical marts."""

from __future__ import annotations

import pytest

from tests.contract.spec import CONTRACT
from tests.helpers import marts_fingerprint

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template_round_trip_gives_identical_marts(seed_warehouse, run_dxplan, tmp_path, fmt):
    from dxplan.cli import main

    raw = tmp_path / "raw"
    out = raw / f"fukushima_dx_R05_FY2023_canonical.{fmt}"
    assert main(["template", "--year", "2023", "--out", str(out),
                 "--warehouse", str(seed_warehouse)]) == 0
    assert out.stat().st_size > 10_000

    rebuilt = tmp_path / "wh" / "dxplan.duckdb"
    assert run_dxplan(raw, rebuilt) == 0
    original, again = marts_fingerprint(seed_warehouse), marts_fingerprint(rebuilt)
    for table in CONTRACT:
        assert again[table] == original[table], table


def test_template_for_unknown_year_fails_clearly(seed_warehouse, tmp_path, capsys):
    from dxplan.cli import main

    code = main(["template", "--year", "1999", "--out", str(tmp_path / "x.csv"),
                 "--warehouse", str(seed_warehouse)])
    assert code == 2
    assert "no published report for 1999" in capsys.readouterr().err
