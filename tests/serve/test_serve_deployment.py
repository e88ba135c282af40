"""A real Prefect server on loopback: `dxplan serve` registers the cron deployment and a
run triggered through the API completes and publishes the warehouse."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SEED

pytestmark = [pytest.mark.server, pytest.mark.slow]

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(url: str, path: str, body: dict | None = None, method: str | None = None):
    req = urllib.request.Request(
        f"{url}{path}",
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"},
        method=method or ("POST" if body is not None else "GET"),
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # noqa: BLE001 - still starting
            last = exc
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def prefect_server(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect_home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_API_URL": url,
        "PREFECT_UI_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        _wait(lambda: _api(url, "/health") is True, 90, "prefect server health")
        yield url, env
    finally:
        _stop(proc)
        log.close()


def test_serve_registers_cron_and_runs(prefect_server, tmp_path):
    url, env = prefect_server
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(SEED, raw / SEED.name)
    warehouse = tmp_path / "wh" / "dxplan.duckdb"
    env = {**env, "DXPLAN_RAW_DIR": str(raw), "DXPLAN_WAREHOUSE": str(warehouse),
           "DXPLAN_CRON": "15 7 * * 1-5"}
    serve_log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen([str(BIN / "dxplan"), "serve"], env=env,
                             stdout=serve_log, stderr=subprocess.STDOUT)
    try:
        dep = _wait(
            lambda: _api(url, "/deployments/name/dxplan-pipeline/scheduled"),
            90, "deployment dxplan-pipeline/scheduled",
        )
        crons = [s["schedule"].get("cron") for s in dep["schedules"]]
        assert "15 7 * * 1-5" in crons
        assert dep["schedules"][0]["schedule"]["timezone"] == "Asia/Tokyo"

        out = subprocess.run(
            [str(BIN / "prefect"), "deployment", "run", "dxplan-pipeline/scheduled"],
            env=env, capture_output=True, text=True, timeout=120,
        )
        assert out.returncode == 0, out.stdout + out.stderr
        runs = _wait(
            lambda: [r for r in _api(url, "/flow_runs/filter", {"limit": 10})
                     if r["deployment_id"] == dep["id"] and r["state_type"] in
                     ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")],
            240, "the triggered flow run to finish",
        )
        assert runs[0]["state_type"] == "COMPLETED", runs[0]
        assert warehouse.exists()
        import duckdb

        con = duckdb.connect(str(warehouse), read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM marts.dim_initiative").fetchone()[0] == 52
        finally:
            con.close()
    finally:
        _stop(serve)
        serve_log.close()
