"""dbt runs in a worker process: its answers, its progress, its failures and its end.

The protocol tests replace the worker's program (``python -m dxplan.dbt_worker``) with a
small script, so they take no dbt time; the last test runs the real pipeline with a dbt
project whose data test fails.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from dxplan import transform
from dxplan.transform import DbtWorker, TransformError

from tests.conftest import REPO, SEED
from tests.helpers import query


def _fake_worker(script: str):
    """A popen for DbtWorker that runs ``script`` instead of dxplan.dbt_worker."""
    code = "import json, sys\n" + textwrap.dedent(script)

    def popen(_command, **kwargs):
        return subprocess.Popen([sys.executable, "-c", code], **kwargs)

    return popen


def _worker(tmp_path: Path, script: str) -> DbtWorker:
    return DbtWorker(tmp_path / "dxplan.duckdb", REPO / "dbt_project", tmp_path / "target",
                     tmp_path / "logs", popen=_fake_worker(script))


ANSWER_ALL = """
for line in sys.stdin:
    request = json.loads(line)
    if request.get("exit"):
        break
    command = request["args"][0]
    if command == "build":
        for done in (1, 2):
            print(json.dumps({"progress": [done, 2]}), flush=True)
        nodes = [{"unique_id": "model.dxplan.dim_kpi", "resource_type": "model",
                  "status": "success", "message": ""},
                 {"unique_id": "test.dxplan.unique_dim_kpi", "resource_type": "test",
                  "status": "%s", "message": "Got 2 results"}]
        ok = "%s" == "pass"
    else:
        nodes, ok = [], True
    print(json.dumps({"done": {"success": ok, "exception": None, "nodes": nodes,
                               "seconds": 0.0}}), flush=True)
"""


def test_build_waits_for_the_parse_and_reports_progress_and_counts(tmp_path):
    seen: list[tuple[int, int]] = []
    with _worker(tmp_path, ANSWER_ALL % ("pass", "pass")) as worker:
        result = worker.build(progress=lambda done, total: seen.append((done, total)))
    assert (result.models, result.tests, result.failures) == (1, 1, [])
    assert seen == [(1, 2), (2, 2)]
    assert worker.process.poll() == 0  # told to exit, it ended


def test_a_failing_node_fails_the_build_with_its_name(tmp_path):
    with _worker(tmp_path, ANSWER_ALL % ("fail", "fail")) as worker, \
            pytest.raises(TransformError) as caught:
        worker.build()
    assert "test.dxplan.unique_dim_kpi: fail: Got 2 results" in str(caught.value)


def test_a_worker_that_dies_is_an_error_not_a_hang(tmp_path):
    with _worker(tmp_path, "sys.stdin.readline(); sys.exit(3)") as worker, \
            pytest.raises(TransformError, match="exit code 3"):
        worker.build()


IDLE = "for line in sys.stdin:\n    pass\n"


def test_the_run_takes_the_worker_started_for_its_build_file(tmp_path):
    """dxplan run starts dbt's worker before the flow (transform.start_spare); the flow
    takes it only for the same build file and project, else it starts its own."""
    paths = (tmp_path / "dxplan.duckdb", REPO / "dbt_project", tmp_path / "target",
             tmp_path / "logs")
    fake = _fake_worker(IDLE)
    transform.start_spare(*paths, popen=fake)
    spare = transform._SPARE[0]
    assert spare.parse_dir.is_dir() and spare.parse_dir.parent == tmp_path  # not target/
    taken = transform.take_worker(*paths, popen=fake)
    assert taken is spare and not transform._SPARE
    taken.close()
    assert not spare.parse_dir.exists()

    transform.start_spare(*paths, popen=fake)
    spare = transform._SPARE[0]
    other = transform.take_worker(tmp_path / "other.duckdb", *paths[1:], popen=fake)
    try:
        assert other is not spare and spare.process.poll() is not None  # ended, not leaked
    finally:
        other.close()
        transform.close_spare()


@pytest.mark.slow
def test_a_failing_dbt_test_rejects_the_load_and_publishes_nothing(tmp_path, prefect_harness):
    """The real worker and dbt: a data test fails, the run rejects its file with dbt's
    reason, and no warehouse appears."""
    from dxplan.pipeline import run_pipeline
    from dxplan.settings import load_settings
    from prefect import flow

    project = tmp_path / "dbt_project"
    shutil.copytree(REPO / "dbt_project", project,
                    ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (project / "tests" / "assert_nothing_is_published.sql").write_text(
        "-- fails whenever there is a KPI: every row returned is a failure\n"
        "select kpi_key from {{ ref('dim_kpi') }}\n", encoding="utf-8")
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEED, raw / SEED.name)
    warehouse = tmp_path / "warehouse" / "dxplan.duckdb"
    settings = dataclasses.replace(load_settings(str(raw), str(warehouse)),
                                   dbt_project_dir=project)

    summary = flow(name="dxplan-pipeline-broken-dbt")(lambda: run_pipeline(settings))()

    assert not summary.ok and not summary.rebuilt
    (file,) = summary.files
    assert file.status == "rejected" and "assert_nothing_is_published" in file.message
    assert not warehouse.exists() or not query(
        warehouse, "select count(*) from information_schema.tables "
                   "where table_schema = 'marts'")[0][0]
    leftovers = [p.name for p in warehouse.parent.iterdir() if ".build-" in p.name]
    assert leftovers == []
