"""A report PDF in raw/ through the whole flow.

The synthetic FY2024 report drawn as a PDF (tests/fixtures/make_pdf_fixtures.py) is put
beside the published seed: it publishes report 2024 with the values of its golden reading
(the truth its OCR text is read against), with page/cell lineage in staging and marts. A
scanned PDF (no text layer) is rejected with the reason and leaves the marts as they were.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.conftest import REPO
from tests.helpers import marts_fingerprint, query
from tests.pdf_fixtures import pdf_paths

pytestmark = pytest.mark.slow

GOLDEN = REPO / "tests" / "golden"


def _num(v):
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


def test_report_pdf_is_published_with_cell_lineage(workdir, run_dxplan):
    raw, warehouse = workdir
    pdf = pdf_paths()["synthetic_fy2024"]
    shutil.copy(pdf, raw / "torikumi_R06_FY2024.pdf")
    assert run_dxplan(raw, warehouse) == 0
    assert query(
        warehouse,
        "SELECT file_format, status, rows_in FROM audit.load_log WHERE source_path LIKE '%.pdf'",
    ) == [("report_pdf", "published", 64)]
    golden = json.loads((GOLDEN / "synthetic_fy2024.json").read_text("utf-8"))
    # the marts hold what the report prints: every KPI's R6 target, actual and evaluation
    got = {
        r[0]: r[1:]
        for r in query(
            warehouse,
            "SELECT kpi_no, target_value, actual_value, evaluation FROM marts.mart_kpi_progress "
            "WHERE report_fiscal_year = 2024",
        )
    }
    want = {
        k["kpi_no"]: (k["targets"]["2024"]["value"], k["actual_value"], k["evaluation"])
        for k in golden["kpis"]
    }
    assert got == {k: tuple(_num(v) for v in t) for k, t in want.items()}
    bridge = query(
        warehouse,
        "SELECT source_row_no, project_no, is_relisted, page_no, line_start, source_cell "
        "FROM marts.bridge_initiative_plan_item WHERE report_fiscal_year = 2024 "
        "ORDER BY source_row_no",
    )
    assert [(r[0], r[1], r[2]) for r in bridge] == [
        (g["source_row_no"], g["project_no"], g["is_relisted"]) for g in golden["rows"]
    ]
    for _, _, _, page, line, cell in bridge:
        assert cell == f"p{page} r{line}"
    # the seed (OCR text) keeps its line numbers and no cell
    assert query(
        warehouse,
        "SELECT count(*) FROM marts.bridge_initiative_plan_item "
        "WHERE report_fiscal_year = 2023 AND source_cell IS NULL",
    ) == [(65,)]
    repairs = query(
        warehouse,
        "SELECT source_cell, note FROM staging.repairs WHERE rule = 'kpi_merged_cell' "
        "AND report_fiscal_year = 2024",
    )
    assert repairs and all(re.fullmatch(r"p\d+ r\d+", c) for c, _ in repairs)


def test_scanned_pdf_is_rejected_and_marts_unchanged(workdir, run_dxplan, capsys):
    raw, warehouse = workdir
    before = marts_fingerprint(warehouse)
    shutil.copy(pdf_paths()["seed_fy2023_scanned"], raw / "scan_R06.pdf")
    assert run_dxplan(raw, warehouse) == 1
    err = capsys.readouterr().err
    assert "scan_R06.pdf" in err and "no text layer" in err
    assert marts_fingerprint(warehouse) == before
    rows = query(
        warehouse, "SELECT status, message FROM audit.load_log WHERE source_path LIKE '%.pdf'"
    )
    assert rows[-1][0] == "rejected" and "dxplan template" in rows[-1][1]
