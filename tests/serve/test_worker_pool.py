"""A real Prefect server on loopback, `dxplan deploy --pool`, and two SEPARATE worker
processes started from an unrelated folder: runs triggered with parameters publish the
warehouse, one at a time, and the run that had to wait publishes its own files."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import REPO, SEED
from tests.helpers import query
from tests.serve.test_serve_deployment import _api, _free_port, _wait

pytestmark = [pytest.mark.server, pytest.mark.slow]

BIN = Path(sys.executable).parent
POOL = "dxplan-test-pool"
FY2024 = REPO / "tests" / "fixtures" / "synthetic_fy2024_ocr.txt"
FINAL = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")


def _clean_env(tmp_path: Path, url: str) -> dict[str, str]:
    """No DXPLAN_* defaults (the parameters must decide), no PYTHONPATH (dxplan must be
    importable as installed, not from the checkout)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DXPLAN_", "PREFECT_")) and k != "PYTHONPATH"}
    env.update({
        "PREFECT_HOME": str(tmp_path / "prefect_home"),
        "PREFECT_API_URL": url,
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # the server retries a run waiting for the deployment's slot after 1 s (default 30)
        "PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS": "1",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
    })
    return env


def _spawn(cmd: list[str], env: dict, cwd: Path, log: Path) -> subprocess.Popen:
    """Own process group, so that teardown can end the process and all its children."""
    with log.open("w") as out:
        return subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _end_group(proc: subprocess.Popen, grace_s: float = 10.0) -> None:
    """SIGTERM the process group, SIGKILL it after ``grace_s`` (a worker whose server is
    gone may not exit on SIGTERM)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # children of the group, too
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


@pytest.fixture
def server_and_procs(tmp_path):
    """A Prefect server on a free loopback port; yields (url, env, procs): processes
    appended to ``procs`` are ended (workers first, the server last) at teardown."""
    url = f"http://127.0.0.1:{_free_port()}/api"
    env = _clean_env(tmp_path, url)
    port = url.rsplit(":", 1)[1].split("/")[0]
    server = _spawn([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1",
                     "--port", port], env, tmp_path, tmp_path / "server.log")
    procs: list[subprocess.Popen] = []
    try:
        # bounded, but generous: a fresh server migrates its database first (8-16 s on an
        # idle 2-core machine, over a minute on a saturated one)
        _wait(lambda: server.poll() is None and _api(url, "/health") is True, 180,
              "prefect server health")
        yield url, env, procs
    finally:
        for proc in reversed(procs):
            _end_group(proc)
        _end_group(server)


def _call(url: str, path: str, body: dict | None = None):
    """One API call, retried for up to 60 s: a busy SQLite-backed server answers 503."""
    return _wait(lambda: _api(url, path, body), 60, f"{path} to answer")


def _run_of(url: str, run_id: str) -> dict:
    return _call(url, f"/flow_runs/{run_id}")


def _state_names(url: str, run_id: str) -> list[str]:
    return [s["name"] for s in _call(url, f"/flow_run_states/?flow_run_id={run_id}")]


def _when(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


def _logs(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                     for p in sorted(tmp_path.glob("*.log")))


def test_deploy_on_pool_and_run_on_separate_workers(server_and_procs, tmp_path):
    url, env, procs = server_and_procs
    raw_a, raw_b = tmp_path / "raw_a", tmp_path / "raw_b"
    raw_a.mkdir()
    raw_b.mkdir()
    shutil.copy(SEED, raw_a / SEED.name)
    shutil.copy(FY2024, raw_b / FY2024.name)
    warehouse = tmp_path / "shared_wh" / "dxplan.duckdb"
    default_wh = tmp_path / "default_wh" / "dxplan.duckdb"
    deployer = tmp_path / "deployer"
    deployer.mkdir()

    # 1. deploy: the pool does not exist yet; defaults that each run overrides
    out = subprocess.run(
        [str(BIN / "dxplan"), "deploy", "--pool", POOL, "--raw-dir", "default_raw",
         "--warehouse", str(default_wh)],
        env=env, cwd=deployer, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "created process work pool" in out.stdout
    assert _call(url, f"/work_pools/{POOL}")["type"] == "process"
    dep = _call(url, "/deployments/name/dxplan-pipeline/worker")
    assert dep["work_pool_name"] == POOL
    assert dep["entrypoint"] == "dxplan.pipeline.dxplan_pipeline"
    assert not dep["pull_steps"] and dep["path"] is None  # nothing tied to the deployer
    assert dep["parameters"] == {"raw_dir": str(deployer / "default_raw"),
                                 "warehouse": str(default_wh)}
    assert dep["global_concurrency_limit"]["limit"] == 1
    assert dep["concurrency_options"]["collision_strategy"] == "ENQUEUE"

    # 2. two workers, each a separate process started in a folder unrelated to dxplan
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for name in ("w1", "w2"):
        procs.append(_spawn([str(BIN / "prefect"), "worker", "start", "--pool", POOL,
                             "--name", name], env, elsewhere, tmp_path / f"worker-{name}.log"))

    # 3. run 1 through the CLI with parameters; run 2 as soon as run 1 holds the slot
    started = time.monotonic()
    out = subprocess.run(
        [str(BIN / "prefect"), "deployment", "run", "dxplan-pipeline/worker",
         "-p", f"raw_dir={raw_a}", "-p", f"warehouse={warehouse}"],
        env=env, cwd=elsewhere, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    run1 = {"id": re.search(r"UUID: ([0-9a-f-]{36})", out.stdout).group(1)}
    _wait(lambda: _run_of(url, run1["id"])["state_type"] in ("PENDING", "RUNNING", *FINAL),
          240, "a worker to pick up run 1")
    run2 = _call(url, f"/deployments/{dep['id']}/create_flow_run",
                {"parameters": {"raw_dir": str(raw_b), "warehouse": str(warehouse)}})

    try:
        done = [_wait(lambda rid=rid: (r := _run_of(url, rid))["state_type"] in FINAL and r,
                      300, f"flow run {rid}") for rid in (run1["id"], run2["id"])]
    except AssertionError:
        raise AssertionError(_logs(tmp_path)) from None
    elapsed = time.monotonic() - started
    first, second = done
    assert first["state_type"] == "COMPLETED", (first["state"], _logs(tmp_path))
    assert second["state_type"] == "COMPLETED", (second["state"], _logs(tmp_path))
    assert first["parameters"] == {"raw_dir": str(raw_a), "warehouse": str(warehouse)}

    # one writer: the second run waited for the deployment's slot, then ran after the first
    assert "AwaitingConcurrencySlot" in _state_names(url, second["id"])
    assert _when(second["start_time"]) >= _when(first["end_time"]), (first, second)

    # the warehouse named by the parameters was published, with both runs' files
    assert warehouse.is_file() and not default_wh.exists()
    assert query(warehouse, "SELECT count(*) FROM marts.dim_initiative")[0][0] == 52
    years = query(warehouse, "SELECT DISTINCT report_fiscal_year FROM marts.mart_kpi_progress "
                             "ORDER BY 1")
    assert years == [(2023,), (2024,)]
    published = query(warehouse, "SELECT source_path FROM audit.load_log "
                                 "WHERE status = 'published' ORDER BY 1")
    assert published == [(str(raw_a / SEED.name),), (str(raw_b / FY2024.name),)]
    assert not any(elsewhere.iterdir()), "the workers wrote into their working folder"
    print(f"two worker runs end to end: {elapsed:.1f} s")
