"""Bad input files: nothing wrong is published, nothing good is lost.

Each bad file is put beside the already-published seed: it must be rejected with a
message naming the file, the marts must stay exactly as they were, and an audit row
`rejected` must explain why. Awkward but valid files must publish.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import REPO, SEED
from tests.helpers import marts_fingerprint, query

pytestmark = pytest.mark.slow

SEED_LINES = SEED.read_text(encoding="utf-8").split("\n")
FIXTURES = REPO / "tests" / "fixtures"


def _conflicting_duplicate() -> bytes:
    """The seed with project 2's row renumbered 1: project 1 twice, different attributes."""
    lines = list(SEED_LINES)
    for i, line in enumerate(lines):
        cells = line.split("\t")
        if cells[0].strip() == "2":
            cells[0] = "1"
            lines[i] = "\t".join(cells)
            break
    else:  # pragma: no cover - the seed changed
        raise AssertionError("no row numbered 2 in the seed")
    return "\n".join(lines).encode("utf-8")


def _half_report() -> bytes:
    """A truncated copy of the seed: cut at a line boundary in the middle of page 3."""
    return "\n".join(SEED_LINES[: len(SEED_LINES) // 2]).encode("utf-8")


BAD_FILES = {
    "empty.txt": b"",
    "junk.bin": bytes(range(256)) * 64,
    "members.csv": b"name,age,city\nAlice,30,Tokyo\nBob,25,Osaka\n",
    "duplicate_project.txt": _conflicting_duplicate(),
    "truncated.txt": _half_report(),
    "title_only.txt": "\n".join(SEED_LINES[:3]).encode("utf-8"),
    "it's; DROP TABLE audit.load_log; --.txt": b"\x00\x01 not a report",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_rejected_and_marts_unchanged(workdir, run_dxplan, capsys, name):
    raw, warehouse = workdir
    before = marts_fingerprint(warehouse)
    (raw / name).write_bytes(BAD_FILES[name])
    assert run_dxplan(raw, warehouse) == 1
    err = capsys.readouterr().err
    assert name in err and "REJECTED" in err
    assert marts_fingerprint(warehouse) == before
    rows = query(warehouse,
                 "SELECT source_path, status, message FROM audit.load_log "
                 "WHERE source_path LIKE '%' || ? ORDER BY started_at", [name])
    assert rows and rows[-1][1] == "rejected" and len(rows[-1][2]) > 10
    # the seed itself is untouched and still the current 2023 load
    assert query(warehouse, "SELECT count(*) FROM staging.loads WHERE is_current")[0][0] == 1


def test_file_larger_than_limit_is_rejected_without_reading(workdir, run_dxplan, capsys,
                                                           monkeypatch):
    raw, warehouse = workdir
    before = marts_fingerprint(warehouse)
    monkeypatch.setenv("DXPLAN_MAX_FILE_BYTES", "1000000")
    big = raw / "huge_report.txt"
    with big.open("wb") as fh:
        fh.write(SEED.read_bytes() * 30)  # ~1.4 MB: 30 reports glued together
    assert run_dxplan(raw, warehouse) == 1
    assert "larger than the limit" in capsys.readouterr().err
    assert marts_fingerprint(warehouse) == before


def test_shift_jis_report_is_accepted(workdir, run_dxplan):
    raw, warehouse = workdir
    shutil.copy(FIXTURES / "synthetic_fy2024_cp932.txt", raw / "synthetic_R06_FY2024_sjis.txt")
    assert run_dxplan(raw, warehouse) == 0
    assert query(warehouse, "SELECT file_format, status FROM audit.load_log "
                            "WHERE source_path LIKE '%sjis.txt'") == [("ocr_text", "published")]
    years = query(warehouse, "SELECT DISTINCT report_fiscal_year FROM marts.mart_kpi_progress "
                             "ORDER BY 1")
    assert years == [(2023,), (2024,)]


def test_corrected_reissue_replaces_year_and_keeps_history(workdir, run_dxplan):
    raw, warehouse = workdir
    # the re-issue corrects KPI 9's actual (printed 3,099)
    text = SEED.read_text(encoding="utf-8")
    fixed = text.replace("3,099", "3,100", 1)
    assert fixed != text
    (raw / SEED.name).write_text(fixed, encoding="utf-8")
    assert run_dxplan(raw, warehouse) == 0
    loads = query(warehouse, "SELECT is_current, superseded_by IS NOT NULL FROM staging.loads "
                             "WHERE report_fiscal_year = 2023 ORDER BY loaded_at")
    assert loads == [(False, True), (True, False)]
    actual = query(warehouse, "SELECT actual_value FROM marts.mart_kpi_progress "
                              "WHERE kpi_no = 9 AND report_fiscal_year = 2023")
    assert actual == [(3100.0,)]


def test_second_run_waits_then_exits_clearly(workdir, run_dxplan, capsys, monkeypatch):
    from dxplan.publish import writer_lock
    from dxplan.settings import load_settings

    raw, warehouse = workdir
    monkeypatch.setenv("DXPLAN_LOCK_TIMEOUT", "1")
    settings = load_settings(raw, warehouse)
    before = marts_fingerprint(warehouse)
    with writer_lock(settings.lock_path, 1):
        started = time.monotonic()
        assert run_dxplan(raw, warehouse) == 75
        assert time.monotonic() - started >= 0.9
    assert "another dxplan run" in capsys.readouterr().err
    assert marts_fingerprint(warehouse) == before


def test_killed_run_leaves_last_good_warehouse(workdir):
    """SIGKILL a real run in the middle of its work: readers still get the old warehouse."""
    raw, warehouse = workdir
    before = marts_fingerprint(warehouse)
    shutil.copy(FIXTURES / "synthetic_fy2024_ocr.txt", raw / "synthetic_R06_FY2024.txt")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dxplan.cli", "run", "--raw-dir", str(raw),
         "--warehouse", str(warehouse)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,  # so the kill also takes Prefect's temporary server
        # its own temporary Prefect server, whatever another test left in os.environ
        env={k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"},
    )
    # wait until it is working on a build file, then kill it
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any(".build-" in p.name for p in warehouse.parent.iterdir()):
            break
        time.sleep(0.05)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert marts_fingerprint(warehouse) == before


def test_a_rejected_file_among_several_keeps_the_others(workdir, run_dxplan, capsys):
    """Several new files in one run are validated together; the one that fails is rolled
    back and the files after it are checked again without it (here 2025 is compared with
    the complete 2024, not with the truncated re-issue that was rejected)."""
    raw, warehouse = workdir
    fy2024 = FIXTURES / "synthetic_fy2024_ocr.txt"
    shutil.copy(fy2024, raw / fy2024.name)
    lines = fy2024.read_text(encoding="utf-8").split("\n")
    (raw / "fy2024_reissue_truncated.txt").write_text(
        "\n".join(lines[: len(lines) * 3 // 5]), encoding="utf-8")
    shutil.copy(FIXTURES / "blind_fy2025_ocr.txt", raw / "blind_fy2025_ocr.txt")

    assert run_dxplan(raw, warehouse) == 1
    assert "fy2024_reissue_truncated.txt" in capsys.readouterr().err
    log = dict(query(warehouse, "SELECT regexp_extract(source_path, '[^/]+$'), status "
                                "FROM audit.load_log WHERE status <> 'unchanged' AND run_id = "
                                "(SELECT max_by(run_id, started_at) FROM audit.load_log)"))
    assert log == {fy2024.name: "published", "fy2024_reissue_truncated.txt": "rejected",
                   "blind_fy2025_ocr.txt": "published"}
    message = query(warehouse, "SELECT message FROM audit.load_log WHERE status = 'rejected'")
    assert "reissue_not_truncated" in message[0][0]
    current = query(warehouse, "SELECT report_fiscal_year, source_name FROM staging.loads "
                               "WHERE is_current ORDER BY 1")
    assert current == [(2023, SEED.name), (2024, fy2024.name), (2025, "blind_fy2025_ocr.txt")]
    assert query(warehouse, "SELECT count(*) FROM staging.loads") == [(3,)]
    # every load's results are recorded once, the rejected one's included
    per_load = query(warehouse, "SELECT count(DISTINCT load_id), count(*) / count(DISTINCT load_id) "
                                "FROM audit.validation_results")
    assert per_load[0][0] == 4 and per_load[0][1] == int(per_load[0][1])
    years = query(warehouse, "SELECT DISTINCT report_fiscal_year FROM marts.fct_kpi_yearly "
                             "ORDER BY 1")
    assert years == [(2023,), (2024,), (2025,)]
