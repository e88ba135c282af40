"""`dxplan check FILE...` against the published seed warehouse: reads and validates like a run,
prints the changes, and leaves the warehouse byte for byte as it was."""

from __future__ import annotations

import hashlib
import json

import pytest
from dxplan.cli import EXIT_ERROR, EXIT_OK, EXIT_REJECTED, main

from tests.conftest import REPO, SEED

FY2024 = REPO / "tests" / "fixtures" / "synthetic_fy2024_ocr.txt"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def published(workdir):
    """A copy of the published seed warehouse (tests/flow/conftest.py)."""
    return workdir[1]


def test_next_year_is_checked_and_nothing_is_published(published, capsys):
    before = _digest(published)
    listing = sorted(p.name for p in published.parent.iterdir())
    assert main(["check", str(FY2024), "--warehouse", str(published)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "WOULD PUBLISH  synthetic_fy2024_ocr.txt (report 2024)" in out
    assert "read: report 2024, ocr_text, 64 rows" in out
    assert "changes against the previous report 2023" in out
    assert "project 13 dropped" in out
    assert "KPI 20 added" in out
    assert "KPI 3 target for FY2024 revised: 68000 -> 66000" in out
    assert "repairs made by the parser" in out and "[page 1, line" in out
    assert _digest(published) == before
    assert sorted(p.name for p in published.parent.iterdir()) == listing


def test_json_output(published, capsys):
    assert main(["check", str(FY2024), "--warehouse", str(published), "--json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True
    (f,) = data["files"]
    assert f["status"] == "would_publish" and f["report_fiscal_year"] == 2024
    assert f["kpis"] == 20 and f["rows"] == 64
    assert f["compared_with"]["report_fiscal_year"] == 2023
    assert {r["kpi_no"] for r in f["changes"]["kpis_added"]} == {20}
    assert {r["project_no"] for r in f["changes"]["projects_dropped"]} == {13}
    assert all(r["where"] for r in f["repairs"])


def test_published_file_is_unchanged_and_a_bad_one_would_be_rejected(published, tmp_path,
                                                                      capsys):
    bad = tmp_path / "broken.txt"
    bad.write_text("これは報告書ではありません\n", encoding="utf-8")
    code = main(["check", str(SEED), str(bad), "--warehouse", str(published), "--json"])
    assert code == EXIT_REJECTED
    data = json.loads(capsys.readouterr().out)
    statuses = {f["source_path"].rsplit("/", 1)[-1]: f["status"] for f in data["files"]}
    assert statuses == {SEED.name: "unchanged", "broken.txt": "rejected"}


def test_without_a_warehouse_it_is_a_usage_error(tmp_path, capsys):
    code = main(["check", str(FY2024), "--warehouse", str(tmp_path / "none.duckdb")])
    assert code == EXIT_ERROR
    err = capsys.readouterr().err
    assert "no published warehouse" in err and "Traceback" not in err
