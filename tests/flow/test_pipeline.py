"""The dxplan-pipeline flow end to end: publish, unchanged, rejected, atomic and idempotent."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SEED
from tests.helpers import marts_fingerprint, query

pytestmark = pytest.mark.slow


def test_seed_is_published_with_lineage(seed_warehouse):
    rows = query(seed_warehouse,
                 "SELECT status, sha256, file_format, rows_in FROM audit.load_log")
    assert len(rows) == 1 and rows[0][0] == "published"
    lineage = query(seed_warehouse,
                    "SELECT count(*), count(DISTINCT line_start), min(line_start) FROM "
                    "staging.report_rows r JOIN staging.loads l USING (load_id) "
                    "WHERE l.sha256 = ? AND l.source_name = ?", [rows[0][1], SEED.name])
    assert lineage[0][0] == 65 and lineage[0][1] == 65 and lineage[0][2] >= 1


def test_unchanged_rerun_does_not_rebuild(workdir, prefect_harness):
    from dxplan.pipeline import dxplan_pipeline

    raw, warehouse = workdir
    before = marts_fingerprint(warehouse)
    summary = dxplan_pipeline(raw_dir=str(raw), warehouse=str(warehouse))
    assert summary["ok"] and summary["counts"]["unchanged"] == 1
    assert summary["rebuilt"] is False
    assert marts_fingerprint(warehouse) == before
    statuses = [r[0] for r in query(warehouse, "SELECT status FROM audit.load_log ORDER BY started_at")]
    assert statuses == ["published", "unchanged"]


def test_broken_file_is_rejected_and_marts_stay(workdir, run_dxplan, capsys):
    raw, warehouse = workdir
    before = marts_fingerprint(warehouse)
    # a truncated report: the title page and two rows only
    text = SEED.read_text(encoding="utf-8").split("\n")
    (raw / "broken; name 'R06'.txt").write_text(
        "\n".join(text[:4]).replace("令和5年度", "令和6年度"), encoding="utf-8")
    code = run_dxplan(raw, warehouse)
    assert code != 0
    err = capsys.readouterr().err
    assert "broken; name 'R06'.txt" in err
    assert marts_fingerprint(warehouse) == before
    rejected = query(warehouse,
                     "SELECT source_path, message FROM audit.load_log WHERE status = 'rejected'")
    assert len(rejected) == 1 and rejected[0][0].endswith("broken; name 'R06'.txt")
    assert rejected[0][1]


def test_binary_junk_is_rejected(workdir, run_dxplan):
    raw, warehouse = workdir
    before = marts_fingerprint(warehouse)
    (raw / "junk.bin").write_bytes(bytes(range(256)) * 64)
    assert run_dxplan(raw, warehouse) != 0
    assert marts_fingerprint(warehouse) == before
    assert query(warehouse, "SELECT count(*) FROM audit.load_log WHERE status='rejected'")[0][0] == 1


def test_no_build_files_left_behind(workdir, run_dxplan):
    raw, warehouse = workdir
    run_dxplan(raw, warehouse)
    leftovers = [p.name for p in warehouse.parent.iterdir() if ".build-" in p.name]
    assert leftovers == []


def _dbt_workers_of(pid: int) -> list[int]:
    """Running `python -m dxplan.dbt_worker` children of process ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or b"dxplan.dbt_worker" not in (
                    entry / "cmdline").read_bytes():
                continue
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_marts_of_another_dbt_project_are_rebuilt_without_a_load(workdir, prefect_harness):
    """An upgrade changed the dbt project: the run loads nothing, rebuilds the marts with a
    dbt worker of its own, records the new project, and leaves no worker behind."""
    from dxplan.pipeline import dxplan_pipeline
    from dxplan.settings import load_settings
    from dxplan.transform import project_fingerprint

    raw, warehouse = workdir
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("UPDATE audit.dbt_builds SET fingerprint = 'an-older-project'")
    finally:
        con.close()
    summary = dxplan_pipeline(raw_dir=str(raw), warehouse=str(warehouse))
    assert summary["ok"] and summary["rebuilt"] is True
    assert summary["counts"] == {"published": 0, "unchanged": 1, "rejected": 0}
    current = project_fingerprint(load_settings(str(raw), str(warehouse)).dbt_project_dir)
    built = query(warehouse, "SELECT fingerprint FROM audit.dbt_builds ORDER BY built_at DESC "
                             "LIMIT 1")
    assert built == [(current,)]
    assert _dbt_workers_of(os.getpid()) == []
